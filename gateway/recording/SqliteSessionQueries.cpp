// The session queries behind the desktop's sessions list and replay view (search, timeline index,
// seq by time), kept apart from SqliteStore.cpp's writes and basic reads.
#include "recording/JournalRecords.h"
#include "recording/SegmentIndexer.h"
#include "recording/SqliteConnection.h"
#include "recording/SqliteSchema.h"
#include "recording/SqliteStore.h"
#include "recording/SqliteValues.h"
#include "recording/StoreWriter.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMutexLocker>
#include <QScopeGuard>

#include <algorithm>
#include <limits>
#include <iterator>

namespace gh {

namespace {

constexpr int maxSearchLimit = 10000;
// A timeline slice holds no data, so it may be far longer than an events page.
constexpr int maxTimelineSlice = 1'000'000;

// Fixed statements (the connection caches them): NULL parameters do not filter; ?7 is the wanted
// kinds as ",a,b," so a list of any length binds as one value. As in SqliteStore::sessions(), one
// statement per leading filter so each walks its own index newest first.
#define GH_SEARCH_SELECT(lead, kinds)                                                              \
    "SELECT " GH_SESSION_COLUMNS " FROM sessions WHERE " lead                                      \
    " AND (?3 IS NULL OR started_at_us >= ?3) AND (?4 IS NULL OR started_at_us < ?4) "            \
    "AND (?6 IS NULL OR instr(lower(id), ?6) > 0 OR instr(lower(subject), ?6) > 0 "               \
    "     OR instr(lower(connection), ?6) > 0 OR instr(lower(client_addr), ?6) > 0) "             \
    "AND " kinds " ORDER BY started_at_us DESC, id DESC LIMIT ?5"

// Schema v5: a session's runs say which kinds they hold (a bit for each kind the gateway records,
// ?8; other kinds listed, ?9 a JSON array of the wanted ones), so no event is read.
#define GH_RUN_KINDS                                                                               \
    "EXISTS (SELECT 1 FROM event_runs r WHERE r.session_id = sessions.id AND (r.kinds & ?8 != 0 "  \
    "OR (?9 IS NOT NULL AND r.other_kinds IS NOT NULL AND EXISTS (SELECT 1 FROM json_each(?9) j "   \
    "WHERE instr(r.other_kinds, ',' || j.value || ',') > 0))))"
// Events recorded before schema v5, as rows. Any kinds: each candidate session's events are read
// until one matches.
#define GH_ANY_KINDS                                                                               \
    "(?7 IS NULL OR " GH_RUN_KINDS " OR EXISTS (SELECT 1 FROM events WHERE events.session_id = sessions.id " \
    "     AND instr(?7, ',' || events.kind || ',') > 0))"
// Only rare kinds (what `has=` asks for): looked up in events_stats by kind and the session's
// lifetime, which holds every event the recorder gave it (never before its start, never after
// its end), so a long session costs a few index entries, not a read of its events.
#define GH_RARE_KIND_EXISTS(k)                                                                     \
    "(instr(?7, '," k ",') > 0 AND EXISTS (SELECT 1 FROM events e WHERE " GH_EVENTS_STATS_WHERE("e.") \
    " AND e.kind = '" k "' AND e.ts_us >= sessions.started_at_us "                                \
    "AND e.ts_us <= coalesce(sessions.ended_at_us, 9223372036854775807) AND e.session_id = sessions.id)) OR "
// Since schema v5, through event_runs_rare (named: without statistics SQLite would take the primary
// key, which reads every run of the session): only the runs that hold a rare kind.
#define GH_RARE_RUN_KINDS                                                                          \
    "EXISTS (SELECT 1 FROM event_runs r INDEXED BY event_runs_rare WHERE r.session_id = sessions.id AND " \
    GH_RUN_RARE_WHERE("r.")                                                                           \
    " AND r.kinds & ?8 != 0)"
#define GH_RARE_KINDS "(" GH_RARE_RUN_KINDS " OR " GH_FOR_EACH_RARE_KIND(GH_RARE_KIND_EXISTS) "0)"

#define GH_LEAD_CONNECTION "connection = ?1 AND (?2 IS NULL OR subject = ?2)"
#define GH_LEAD_SUBJECT "?1 IS NULL AND subject = ?2"
#define GH_LEAD_TIME "?1 IS NULL AND ?2 IS NULL"
// [leading filter][rare kinds only]
constexpr const char *const searchStatements[3][2] = {
    {GH_SEARCH_SELECT(GH_LEAD_CONNECTION, GH_ANY_KINDS), GH_SEARCH_SELECT(GH_LEAD_CONNECTION, GH_RARE_KINDS)},
    {GH_SEARCH_SELECT(GH_LEAD_SUBJECT, GH_ANY_KINDS), GH_SEARCH_SELECT(GH_LEAD_SUBJECT, GH_RARE_KINDS)},
    {GH_SEARCH_SELECT(GH_LEAD_TIME, GH_ANY_KINDS), GH_SEARCH_SELECT(GH_LEAD_TIME, GH_RARE_KINDS)},
};
#undef GH_LEAD_TIME
#undef GH_LEAD_SUBJECT
#undef GH_LEAD_CONNECTION
#undef GH_RARE_KINDS
#undef GH_RARE_KIND_EXISTS
#undef GH_ANY_KINDS
#undef GH_RUN_KINDS
#undef GH_RARE_RUN_KINDS
#undef GH_SEARCH_SELECT

bool allRareKinds(const QStringList &kinds)
{
#define GH_RARE_KIND_NAME(k) QLatin1String(k),
    static const QLatin1String rare[] = {GH_FOR_EACH_RARE_KIND(GH_RARE_KIND_NAME)};
#undef GH_RARE_KIND_NAME
    return !kinds.isEmpty() && std::all_of(kinds.cbegin(), kinds.cend(), [](const QString &k) {
        return std::find(std::cbegin(rare), std::cend(rare), k) != std::cend(rare);
    });
}

} // namespace

Result<std::unique_ptr<SqliteConnection>> SqliteStore::takeReader() const
{
    {
        QMutexLocker lock(&m_readersMutex);
        if (!m_idleReaders.empty()) {
            std::unique_ptr<SqliteConnection> c = std::move(m_idleReaders.back());
            m_idleReaders.pop_back();
            return c;
        }
    }
    return SqliteConnection::open(m_path, SqliteConnection::Access::ReadOnly, m_options.busyTimeoutMs);
}

Status SqliteStore::forEachStoredEvent(SqliteConnection &db, const QString &sessionId, qint64 fromSeq, qint64 fromTsUs,
                                       const std::function<bool(const journal::EventView &)> &each, bool *hadRuns) const
{
    *hadRuns = false;
    Result<SqliteQuery> q = db.query(
        "SELECT segment_id, first_offset, end_offset, first_seq FROM event_runs "
        "WHERE session_id = ?1 AND last_seq >= ?2 AND last_ts_us >= ?3 ORDER BY first_seq");
    if (!q)
        return q.error();
    q->bind(1, sessionId).bind(2, fromSeq).bind(3, fromTsUs);
    const QByteArray id = sessionId.toUtf8();
    bool more = true;
    while (more) {
        Result<bool> row = q->step();
        if (!row)
            return row.error();
        if (!*row)
            break;
        *hadRuns = true;
        const auto segment = quint64(q->int64(0));
        const qint64 from = q->int64(1);
        const qint64 to = q->int64(2);
        const QString path = m_journal->segmentPath(segment);
        const QString where = QStringLiteral("session %1's events from event %2 on, in recording segment %3")
                                  .arg(sessionId)
                                  .arg(q->int64(3))
                                  .arg(path);
        Result<QByteArray> bytes = RecordingJournal::readRange(path, from, to);
        if (!bytes)
            return Error(QStringLiteral("%1: %2").arg(where, bytes.error().message));
        if (bytes->size() != to - from)
            return Error(QStringLiteral("%1: the file ends at byte %2, the index says %3")
                             .arg(where)
                             .arg(from + bytes->size())
                             .arg(to));
        Status bad;
        const QString problem = RecordingJournal::forEachRecord(*bytes, from, [&](qint64 offset, QByteArrayView record) {
            if (!more || !bad)
                return;
            Result<std::optional<journal::EventView>> e = journal::peekEvent(record);
            if (!e) {
                bad = Error(QStringLiteral("%1: byte %2: %3").arg(where).arg(offset).arg(e.error().message));
                return;
            }
            if (!e->has_value() || (*e)->sessionId != QByteArrayView(id) || (*e)->seq < fromSeq)
                return;
            more = each(**e);
        });
        if (!bad)
            return bad;
        if (!problem.isEmpty() && more)   // damage past the last event wanted is not this read's
            return Error(QStringLiteral("%1: %2").arg(where, problem));
    }
    return {};
}

Result<QList<SessionInfo>> SqliteStore::searchSessions(const SessionSearch &search) const
{
    catchUp();   // see every session write made before this read
    Result<std::unique_ptr<SqliteConnection>> db = takeReader();
    if (!db)
        return db.error();
    const auto giveBack = qScopeGuard([&] { release(std::move(*db)); });
    const SessionFilter &f = search.filter;
    const int lead = !f.connection.isEmpty() ? 0 : !f.subject.isEmpty() ? 1 : 2;
    Result<SqliteQuery> q = (*db)->query(searchStatements[lead][allRareKinds(search.withKinds) ? 1 : 0]);
    if (!q)
        return q.error();
    q->bindOrNull(1, f.connection).bindOrNull(2, f.subject);
    q->bindOptional(3, f.sinceUs).bindOptional(4, f.untilUs);
    q->bind(5, qint64(f.limit <= 0 ? 100 : std::min(f.limit, maxSearchLimit)));
    q->bindOrNull(6, search.text.toLower());
    q->bindOrNull(7, search.withKinds.isEmpty() ? QString()
                                                : QString(QLatin1Char(',') + search.withKinds.join(QLatin1Char(','))
                                                          + QLatin1Char(',')));
    qint64 bits = 0;
    QJsonArray others;
    for (const QString &kind : search.withKinds) {
        if (const int bit = runkinds::bitOf(kind.toUtf8()); bit >= 0)
            bits |= qint64(1) << bit;
        else
            others.append(kind);
    }
    q->bind(8, bits);
    q->bindOrNull(9, others.isEmpty() ? QString() : QString::fromUtf8(QJsonDocument(others).toJson(QJsonDocument::Compact)));
    return q->collect<SessionInfo>(stored::sessionFromRow);
}

Result<SessionTimeline> SqliteStore::timeline(const QString &sessionId, qint64 fromSeq, int limit) const
{
    catchUp();
    Result<std::unique_ptr<SqliteConnection>> db = takeReader();
    if (!db)
        return db.error();
    const auto giveBack = qScopeGuard([&] { release(std::move(*db)); });
    const qint64 max = limit <= 0 ? maxTimelineSlice : std::min(limit, maxTimelineSlice);
    SessionTimeline t;
    QHash<QString, quint16> index;
    Status failed;
    auto add = [&](qint64 seq, qint64 tsUs, const QString &kind) {
        auto it = index.constFind(kind);
        if (it == index.constEnd()) {
            if (t.kinds.size() >= 0xffff) {
                failed = Error(QStringLiteral("session %1 has more than 65535 event kinds").arg(sessionId));
                return false;
            }
            it = index.insert(kind, quint16(t.kinds.size()));
            t.kinds.append(kind);
        }
        t.seq.append(seq);
        t.tsUs.append(tsUs);
        t.kind.append(*it);
        return true;
    };
    bool hadRuns = false;
    Status read = forEachStoredEvent(**db, sessionId, fromSeq, std::numeric_limits<qint64>::min(), [&](const journal::EventView &e) {
        return t.seq.size() < max && add(e.seq, e.tsUs, QString::fromUtf8(e.kind)) && t.seq.size() < max;
    }, &hadRuns);
    if (!read)
        return read.error();
    if (!failed)
        return failed.error();
    if (hadRuns)
        return t;
    // Recorded before schema v5: rows. Only the columns before data, so SQLite never touches a
    // body's overflow pages for this.
    Result<SqliteQuery> q = (*db)->query(
        "SELECT seq, ts_us, kind FROM events WHERE session_id = ?1 AND seq >= ?2 ORDER BY seq LIMIT ?3");
    if (!q)
        return q.error();
    q->bind(1, sessionId).bind(2, fromSeq).bind(3, max);
    read = q->forEachRow([&]() -> Status {
        if (!add(q->int64(0), q->int64(1), q->text(2)))
            return failed;
        return {};
    });
    if (!read)
        return read.error();
    return t;
}

Result<std::optional<qint64>> SqliteStore::seqAtOrAfter(const QString &sessionId, qint64 tsUs) const
{
    catchUp();
    Result<std::unique_ptr<SqliteConnection>> db = takeReader();
    if (!db)
        return db.error();
    const auto giveBack = qScopeGuard([&] { release(std::move(*db)); });
    // Times only grow with seq (the recorder keeps them monotonic): the first run that reaches the
    // time holds the answer, or the one after it.
    std::optional<qint64> found;
    bool hadRuns = false;
    Status read = forEachStoredEvent(**db, sessionId, 0, tsUs, [&](const journal::EventView &e) {
        if (e.tsUs >= tsUs)
            found = e.seq;
        return !found;
    }, &hadRuns);
    if (!read)
        return read.error();
    if (hadRuns)
        return found;
    Result<SqliteQuery> q = (*db)->query(
        "SELECT seq FROM events WHERE session_id = ?1 AND ts_us >= ?2 ORDER BY seq LIMIT 1");
    if (!q)
        return q.error();
    q->bind(1, sessionId).bind(2, tsUs);
    Result<bool> row = q->step();
    if (!row)
        return row.error();
    if (!*row)
        return std::optional<qint64>();
    return std::optional<qint64>(q->int64(0));
}

Result<qint64> SqliteStore::eventCount(const QString &sessionId, qint64 fromSeq) const
{
    catchUp();
    Result<std::unique_ptr<SqliteConnection>> db = takeReader();
    if (!db)
        return db.error();
    const auto giveBack = qScopeGuard([&] { release(std::move(*db)); });
    // From the runs' counts (a run that starts before fromSeq holds its seqs without gaps: a
    // session is recorded by one thread at a time), and the rows recorded before schema v5 off
    // the primary key's index, not the rows with their bodies.
    Result<SqliteQuery> q = (*db)->query(
        "SELECT (SELECT coalesce(sum(CASE WHEN first_seq >= ?2 THEN events ELSE min(events, last_seq - ?2 + 1) END), 0) "
        "FROM event_runs WHERE session_id = ?1 AND last_seq >= ?2) "
        "+ (SELECT count(*) FROM events WHERE session_id = ?1 AND seq >= ?2)");
    if (!q)
        return q.error();
    q->bind(1, sessionId).bind(2, fromSeq);
    Result<bool> row = q->step();
    if (!row)
        return row.error();
    return *row ? q->int64(0) : 0;
}

} // namespace gh
