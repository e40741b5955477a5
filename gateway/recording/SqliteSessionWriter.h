#pragma once

#include "core/Result.h"
#include "recording/BodyCodec.h"
#include "recording/Store.h"

#include <QHash>
#include <QString>

#include <map>
#include <optional>
#include <utility>

namespace gh {

class SqliteConnection;

// Sessions as rows, the way versions before schema v5 stored every event: what SqliteStore needs
// to commit a journal such a version left behind (SqliteStoreJournal.cpp) when it opens. The
// session rows themselves are still written this way (SegmentIndexer uses it too).
class SqliteSessionWriter final {
public:
    struct EncodedEvent {
        Event event;                 // data left empty: `body` holds what is stored
        BodyCodec::Encoded body;
        qint64 rawSize = 0;
    };

    SqliteSessionWriter() = default;
    Q_DISABLE_COPY_MOVE(SqliteSessionWriter)

    // Ends the session: totals, its event count and head (the last event's hash unless
    // end.headHash says otherwise), the signature.
    Status endSession(SqliteConnection &db, const QString &sessionId, const SessionEnd &end);
    // The same UPDATE alone: true when it closed the row, false when there was no open row (no
    // session with that id, or one that has ended).
    static Result<bool> closeRow(SqliteConnection &db, const QString &sessionId, const SessionEnd &end);
    // The session's connection, or empty when there is no such session.
    static Result<std::optional<QString>> connectionOf(SqliteConnection &db, const QString &sessionId);

    // The journal's replay when the store opens (SqliteStoreJournal.cpp): a row already stored
    // is left as it is, so replaying a record twice changes nothing.
    Status replaySession(SqliteConnection &db, const SessionStart &start);
    Status replayEvent(SqliteConnection &db, const QString &sessionId, const EncodedEvent &e);

    // The requests (GH_COUNTED_KIND) inserted since the last flush or discard, per connection and
    // second, are added to event_counts: once per transaction, just before its COMMIT, so the
    // counts commit or roll back with their events. discardCounts() after a rollback.
    Status flushCounts(SqliteConnection &db);
    void discardCounts();

private:
    Status insertSessionRow(SqliteConnection &db, const SessionStart &start, const char *sql);
    Status insertEventRow(SqliteConnection &db, const QString &sessionId, const EncodedEvent &e, const char *sql);
    void count(const QString &connection, const Event &e);

    // Requests inserted and not yet flushed: (connection, second) -> how many.
    std::map<std::pair<QString, qint64>, qint64> m_counts;
};

} // namespace gh
