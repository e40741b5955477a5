#pragma once

#include "core/Result.h"
#include "recording/SqliteConnection.h"

#include <QMutex>
#include <QThread>
#include <QWaitCondition>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>

namespace gh {

// One unit of work for the writer: `work` runs inside its own SAVEPOINT of the current group
// transaction; `done` (optional) gets the final outcome once the transaction has committed (or
// failed), on the writer thread. `done` must not block on the writer.
struct WriteJob {
    std::function<Status(SqliteConnection &)> work;
    std::function<void(Status)> done;
    // Runs alone, outside any transaction: for PRAGMAs and checkpoints that SQLite refuses
    // (or ignores) inside one.
    bool standalone = false;
    // `work` changes the database with at most one statement (reads around it are fine). A
    // failing statement is undone by SQLite itself (statement rollback) without ending the
    // transaction, so the job needs no savepoint of its own: one event costs its INSERT only.
    bool singleStatement = false;
    // Someone waits for `done` (a blocking call, a reply): the writer starts at once. Journaled
    // session writes are not urgent: the writer lets them gather for up to lingerTime, so one
    // commit (and one wake-up of this thread) covers many.
    bool urgent = true;
    // Memory the job holds until it is done (an event's bytes): counted against maxPendingBytes.
    qint64 bytes = 0;
};

// The thread that owns the store's only write connection. It drains every queued job into one
// transaction (group commit: one fsync for many writes), isolates each job in a savepoint (or, for
// a single statement, SQLite's statement rollback) so a failing job rolls back alone, and tracks whether the database can take writes at all.
class StoreWriter final : public QThread {
    Q_OBJECT

public:
    // While unhealthy and idle, `probe` (a small real write) runs every probeInterval so health
    // recovers without traffic. Call start() to begin.
    StoreWriter(std::unique_ptr<SqliteConnection> connection,
                std::function<Status(SqliteConnection &)> probe,
                std::chrono::milliseconds probeInterval = std::chrono::seconds(5),
                QObject *parent = nullptr);
    ~StoreWriter() override;   // runs what is queued, then stops
    Q_DISABLE_COPY_MOVE(StoreWriter)

    // Queues a job. After stop() the job fails at once with "store is closed". While maxQueued
    // jobs wait, or the jobs not yet done hold maxPendingBytes, the caller waits for the writer
    // (backpressure: a writer that falls behind slows its producers instead of filling memory).
    void submit(WriteJob job);
    static constexpr qsizetype maxQueued = 50000;
    static constexpr qint64 maxPendingBytes = 32 << 20;
    static constexpr qsizetype maxGroup = 2048;   // jobs per transaction
    static constexpr qsizetype wakeBatch = 256;   // queued non-urgent jobs that wake the writer early
    static constexpr std::chrono::milliseconds lingerTime{2};
    static constexpr std::chrono::milliseconds catchUpGap{10};   // between ticks while backlogged
    // The heap is trimmed once this long passes with nothing queued after a burst: a pause
    // between batches under load is not the end of a burst, and trimming there costs page faults.
    static constexpr std::chrono::milliseconds trimQuietTime{250};
    // Waits until every job queued before this call has run (committed or failed); returns at
    // once when nothing is queued or running. Not on the writer thread.
    void drain();
    // Queues a job and waits until it is durable (or failed). `afterCommit` (optional) sees the
    // outcome on the writer thread first, in commit order. Refused on the writer thread itself,
    // where waiting would deadlock.
    Status runSync(std::function<Status(SqliteConnection &)> work,
                   std::function<void(const Status &)> afterCommit = {});
    // runSync() for a standalone job (see WriteJob::standalone).
    Status runStandaloneSync(std::function<Status(SqliteConnection &)> work);
    // Runs the queue empty and stops the thread; idempotent.
    void stop();
    // Called on the writer thread around each group's transaction: `beforeCommit` just before its
    // COMMIT (a failure rolls the whole group back, every job failing with it), `afterCommit` once it
    // committed, `afterRollback` once the group's writes so far were rolled back (by SQLite, a failed
    // COMMIT, or beforeCommit). For state kept beside the jobs that must commit with them. Any may
    // be empty. Set before start().
    struct GroupHooks {
        std::function<Status(SqliteConnection &)> beforeCommit;
        std::function<void()> afterCommit;
        std::function<void()> afterRollback;
    };
    void setGroupHooks(GroupHooks hooks);
    // Work the writer does on its own every `interval` while `due()` says there is some (asked on
    // the writer thread): a job of its own group, as if submitted. After a tick that `backlogged()`
    // says stopped at its own bound with more left, the next comes catchUpGap later instead of a
    // whole interval (work that merely arrived meanwhile waits for the interval: under steady load
    // there always is some, and a tick per catchUpGap would be a commit per catchUpGap). Set
    // before start().
    void setTick(std::chrono::milliseconds interval, std::function<bool()> due,
                 std::function<Status(SqliteConnection &)> work, std::function<bool()> backlogged = {});

    Status health() const;
    // A write outside the database failed (the store's journal): unhealthy with this reason until
    // a write succeeds again; the probe runs meanwhile.
    void reportFault(const QString &reason);
    quint64 committedTransactions() const { return m_commits.load(); }
    quint64 completedJobs() const { return m_completedJobs.load(); }

Q_SIGNALS:
    // Emitted on the writer thread when health flips.
    void healthChanged(bool healthy, const QString &reason);

protected:
    void run() override;

private:
    struct Outcome {
        WriteJob job;
        Status status;
    };

    void runBatch(std::deque<WriteJob> &batch);
    void runGroup(std::deque<WriteJob> &group);
    void runStandalone(WriteJob job);
    void updateHealth(bool wrote);
    void setHealth(Status status);
    void finish(std::deque<Outcome> &outcomes);

    std::unique_ptr<SqliteConnection> m_connection;
    const std::function<Status(SqliteConnection &)> m_probe;
    const std::chrono::milliseconds m_probeInterval;
    GroupHooks m_hooks;
    std::chrono::milliseconds m_tickInterval{0};
    std::function<bool()> m_tickDue;
    std::function<Status(SqliteConnection &)> m_tickWork;
    std::function<bool()> m_tickBacklogged;

    QMutex m_queueMutex;
    QWaitCondition m_queueChanged;
    QWaitCondition m_queueTaken;   // producers held back by maxQueued or maxPendingBytes wait on this
    qint64 m_pendingBytes = 0;     // WriteJob::bytes of the jobs submitted and not yet done
    qint64 m_bytesSinceTrim = 0;   // writer thread only
    std::deque<WriteJob> m_queue;
    qsizetype m_urgentQueued = 0;
    bool m_stopping = false;
    std::atomic<quint64> m_submitted{0};

    mutable QMutex m_healthMutex;
    Status m_health;
    std::atomic<bool> m_healthy{true};   // m_health.ok(), set with it

    std::atomic<quint64> m_commits{0};
    std::atomic<quint64> m_completedJobs{0};
};

} // namespace gh
