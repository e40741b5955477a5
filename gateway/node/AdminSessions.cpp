#include "node/AdminSessions.h"

#include "core/Clock.h"
#include "core/NodeConfig.h"
#include "node/AdminReads.h"
#include "node/SessionEventStream.h"
#include "recording/Recorder.h"
#include "recording/Store.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <optional>

namespace gh {

namespace {

QJsonValue isoUs(std::optional<qint64> us)
{
    if (!us)
        return QJsonValue::Null;
    return QDateTime::fromMSecsSinceEpoch(*us / 1000, Qt::UTC).toString(Qt::ISODateWithMs);
}

void storeError(DeferredReply &res, const Error &e)
{
    res.storeError(e.message);
}

QString param(const HttpRequest &req, const char *name)
{
    return req.query.queryItemValue(QLatin1String(name), QUrl::FullyDecoded);
}

// An ISO 8601 time, or a duration meaning that long ago. Empty text: no bound.
Result<std::optional<qint64>> timeParam(const HttpRequest &req, const char *name, const Clock &clock)
{
    const QString text = param(req, name);
    if (text.isEmpty())
        return std::optional<qint64>();
    const QDateTime t = QDateTime::fromString(text, Qt::ISODate);
    if (t.isValid())
        return std::optional<qint64>(t.toMSecsSinceEpoch() * 1000);
    if (auto d = parseDuration(text); d)
        return std::optional<qint64>((clock.now().toMSecsSinceEpoch() - d->count()) * 1000);
    return Error(QStringLiteral("%1: an ISO 8601 time or a duration such as 1h").arg(QLatin1String(name)));
}

// A whole number in [lo, hi]; empty text gives `fallback`.
Result<qint64> intParam(const HttpRequest &req, const char *name, qint64 lo, qint64 hi, qint64 fallback)
{
    const QString text = param(req, name);
    if (text.isEmpty())
        return fallback;
    bool ok = false;
    const qint64 v = text.toLongLong(&ok);
    if (!ok || v < lo || v > hi)
        return Error(QStringLiteral("%1: a number from %2 to %3").arg(QLatin1String(name)).arg(lo).arg(hi));
    return v;
}

void list(const Store &store, const Clock &clock, const HttpRequest &req, DeferredReply &res)
{
    SessionSearch s;
    s.filter.connection = param(req, "connection");
    s.filter.subject = param(req, "subject");
    s.text = param(req, "q").trimmed();
    if (s.text.size() > 256)
        return res.sendError(400, "invalid", QStringLiteral("q: at most 256 characters"));
    auto since = timeParam(req, "since", clock);
    auto until = timeParam(req, "until", clock);
    auto limit = intParam(req, "limit", 1, 10000, 100);
    for (const Error *e : {since ? nullptr : &since.error(), until ? nullptr : &until.error(),
                           limit ? nullptr : &limit.error()}) {
        if (e)
            return res.sendError(400, "invalid", e->message);
    }
    s.filter.sinceUs = *since;
    s.filter.untilUs = *until;
    s.filter.limit = int(*limit);
    const QString has = param(req, "has");
    if (!has.isEmpty()) {
        for (const QString &h : has.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
            const QString w = h.trimmed();
            if (w == QLatin1String("deny"))
                s.withKinds << QStringLiteral("policy.refused");
            else if (w == QLatin1String("approval"))
                s.withKinds << QStringLiteral("approval.requested") << QStringLiteral("approval.decided");
            else if (w == QLatin1String("masking"))
                s.withKinds << QStringLiteral("policy.masked");
            else
                return res.sendError(400, "invalid", QStringLiteral("has: a list of deny, approval, masking"));
        }
        if (s.withKinds.isEmpty())
            return res.sendError(400, "invalid", QStringLiteral("has: a list of deny, approval, masking"));
    }
    auto found = store.searchSessions(s);
    if (!found)
        return storeError(res, found.error());
    QJsonArray out;
    for (const SessionInfo &info : *found)
        out.append(AdminSessions::sessionJson(info));
    res.sendJson(200, out);
}

template <typename List>
void appendNumbers(QByteArray &out, const char *name, const List &values)
{
    out += '"';
    out += name;
    out += "\":[";
    for (qsizetype i = 0; i < values.size(); ++i) {
        if (i)
            out += ',';
        out += QByteArray::number(qint64(values.at(i)));
    }
    out += ']';
}

// Written by hand rather than through QJsonArray: 100k events are three arrays of 100k numbers.
void timeline(const Store &store, const QString &id, const SessionInfo &info, const HttpRequest &req,
              DeferredReply &res)
{
    auto fromSeq = intParam(req, "from_seq", 0, std::numeric_limits<qint64>::max(), 0);
    auto limit = intParam(req, "limit", 1, 1'000'000, 0);
    for (const Error *e : {fromSeq ? nullptr : &fromSeq.error(), limit ? nullptr : &limit.error()}) {
        if (e)
            return res.sendError(400, "invalid", e->message);
    }
    auto t = store.timeline(id, *fromSeq, int(*limit));
    if (!t)
        return storeError(res, t.error());
    QByteArray out;
    out.reserve(64 + t->seq.size() * 32);
    out += "{\"session\":" + QJsonDocument(QJsonArray{id}).toJson(QJsonDocument::Compact).mid(1).chopped(1);
    out += ",\"total\":" + QByteArray::number(info.eventCount);
    out += ",\"count\":" + QByteArray::number(t->seq.size());
    out += ",\"first_us\":" + (t->tsUs.isEmpty() ? QByteArray("null") : QByteArray::number(t->tsUs.first()));
    out += ",\"last_us\":" + (t->tsUs.isEmpty() ? QByteArray("null") : QByteArray::number(t->tsUs.last()));
    out += ',';
    appendNumbers(out, "seq", t->seq);
    out += ',';
    appendNumbers(out, "ts_us", t->tsUs);
    out += ',';
    appendNumbers(out, "kind", t->kind);
    out += ",\"kinds\":" + QJsonDocument(QJsonArray::fromStringList(t->kinds)).toJson(QJsonDocument::Compact) + '}';
    res.send(200, QByteArrayLiteral("application/json"), out);
}

// The parameters of an event window: from_seq or from_us, to_us, limit.
Result<SessionEventStream::Window> windowParams(const HttpRequest &req)
{
    auto fromSeq = intParam(req, "from_seq", 0, std::numeric_limits<qint64>::max(), 0);
    auto limit = intParam(req, "limit", 1, 10000, 0);
    auto fromUs = intParam(req, "from_us", 0, std::numeric_limits<qint64>::max(), -1);
    auto toUs = intParam(req, "to_us", 0, std::numeric_limits<qint64>::max(), -1);
    for (const Error *e : {fromSeq ? nullptr : &fromSeq.error(), limit ? nullptr : &limit.error(),
                           fromUs ? nullptr : &fromUs.error(), toUs ? nullptr : &toUs.error()}) {
        if (e)
            return *e;
    }
    if (!param(req, "from_seq").isEmpty() && *fromUs >= 0)
        return Error(QStringLiteral("give from_seq or from_us, not both"));
    SessionEventStream::Window w;
    w.fromSeq = *fromSeq;
    w.fromUs = *fromUs;
    w.toUs = *toUs;
    if (*limit > 0)
        w.limit = *limit;
    return w;
}

} // namespace

AdminSessions::AdminSessions(const Store &store, const Clock &clock, const TokenIssuer *issuer, AdminReads &reads)
    : m_store(store), m_clock(clock), m_issuer(issuer), m_reads(reads)
{
}

void AdminSessions::serve(const HttpRequest &req, const HttpResponder &res, const QStringList &seg) const
{
    if (req.method != "GET")
        return res.sendError(405, "method_not_allowed", QStringLiteral("sessions are read-only"));
    if (seg.size() == 3 && seg.at(2) == QLatin1String("events")) {
        auto w = windowParams(req);
        if (!w)
            return res.sendError(400, "invalid", w.error().message);
        return SessionEventStream::start(m_reads, m_store, seg.at(1), *w, res);
    }
    const Store &store = m_store;
    const Clock &clock = m_clock;
    const TokenIssuer *issuer = m_issuer;
    m_reads.reply(res, [&store, &clock, issuer, req, seg](DeferredReply &r) {
        if (seg.size() == 1)
            return list(store, clock, req, r);
        const QString id = seg.at(1);
        auto s = store.session(id);
        if (!s)
            return storeError(r, s.error());
        if (!s->has_value())
            return r.sendError(404, "not_found", QStringLiteral("no session with id %1").arg(id));
        if (seg.size() == 2)
            return r.sendJson(200, sessionJson(**s));
        if (seg.size() == 3 && seg.at(2) == QLatin1String("timeline"))
            return timeline(store, id, **s, req, r);
        if (seg.size() == 3 && seg.at(2) == QLatin1String("verify")) {
            if (!issuer)
                return r.sendError(503, "unavailable", QStringLiteral("this gateway has no signing key to verify with"));
            auto v = verifySession(store, *issuer, id);
            if (!v)
                return storeError(r, v.error());
            QJsonObject out{{QStringLiteral("intact"), v->intact}, {QStringLiteral("events"), double(v->events)}};
            if (!v->intact)
                out.insert(QStringLiteral("first_bad_seq"), double(v->firstBadSeq));
            if (!v->reason.isEmpty())
                out.insert(QStringLiteral("reason"), v->reason);
            return r.sendJson(200, out);
        }
        r.sendError(404, "not_found", QStringLiteral("no such route"));
    });
}

QJsonObject AdminSessions::sessionJson(const SessionInfo &s)
{
    return QJsonObject{
        {QStringLiteral("id"), s.id},
        {QStringLiteral("connection"), s.connection},
        {QStringLiteral("subject"), s.subject},
        {QStringLiteral("groups"), QJsonArray::fromStringList(s.groups)},
        {QStringLiteral("issuer"), s.issuer},
        {QStringLiteral("client_addr"), s.clientAddr},
        {QStringLiteral("started_at"), isoUs(s.startedAtUs)},
        {QStringLiteral("ended_at"), isoUs(s.endedAtUs)},
        {QStringLiteral("bytes_in"), double(s.bytesIn)},
        {QStringLiteral("bytes_out"), double(s.bytesOut)},
        {QStringLiteral("event_count"), double(s.eventCount)},
    };
}

QByteArray AdminSessions::eventLine(const QString &id, const StoredEvent &e)
{
    QJsonObject line{{QStringLiteral("session"), id},
                     {QStringLiteral("seq"), double(e.seq)},
                     {QStringLiteral("ts_us"), double(e.tsUs)},
                     {QStringLiteral("kind"), e.kind},
                     {QStringLiteral("hash"), QString::fromLatin1(e.hash.toHex())}};
    const QJsonDocument data = QJsonDocument::fromJson(e.data);
    line.insert(QStringLiteral("data"), data.isObject() ? QJsonValue(data.object()) : QJsonValue(QString::fromUtf8(e.data)));
    return QJsonDocument(line).toJson(QJsonDocument::Compact) + '\n';
}

} // namespace gh
