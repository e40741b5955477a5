#pragma once

#include "core/Result.h"
#include "recording/BodyCodec.h"
#include "recording/Store.h"

#include <QSet>
#include <QString>

namespace gh {

class SqliteConnection;

// The writer-thread half of SqliteStore's sessions: starts sessions, appends events and closes
// sessions. It remembers which sessions it knows to be open, so an event costs its one INSERT and
// nothing else: no savepoint (the INSERT is the job's only write), and no UPDATE of the session's
// count and head, which the store derives from the events while a session is open and writes
// once when it ends. Used only on the store's writer thread.
class SqliteSessionWriter final {
public:
    struct EncodedEvent {
        Event event;                 // data left empty: `body` holds what is stored
        BodyCodec::Encoded body;
        qint64 rawSize = 0;
    };

    SqliteSessionWriter() = default;
    Q_DISABLE_COPY_MOVE(SqliteSessionWriter)

    Status insertSession(SqliteConnection &db, const SessionStart &start);
    // Fails, naming why, when the session does not exist or has ended.
    Status insertEvent(SqliteConnection &db, const QString &sessionId, const EncodedEvent &e);
    // Ends the session: totals, its event count and head (the last event's hash unless
    // end.headHash says otherwise), the signature.
    Status endSession(SqliteConnection &db, const QString &sessionId, const SessionEnd &end);

    // The journal's replay when the store opens (SqliteStoreJournal.cpp): a row already stored
    // is left as it is, so replaying a record twice changes nothing.
    Status replaySession(SqliteConnection &db, const SessionStart &start);
    Status replayEvent(SqliteConnection &db, const QString &sessionId, const EncodedEvent &e);

private:
    Status insertSessionRow(SqliteConnection &db, const SessionStart &start, const char *sql);
    Status insertEventRow(SqliteConnection &db, const QString &sessionId, const EncodedEvent &e, const char *sql);

    // Ids of sessions seen open on this connection. A stale entry (its transaction rolled back)
    // costs nothing but a clearer error: the INSERT of an event still fails on the foreign key.
    QSet<QString> m_open;
};

} // namespace gh
