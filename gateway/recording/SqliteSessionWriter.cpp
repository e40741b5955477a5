#include "recording/SqliteSessionWriter.h"

#include "recording/SqliteConnection.h"
#include "recording/SqliteSchema.h"
#include "recording/SqliteValues.h"

#include <optional>


namespace gh {

namespace {

struct SessionRow {
    bool open = false;
    QString connection;
};

// The session's row, if there is one.
Result<std::optional<SessionRow>> sessionRow(SqliteConnection &db, const QString &id)
{
    Result<SqliteQuery> q = db.query("SELECT ended_at_us IS NULL, connection FROM sessions WHERE id = ?1");
    if (!q)
        return q.error();
    q->bind(1, id);
    Result<bool> row = q->step();
    if (!row)
        return row.error();
    if (!*row)
        return std::optional<SessionRow>();
    return std::optional<SessionRow>(SessionRow{q->int64(0) != 0, q->text(1)});
}

// The session's connection when it exists and is open; otherwise an error naming which it is not.
Result<QString> checkOpen(SqliteConnection &db, const QString &id)
{
    Result<std::optional<SessionRow>> row = sessionRow(db, id);
    if (!row)
        return row.error();
    if (!row->has_value())
        return Error(QStringLiteral("no session %1").arg(id));
    if (!(*row)->open)
        return Error(QStringLiteral("session %1 has already ended").arg(id));
    return (*row)->connection;
}

} // namespace

#define GH_SESSION_INSERT(verb)                                                                     \
    verb " INTO sessions (id, connection, subject, groups, issuer, client_addr, started_at_us) "    \
         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
#define GH_EVENT_INSERT(verb)                                                                       \
    verb " INTO events (session_id, seq, ts_us, kind, encoding, raw_size, data, hash) "             \
         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"

Status SqliteSessionWriter::replaySession(SqliteConnection &db, const SessionStart &s)
{
    return insertSessionRow(db, s, GH_SESSION_INSERT("INSERT OR IGNORE"));
}

Status SqliteSessionWriter::replayEvent(SqliteConnection &db, const QString &sessionId, const EncodedEvent &e)
{
    const qint64 before = db.totalChanges();
    if (Status s = insertEventRow(db, sessionId, e, GH_EVENT_INSERT("INSERT OR IGNORE")); !s)
        return s;
    if (db.totalChanges() == before || e.event.kind != QLatin1String(GH_COUNTED_KIND))
        return {};   // stored before: counted then
    Result<std::optional<SessionRow>> row = sessionRow(db, sessionId);
    if (!row)
        return row.error();
    if (row->has_value())
        count((*row)->connection, e.event);
    return {};
}

void SqliteSessionWriter::count(const QString &connection, const Event &e)
{
    if (e.kind != QLatin1String(GH_COUNTED_KIND))
        return;
    // The second it started in (as schema v4's upgrade counts them): buckets are whole seconds
    // since the epoch, so no count straddles two.
    ++m_counts[{connection, e.tsUs / 1'000'000 * 1'000'000}];
}

Status SqliteSessionWriter::flushCounts(SqliteConnection &db)
{
    if (m_counts.empty())
        return {};
    for (const auto &[key, n] : m_counts) {
        Result<SqliteQuery> q = db.query(
            "INSERT INTO event_counts (connection, kind, second_us, n) VALUES (?1, '" GH_COUNTED_KIND "', ?2, ?3) "
            "ON CONFLICT (kind, second_us, connection) DO UPDATE SET n = n + excluded.n");
        if (!q)
            return q.error();
        if (Status s = q->bind(1, key.first).bind(2, key.second).bind(3, n).run(); !s)
            return s;
    }
    m_counts.clear();
    return {};
}

void SqliteSessionWriter::discardCounts()
{
    m_counts.clear();
}

Status SqliteSessionWriter::insertSessionRow(SqliteConnection &db, const SessionStart &s, const char *sql)
{
    Result<SqliteQuery> q = db.query(sql);
    if (!q)
        return q.error();
    return q->bind(1, s.id)
                        .bind(2, s.connection)
                        .bind(3, s.subject)
                        .bind(4, stored::groupsJson(s.groups))
                        .bind(5, s.issuer)
                        .bind(6, s.clientAddr)
                        .bind(7, s.startedAtUs)
                        .run();
}

Status SqliteSessionWriter::insertEventRow(SqliteConnection &db, const QString &sessionId, const EncodedEvent &e,
                                           const char *sql)
{
    Result<SqliteQuery> insert = db.query(sql);
    if (!insert)
        return insert.error();
    return insert->bind(1, sessionId)
                        .bind(2, e.event.seq)
                        .bind(3, e.event.tsUs)
                        .bind(4, e.event.kind)
                        .bindStaticText(5, BodyCodec::encodingLiteral(e.body.encoding))
                        .bind(6, e.rawSize)
                        .bindBlobView(7, e.body.bytes)   // `e` outlives the statement's run
                        .bindBlobView(8, e.event.hash)
                        .run();
}

Result<std::optional<QString>> SqliteSessionWriter::connectionOf(SqliteConnection &db, const QString &sessionId)
{
    Result<std::optional<SessionRow>> row = sessionRow(db, sessionId);
    if (!row)
        return row.error();
    return row->has_value() ? std::optional<QString>((*row)->connection) : std::optional<QString>();
}

Result<bool> SqliteSessionWriter::closeRow(SqliteConnection &db, const QString &id, const SessionEnd &end)
{
    // The count and head come from the events themselves (runs since schema v5, rows before) unless
    // the recorder gave them: they are what verification checks.
    Result<SqliteQuery> q = db.query(
        "UPDATE sessions SET ended_at_us = ?2, bytes_in = ?3, bytes_out = ?4, "
        "event_count = COALESCE(?7, (SELECT count(*) FROM events WHERE session_id = ?1) "
        "  + (SELECT coalesce(sum(events), 0) FROM event_runs WHERE session_id = ?1)), "
        "head_hash = COALESCE(?5, (SELECT last_hash FROM event_runs WHERE session_id = ?1 ORDER BY last_seq DESC LIMIT 1), "
        "  (SELECT hash FROM events WHERE session_id = ?1 ORDER BY seq DESC LIMIT 1), head_hash), "
        "head_signature = ?6 WHERE id = ?1 AND ended_at_us IS NULL");
    if (!q)
        return q.error();
    q->bind(1, id).bind(2, end.endedAtUs).bind(3, end.bytesIn).bind(4, end.bytesOut);
    q->bindBlobOrNull(5, end.headHash).bindBlobOrNull(6, end.headSignature).bindOptional(7, end.eventCount);
    if (Status s = q->run(); !s)
        return s.error();
    return db.changes() > 0;
}

Status SqliteSessionWriter::endSession(SqliteConnection &db, const QString &id, const SessionEnd &end)
{
    Result<bool> closed = closeRow(db, id, end);
    if (!closed)
        return closed.error();
    if (!*closed) {
        Result<QString> open = checkOpen(db, id);
        return open ? Status(Error(QStringLiteral("session %1 was not ended").arg(id))) : Status(open.error());
    }
    return {};
}

} // namespace gh
