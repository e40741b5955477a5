// Recording a session: its start, events and end appended to the recording segments on the
// caller's thread (the proxy's), and the index passes that make them readable. Kept apart from
// SqliteStore.cpp's opening, resources and reads.
#include "recording/JournalRecords.h"
#include "recording/RecordingJournal.h"
#include "recording/SegmentIndexer.h"
#include "recording/SqliteConnection.h"
#include "recording/SqliteReadLease.h"
#include "recording/SqliteStore.h"
#include "recording/StoreWriter.h"

#include <QMutexLocker>
#include <QUuid>

namespace gh {

namespace {

Status checkSessionStart(const SessionStart &s)
{
    if (s.connection.isEmpty())
        return Error(QStringLiteral("a session needs a connection"));
    return {};
}

} // namespace

Status SqliteStore::appendRecord(const QByteArray &record, bool sync)
{
    if (Result<RecordingJournal::Location> at = m_journal->append(record, sync); !at)
        return journalFailed(at.error());
    return {};
}

Status SqliteStore::appendRecord(const journal::StoredEventRecord &record, bool sync)
{
    Result<RecordingJournal::Location> at
        = m_journal->appendInPlace(record.size(), [&record](char *out) { record.write(out); }, sync);
    if (!at)
        return journalFailed(at.error());
    return {};
}

Status SqliteStore::journalFailed(const Error &error)
{
    m_writer->reportFault(QStringLiteral("recordings cannot be written: %1").arg(error.message));
    return error;
}

Status SqliteStore::indexNow() const
{
    SegmentIndexer *indexer = m_indexer.get();
    // Pass by pass, each its own transaction (the write lock is let go in between), up to what one
    // pass used to take; under load there is always more, and the next tick goes on.
    constexpr int kPasses = 8;
    for (int i = 0; i < kPasses; ++i) {
        if (Status s = m_writer->runSync([indexer](SqliteConnection &db) { return indexer->pass(db); }); !s)
            return s;
        if (!indexer->behind())
            break;
    }
    return {};
}

void SqliteStore::catchUp() const
{
    if (m_indexer->behind())
        (void)indexNow();   // a failure shows in health(); the read returns what is indexed
}

Error SqliteStore::notOpen(const QString &sessionId) const
{
    catchUp();
    Result<ReadLease> lease = reader();
    if (!lease)
        return lease.error();
    Result<SqliteQuery> q = (**lease).query("SELECT ended_at_us IS NULL FROM sessions WHERE id = ?1");
    if (!q)
        return q.error();
    q->bind(1, sessionId);
    Result<bool> row = q->step();
    if (!row)
        return row.error();
    if (!*row)
        return Error(QStringLiteral("no session %1").arg(sessionId));
    if (q->int64(0) == 0)
        return Error(QStringLiteral("session %1 has already ended").arg(sessionId));
    return Error(QStringLiteral("session %1 was begun by an earlier process; nothing more is recorded in it").arg(sessionId));
}

Result<QString> SqliteStore::beginSession(const SessionStart &start)
{
    if (Status s = checkSessionStart(start); !s)
        return s.error();
    SessionStart copy = start;
    if (copy.id.isEmpty())
        copy.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    const QString id = copy.id;
    Status s;
    beginSessionAsync(copy, [&s](Status r) { s = std::move(r); });
    if (!s)
        return s.error();
    if (Status indexed = indexNow(); !indexed)
        return indexed.error();
    return id;
}

QString SqliteStore::beginSessionAsync(const SessionStart &start, Completion done)
{
    SessionStart copy = start;
    if (copy.id.isEmpty())
        copy.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    const QString id = copy.id;
    Status status = checkSessionStart(copy);
    if (status) {
        OpenShard &shard = openShard(id);
        QMutexLocker lock(&shard.mutex);
        if (shard.sessions.contains(id))
            status = Error(QStringLiteral("session %1 is already open").arg(id));
        else
            shard.sessions.insert(id, OpenSession{});
    }
    if (status) {
        status = appendRecord(journal::encodeStart(copy), m_options.syncOnCommit);
        if (!status) {
            OpenShard &shard = openShard(id);
            QMutexLocker lock(&shard.mutex);
            shard.sessions.remove(id);
        }
    }
    if (done)
        done(status);
    return id;
}

Status SqliteStore::appendEvent(const QString &sessionId, const Event &event)
{
    return appendEventDurable(sessionId, event, {});
}

void SqliteStore::appendEventAsync(const QString &sessionId, const Event &event, Completion done)
{
    (void)appendEventDurable(sessionId, event, std::move(done));
}

Status SqliteStore::appendEventDurable(const QString &sessionId, const Event &event, Completion done)
{
    auto fail = [&done](Error e) -> Status {
        if (done)
            done(e);
        return e;
    };
    {
        OpenShard &shard = openShard(sessionId);
        QMutexLocker lock(&shard.mutex);
        auto open = shard.sessions.find(sessionId);
        if (open == shard.sessions.end()) {
            lock.unlock();
            return fail(notOpen(sessionId));
        }
        if (event.seq < open->nextSeq)
            return fail(Error(QStringLiteral("session %1 has event %2 already").arg(sessionId).arg(event.seq)));
        open->nextSeq = event.seq + 1;   // taken: a concurrent duplicate is refused
    }
    // With syncOnCommit the promise covers power loss: the segment is synced before this returns.
    // Compressed here, on the caller's thread: the writer is the store's one serial section.
    Status s = appendRecord(journal::StoredEventRecord(sessionId, event, m_options.compressThreshold),
                            m_options.syncOnCommit);
    if (!s) {
        OpenShard &shard = openShard(sessionId);
        QMutexLocker lock(&shard.mutex);
        if (auto open = shard.sessions.find(sessionId); open != shard.sessions.end() && open->nextSeq == event.seq + 1)
            open->nextSeq = event.seq;
        return fail(s.error());
    }
    if (done)
        done(s);
    return s;
}

Status SqliteStore::endSession(const QString &sessionId, const SessionEnd &end)
{
    Status s;
    endSessionAsync(sessionId, end, [&s](Status r) { s = std::move(r); });
    if (!s)
        return s;
    return indexNow();
}

void SqliteStore::endSessionAsync(const QString &sessionId, const SessionEnd &end, Completion done)
{
    bool open = false;
    {
        OpenShard &shard = openShard(sessionId);
        QMutexLocker lock(&shard.mutex);
        open = shard.sessions.remove(sessionId);
    }
    Status s = open ? appendRecord(journal::encodeEnd(sessionId, end), m_options.syncOnCommit) : Status(notOpen(sessionId));
    if (done)
        done(s);
}

} // namespace gh
