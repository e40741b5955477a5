#include "recording/SqliteConnection.h"
#include "recording/StoreWriter.h"

#include <QElapsedTimer>
#include <QSemaphore>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <atomic>
#include <fcntl.h>
#include <functional>
#include <memory>
#include <unistd.h>
#include <vector>

using namespace gh;
using namespace std::chrono_literals;

namespace {

Status insertItem(SqliteConnection &db, const QString &value)
{
    Result<SqliteQuery> q = db.query("INSERT INTO items (v) VALUES (?1)");
    if (!q)
        return q.error();
    return q->bind(1, value).run();
}

Status probeWrite(SqliteConnection &db)
{
    return db.exec("INSERT INTO probes DEFAULT VALUES");
}

} // namespace

// The writer's promises: grouped commits, per-job isolation, and an honest health signal.
class tst_StoreWriter : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_path;
    std::unique_ptr<StoreWriter> m_writer;

    std::unique_ptr<StoreWriter> makeWriter(std::chrono::milliseconds probeInterval,
                                            const std::function<void(StoreWriter &)> &beforeStart = {})
    {
        Result<std::unique_ptr<SqliteConnection>> db =
            SqliteConnection::open(m_path, SqliteConnection::Access::ReadWrite, 2000);
        if (!db)
            qFatal("open: %s", qPrintable(db.error().toString()));
        auto writer = std::make_unique<StoreWriter>(std::move(*db), &probeWrite, probeInterval);
        if (beforeStart)
            beforeStart(*writer);
        writer->start();
        return writer;
    }

    // Keeps the writer inside a job until `release` is released once: what is queued meanwhile
    // waits, as behind a slow commit.
    void holdWriter(QSemaphore &release)
    {
        QSemaphore entered;
        m_writer->submit({[&entered, &release](SqliteConnection &) {
                              entered.release();
                              release.acquire();
                              return Status();
                          },
                          {}});
        entered.acquire();
    }

    qint64 count(const char *sql)
    {
        Result<std::unique_ptr<SqliteConnection>> db =
            SqliteConnection::open(m_path, SqliteConnection::Access::ReadOnly, 2000);
        if (!db)
            return -1;
        Result<SqliteQuery> q = (*db)->query(sql);
        if (!q)
            return -1;
        Result<bool> row = q->step();
        return row && *row ? q->int64(0) : -1;
    }

private slots:
    void init()
    {
        QVERIFY(m_dir.isValid());
        m_path = m_dir.filePath(QStringLiteral("writer-%1.db").arg(QLatin1String(QTest::currentTestFunction())));
        const int fd = ::open(QFile::encodeName(m_path).constData(), O_CREAT | O_WRONLY, 0600);
        QVERIFY(fd >= 0);
        ::close(fd);
        Result<std::unique_ptr<SqliteConnection>> db =
            SqliteConnection::open(m_path, SqliteConnection::Access::ReadWrite, 2000);
        QVERIFY2(db.ok(), qPrintable(db.ok() ? QString() : db.error().toString()));
        QVERIFY((*db)->exec("PRAGMA journal_mode = WAL;"
                            "CREATE TABLE items (id INTEGER PRIMARY KEY, v TEXT NOT NULL UNIQUE);"
                            "CREATE TABLE probes (id INTEGER PRIMARY KEY);"
                            "INSERT INTO items (v) VALUES ('taken')")
                    .ok());
        m_writer = makeWriter(1h);
    }

    void cleanup() { m_writer.reset(); }

    void groupCommitsQueuedJobsFromManyThreadsInOneTransaction()
    {
        // Hold the writer inside a job so everything the threads queue meanwhile forms one group.
        QSemaphore release;
        holdWriter(release);
        const quint64 commitsBefore = m_writer->committedTransactions();

        constexpr int threads = 4, perThread = 50;
        std::atomic<int> ok{0}, failed{0};
        QString failure;
        QMutex failureMutex;
        std::vector<std::unique_ptr<QThread>> producers;
        for (int t = 0; t < threads; ++t) {
            producers.emplace_back(QThread::create([&, t] {
                for (int i = 0; i < perThread; ++i) {
                    // Exactly one job in the whole group collides with an existing row.
                    const QString v = (t == 2 && i == 17) ? QStringLiteral("taken")
                                                          : QStringLiteral("t%1-%2").arg(t).arg(i);
                    m_writer->submit({[v](SqliteConnection &db) { return insertItem(db, v); },
                                      [&](Status s) {
                                          if (s) {
                                              ++ok;
                                          } else {
                                              QMutexLocker lock(&failureMutex);
                                              failure = s.error().message;
                                              ++failed;
                                          }
                                      }});
                }
            }));
            producers.back()->start();
        }
        for (auto &p : producers)
            QVERIFY(p->wait(10000));
        release.release();

        QTRY_COMPARE_WITH_TIMEOUT(ok.load() + failed.load(), threads * perThread, 10000);
        QCOMPARE(failed.load(), 1);
        QVERIFY2(failure.contains(QLatin1String("UNIQUE")), qPrintable(failure));
        // The gate's transaction plus one for all 200 jobs: one fsync instead of 200.
        QCOMPARE(m_writer->committedTransactions() - commitsBefore, quint64(2));
        QCOMPARE(count("SELECT count(*) FROM items"), qint64(1 + threads * perThread - 1));
    }

    void jobsNobodyWaitsForGatherWhileAnUrgentOneGoesAtOnce()
    {
        // Journaled writes are not urgent: trickling in one by one, they still share a commit.
        const quint64 commitsBefore = m_writer->committedTransactions();
        std::atomic<int> done{0};
        for (int i = 0; i < 20; ++i) {
            WriteJob job;
            job.work = [i](SqliteConnection &db) { return insertItem(db, QStringLiteral("lazy-%1").arg(i)); };
            job.done = [&done](Status s) { done += s.ok(); };
            job.urgent = false;
            m_writer->submit(std::move(job));
        }
        QTRY_COMPARE(done.load(), 20);
        QVERIFY2(m_writer->committedTransactions() - commitsBefore <= 2,
                 qPrintable(QString::number(m_writer->committedTransactions() - commitsBefore)));
        // Someone waiting is not kept waiting by the linger.
        WriteJob lazy;
        lazy.work = [](SqliteConnection &db) { return insertItem(db, QStringLiteral("lazy-last")); };
        lazy.urgent = false;
        m_writer->submit(std::move(lazy));
        QElapsedTimer t;
        t.start();
        QVERIFY(m_writer->runSync([](SqliteConnection &db) { return insertItem(db, QStringLiteral("urgent")); }).ok());
        QVERIFY2(t.elapsed() < 1000, qPrintable(QString::number(t.elapsed())));
        QCOMPARE(count("SELECT count(*) FROM items WHERE v IN ('lazy-last', 'urgent')"), qint64(2));
    }

    void aWriterThatFallsBehindHoldsItsProducersBack()
    {
        QSemaphore release;
        holdWriter(release);
        std::atomic<qsizetype> queued{0};
        std::unique_ptr<QThread> producer(QThread::create([&] {
            for (qsizetype i = 0; i < StoreWriter::maxQueued + 10; ++i) {
                WriteJob job;
                job.work = [](SqliteConnection &) { return Status(); };
                job.urgent = false;
                m_writer->submit(std::move(job));
                ++queued;
            }
        }));
        producer->start();
        QTRY_COMPARE(queued.load(), StoreWriter::maxQueued);
        QVERIFY(!producer->wait(300));   // the queue is full: the producer waits, memory does not grow
        QCOMPARE(queued.load(), StoreWriter::maxQueued);
        release.release();
        QVERIFY(producer->wait(10000));
        QCOMPARE(queued.load(), StoreWriter::maxQueued + 10);
    }

    void memoryHeldByQueuedJobsIsBounded()
    {
        QSemaphore release;
        holdWriter(release);
        constexpr qint64 each = 1 << 20;
        constexpr int fits = int(StoreWriter::maxPendingBytes / each);
        std::atomic<int> queued{0};
        std::unique_ptr<QThread> producer(QThread::create([&] {
            for (int i = 0; i < fits + 5; ++i) {
                WriteJob job;
                job.work = [](SqliteConnection &) { return Status(); };
                job.urgent = false;
                job.bytes = each;   // as a 1 MiB event would
                m_writer->submit(std::move(job));
                ++queued;
            }
        }));
        producer->start();
        QTRY_COMPARE(queued.load(), fits);
        QVERIFY(!producer->wait(300));
        QCOMPARE(queued.load(), fits);
        release.release();
        QVERIFY(producer->wait(10000));
        QCOMPARE(queued.load(), fits + 5);
        m_writer->drain();
    }

    void drainReturnsOnceEverythingQueuedHasRun()
    {
        m_writer->drain();   // nothing queued: at once
        std::atomic<int> done{0};
        for (int i = 0; i < 100; ++i) {
            WriteJob job;
            job.work = [i](SqliteConnection &db) { return insertItem(db, QStringLiteral("d-%1").arg(i)); };
            job.done = [&done](Status) { ++done; };
            job.urgent = false;
            m_writer->submit(std::move(job));
        }
        m_writer->drain();
        QCOMPARE(done.load(), 100);
        QCOMPARE(count("SELECT count(*) FROM items WHERE v LIKE 'd-%'"), qint64(100));
    }

    void failingJobRollsBackAloneEvenAfterItWrote()
    {
        QSemaphore release;
        holdWriter(release);
        std::atomic<int> done{0};
        QList<bool> results(3);
        auto record = [&](int i) { return [&, i](Status s) { results[i] = s.ok(); ++done; }; };
        m_writer->submit({[](SqliteConnection &db) { return insertItem(db, QStringLiteral("before")); }, record(0)});
        m_writer->submit({[](SqliteConnection &db) -> Status {
                              if (Status s = insertItem(db, QStringLiteral("half-done")); !s)
                                  return s;
                              return Error(QStringLiteral("changed my mind"));
                          },
                          record(1)});
        m_writer->submit({[](SqliteConnection &db) { return insertItem(db, QStringLiteral("after")); }, record(2)});
        release.release();
        QTRY_COMPARE(done.load(), 3);
        QCOMPARE(results, (QList<bool>{true, false, true}));
        QCOMPARE(count("SELECT count(*) FROM items WHERE v = 'half-done'"), qint64(0));
        QCOMPARE(count("SELECT count(*) FROM items WHERE v IN ('before', 'after')"), qint64(2));
    }

    void failingSingleStatementJobRollsBackAloneWithoutASavepoint()
    {
        // An event is one INSERT: SQLite's statement rollback isolates it, no savepoint needed.
        QSemaphore release;
        holdWriter(release);
        std::atomic<int> done{0};
        QList<bool> results(4);
        auto record = [&](int i) { return [&, i](Status s) { results[i] = s.ok(); ++done; }; };
        auto single = [&](int i, const char *sql) {
            WriteJob job;
            job.work = [sql](SqliteConnection &db) { return db.exec(sql); };
            job.done = record(i);
            job.singleStatement = true;
            m_writer->submit(std::move(job));
        };
        single(0, "INSERT INTO items (v) VALUES ('one')");
        // Two rows in one statement, the second refused: the first must not stay either.
        single(1, "INSERT INTO items (v) VALUES ('two'), (NULL)");
        single(2, "INSERT INTO items (v) VALUES ('three')");
        m_writer->submit({[](SqliteConnection &db) { return insertItem(db, QStringLiteral("four")); }, record(3)});
        const quint64 commits = m_writer->committedTransactions();
        release.release();
        QTRY_COMPARE(done.load(), 4);
        QCOMPARE(results, (QList<bool>{true, false, true, true}));
        QCOMPARE(count("SELECT count(*) FROM items WHERE v = 'two'"), qint64(0));
        QCOMPARE(count("SELECT count(*) FROM items WHERE v IN ('one', 'three', 'four')"), qint64(3));
        // The blocking job's group, then the four queued behind it together: one commit for them.
        QCOMPARE(m_writer->committedTransactions(), commits + 2);
    }

    void throwingJobIsAnErrorAndTheWriterGoesOn()
    {
        const Status s = m_writer->runSync([](SqliteConnection &) -> Status {
            throw std::runtime_error("boom");
        });
        QVERIFY(!s.ok());
        QVERIFY(s.error().message.contains(QLatin1String("boom")));
        QVERIFY(m_writer->runSync([](SqliteConnection &db) { return insertItem(db, QStringLiteral("still here")); }).ok());
        QCOMPARE(count("SELECT count(*) FROM items WHERE v = 'still here'"), qint64(1));
    }

    // What the store keeps beside its jobs (the per-second request counts) is written by the
    // beforeCommit hook inside the group's transaction, and forgotten when the group rolls back.
    void groupHooksCommitWithTheGroupAndHearOfItsRollback()
    {
        std::atomic<int> flushes{0};
        std::atomic<int> rollbacks{0};
        std::atomic<int> commits{0};
        std::atomic<bool> failFlush{false};
        m_writer.reset();
        m_writer = makeWriter(1h, [&](StoreWriter &w) {
            w.setGroupHooks({[&](SqliteConnection &db) -> Status {
                                 ++flushes;
                                 if (failFlush)
                                     return Error(QStringLiteral("flush refused"));
                                 return insertItem(db, QStringLiteral("flush %1").arg(flushes.load()));
                             },
                             [&] { ++commits; }, [&] { ++rollbacks; }});
        });

        QVERIFY(m_writer->runSync([](SqliteConnection &db) { return insertItem(db, QStringLiteral("a")); }).ok());
        QCOMPARE(count("SELECT count(*) FROM items WHERE v = 'a'"), qint64(1));
        QCOMPARE(count("SELECT count(*) FROM items WHERE v LIKE 'flush %'"), qint64(1));
        QCOMPARE(rollbacks.load(), 0);
        QCOMPARE(commits.load(), 1);

        // The hook fails: the group's own writes go with it, and its job hears why.
        failFlush = true;
        const Status refused = m_writer->runSync([](SqliteConnection &db) { return insertItem(db, QStringLiteral("b")); });
        QVERIFY(!refused.ok());
        QVERIFY2(refused.error().message.contains(QLatin1String("flush refused")), qPrintable(refused.error().message));
        QCOMPARE(count("SELECT count(*) FROM items WHERE v = 'b'"), qint64(0));
        QCOMPARE(rollbacks.load(), 1);
        QCOMPARE(commits.load(), 1);

        // The writer goes on: the next group commits, its hook's write with it.
        failFlush = false;
        QVERIFY(m_writer->runSync([](SqliteConnection &db) { return insertItem(db, QStringLiteral("c")); }).ok());
        QCOMPARE(count("SELECT count(*) FROM items WHERE v = 'c'"), qint64(1));
        QCOMPARE(count("SELECT count(*) FROM items WHERE v LIKE 'flush %'"), qint64(2));
        QCOMPARE(rollbacks.load(), 1);
        QCOMPARE(commits.load(), 2);
    }

    void runSyncReportsOnlyAfterCommit()
    {
        // A reader on another connection sees the row the moment runSync returns.
        QVERIFY(m_writer->runSync([](SqliteConnection &db) { return insertItem(db, QStringLiteral("durable")); }).ok());
        QCOMPARE(count("SELECT count(*) FROM items WHERE v = 'durable'"), qint64(1));
    }

    void runSyncOnTheWriterThreadIsRefusedNotDeadlocked()
    {
        Status inner;
        const Status outer = m_writer->runSync([&](SqliteConnection &) {
            inner = m_writer->runSync([](SqliteConnection &) { return Status(); });
            return Status();
        });
        QVERIFY(outer.ok());
        QVERIFY(!inner.ok());
    }

    void jobsAfterStopFailInsteadOfHanging()
    {
        m_writer->stop();
        const Status s = m_writer->runSync([](SqliteConnection &db) { return insertItem(db, QStringLiteral("late")); });
        QVERIFY(!s.ok());
        QVERIFY(s.error().message.contains(QLatin1String("closed")));
    }

    void stopFinishesQueuedJobs()
    {
        std::atomic<int> done{0};
        for (int i = 0; i < 20; ++i)
            m_writer->submit({[i](SqliteConnection &db) { return insertItem(db, QStringLiteral("q%1").arg(i)); },
                              [&](Status s) { done += s.ok() ? 1 : 0; }});
        m_writer->stop();
        QCOMPARE(done.load(), 20);
        QCOMPARE(count("SELECT count(*) FROM items WHERE v LIKE 'q%'"), qint64(20));
    }

    // Root ignores file modes, so the write connection is made to refuse writes instead
    // (PRAGMA query_only): SQLite then fails writes with SQLITE_READONLY, as for a read-only
    // filesystem.
    void healthFlipsWhenWritesFailAndRecoversOnTheNextWrite()
    {
        QSignalSpy spy(m_writer.get(), &StoreWriter::healthChanged);
        QVERIFY(m_writer->health().ok());
        QVERIFY(m_writer->runStandaloneSync([](SqliteConnection &db) { return db.exec("PRAGMA query_only = 1"); }).ok());

        const Status refused = m_writer->runSync([](SqliteConnection &db) { return insertItem(db, QStringLiteral("x")); });
        QVERIFY(!refused.ok());
        const Status health = m_writer->health();
        QVERIFY(!health.ok());
        QVERIFY2(health.error().message.contains(QLatin1String("readonly")), qPrintable(health.error().message));
        QCOMPARE(spy.size(), 1);
        QCOMPARE(spy.at(0).at(0).toBool(), false);

        // A job that changes nothing proves nothing: health stays down.
        QVERIFY(m_writer->runStandaloneSync([](SqliteConnection &db) { return db.exec("PRAGMA query_only = 0"); }).ok());
        QVERIFY(!m_writer->health().ok());

        QVERIFY(m_writer->runSync([](SqliteConnection &db) { return insertItem(db, QStringLiteral("y")); }).ok());
        QVERIFY(m_writer->health().ok());
        QCOMPARE(spy.size(), 2);
        QCOMPARE(spy.at(1).at(0).toBool(), true);
    }

    void constraintErrorsDoNotMakeTheStoreUnhealthy()
    {
        QVERIFY(!m_writer->runSync([](SqliteConnection &db) { return insertItem(db, QStringLiteral("taken")); }).ok());
        QVERIFY(m_writer->health().ok());
    }

    void probeRestoresHealthWithoutTraffic()
    {
        m_writer = makeWriter(20ms);
        QSignalSpy spy(m_writer.get(), &StoreWriter::healthChanged);
        QVERIFY(m_writer->runStandaloneSync([](SqliteConnection &db) { return db.exec("PRAGMA query_only = 1"); }).ok());
        QVERIFY(!m_writer->runSync([](SqliteConnection &db) { return insertItem(db, QStringLiteral("x")); }).ok());
        QVERIFY(!m_writer->health().ok());
        const qint64 probesWhileBlocked = count("SELECT count(*) FROM probes");
        QTest::qWait(100);   // several probe intervals: probes keep failing while blocked
        QVERIFY(!m_writer->health().ok());
        QCOMPARE(count("SELECT count(*) FROM probes"), probesWhileBlocked);

        QVERIFY(m_writer->runStandaloneSync([](SqliteConnection &db) { return db.exec("PRAGMA query_only = 0"); }).ok());
        QTRY_VERIFY_WITH_TIMEOUT(m_writer->health().ok(), 5000);
        QVERIFY(count("SELECT count(*) FROM probes") > probesWhileBlocked);
        QCOMPARE(spy.size(), 2);
    }

    // The indexer's tick under steady load: there is always something new by the time a tick
    // ends, and that waits for the next interval; only a tick that stopped at its own bound with
    // more left comes back catchUpGap later.
    void tickWorkThatMerelyArrivedWaitsForTheInterval()
    {
        std::atomic<int> ticks{0};
        m_writer = makeWriter(1h, [&ticks](StoreWriter &w) {
            w.setTick(300ms, [] { return true; },   // always something new
                      [&ticks](SqliteConnection &) { ++ticks; return Status(); }, [] { return false; });
        });
        QTRY_VERIFY_WITH_TIMEOUT(ticks.load() >= 1, 5000);
        QElapsedTimer elapsed;
        elapsed.start();
        const int first = ticks.load();
        QTest::qWait(900);
        // At most one tick per 300 ms (three or four in 900 ms, with scheduling slack), where
        // catching up every catchUpGap would have run dozens.
        QVERIFY2(ticks.load() - first <= int(elapsed.elapsed() / 300) + 1,
                 qPrintable(QStringLiteral("%1 ticks in %2 ms").arg(ticks.load() - first).arg(elapsed.elapsed())));
    }

    void backloggedTickComesBackSoonUntilCaughtUp()
    {
        std::atomic<int> ticks{0};
        std::atomic<int> backlog{5};   // ticks that stop at their bound with more left
        m_writer = makeWriter(1h, [&](StoreWriter &w) {
            w.setTick(
                2s, [&backlog] { return backlog.load() > 0; },
                [&](SqliteConnection &db) {
                    ++ticks;
                    --backlog;
                    return insertItem(db, QStringLiteral("tick %1").arg(ticks.load()));
                },
                [&backlog] { return backlog.load() > 0; });
        });
        // The first tick waits its interval; the other four follow it catchUpGap apart, long before
        // a second interval would end, each its own committed transaction.
        QTRY_VERIFY_WITH_TIMEOUT(ticks.load() >= 1, 5000);
        QElapsedTimer elapsed;
        elapsed.start();
        QTRY_COMPARE_WITH_TIMEOUT(ticks.load(), 5, 1500);
        QVERIFY(elapsed.elapsed() < 1500);
        QTRY_COMPARE_WITH_TIMEOUT(count("SELECT count(*) FROM items WHERE v LIKE 'tick %'"), qint64(5), 2000);
        QTest::qWait(300);   // caught up and nothing due: no more ticks
        QCOMPARE(ticks.load(), 5);
    }
};

QTEST_GUILESS_MAIN(tst_StoreWriter)
#include "tst_storewriter.moc"
