#include "recording/SqliteSessionWriter.h"

#include "recording/SqliteConnection.h"
#include "recording/SqliteValues.h"


namespace gh {

namespace {

// Ok when the session exists and is open; otherwise an error naming which it is not.
Status checkOpen(SqliteConnection &db, const QString &id)
{
    Result<SqliteQuery> q = db.query("SELECT ended_at_us IS NULL FROM sessions WHERE id = ?1");
    if (!q)
        return q.error();
    q->bind(1, id);
    Result<bool> row = q->step();
    if (!row)
        return row.error();
    if (!*row)
        return Error(QStringLiteral("no session %1").arg(id));
    if (q->int64(0) == 0)
        return Error(QStringLiteral("session %1 has already ended").arg(id));
    return {};
}

} // namespace

#define GH_SESSION_INSERT(verb)                                                                     \
    verb " INTO sessions (id, connection, subject, groups, issuer, client_addr, started_at_us) "    \
         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
#define GH_EVENT_INSERT(verb)                                                                       \
    verb " INTO events (session_id, seq, ts_us, kind, encoding, raw_size, data, hash) "             \
         "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"

Status SqliteSessionWriter::insertSession(SqliteConnection &db, const SessionStart &s)
{
    Status status = insertSessionRow(db, s, GH_SESSION_INSERT("INSERT"));
    if (status)
        m_open.insert(s.id);
    return status;
}

Status SqliteSessionWriter::replaySession(SqliteConnection &db, const SessionStart &s)
{
    return insertSessionRow(db, s, GH_SESSION_INSERT("INSERT OR IGNORE"));
}

Status SqliteSessionWriter::replayEvent(SqliteConnection &db, const QString &sessionId, const EncodedEvent &e)
{
    return insertEventRow(db, sessionId, e, GH_EVENT_INSERT("INSERT OR IGNORE"));
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

Status SqliteSessionWriter::insertEvent(SqliteConnection &db, const QString &sessionId, const EncodedEvent &e)
{
    if (!m_open.contains(sessionId)) {
        if (Status s = checkOpen(db, sessionId); !s)
            return s;
        m_open.insert(sessionId);
    }
    Status status = insertEventRow(db, sessionId, e, GH_EVENT_INSERT("INSERT"));
    if (!status) {
        // The session may have gone (a rolled-back start) since it was seen: say so if it did.
        m_open.remove(sessionId);
        if (Status open = checkOpen(db, sessionId); !open)
            return open;
    }
    return status;
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

Status SqliteSessionWriter::endSession(SqliteConnection &db, const QString &id, const SessionEnd &end)
{
    m_open.remove(id);
    // The count and head come from the events themselves: they are what verification checks.
    Result<SqliteQuery> q = db.query(
        "UPDATE sessions SET ended_at_us = ?2, bytes_in = ?3, bytes_out = ?4, "
        "event_count = COALESCE(?7, (SELECT count(*) FROM events WHERE session_id = ?1)), "
        "head_hash = COALESCE(?5, (SELECT hash FROM events WHERE session_id = ?1 ORDER BY seq DESC LIMIT 1), "
        "head_hash), head_signature = ?6 "
        "WHERE id = ?1 AND ended_at_us IS NULL");
    if (!q)
        return q.error();
    q->bind(1, id).bind(2, end.endedAtUs).bind(3, end.bytesIn).bind(4, end.bytesOut);
    q->bindBlobOrNull(5, end.headHash).bindBlobOrNull(6, end.headSignature).bindOptional(7, end.eventCount);
    if (Status s = q->run(); !s)
        return s;
    if (db.changes() == 0) {
        Status open = checkOpen(db, id);
        return open ? Status(Error(QStringLiteral("session %1 was not ended").arg(id))) : open;
    }
    return {};
}

} // namespace gh
