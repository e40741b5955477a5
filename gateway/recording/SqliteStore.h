#pragma once

#include "core/Clock.h"
#include "recording/BodyCodec.h"
#include "recording/RecordingJournal.h"
#include "recording/SqliteSessionWriter.h"
#include "recording/Store.h"

#include <QMutex>

#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

namespace gh {

class SqliteConnection;
class StoreWriter;
struct WriteJob;

// The single-node Store: one SQLite file in WAL mode, written by one StoreWriter thread with
// group commit, read through a pool of read-only connections that never wait for the writer.
// A write reported done survives kill -9 of the process; with Options::syncOnCommit it also
// survives power loss. Session writes made with the Async and Durable forms go through a journal
// first (RecordingJournal, "<file>.journal/"): written on the caller's thread, they survive kill -9
// as soon as the call returns, and the writer commits them in batches. Whatever a killed process
// left in the journal is committed when the store opens again.
class SqliteStore final : public Store {
    Q_OBJECT

public:
    struct Options {
        const Clock *clock = &Clock::system();   // must outlive the store
        qsizetype compressThreshold = BodyCodec::defaultThreshold;
        std::chrono::milliseconds probeInterval{std::chrono::seconds(5)};
        int busyTimeoutMs = 5000;
        // true: synchronous=FULL, the WAL is fsynced at every group commit, so a write reported
        // done survives power loss and OS crashes too. false (the default, [recording]
        // synchronous = "normal"): synchronous=NORMAL, a committed transaction is in the OS's page
        // cache and survives a kill -9 of the process (contract §6), not power loss; the WAL is
        // synced at checkpoints only. NORMAL measured 35-40 us less CPU per proxied request and
        // 1.4-1.8x the throughput (docs/recording.md).
        bool syncOnCommit = false;
        qint64 journalSegmentBytes = RecordingJournal::Options().segmentBytes;
    };

    // Creates the file (mode 0600) when missing; the directory is the caller's. Applies pending
    // schema migrations; refuses a database written by a newer Gatehouse.
    static Result<std::unique_ptr<SqliteStore>> open(const QString &path, Options options);
    static Result<std::unique_ptr<SqliteStore>> open(const QString &path) { return open(path, Options()); }
    ~SqliteStore() override;   // finishes queued writes
    Q_DISABLE_COPY_MOVE(SqliteStore)

    QString path() const { return m_path; }

    Status health() const override;

    Result<ApplyOutcome> applyResources(const ResourceSet &set) override;
    Result<ResourceSet> resources() const override;
    Result<std::optional<Connection>> connection(const QString &name) const override;
    Result<std::optional<Rule>> rule(const QString &name) const override;
    Result<PutOutcome> putConnection(const Connection &c) override;
    Result<PutOutcome> putRule(const Rule &r) override;
    Result<bool> deleteConnection(const QString &name) override;
    Result<bool> deleteRule(const QString &name) override;
    quint64 resourceRevision() const override { return m_revision.load(); }

    Status recordIssuedToken(const QString &jti, const QString &subject, const QStringList &groups,
                             const QDateTime &issuedAt, const QDateTime &expiresAt) override;
    Result<bool> revokeToken(const QString &jti, const QDateTime &at,
                             const QDateTime &expiresAt) override;
    Result<QHash<QString, QDateTime>> revokedTokens() const override;
    Result<QList<IssuedToken>> issuedTokens() const override;
    Result<qint64> pruneExpiredTokens() override;

    Result<QString> beginSession(const SessionStart &start) override;
    QString beginSessionAsync(const SessionStart &start, Completion done) override;
    Status appendEvent(const QString &sessionId, const Event &event) override;
    void appendEventAsync(const QString &sessionId, const Event &event, Completion done) override;
    Status endSession(const QString &sessionId, const SessionEnd &end) override;
    void endSessionAsync(const QString &sessionId, const SessionEnd &end, Completion done) override;
    Status appendEventDurable(const QString &sessionId, const Event &event, Completion done) override;
    Result<QList<SessionInfo>> sessions(const SessionFilter &filter) const override;
    Result<std::optional<SessionInfo>> session(const QString &id) const override;
    Result<QList<StoredEvent>> events(const QString &sessionId, qint64 fromSeq, int limit,
                                      qint64 maxBytes = 0) const override;
    // In SqliteSessionQueries.cpp:
    Result<QList<SessionInfo>> searchSessions(const SessionSearch &search) const override;
    Result<SessionTimeline> timeline(const QString &sessionId, qint64 fromSeq, int limit) const override;
    Result<std::optional<qint64>> seqAtOrAfter(const QString &sessionId, qint64 tsUs) const override;
    Result<qint64> eventCount(const QString &sessionId, qint64 fromSeq) const override;

    // In SqliteStats.cpp: requests from event_counts (per second), the rare kinds through
    // events_stats, so it reads only the window.
    Result<StatsResult> stats(const StatsQuery &query) const override;

    // Test seam: SQLite ignores file modes for root, so tests make the write connection refuse
    // writes (PRAGMA query_only) to see the store turn unhealthy, and lift it to see it recover.
    Status setWritesBlockedForTesting(bool blocked);

    StoreWriter *writer() const { return m_writer.get(); }
    QString journalDirectory() const;

private:
    class ReadLease;
    struct ResourceChange;

    SqliteStore(QString path, Options options, quint64 revision);
    SqliteSessionWriter::EncodedEvent encode(const Event &event) const;

    // In SqliteStoreJournal.cpp. Commits what an earlier process left in the journal (at open,
    // on the connection the writer will own, before it starts).
    static Status replayJournal(SqliteConnection &db, RecordingJournal &journal, qsizetype compressThreshold);
    // Writes `record` into the journal (`sync`: to the disk) and queues `job` (which becomes
    // non-urgent) with `done` told its outcome; a failed journal write fails `done` at once and
    // makes the store unhealthy.
    Status submitJournaled(const QByteArray &record, WriteJob job, Completion done, bool sync = false);
    // An event's job and journal record, submitted so.
    Status journalEvent(const QString &sessionId, const Event &event, Completion done, bool sync);

    Result<ReadLease> reader() const;
    // reader() for SqliteSessionQueries.cpp, which cannot see ReadLease: give it back with release().
    Result<std::unique_ptr<SqliteConnection>> takeReader() const;
    void release(std::unique_ptr<SqliteConnection> connection) const;

    // Runs `work` on the writer and, when it changed resources, publishes the new revision.
    Status writeResources(std::function<Status(SqliteConnection &, ResourceChange &)> work);
    template <typename T>   // Connection or Rule
    Result<PutOutcome> putResource(const T &item);
    Result<bool> deleteResource(const char *deleteSql, const QString &name);
    template <typename T>   // Connection or Rule: one row by name, parsed
    Result<std::optional<T>> readResource(const char *selectSql, const QString &name,
                                          Result<T> (*parseRow)(const QString &, const QString &)) const;

    QString m_path;
    Options m_options;
    // Used on the writer thread only, so declared first: it outlives the writer.
    std::unique_ptr<SqliteSessionWriter> m_sessions = std::make_unique<SqliteSessionWriter>();
    std::unique_ptr<RecordingJournal> m_journal;
    std::unique_ptr<StoreWriter> m_writer;
    std::atomic<quint64> m_revision;

    mutable QMutex m_readersMutex;
    mutable std::vector<std::unique_ptr<SqliteConnection>> m_idleReaders;
};

} // namespace gh
