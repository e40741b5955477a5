#pragma once

#include "core/Clock.h"
#include "recording/BodyCodec.h"
#include "recording/RecordingJournal.h"
#include "recording/JournalRecords.h"
#include "recording/SegmentIndexer.h"
#include "recording/Store.h"

#include <QHash>
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
// survives power loss. Recorded sessions (starts, events, ends) are appended to recording segments
// ("<file>.recordings/", RecordingJournal) on the caller's thread, where they survive kill -9 as
// soon as the call returns and where the events stay; the writer indexes them into SQLite in
// passes (SegmentIndexer, schema v5: docs/recording-store.md), every indexInterval and before any
// read of sessions. What a killed process appended and did not index is indexed when the store
// opens again; a journal of rows left by a version before schema v5 ("<file>.journal/") is
// committed then too.
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
        // How often the writer indexes what was recorded (reads of sessions catch up first
        // anyway): each pass writes a row per session and segment it saw, so a longer interval
        // means fewer rows.
        std::chrono::milliseconds indexInterval{200};
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
    QString recordingsDirectory() const;

private:
    class ReadLease;
    struct ResourceChange;

    SqliteStore(QString path, Options options, quint64 revision);

    // In SqliteStoreJournal.cpp. Commits what a version before schema v5 left in its journal of
    // rows (at open, on the connection the writer will own, before it starts).
    static Status replayJournal(SqliteConnection &db, RecordingJournal &journal, qsizetype compressThreshold);
    // Appends a session record to the recording segments (`sync`: to the disk); a failure makes
    // the store unhealthy.
    Status appendRecord(const QByteArray &record, bool sync);
    Status appendRecord(const journal::StoredEventRecord &record, bool sync);
    Status journalFailed(const Error &error);
    // Why an event or end for `sessionId` is refused when it is not open here.
    Error notOpen(const QString &sessionId) const;
    // Indexes everything recorded so far, when anything is not yet (before a read of sessions).
    void catchUp() const;
    Status indexNow() const;
    // In SqliteSessionQueries.cpp: calls `each` with the session's events from fromSeq on, kept in
    // runs that reach fromTsUs, in seq order, until it returns false. hadRuns: the session has
    // runs (schema v5); without, its events (if any) are rows.
    Status forEachStoredEvent(SqliteConnection &db, const QString &sessionId, qint64 fromSeq, qint64 fromTsUs,
                              const std::function<bool(const journal::EventView &)> &each, bool *hadRuns) const;

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
    std::unique_ptr<RecordingJournal> m_journal;
    // Used on the writer thread (behind(): any), so declared before it: it outlives the writer.
    std::unique_ptr<SegmentIndexer> m_indexer;
    std::unique_ptr<StoreWriter> m_writer;

    // Sessions begun here and not ended: what an event or end may name, and the seq each expects.
    struct OpenSession {
        qint64 nextSeq = 0;
    };
    // The open sessions in shards, one cache line apart: every event looks its session up, and
    // with one lock the proxy threads took its line from each other twice a request. A session's
    // shard is picked by its id's last character (ids are UUIDs: random hex).
    struct alignas(64) OpenShard {
        QMutex mutex;
        QHash<QString, OpenSession> sessions;
    };
    static constexpr int kOpenShards = 16;
    OpenShard &openShard(const QString &sessionId) const
    {
        return m_open[sessionId.isEmpty() ? 0 : sessionId.back().unicode() % kOpenShards];
    }
    mutable OpenShard m_open[kOpenShards];
    std::atomic<quint64> m_revision;

    mutable QMutex m_readersMutex;
    mutable std::vector<std::unique_ptr<SqliteConnection>> m_idleReaders;
};

} // namespace gh
