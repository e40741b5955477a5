// The session queries behind the desktop's sessions list and replay view (search, timeline index,
// seq by time), kept apart from SqliteStore.cpp's writes and basic reads.
#include "recording/SqliteConnection.h"
#include "recording/SqliteSchema.h"
#include "recording/SqliteStore.h"
#include "recording/SqliteValues.h"
#include "recording/StoreWriter.h"

#include <QHash>
#include <QMutexLocker>
#include <QScopeGuard>

#include <algorithm>
#include <iterator>

namespace gh {

namespace {

constexpr int maxSearchLimit = 10000;
// A timeline slice holds no data, so it may be far longer than an events page.
constexpr int maxTimelineSlice = 1'000'000;

// As SqliteStore.cpp's list (stored::sessionFromRow reads them): an open session's count and head
// are read off its events.
#define GH_SEARCH_COLUMNS                                                                          \
    "id, connection, subject, groups, issuer, client_addr, started_at_us, ended_at_us, bytes_in, " \
    "bytes_out, CASE WHEN ended_at_us IS NULL THEN (SELECT count(*) FROM events "                  \
    "WHERE events.session_id = sessions.id) ELSE event_count END, "                                \
    "CASE WHEN ended_at_us IS NULL THEN (SELECT hash FROM events WHERE events.session_id = "       \
    "sessions.id ORDER BY seq DESC LIMIT 1) ELSE head_hash END, head_signature"

// Fixed statements (the connection caches them): NULL parameters do not filter; ?7 is the wanted
// kinds as ",a,b," so a list of any length binds as one value. As in SqliteStore::sessions(), one
// statement per leading filter so each walks its own index newest first.
#define GH_SEARCH_SELECT(lead, kinds)                                                              \
    "SELECT " GH_SEARCH_COLUMNS " FROM sessions WHERE " lead                                      \
    " AND (?3 IS NULL OR started_at_us >= ?3) AND (?4 IS NULL OR started_at_us < ?4) "            \
    "AND (?6 IS NULL OR instr(lower(id), ?6) > 0 OR instr(lower(subject), ?6) > 0 "               \
    "     OR instr(lower(connection), ?6) > 0 OR instr(lower(client_addr), ?6) > 0) "             \
    "AND " kinds " ORDER BY started_at_us DESC, id DESC LIMIT ?5"

// Any kinds: each candidate session's events are read until one matches.
#define GH_ANY_KINDS                                                                               \
    "(?7 IS NULL OR EXISTS (SELECT 1 FROM events WHERE events.session_id = sessions.id "          \
    "     AND instr(?7, ',' || events.kind || ',') > 0))"
// Only rare kinds (what `has=` asks for): looked up in events_stats by kind and the session's
// lifetime, which holds every event the recorder gave it (never before its start, never after
// its end), so a long session costs a few index entries, not a read of its events.
#define GH_RARE_KIND_EXISTS(k)                                                                     \
    "(instr(?7, '," k ",') > 0 AND EXISTS (SELECT 1 FROM events e WHERE " GH_EVENTS_STATS_WHERE("e.") \
    " AND e.kind = '" k "' AND e.ts_us >= sessions.started_at_us "                                \
    "AND e.ts_us <= coalesce(sessions.ended_at_us, 9223372036854775807) AND e.session_id = sessions.id)) OR "
#define GH_RARE_KINDS "(" GH_FOR_EACH_RARE_KIND(GH_RARE_KIND_EXISTS) "0)"

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
#undef GH_SEARCH_COLUMNS

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

Result<QList<SessionInfo>> SqliteStore::searchSessions(const SessionSearch &search) const
{
    m_writer->drain();   // see every session write queued before this read
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
    return q->collect<SessionInfo>(stored::sessionFromRow);
}

Result<SessionTimeline> SqliteStore::timeline(const QString &sessionId, qint64 fromSeq, int limit) const
{
    m_writer->drain();   // see every session write queued before this read
    Result<std::unique_ptr<SqliteConnection>> db = takeReader();
    if (!db)
        return db.error();
    const auto giveBack = qScopeGuard([&] { release(std::move(*db)); });
    // Only the columns before data: SQLite never touches a body's overflow pages for this.
    Result<SqliteQuery> q = (*db)->query(
        "SELECT seq, ts_us, kind FROM events WHERE session_id = ?1 AND seq >= ?2 ORDER BY seq LIMIT ?3");
    if (!q)
        return q.error();
    q->bind(1, sessionId).bind(2, fromSeq).bind(3, qint64(limit <= 0 ? maxTimelineSlice : std::min(limit, maxTimelineSlice)));
    SessionTimeline t;
    QHash<QString, quint16> index;
    Status read = q->forEachRow([&]() -> Status {
        t.seq.append(q->int64(0));
        t.tsUs.append(q->int64(1));
        const QString kind = q->text(2);
        auto it = index.constFind(kind);
        if (it == index.constEnd()) {
            if (t.kinds.size() >= 0xffff)
                return Error(QStringLiteral("session %1 has more than 65535 event kinds").arg(sessionId));
            it = index.insert(kind, quint16(t.kinds.size()));
            t.kinds.append(kind);
        }
        t.kind.append(*it);
        return {};
    });
    if (!read)
        return read.error();
    return t;
}

Result<std::optional<qint64>> SqliteStore::seqAtOrAfter(const QString &sessionId, qint64 tsUs) const
{
    m_writer->drain();   // see every session write queued before this read
    Result<std::unique_ptr<SqliteConnection>> db = takeReader();
    if (!db)
        return db.error();
    const auto giveBack = qScopeGuard([&] { release(std::move(*db)); });
    // Times only grow with seq (the recorder keeps them monotonic), so the first match in seq
    // order is the answer and the primary key walk stops there.
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
    m_writer->drain();
    Result<std::unique_ptr<SqliteConnection>> db = takeReader();
    if (!db)
        return db.error();
    const auto giveBack = qScopeGuard([&] { release(std::move(*db)); });
    // Counted off the primary key's index, not the rows with their bodies.
    Result<SqliteQuery> q = (*db)->query("SELECT count(*) FROM events WHERE session_id = ?1 AND seq >= ?2");
    if (!q)
        return q.error();
    q->bind(1, sessionId).bind(2, fromSeq);
    Result<bool> row = q->step();
    if (!row)
        return row.error();
    return *row ? q->int64(0) : 0;
}

} // namespace gh
