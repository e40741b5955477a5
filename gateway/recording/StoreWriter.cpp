#include "recording/StoreWriter.h"

#include "core/BackgroundThread.h"

#include <QMutexLocker>

#include <exception>
#include <future>

#include <dlfcn.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace gh {

namespace {

Status runGuarded(const std::function<Status(SqliteConnection &)> &work, SqliteConnection &db)
{
    // A throwing job must not take the writer thread (and with it every later write) down.
    try {
        return work(db);
    } catch (const std::exception &e) {
        return Error(QStringLiteral("write failed: %1").arg(QString::fromLocal8Bit(e.what())));
    } catch (...) {
        return Error(QStringLiteral("write failed: unknown exception"));
    }
}

// BEGIN and COMMIT run once per group: prepared once, not parsed again every time.
Status runPrepared(SqliteConnection &db, const char *sql)
{
    Result<SqliteQuery> q = db.query(sql);
    if (!q)
        return q.error();
    return q->run();
}

Status closedError()
{
    return Error(QStringLiteral("store is closed"));
}

// gatehoused links jemalloc (see app/gatehoused/CMakeLists.txt); the libraries and their tests
// run on glibc's malloc. Whichever allocator this process has gives its free pages back.
void trimHeap()
{
    using Mallctl = int (*)(const char *, void *, size_t *, void *, size_t);
    static const auto jemallocCtl = reinterpret_cast<Mallctl>(::dlsym(RTLD_DEFAULT, "mallctl"));
    if (jemallocCtl) {
        // "arena.<MALLCTL_ARENAS_ALL>.purge": every arena's unused dirty pages, now.
        (void)jemallocCtl("arena.4096.purge", nullptr, nullptr, nullptr, 0);
        return;
    }
#if defined(__GLIBC__)
    ::malloc_trim(0);
#endif
}

} // namespace

StoreWriter::StoreWriter(std::unique_ptr<SqliteConnection> connection,
                         std::function<Status(SqliteConnection &)> probe,
                         std::chrono::milliseconds probeInterval, QObject *parent)
    : QThread(parent), m_connection(std::move(connection)), m_probe(std::move(probe)),
      m_probeInterval(probeInterval)
{
    setObjectName(QStringLiteral("gh-store-writer"));
}

StoreWriter::~StoreWriter()
{
    stop();
}

void StoreWriter::submit(WriteJob job)
{
    {
        QMutexLocker lock(&m_queueMutex);
        if (QThread::currentThread() != this)
            while (!m_stopping
                   && (qsizetype(m_queue.size()) >= maxQueued
                       || (m_pendingBytes > 0 && m_pendingBytes + job.bytes > maxPendingBytes)))
                m_queueTaken.wait(&m_queueMutex);
        if (!m_stopping) {
            const bool urgent = job.urgent;
            m_pendingBytes += job.bytes;
            m_queue.push_back(std::move(job));
            ++m_submitted;
            // The writer sleeps without a deadline only on an empty queue; otherwise it lingers
            // and needs waking only for what should not wait.
            if (urgent)
                ++m_urgentQueued;
            if (urgent || m_queue.size() == 1 || qsizetype(m_queue.size()) == wakeBatch)
                m_queueChanged.wakeOne();
            return;
        }
    }
    if (job.done)
        job.done(closedError());
}

void StoreWriter::drain()
{
    if (QThread::currentThread() == this || m_submitted.load() == m_completedJobs.load())
        return;
    (void)runSync([](SqliteConnection &) { return Status{}; });
}

void StoreWriter::reportFault(const QString &reason)
{
    setHealth(Error(reason));
    QMutexLocker lock(&m_queueMutex);
    m_queueChanged.wakeOne();   // from now on the idle writer probes
}

Status StoreWriter::runSync(std::function<Status(SqliteConnection &)> work,
                            std::function<void(const Status &)> afterCommit)
{
    if (QThread::currentThread() == this)
        return Error(QStringLiteral("runSync() called on the store's writer thread"));
    auto promise = std::make_shared<std::promise<Status>>();
    std::future<Status> result = promise->get_future();
    WriteJob job;
    job.work = std::move(work);
    job.done = [promise, after = std::move(afterCommit)](Status s) {
        if (after)
            after(s);
        promise->set_value(std::move(s));
    };
    submit(std::move(job));
    return result.get();
}

Status StoreWriter::runStandaloneSync(std::function<Status(SqliteConnection &)> work)
{
    if (QThread::currentThread() == this)
        return Error(QStringLiteral("runStandaloneSync() called on the store's writer thread"));
    auto promise = std::make_shared<std::promise<Status>>();
    std::future<Status> result = promise->get_future();
    WriteJob job;
    job.work = std::move(work);
    job.done = [promise](Status s) { promise->set_value(std::move(s)); };
    job.standalone = true;
    submit(std::move(job));
    return result.get();
}

void StoreWriter::stop()
{
    {
        QMutexLocker lock(&m_queueMutex);
        m_stopping = true;
        m_queueChanged.wakeOne();
        m_queueTaken.wakeAll();
    }
    wait();
    // Jobs queued to a writer that never ran must still hear back, or runSync() would hang.
    std::deque<WriteJob> leftover;
    {
        QMutexLocker lock(&m_queueMutex);
        leftover.swap(m_queue);
    }
    for (WriteJob &job : leftover)
        if (job.done)
            job.done(closedError());
}

Status StoreWriter::health() const
{
    // Asked before every proxied request: while healthy, a load of a flag both proxy threads keep
    // in their caches, not a lock whose line they take from each other.
    if (m_healthy.load(std::memory_order_acquire))
        return {};
    QMutexLocker lock(&m_healthMutex);
    return m_health;
}

void StoreWriter::run()
{
    // Indexing the segments, committing in batches: behind the proxy threads, which never wait for it.
    markBackgroundThread("gh-store-writer");
    QDeadlineTimer nextTick = m_tickWork ? QDeadlineTimer(m_tickInterval) : QDeadlineTimer(QDeadlineTimer::Forever);
    for (;;) {
        std::deque<WriteJob> batch;
        {
            QMutexLocker lock(&m_queueMutex);
            if (m_queue.empty() && !m_stopping && m_bytesSinceTrim > (8 << 20))
                m_queueChanged.wait(&m_queueMutex, QDeadlineTimer(trimQuietTime));
            if (m_queue.empty() && !m_stopping && m_bytesSinceTrim > (8 << 20)) {
                // A burst is over: give what its events held back to the system, or the process
                // keeps the high-water mark of the burst for good (glibc keeps freed memory).
                m_bytesSinceTrim = 0;
                lock.unlock();
                trimHeap();
                lock.relock();
            }
            if (m_queue.empty() && !m_stopping) {
                QDeadlineTimer until = nextTick;
                if (!health().ok()) {
                    const QDeadlineTimer probe(m_probeInterval);
                    if (probe < until)
                        until = probe;
                }
                m_queueChanged.wait(&m_queueMutex, until);
            }
            // Let journaled writes gather into one commit, unless someone is waiting.
            const QDeadlineTimer linger(lingerTime);
            while (!m_queue.empty() && !m_stopping && m_urgentQueued == 0
                   && qsizetype(m_queue.size()) < wakeBatch && !linger.hasExpired())
                m_queueChanged.wait(&m_queueMutex, linger);
            if (m_queue.empty() && m_stopping)
                return;
            batch.swap(m_queue);
            m_urgentQueued = 0;
            m_queueTaken.wakeAll();
        }
        bool ticked = false;
        if (m_tickWork && nextTick.hasExpired()) {
            nextTick = QDeadlineTimer(m_tickInterval);
            if (!m_stopping && m_tickDue()) {
                batch.push_front({m_tickWork, {}});
                ++m_submitted;
                ticked = true;
            }
        }
        if (batch.empty()) {
            if (!health().ok() && m_probe) {
                batch.push_back({m_probe, {}});
                ++m_submitted;   // counted like any job, or drain() would never see the queue idle
            }
            else
                continue;
        }
        runBatch(batch);
        // Stopped at its bound with more left: again soon, not a whole interval later, with a gap
        // in which other connections may take the write lock.
        if (ticked && !m_stopping && m_tickBacklogged && m_tickBacklogged())
            nextTick = QDeadlineTimer(catchUpGap);
    }
}

void StoreWriter::setGroupHooks(GroupHooks hooks)
{
    Q_ASSERT(!isRunning());
    m_hooks = std::move(hooks);
}

void StoreWriter::setTick(std::chrono::milliseconds interval, std::function<bool()> due,
                          std::function<Status(SqliteConnection &)> work, std::function<bool()> backlogged)
{
    Q_ASSERT(!isRunning());
    m_tickInterval = interval;
    m_tickDue = std::move(due);
    m_tickWork = std::move(work);
    m_tickBacklogged = std::move(backlogged);
}

void StoreWriter::runBatch(std::deque<WriteJob> &batch)
{
    // Queue order is kept: standalone jobs split the batch into groups around themselves.
    while (!batch.empty()) {
        if (batch.front().standalone) {
            WriteJob job = std::move(batch.front());
            batch.pop_front();
            runStandalone(std::move(job));
            continue;
        }
        std::deque<WriteJob> group;
        // A bounded transaction: its jobs' memory is given back (and held-back producers let in)
        // as each commits, not only when a whole backlog has.
        while (!batch.empty() && !batch.front().standalone && qsizetype(group.size()) < maxGroup) {
            group.push_back(std::move(batch.front()));
            batch.pop_front();
        }
        runGroup(group);
    }
}

void StoreWriter::runStandalone(WriteJob job)
{
    SqliteConnection &db = *m_connection;
    db.takeStorageFault();
    const qint64 changesBefore = db.totalChanges();
    Status status = runGuarded(job.work, db);
    if (db.inTransaction())
        (void)db.exec("ROLLBACK");   // a standalone job must not leave a transaction open
    updateHealth(status.ok() && db.totalChanges() > changesBefore);
    std::deque<Outcome> outcome;
    outcome.push_back({std::move(job), std::move(status)});
    finish(outcome);
}

void StoreWriter::updateHealth(bool wrote)
{
    if (std::optional<QString> fault = m_connection->takeStorageFault())
        setHealth(Error(QStringLiteral("database cannot be written: %1").arg(*fault)));
    else if (wrote)
        setHealth({});   // only a write that really reached the file proves health
}

void StoreWriter::runGroup(std::deque<WriteJob> &batch)
{
    SqliteConnection &db = *m_connection;
    db.takeStorageFault();   // only this group's faults count
    const qint64 changesBefore = db.totalChanges();

    std::deque<Outcome> finished;   // outcomes already final
    std::deque<Outcome> pending;    // succeeded inside the open transaction, wait for COMMIT

    Status open = runPrepared(db, "BEGIN IMMEDIATE");
    while (open && !batch.empty()) {
        WriteJob job = std::move(batch.front());
        batch.pop_front();

        const bool isolate = !job.singleStatement;   // in a savepoint of its own
        Status status = [&]() -> Status {
            if (!isolate)
                return runGuarded(job.work, db);
            Result<SqliteQuery> savepoint = db.query("SAVEPOINT job");
            if (!savepoint)
                return savepoint.error();
            if (Status s = savepoint->run(); !s)
                return s;
            return runGuarded(job.work, db);
        }();

        if (!db.inTransaction()) {
            // SQLite rolled the whole transaction back (I/O error, disk full, ...): the jobs
            // before this one are lost too and must not be reported as done.
            if (m_hooks.afterRollback)
                m_hooks.afterRollback();
            const QString reason = status ? QStringLiteral("transaction was rolled back")
                                          : status.error().message;
            for (Outcome &o : pending)
                if (o.status)
                    o.status = Error(QStringLiteral("write rolled back: %1").arg(reason));
            std::move(pending.begin(), pending.end(), std::back_inserter(finished));
            pending.clear();
            finished.push_back({std::move(job), status ? Status(Error(reason)) : status});
            if (!batch.empty())
                open = runPrepared(db, "BEGIN IMMEDIATE");
            continue;
        }

        if (status && isolate) {
            Result<SqliteQuery> release = db.query("RELEASE job");
            if (!release)
                status = release.error();
            else
                status = release->run();
        }
        if (!status && isolate && db.inTransaction()) {
            // Undo this job alone; the rest of the group goes on.
            Result<SqliteQuery> rollback = db.query("ROLLBACK TO job");
            if (rollback)
                (void)rollback->run();
            Result<SqliteQuery> release = db.query("RELEASE job");
            if (release)
                (void)release->run();
        }
        pending.push_back({std::move(job), std::move(status)});
    }

    bool committed = false;
    if (!open) {
        // Could not even begin: every job not yet run fails with that reason.
        for (WriteJob &job : batch)
            finished.push_back({std::move(job), open});
        batch.clear();
    }
    if (db.inTransaction()) {
        Status commit = m_hooks.beforeCommit ? runGuarded(m_hooks.beforeCommit, db) : Status();
        if (commit)
            commit = runPrepared(db, "COMMIT");
        if (commit) {
            committed = true;
            ++m_commits;
            if (m_hooks.afterCommit)
                m_hooks.afterCommit();
        } else {
            if (db.inTransaction())
                (void)db.exec("ROLLBACK");
            if (m_hooks.afterRollback)
                m_hooks.afterRollback();
            for (Outcome &o : pending)
                if (o.status)
                    o.status = commit;
        }
    }
    std::move(pending.begin(), pending.end(), std::back_inserter(finished));

    updateHealth(committed && db.totalChanges() > changesBefore);
    finish(finished);
}

void StoreWriter::finish(std::deque<Outcome> &outcomes)
{
    qint64 bytes = 0;
    for (Outcome &o : outcomes) {
        if (o.job.done)
            o.job.done(o.status);
        bytes += o.job.bytes;
        ++m_completedJobs;
    }
    outcomes.clear();   // the jobs' memory goes before producers are let in
    if (bytes > 0) {
        m_bytesSinceTrim += bytes;
        QMutexLocker lock(&m_queueMutex);
        m_pendingBytes -= bytes;
        m_queueTaken.wakeAll();
    }
}

void StoreWriter::setHealth(Status status)
{
    bool flipped = false;
    {
        QMutexLocker lock(&m_healthMutex);
        flipped = status.ok() != m_health.ok()
            || (!status.ok() && status.error().message != m_health.error().message);
        m_health = status;
        m_healthy.store(status.ok(), std::memory_order_release);
    }
    if (flipped)
        Q_EMIT healthChanged(status.ok(), status.ok() ? QString() : status.error().message);
}

} // namespace gh
