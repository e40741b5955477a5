#include "proxy/LazyTimer.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

using namespace gh;

// The proxy's timeouts: they fire when the last start() says, not when the first one did, and never
// after stop().
class tst_LazyTimer : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void firesOnceAfterItsTimeout()
    {
        LazyTimer t;
        QSignalSpy spy(&t, &LazyTimer::timeout);
        QElapsedTimer clock;
        clock.start();
        t.start(50);
        QVERIFY(t.isActive());
        QVERIFY(spy.wait(2000));
        QVERIFY2(clock.elapsed() >= 45, qPrintable(QString::number(clock.elapsed())));
        QVERIFY(!t.isActive());
        QTest::qWait(120);
        QCOMPARE(spy.size(), 1);
    }

    void reArmingPushesTheDeadlineBack()
    {
        LazyTimer t;
        QSignalSpy spy(&t, &LazyTimer::timeout);
        QElapsedTimer clock;
        clock.start();
        t.start(100);
        // Activity keeps it from firing: re-armed every 30 ms for 300 ms.
        while (clock.elapsed() < 300) {
            QTest::qWait(30);
            t.start(100);
        }
        QCOMPARE(spy.size(), 0);
        QVERIFY(spy.wait(2000));
        QVERIFY2(clock.elapsed() >= 380, qPrintable(QString::number(clock.elapsed())));
        QCOMPARE(spy.size(), 1);
    }

    // Its clock is the kernel's coarse one (a tick, 4 ms, of resolution): a timeout may come a
    // little late, never early. (Never earlier, that is, than the QTimer under it: Qt lets a
    // Qt::CoarseTimer fire up to 5 % early, which the checks allow.)
    void neverEarlyThoughItsClockIsCoarse()
    {
        for (int ms : {1, 3, 5, 7, 11, 13, 17, 19, 23}) {
            LazyTimer t;
            QSignalSpy spy(&t, &LazyTimer::timeout);
            QElapsedTimer clock;
            clock.start();
            t.start(ms);
            QVERIFY(spy.wait(2000));
            QVERIFY2(clock.nsecsElapsed() >= qint64(ms) * 950'000,
                     qPrintable(QStringLiteral("%1 ms timeout after %2 ns").arg(ms).arg(clock.nsecsElapsed())));
        }
        // Re-armed: the deadline is all its own clock's, read at two moments a tick apart or not.
        for (int i = 0; i < 12; ++i) {
            LazyTimer t;
            QSignalSpy spy(&t, &LazyTimer::timeout);
            t.start(20);
            QTest::qWait(5 + i);
            QElapsedTimer clock;
            clock.start();
            t.start(20);
            QVERIFY(spy.wait(2000));
            QVERIFY2(clock.nsecsElapsed() >= 19'000'000,
                     qPrintable(QStringLiteral("re-armed 20 ms timeout after %1 ns").arg(clock.nsecsElapsed())));
        }
    }

    void anEarlierDeadlineIsKept()
    {
        LazyTimer t;
        QSignalSpy spy(&t, &LazyTimer::timeout);
        QElapsedTimer clock;
        clock.start();
        t.start(10000);   // a long read timeout...
        t.start(40);      // ...then a short one: it must not wait for the long one
        QVERIFY(spy.wait(2000));
        QVERIFY2(clock.elapsed() < 1000, qPrintable(QString::number(clock.elapsed())));
    }

    void stopMeansNever()
    {
        LazyTimer t;
        QSignalSpy spy(&t, &LazyTimer::timeout);
        t.start(30);
        t.stop();
        QVERIFY(!t.isActive());
        QTest::qWait(150);
        QCOMPARE(spy.size(), 0);
        t.start(20);   // and it can be started again
        QVERIFY(spy.wait(2000));
    }
};

QTEST_GUILESS_MAIN(tst_LazyTimer)
#include "tst_lazytimer.moc"
