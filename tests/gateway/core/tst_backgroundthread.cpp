#include "core/BackgroundThread.h"

#include <QTest>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <thread>

#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

using namespace gh;
using namespace std::chrono_literals;

// The store's writer and the segments' helper run behind the proxy threads: a lower priority, the
// kernel's shortest slice where it has custom slices, and their long work broken by yields at most
// every 200 us. Only the thread marked changes; any other thread's backgroundYield() does nothing.
class tst_BackgroundThread : public QObject {
    Q_OBJECT

    struct Seen {
        int nice = 0;
        char name[32] = {};
        std::uint64_t sliceNs = 0;
        bool sliceKnown = false;
    };

    static Seen look()
    {
        Seen s;
        errno = 0;
        s.nice = ::getpriority(PRIO_PROCESS, ::gettid());
        (void)::pthread_getname_np(::pthread_self(), s.name, sizeof s.name);
        struct {
            std::uint32_t size, policy;
            std::uint64_t flags;
            std::int32_t nice;
            std::uint32_t priority;
            std::uint64_t runtime, deadline, period;
        } attr{};
        if (::syscall(SYS_sched_getattr, 0, &attr, sizeof attr, 0) == 0) {
            s.sliceNs = attr.runtime;
            s.sliceKnown = true;
        }
        return s;
    }

    // Custom slices for SCHED_OTHER threads came with Linux 6.12.
    static bool kernelHasCustomSlices()
    {
        utsname u{};
        if (::uname(&u) != 0)
            return false;
        int major = 0, minor = 0;
        if (std::sscanf(u.release, "%d.%d", &major, &minor) != 2)
            return false;
        return major > 6 || (major == 6 && minor >= 12);
    }

    // Calls backgroundYield() for `span` on this thread and says how many yields it took.
    static int yieldsOver(std::chrono::microseconds span)
    {
        const int before = backgroundYields();
        const auto until = std::chrono::steady_clock::now() + span;
        while (std::chrono::steady_clock::now() < until)
            backgroundYield();
        return backgroundYields() - before;
    }

private Q_SLOTS:
    void aMarkedThreadRunsBehindTheOthers()
    {
        const Seen mainBefore = look();
        Seen marked;
        std::thread([&] {
            markBackgroundThread("gh-test-bg");
            marked = look();
        }).join();
        QCOMPARE(marked.nice, std::min(19, mainBefore.nice + 5));
        QCOMPARE(QByteArray(marked.name), QByteArray("gh-test-bg"));
        if (kernelHasCustomSlices()) {
            QVERIFY(marked.sliceKnown);
            QCOMPARE(marked.sliceNs, std::uint64_t(100'000));
        }
        // The thread that started it is as it was.
        const Seen mainAfter = look();
        QCOMPARE(mainAfter.nice, mainBefore.nice);
        QCOMPARE(QByteArray(mainAfter.name), QByteArray(mainBefore.name));
    }

    void onlyAMarkedThreadYieldsAndAtMostEvery200us()
    {
        int unmarked = -1, marked = -1;
        std::thread([&] { unmarked = yieldsOver(20ms); }).join();
        QCOMPARE(unmarked, 0);
        std::thread([&] {
            markBackgroundThread("gh-test-bg");
            marked = yieldsOver(20ms);
        }).join();
        // 20 ms of work in 200 us pieces: at most 100 yields (and a slow machine that takes the
        // CPU away for long stretches makes fewer, never none).
        QVERIFY2(marked >= 1 && marked <= 100, qPrintable(QString::number(marked)));
    }
};

QTEST_GUILESS_MAIN(tst_BackgroundThread)
#include "tst_backgroundthread.moc"
