#include "recording/Recorder.h"

#include "core/ByteWriter.h"

#include "identity/TokenIssuer.h"

#include <QJsonDocument>
#include <QUuid>

#include <algorithm>
#include <chrono>

namespace gh {

namespace {

qint64 wallClockUs()
{
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

// A cap may cut a multi-byte character in two; dropping its lead bytes keeps a text body text.
qsizetype withoutSplitCharacter(QByteArrayView bytes)
{
    qsizetype n = bytes.size();
    qsizetype back = 0;
    while (back < 3 && back < n && (quint8(bytes.at(n - 1 - back)) & 0xC0) == 0x80)
        ++back;
    if (back == n)
        return n;
    const auto lead = quint8(bytes.at(n - 1 - back));
    const qsizetype want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    return back + 1 < want ? n - back - 1 : n;
}

std::optional<QString> utf8Text(QByteArrayView bytes)
{
    if (!json::isSafeUtf8(bytes))
        return std::nullopt;
    return QString::fromUtf8(bytes);
}

QString headerText(const QByteArray &value)
{
    if (std::optional<QString> text = utf8Text(value))
        return *std::move(text);
    return QString::fromLatin1(value);
}

void logFailure(const char *what, const QString &id, const Status &s)
{
    if (!s)
        qWarning("recorder: %s of session %s failed: %s", what, qPrintable(id), qPrintable(s.error().message));
}

} // namespace

// ---- Recorder -------------------------------------------------------------------------------

Recorder::Recorder(Store &store, const TokenIssuer &signer, Options options)
    : m_store(store), m_signer(signer), m_options(options)
{
    m_options.bodyCap = std::max<qint64>(0, m_options.bodyCap);
}

Recorder::Recorder(Store &store, const TokenIssuer &signer) : Recorder(store, signer, Options()) {}

std::shared_ptr<SessionRecording> Recorder::begin(const Principal &who, const QString &connection,
                                                  const QString &clientAddr)
{
    SessionStart start;
    start.connection = connection;
    start.subject = who.subject;
    start.groups = who.groups;
    start.issuer = who.issuer;
    start.clientAddr = clientAddr;
    start.startedAtUs = wallClockUs();
    start.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    // A failed begin makes every later event of the session fail too, which the proxy sees
    // through record()'s durable callback and the store's health.
    m_store.beginSessionAsync(start, [id = start.id](Status s) { logFailure("begin", id, s); });
    return std::make_shared<SessionRecording>(SessionRecording::Key(), m_store, m_signer,
                                              m_options.bodyCap, start.id, start.startedAtUs);
}

Status Recorder::health() const
{
    return m_store.health();
}

const Recorder::Options &Recorder::options() const
{
    return m_options;
}

// ---- SessionRecording -----------------------------------------------------------------------

SessionRecording::SessionRecording(Key, Store &store, const TokenIssuer &signer, qint64 bodyCap,
                                   QString id, qint64 startedAtUs)
    : m_store(store), m_signer(signer), m_bodyCap(bodyCap), m_id(std::move(id)), m_lastTsUs(startedAtUs)
{
}

SessionRecording::~SessionRecording()
{
    end();
}

QString SessionRecording::id() const
{
    return m_id;
}

qint64 SessionRecording::nextTimestamp()
{
    m_lastTsUs = std::max(m_lastTsUs, wallClockUs());
    return m_lastTsUs;
}

qint64 SessionRecording::record(const QString &kind, const QJsonObject &data, const QByteArray &body,
                                QObject *context, std::function<void(Status)> durable)
{
    const bool truncated = body.size() > m_bodyCap;
    QJsonObject base;
    const bool ownBodyKeys = !body.isEmpty()
        && (data.contains(QLatin1String("body")) || data.contains(QLatin1String("body_b64"))
            || (truncated && data.contains(QLatin1String("body_truncated"))));
    if (ownBodyKeys) {   // what the recorder saw of the body wins over the caller's fields
        base = data;
        base.remove(QLatin1String("body"));
        base.remove(QLatin1String("body_b64"));
        if (truncated)
            base.remove(QLatin1String("body_truncated"));
    }
    return commit(kind, QJsonDocument(ownBodyKeys ? base : data).toJson(QJsonDocument::Compact), body,
                  data.contains(QLatin1String("body_size")), context, std::move(durable));
}

qint64 SessionRecording::record(const QString &kind, EventJson data, const QByteArray &body,
                                QObject *context, std::function<void(Status)> durable)
{
    if (!body.isEmpty() && (data.hasBody() || (body.size() > m_bodyCap && data.hasBodyTruncated())))
        // The caller's body members must give way to the recorder's: rare, so the object form.
        return record(kind, QJsonDocument::fromJson(data.json()).object(), body, context, std::move(durable));
    const bool hasBodySize = data.hasBodySize();
    return commit(kind, std::move(data).take(), body, hasBodySize, context, std::move(durable));
}

Result<qint64> SessionRecording::recordDurable(const QString &kind, EventJson data, const QByteArray &body)
{
    if (!body.isEmpty() && (data.hasBody() || (body.size() > m_bodyCap && data.hasBodyTruncated())))
        return Error(QStringLiteral("recordDurable: the body members are the recorder's to write"));
    Status outcome;
    const bool hasBodySize = data.hasBodySize();
    const qint64 seq = commit(kind, std::move(data).take(), body, hasBodySize, nullptr, {}, &outcome);
    if (!outcome)
        return outcome.error();
    return seq;
}

qint64 SessionRecording::commit(const QString &kind, QByteArray json, const QByteArray &body,
                                bool hasBodySize, QObject *context, std::function<void(Status)> durable,
                                Status *now)
{
    // Without a caller's completion a failure is only logged: that needs no std::function (its
    // capture of the id would be an allocation an event), the store's answer says it.
    Store::Completion done;
    if (durable)
        done = context ? Store::deliverTo(context, std::move(durable)) : std::move(durable);

    if (m_ended) {
        const Error ended(QStringLiteral("session %1 has ended; nothing more is recorded").arg(m_id));
        if (now)
            *now = ended;
        report(done, ended);
        return -1;
    }

    // The body is written into the JSON straight from its bytes: going through QString and
    // QJsonObject would convert it to UTF-16 and back, which cost more than the rest of an event.
    if (!body.isEmpty() && json.endsWith('}')) {
        const bool truncated = body.size() > m_bodyCap;
        QByteArrayView kept = QByteArrayView(body).first(truncated ? m_bodyCap : body.size());
        if (truncated)
            kept = kept.first(withoutSplitCharacter(kept));
        const bool text = json::isSafeUtf8(kept);
        if (!text)   // base64 of what the cap keeps, a split character included
            kept = QByteArrayView(body).first(truncated ? m_bodyCap : body.size());
        ByteWriter out(json, (text ? kept.size() + kept.size() / 8 : (kept.size() + 2) / 3 * 4) + 64);
        out.chop(1);
        if (out.size() > 1)
            out.put(',');
        if (text) {
            out.literal("\"body\":");
            json::appendUtf8String(out, kept);
        } else {   // fromRawData: the base64 is the one copy made of a binary body
            out.literal("\"body_b64\":\"");
            out.put(QByteArray::fromRawData(kept.data(), kept.size()).toBase64());
            out.put('"');
        }
        if (truncated) {
            out.literal(",\"body_truncated\":true");
            if (!hasBodySize) {
                out.literal(",\"body_size\":");
                out.number(body.size());
            }
        }
        out.put('}');
    }

    Event event;
    event.seq = m_chain.count();
    event.tsUs = nextTimestamp();
    event.kind = kind;
    event.data = std::move(json);
    const QByteArray previousHead = m_chain.head();
    event.hash = m_chain.append(event.seq, event.tsUs, event.kind, event.data);
    if (event.hash.isEmpty()) {
        const Error unhashed(QStringLiteral("session %1: the event could not be hashed").arg(m_id));
        if (now)
            *now = unhashed;
        report(done, unhashed);
        return -1;
    }
    const qint64 seq = event.seq;
    if (now) {
        *now = m_store.appendEventDurable(m_id, event, std::move(done));
        if (!*now) {   // not stored anywhere: the chain goes on as if it had not been
            m_chain.undoLast(previousHead);
            return -1;
        }
    } else if (done) {
        m_store.appendEventAsync(m_id, event, std::move(done));
    } else if (Status s = m_store.appendEventDurable(m_id, event, {}); !s) {
        // Durable, the stronger promise, for the same price: the store's async form commits as it
        // returns as well.
        report(done, s);
    }
    return seq;
}

void SessionRecording::report(const Store::Completion &done, const Status &status) const
{
    if (done)
        done(status);
    else
        logFailure("an event", m_id, status);
}

void SessionRecording::addBytes(qint64 in, qint64 out)
{
    m_bytesIn += in;
    m_bytesOut += out;
}

void SessionRecording::end()
{
    if (m_ended)
        return;
    m_ended = true;
    SessionEnd end;
    end.endedAtUs = nextTimestamp();
    end.bytesIn = m_bytesIn;
    end.bytesOut = m_bytesOut;
    end.headHash = m_chain.head();
    end.eventCount = m_chain.count();
    end.headSignature = m_signer.sign(SessionChain::headMessage(m_id, m_chain.count(), m_chain.head()));
    if (end.headSignature.isEmpty())   // verify will call it "not signed"; the record itself stays
        qWarning("recorder: session %s could not be signed", qPrintable(m_id));
    m_store.endSessionAsync(m_id, end, [id = m_id](Status s) { logFailure("the end", id, s); });
}

// ---- verification ---------------------------------------------------------------------------

Result<VerifyResult> verifySession(const Store &store, const TokenIssuer &signer, const QString &id)
{
    Result<std::optional<SessionInfo>> found = store.session(id);
    if (!found)
        return found.error();
    if (!found->has_value())
        return Error(QStringLiteral("no session with id %1").arg(id));
    const SessionInfo &info = **found;

    SessionChain chain;
    VerifyResult result;
    auto bad = [&](qint64 seq, const QString &reason) {
        result.intact = false;
        result.firstBadSeq = seq;
        result.reason = reason;
        result.events = chain.count();
        return result;
    };

    // Pages keep a long session out of memory; a page the store cannot decode is re-read one
    // event at a time so the broken row is the one named.
    constexpr int kPage = 1000;
    constexpr qint64 kPageBytes = 8 << 20;
    int pageSize = kPage;
    qint64 next = 0;
    for (;;) {
        Result<QList<StoredEvent>> page = store.events(id, next, pageSize, kPageBytes);
        if (!page) {
            if (pageSize > 1) {
                pageSize = 1;
                continue;
            }
            return bad(next, QStringLiteral("event %1 cannot be read: %2").arg(next).arg(page.error().message));
        }
        for (const StoredEvent &e : std::as_const(*page)) {
            if (e.seq != next)
                return bad(next, QStringLiteral("event %1 is missing (the next stored event is %2)").arg(next).arg(e.seq));
            const QByteArray hash = chain.append(e.seq, e.tsUs, e.kind, e.data);
            if (hash.isEmpty())
                return Error(QStringLiteral("session %1: hashing failed").arg(id));
            if (hash != e.hash) {
                VerifyResult r = bad(e.seq, QStringLiteral("event %1 does not match its hash: it was changed, or "
                                                           "moved from elsewhere in the session")
                                                .arg(e.seq));
                r.events = e.seq;   // the events before it verified
                return r;
            }
            next = e.seq + 1;
        }
        if (page->isEmpty())
            break;
        pageSize = kPage;
    }

    const qint64 count = chain.count();
    if (count < info.eventCount)
        return bad(count, QStringLiteral("the session recorded %1 events, %2 are stored: events from %2 on were removed")
                              .arg(info.eventCount)
                              .arg(count));
    if (count > info.eventCount)
        return bad(info.eventCount, QStringLiteral("the session recorded %1 events, %2 are stored: event %1 was "
                                                   "added afterwards")
                                        .arg(info.eventCount)
                                        .arg(count));
    if (count > 0 && info.headHash != chain.head())
        return bad(count, QStringLiteral("the session's head does not match its last event %1: events from %2 "
                                         "on were removed, or the head was changed")
                              .arg(count - 1)
                              .arg(count));

    result.events = count;
    if (!info.endedAtUs) {
        result.intact = true;
        result.reason = QStringLiteral("open session: the events chain up, the head is signed when it ends");
        return result;
    }
    // Without a valid signature whoever can write the file could have rebuilt the whole chain, so
    // nothing from the first event on is vouched for.
    if (info.headSignature.isEmpty())
        return bad(0, QStringLiteral("not signed: the session ended without a signed head"));
    if (!signer.verifySignature(SessionChain::headMessage(id, count, chain.head()), info.headSignature))
        return bad(0, QStringLiteral("the head signature does not verify with this gateway's key: forged, or "
                                     "the events were rewritten"));
    result.intact = true;
    return result;
}

// ---- headers --------------------------------------------------------------------------------

QJsonObject headersForRecord(const QList<std::pair<QByteArray, QByteArray>> &headers,
                             const QList<QByteArray> &extraSecretNames)
{
    auto secret = [&](const QByteArray &lower) {
        if (lower == "authorization" || lower == "proxy-authorization" || lower == "cookie")
            return true;
        return std::any_of(extraSecretNames.cbegin(), extraSecretNames.cend(),
                           [&](const QByteArray &n) { return n.trimmed().compare(lower, Qt::CaseInsensitive) == 0; });
    };
    QJsonObject out;
    for (const auto &[name, value] : headers) {
        // Names are case-insensitive on the wire: one lower-case key per header, repeats joined
        // as HTTP would fold them.
        const QByteArray lower = name.trimmed().toLower();
        if (lower.isEmpty() || secret(lower))
            continue;
        const QString key = QString::fromLatin1(lower);
        const QString text = lower == "set-cookie" ? QStringLiteral("[redacted]") : headerText(value);
        const QJsonValue seen = out.value(key);
        out.insert(key, seen.isString() ? seen.toString() + QLatin1String(", ") + text : text);
    }
    return out;
}

} // namespace gh
