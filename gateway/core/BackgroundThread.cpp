#include "core/BackgroundThread.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

namespace gh {

namespace {

constexpr int kNiceBelow = 5;   // below the thread that starts it
constexpr std::uint64_t kSliceNs = 100'000;   // the shortest slice the kernel takes
constexpr std::int64_t kYieldEveryNs = 200'000;

thread_local bool t_background = false;
thread_local std::int64_t t_lastYield = 0;
thread_local int t_yields = 0;

std::int64_t nowNs()
{
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// struct sched_attr as the kernel has it (glibc 2.36 has neither the struct nor a wrapper).
struct SchedAttr {
    std::uint32_t size;
    std::uint32_t policy;
    std::uint64_t flags;
    std::int32_t nice;
    std::uint32_t priority;
    std::uint64_t runtime;
    std::uint64_t deadline;
    std::uint64_t period;
};

} // namespace

void markBackgroundThread(const char *name)
{
    (void)::pthread_setname_np(::pthread_self(), name);
    t_background = true;
    t_lastYield = nowNs();
    errno = 0;
    const int inherited = ::getpriority(PRIO_PROCESS, ::gettid());
    const int nice = std::min(19, (errno == 0 ? inherited : 0) + kNiceBelow);
    SchedAttr attr{};
    attr.size = sizeof attr;
    attr.policy = SCHED_OTHER;
    attr.nice = nice;
    // Before 6.12 the kernel ignores the runtime of a SCHED_OTHER thread; the nice value holds.
    attr.runtime = kSliceNs;
#ifdef SYS_sched_setattr
    if (::syscall(SYS_sched_setattr, 0, &attr, 0) == 0)
        return;
#endif
    (void)::setpriority(PRIO_PROCESS, ::gettid(), nice);
}

void backgroundYield()
{
    if (!t_background)
        return;
    const std::int64_t now = nowNs();
    if (now - t_lastYield < kYieldEveryNs)
        return;
    (void)::sched_yield();
    ++t_yields;
    t_lastYield = nowNs();
}

int backgroundYields()
{
    return t_yields;
}

} // namespace gh
