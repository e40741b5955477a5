#include "proxy/EpollEventDispatcher.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QPointer>
#include <QSignalSpy>
#include <QSocketNotifier>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QThread>
#include <QTimer>

#include <atomic>
#include <functional>
#include <chrono>
#include <thread>

#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

using namespace gh;

namespace {

EpollEventDispatcher *dispatcher()
{
    return qobject_cast<EpollEventDispatcher *>(QAbstractEventDispatcher::instance());
}

struct SocketPair {
    int fd[2] = {-1, -1};
    SocketPair() { QVERIFY2(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd) == 0, "socketpair"); }
    ~SocketPair()
    {
        closeEnd(0);
        closeEnd(1);
    }
    void closeEnd(int i)
    {
        if (fd[i] >= 0)
            ::close(fd[i]);
        fd[i] = -1;
    }
};

struct RecordingWatcher final : FdWatcher {
    std::function<void(std::uint32_t)> onReady;
    QList<std::uint32_t> seen;
    void fdReady(std::uint32_t events) override
    {
        seen.append(events);
        if (onReady)
            onReady(events);
    }
};

} // namespace

// The whole test, QTest's own waiting included, runs on the dispatcher (see main below): Qt's
// sockets, timers, queued calls and nested event loops must all behave as on Qt's own.
class tst_EpollEventDispatcher : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY2(dispatcher(), "the main thread does not run the epoll dispatcher"); }

    void queuedCallFromItsOwnThreadRunsWithoutAWait()
    {
        QEventLoop loop;
        bool ran = false;
        QMetaObject::invokeMethod(
                this,
                [&] {
                    ran = true;
                    loop.quit();
                },
                Qt::QueuedConnection);
        QTimer::singleShot(5000, &loop, [&] { loop.exit(1); });   // a lost wake-up would block here
        QElapsedTimer clock;
        clock.start();
        QCOMPARE(loop.exec(), 0);
        QVERIFY(ran);
        QVERIFY2(clock.elapsed() < 1000, qPrintable(QString::number(clock.elapsed())));
    }

    void postFromAnotherThreadWakesABlockedLoop()
    {
        QEventLoop loop;
        std::atomic<bool> ran{false};
        QTimer::singleShot(10000, &loop, [&] { loop.exit(1); });
        QElapsedTimer clock;
        clock.start();
        std::thread poster([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));   // the loop is waiting by now
            QMetaObject::invokeMethod(
                    &loop,
                    [&] {
                        ran = true;
                        loop.quit();
                    },
                    Qt::QueuedConnection);
        });
        const int rc = loop.exec();
        poster.join();
        QCOMPARE(rc, 0);
        QVERIFY(ran);
        QVERIFY2(clock.elapsed() < 5000, qPrintable(QString::number(clock.elapsed())));
    }

    void manyPostersLoseNoCall()
    {
        constexpr int threads = 4, each = 2000;
        std::atomic<int> done{0};
        QObject receiver;
        std::vector<std::thread> posters;
        for (int t = 0; t < threads; ++t) {
            posters.emplace_back([&] {
                for (int i = 0; i < each; ++i)
                    QMetaObject::invokeMethod(&receiver, [&] { ++done; }, Qt::QueuedConnection);
            });
        }
        for (std::thread &t : posters)
            t.join();
        QTRY_COMPARE_WITH_TIMEOUT(done.load(), threads * each, 10000);
    }

    void singleShotTimerFiresOnceNotEarly()
    {
        QTimer t;
        t.setSingleShot(true);
        t.setTimerType(Qt::PreciseTimer);
        QSignalSpy spy(&t, &QTimer::timeout);
        QElapsedTimer clock;
        clock.start();
        t.start(80);
        QVERIFY(t.remainingTime() > 0 && t.remainingTime() <= 80);
        QVERIFY(spy.wait(3000));
        QVERIFY2(clock.elapsed() >= 79, qPrintable(QString::number(clock.elapsed())));
        QTest::qWait(150);
        QCOMPARE(spy.size(), 1);
        QVERIFY(!t.isActive());
    }

    void repeatingTimerKeepsFiringUntilStopped()
    {
        QTimer t;
        int fired = 0;
        connect(&t, &QTimer::timeout, this, [&] {
            if (++fired == 5)
                t.stop();
        });
        t.start(10);
        QTRY_COMPARE_WITH_TIMEOUT(fired, 5, 3000);
        QTest::qWait(100);
        QCOMPARE(fired, 5);
    }

    void timerKilledByAnEarlierHandlerDoesNotFire()
    {
        QTimer first, second;
        first.setSingleShot(true);
        second.setSingleShot(true);
        bool secondFired = false;
        connect(&first, &QTimer::timeout, this, [&] { second.stop(); });
        connect(&second, &QTimer::timeout, this, [&] { secondFired = true; });
        first.start(20);
        second.start(21);
        QTest::qWait(50);   // both are due within one pass; the first runs first
        QTest::qWait(100);
        QVERIFY(!secondFired);
        QVERIFY(!second.isActive());
    }

    void restartedTimerUsesItsNewInterval()
    {
        QTimer t;
        t.setSingleShot(true);
        QSignalSpy spy(&t, &QTimer::timeout);
        t.start(30);
        t.start(400);   // a restart replaces the deadline
        QTest::qWait(150);
        QCOMPARE(spy.size(), 0);
        QVERIFY(t.remainingTime() > 0);
        QVERIFY(spy.wait(2000));
    }

    void zeroTimerRunsOncePerPass()
    {
        QTimer t;
        int fired = 0;
        connect(&t, &QTimer::timeout, this, [&] { ++fired; });
        t.start(0);
        QTRY_VERIFY_WITH_TIMEOUT(fired >= 10, 3000);
        t.stop();
        const int at = fired;
        QTest::qWait(50);
        QCOMPARE(fired, at);
    }

    void tcpEchoOfOneMebibyte()
    {
        QTcpServer server;
        QVERIFY(server.listen(QHostAddress::LocalHost));
        QTcpSocket client;
        client.connectToHost(QHostAddress::LocalHost, server.serverPort());
        QVERIFY(client.waitForConnected(5000) || client.state() == QAbstractSocket::ConnectedState);
        QTRY_VERIFY_WITH_TIMEOUT(server.hasPendingConnections(), 5000);
        QTcpSocket *peer = server.nextPendingConnection();
        connect(peer, &QTcpSocket::readyRead, peer, [peer] { peer->write(peer->readAll()); });

        QByteArray sent(1 << 20, Qt::Uninitialized);
        for (qsizetype i = 0; i < sent.size(); ++i)
            sent[i] = char(i * 7 + i / 1024);
        QByteArray received;
        connect(&client, &QTcpSocket::readyRead, this, [&] { received += client.readAll(); });
        client.write(sent);   // more than the socket buffers hold: write notifiers do the rest
        QTRY_COMPARE_WITH_TIMEOUT(received.size(), sent.size(), 20000);
        QVERIFY(received == sent);

        QSignalSpy gone(&client, &QTcpSocket::disconnected);
        peer->disconnectFromHost();   // the hang-up reaches the client's read notifier
        QVERIFY(gone.wait(5000));
    }

    void refusedConnectionIsReported()
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost));
        const quint16 port = probe.serverPort();
        probe.close();   // nothing listens there now
        QTcpSocket client;
        QSignalSpy failed(&client, &QTcpSocket::errorOccurred);
        client.connectToHost(QHostAddress::LocalHost, port);
        QVERIFY(failed.wait(5000));
        QCOMPARE(client.error(), QAbstractSocket::ConnectionRefusedError);
    }

    void togglingANotifierWithinOnePassCostsNoSystemCall()
    {
        SocketPair pair;
        QSocketNotifier read(pair.fd[0], QSocketNotifier::Read);
        QCoreApplication::processEvents();   // registered
        const quint64 before = dispatcher()->interestChanges();
        QSocketNotifier write(pair.fd[0], QSocketNotifier::Write);
        for (int i = 0; i < 100; ++i) {
            write.setEnabled(false);
            write.setEnabled(true);
        }
        write.setEnabled(false);
        QCoreApplication::processEvents();
        QCOMPARE(dispatcher()->interestChanges(), before);

        // And it still hears its socket.
        QSignalSpy activated(&read, &QSocketNotifier::activated);
        QCOMPARE(::write(pair.fd[1], "x", 1), ssize_t(1));
        QTRY_VERIFY_WITH_TIMEOUT(activated.size() >= 1, 3000);
    }

    void reusedDescriptorIsWatchedAgain()
    {
        auto pair = std::make_unique<SocketPair>();
        const int number = pair->fd[0];
        {
            QSocketNotifier old(number, QSocketNotifier::Read);
            QCoreApplication::processEvents();   // in the interest set
        }   // its last notifier gone, then its fd closed, with no pass in between
        pair.reset();
        SocketPair next;   // the lowest free numbers: the same ones
        QCOMPARE(next.fd[0], number);
        QSocketNotifier fresh(next.fd[0], QSocketNotifier::Read);
        QSignalSpy activated(&fresh, &QSocketNotifier::activated);
        QCOMPARE(::write(next.fd[1], "y", 1), ssize_t(1));
        QVERIFY(activated.wait(3000));
    }

    void notifierDeletedByAnEarlierOneInThePassIsNotTouched()
    {
        SocketPair a, b;
        auto *first = new QSocketNotifier(a.fd[0], QSocketNotifier::Read);
        QPointer<QSocketNotifier> second = new QSocketNotifier(b.fd[0], QSocketNotifier::Read);
        int firstFired = 0, secondFired = 0;
        // Whichever is activated first deletes the other: it must not be activated after.
        char c;
        connect(first, &QSocketNotifier::activated, this, [&] {
            ++firstFired;
            QCOMPARE_GE(::read(a.fd[0], &c, 1), ssize_t(0));
            delete second.data();
        });
        connect(second.data(), &QSocketNotifier::activated, this, [&] {
            ++secondFired;
            QCOMPARE_GE(::read(b.fd[0], &c, 1), ssize_t(0));
            delete first;
            first = nullptr;
        });
        QCOMPARE(::write(a.fd[1], "1", 1), ssize_t(1));
        QCOMPARE(::write(b.fd[1], "2", 1), ssize_t(1));
        QTRY_VERIFY_WITH_TIMEOUT(firstFired + secondFired >= 1, 3000);
        QTest::qWait(50);
        QCOMPARE(firstFired + secondFired, 1);
        delete first;
        delete second.data();
    }

    // A nested loop that excludes sockets (as QAbstractSocket's waitFor* helpers may ask) must
    // neither serve a ready socket nor spin on it while it waits.
    void excludingSocketsWaitsWithoutServingOrSpinning()
    {
        SocketPair pair;
        QSocketNotifier read(pair.fd[0], QSocketNotifier::Read);
        int activations = 0;
        connect(&read, &QSocketNotifier::activated, this, [&] { ++activations; });
        QCOMPARE(::write(pair.fd[1], "z", 1), ssize_t(1));   // ready, and stays so: nobody reads it
        std::atomic<bool> ran{false};
        std::thread poster([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            QMetaObject::invokeMethod(this, [&] { ran = true; }, Qt::QueuedConnection);
        });
        QTimer keepTurning;   // a pass may wait after the call is delivered: the timer bounds it
        keepTurning.start(20);
        timespec cpu0{}, cpu1{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu0);
        QElapsedTimer clock;
        clock.start();
        while (!ran && clock.elapsed() < 5000)
            QCoreApplication::processEvents(QEventLoop::ExcludeSocketNotifiers | QEventLoop::WaitForMoreEvents);
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu1);
        const qint64 waited = clock.elapsed();
        keepTurning.stop();
        poster.join();
        QVERIFY(ran);
        QVERIFY2(waited < 2000, qPrintable(QString::number(waited)));
        QCOMPARE(activations, 0);
        const double cpuMs = double(cpu1.tv_sec - cpu0.tv_sec) * 1e3 + double(cpu1.tv_nsec - cpu0.tv_nsec) / 1e6;
        QVERIFY2(cpuMs < 100, qPrintable(QStringLiteral("%1 ms of CPU in %2 ms of waiting").arg(cpuMs).arg(waited)));
        QTRY_VERIFY(activations >= 1);   // served again once sockets are included
    }

    // The proxy's own sockets are watched without notifiers: events reach the watcher directly,
    // changes coalesce like notifier toggles, and unwatch() stops delivery at once.
    void directWatchDeliversEventsAndUnwatchStopsThem()
    {
        SocketPair pair;
        RecordingWatcher watcher;
        char c;
        watcher.onReady = [&](std::uint32_t) { QCOMPARE_GE(::read(pair.fd[0], &c, 1), ssize_t(0)); };
        dispatcher()->watch(pair.fd[0], &watcher, EPOLLIN);
        QCOMPARE(::write(pair.fd[1], "a", 1), ssize_t(1));
        QTRY_COMPARE_WITH_TIMEOUT(watcher.seen.size(), 1, 3000);
        QVERIFY(watcher.seen.first() & EPOLLIN);
        QCOMPARE(c, 'a');

        // Off and on again within one pass: no epoll_ctl.
        const quint64 before = dispatcher()->interestChanges();
        dispatcher()->watch(pair.fd[0], &watcher, 0);
        dispatcher()->watch(pair.fd[0], &watcher, EPOLLIN);
        QCoreApplication::processEvents();
        QCOMPARE(dispatcher()->interestChanges(), before);

        // Events off: a ready fd is not reported (level-triggered, it would be on every pass).
        dispatcher()->watch(pair.fd[0], &watcher, 0);
        QCOMPARE(::write(pair.fd[1], "b", 1), ssize_t(1));
        QTest::qWait(50);
        QCOMPARE(watcher.seen.size(), 1);
        dispatcher()->watch(pair.fd[0], &watcher, EPOLLIN);
        QTRY_COMPARE_WITH_TIMEOUT(watcher.seen.size(), 2, 3000);
        QCOMPARE(c, 'b');

        dispatcher()->unwatch(pair.fd[0]);
        QCOMPARE(::write(pair.fd[1], "c", 1), ssize_t(1));
        QTest::qWait(50);
        QCOMPARE(watcher.seen.size(), 2);
    }

    void directWatchReportsHangUp()
    {
        SocketPair pair;
        RecordingWatcher watcher;
        watcher.onReady = [&](std::uint32_t) { dispatcher()->unwatch(pair.fd[0]); };
        dispatcher()->watch(pair.fd[0], &watcher, EPOLLRDHUP);   // input itself not asked for
        QCOMPARE(::write(pair.fd[1], "x", 1), ssize_t(1));
        QTest::qWait(50);
        QVERIFY(watcher.seen.isEmpty());
        pair.closeEnd(1);
        QTRY_COMPARE_WITH_TIMEOUT(watcher.seen.size(), 1, 3000);
        QVERIFY(watcher.seen.first() & (EPOLLRDHUP | EPOLLHUP));
    }

    // Two fds ready in one pass: the first watcher's call unwatches the second, whose fd is closed
    // and its number taken by a new socket watched by a third; the event collected for the old
    // socket reaches nobody.
    void eventOfAnFdUnwatchedEarlierInThePassReachesNobody()
    {
        SocketPair a;
        auto b = std::make_unique<SocketPair>();
        std::unique_ptr<SocketPair> reused;
        RecordingWatcher first, second, third;
        const int number = b->fd[0];
        auto takeOver = [&](std::uint32_t) {
            dispatcher()->unwatch(number);
            b.reset();
            reused = std::make_unique<SocketPair>();   // quiet: nothing written to it
            if (reused->fd[0] == number)
                dispatcher()->watch(number, &third, EPOLLIN);
        };
        first.onReady = [&](std::uint32_t e) {
            dispatcher()->unwatch(a.fd[0]);
            if (second.seen.isEmpty())
                takeOver(e);
        };
        second.onReady = [&](std::uint32_t) {
            dispatcher()->unwatch(number);
            dispatcher()->unwatch(a.fd[0]);   // delivered first: the mirror case, nothing to check
        };
        dispatcher()->watch(a.fd[0], &first, EPOLLIN);
        dispatcher()->watch(number, &second, EPOLLIN);
        QCOMPARE(::write(a.fd[1], "1", 1), ssize_t(1));
        QCOMPARE(::write(b->fd[1], "2", 1), ssize_t(1));
        QCoreApplication::processEvents();   // both ready in this one pass
        QTest::qWait(50);
        QCOMPARE(first.seen.size() + second.seen.size(), 1);
        QVERIFY(third.seen.isEmpty());
        if (reused)
            dispatcher()->unwatch(reused->fd[0]);
    }

    void threadRunsAndQuits()
    {
        // As the proxy installs it: on a QThread, started, asked to quit, joined.
        QThread thread;
        thread.setEventDispatcher(new EpollEventDispatcher);
        auto *worker = new QObject;
        worker->moveToThread(&thread);
        connect(&thread, &QThread::finished, worker, &QObject::deleteLater);
        std::atomic<int> ticks{0};
        thread.start();
        QMetaObject::invokeMethod(
                worker,
                [&ticks, worker] {
                    auto *timer = new QTimer(worker);
                    QObject::connect(timer, &QTimer::timeout, worker, [&ticks] { ++ticks; });
                    timer->start(5);
                },
                Qt::BlockingQueuedConnection);
        QTRY_VERIFY_WITH_TIMEOUT(ticks.load() >= 3, 3000);
        thread.quit();
        QVERIFY(thread.wait(5000));
    }
};

int main(int argc, char **argv)
{
    QCoreApplication::setEventDispatcher(new EpollEventDispatcher);
    QCoreApplication app(argc, argv);
    tst_EpollEventDispatcher test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_epolleventdispatcher.moc"
