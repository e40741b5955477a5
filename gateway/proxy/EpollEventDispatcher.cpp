#include "proxy/EpollEventDispatcher.h"

#include <QCoreApplication>
#include <QSocketNotifier>
#include <QThread>
#include <QTimerEvent>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>

#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace gh {

namespace {

constexpr int kBatch = 256;
constexpr std::uint64_t kWakeTag = ~std::uint64_t(0);
constexpr qint64 kNsPerMs = 1000 * 1000;

qint64 nowNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count();
}

} // namespace

std::uint32_t EpollEventDispatcher::wantedEvents(const Watch &w)
{
    if (w.direct)
        return w.directEvents;
    return (w.notifiers[QSocketNotifier::Read] ? std::uint32_t(EPOLLIN) : 0u)
           | (w.notifiers[QSocketNotifier::Write] ? std::uint32_t(EPOLLOUT) : 0u)
           | (w.notifiers[QSocketNotifier::Exception] ? std::uint32_t(EPOLLPRI) : 0u);
}

EpollEventDispatcher *EpollEventDispatcher::ofCurrentThread()
{
    return qobject_cast<EpollEventDispatcher *>(QThread::currentThread()->eventDispatcher());
}

EpollEventDispatcher::EpollEventDispatcher(QObject *parent)
    : QAbstractEventDispatcher(parent)
{
    m_epoll = epoll_create1(EPOLL_CLOEXEC);
    m_wakeFd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (m_epoll < 0 || m_wakeFd < 0)
        qFatal("proxy: cannot create the event loop's epoll or eventfd: %s", std::strerror(errno));
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kWakeTag;
    if (epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_wakeFd, &ev) != 0)
        qFatal("proxy: cannot watch the event loop's eventfd: %s", std::strerror(errno));
}

EpollEventDispatcher::~EpollEventDispatcher()
{
    ::close(m_wakeFd);
    ::close(m_epoll);
}

void EpollEventDispatcher::startingUp()
{
    m_thread.store(QThread::currentThreadId(), std::memory_order_release);
}

bool EpollEventDispatcher::processEvents(QEventLoop::ProcessEventsFlags flags)
{
    m_thread.store(QThread::currentThreadId(), std::memory_order_release);
    m_interrupted.store(false, std::memory_order_relaxed);
    Q_EMIT awake();

    // Cleared before the posted events go out: anything posted from now on wakes us again.
    bool processed = m_woken.exchange(0, std::memory_order_acq_rel) != 0;
    QCoreApplication::sendPostedEvents();
    if (m_interrupted.load(std::memory_order_relaxed))
        return processed;

    int timeout = 0;
    if (flags & QEventLoop::WaitForMoreEvents) {
        Q_EMIT aboutToBlock();   // may post: checked below, after it
        applyInterest();
        if (!m_woken.load(std::memory_order_acquire) && !m_interrupted.load(std::memory_order_relaxed))
            timeout = (flags & QEventLoop::X11ExcludeTimers) ? -1 : waitTimeoutMs();
    } else {
        applyInterest();
    }

    epoll_event events[kBatch];
    int ready = 0;
    if ((flags & QEventLoop::ExcludeSocketNotifiers) && timeout != 0) {
        // Sockets are not to be served now, and epoll would report a ready one (level-triggered)
        // at once on every pass: wait for a wake-up or a timer alone.
        pollfd wake{m_wakeFd, POLLIN, 0};
        do {
            ready = ::poll(&wake, 1, timeout);
        } while (ready < 0 && errno == EINTR);
        if (ready > 0) {
            events[0].events = EPOLLIN;
            events[0].data.u64 = kWakeTag;
        }
    } else {
        do {
            ready = epoll_wait(m_epoll, events, kBatch, timeout);
        } while (ready < 0 && errno == EINTR);
    }
    if (ready < 0)
        qWarning("proxy: epoll_wait failed: %s", std::strerror(errno));

    // Collect first, then activate: a notifier switched off (or deleted) by an earlier activation
    // in this pass is taken off the list by unregisterSocketNotifier and never touched.
    for (int i = 0; i < ready; ++i) {
        const epoll_event &e = events[i];
        if (e.data.u64 == kWakeTag) {
            drainWakeUps();
            processed = true;
            continue;
        }
        if (flags & QEventLoop::ExcludeSocketNotifiers)
            continue;   // level-triggered: reported again on the next pass
        const int fd = int(e.data.u64);
        if (fd < 0 || std::size_t(fd) >= m_watches.size())
            continue;
        const Watch &w = m_watches[std::size_t(fd)];
        if (w.direct) {
            m_pendingDirect.push_back({fd, w.generation, e.events});
            continue;
        }
        QSocketNotifier *read = w.notifiers[QSocketNotifier::Read];
        QSocketNotifier *write = w.notifiers[QSocketNotifier::Write];
        QSocketNotifier *exception = w.notifiers[QSocketNotifier::Exception];
        if (read && (e.events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
            m_pending.append(read);
        if (write && ((e.events & (EPOLLOUT | EPOLLERR)) || ((e.events & EPOLLHUP) && !read)))
            m_pending.append(write);
        if (exception && (e.events & EPOLLPRI))
            m_pending.append(exception);
    }
    processed = dispatchPending() || processed;

    if (!(flags & QEventLoop::X11ExcludeTimers))
        processed = fireTimers() || processed;
    return processed;
}

bool EpollEventDispatcher::dispatchPending()
{
    bool any = false;
    // By index: a watcher may watch or unwatch fds (its own or others) while it runs.
    for (std::size_t i = 0; i < m_pendingDirect.size(); ++i) {
        const DirectEvent e = m_pendingDirect[i];
        const Watch &w = m_watches[std::size_t(e.fd)];
        if (!w.direct || w.generation != e.generation)
            continue;   // unwatched since (its fd may be another socket's by now)
        w.direct->fdReady(e.events);
        any = true;
    }
    m_pendingDirect.clear();
    while (!m_pending.isEmpty()) {
        QSocketNotifier *notifier = m_pending.takeFirst();
        QEvent event(QEvent::SockAct);
        QCoreApplication::sendEvent(notifier, &event);
        any = true;
    }
    return any;
}

void EpollEventDispatcher::drainWakeUps()
{
    std::uint64_t count = 0;
    while (::read(m_wakeFd, &count, sizeof count) < 0 && errno == EINTR) {
    }
}

void EpollEventDispatcher::registerSocketNotifier(QSocketNotifier *notifier)
{
    const qintptr fd = notifier->socket();
    const int type = int(notifier->type());
    if (fd < 0 || fd > INT_MAX || type < 0 || type > 2) {
        qWarning("proxy: cannot watch socket %lld", static_cast<long long>(fd));
        return;
    }
    Watch &w = watchFor(int(fd));
    Q_ASSERT(!w.direct);
    w.notifiers[type] = notifier;
    markDirty(int(fd));
}

void EpollEventDispatcher::unregisterSocketNotifier(QSocketNotifier *notifier)
{
    const qintptr fd = notifier->socket();
    const int type = int(notifier->type());
    m_pending.removeAll(notifier);
    if (fd < 0 || std::size_t(fd) >= m_watches.size() || type < 0 || type > 2)
        return;
    Watch &w = m_watches[std::size_t(fd)];
    if (w.notifiers[type] != notifier)
        return;
    w.notifiers[type] = nullptr;
    if (wantedEvents(w) == 0 && w.armed != 0) {
        // The last notifier of this fd: out of the interest set now, not at the next wait. The
        // socket is usually closed next, and a new one may get the same number before we wait;
        // the kernel forgets a closed fd on its own, and a deferred change would miss that.
        epoll_event ev{};
        if (epoll_ctl(m_epoll, EPOLL_CTL_DEL, int(fd), &ev) != 0 && errno != ENOENT && errno != EBADF)
            qWarning("proxy: cannot stop watching socket %d: %s", int(fd), std::strerror(errno));
        w.armed = 0;
        ++m_interestChanges;
        return;
    }
    markDirty(int(fd));
}

EpollEventDispatcher::Watch &EpollEventDispatcher::watchFor(int fd)
{
    if (std::size_t(fd) >= m_watches.size())
        m_watches.resize(std::max(std::size_t(fd) + 1, m_watches.size() * 2));
    return m_watches[std::size_t(fd)];
}

void EpollEventDispatcher::watch(int fd, FdWatcher *watcher, std::uint32_t events)
{
    if (fd < 0 || !watcher) {
        qWarning("proxy: cannot watch socket %d", fd);
        return;
    }
    Watch &w = watchFor(fd);
    if (w.direct != watcher) {
        Q_ASSERT(!w.notifiers[0] && !w.notifiers[1] && !w.notifiers[2]);
        w.direct = watcher;
        ++w.generation;
    }
    w.directEvents = events;
    markDirty(fd);
}

void EpollEventDispatcher::unwatch(int fd)
{
    if (fd < 0 || std::size_t(fd) >= m_watches.size())
        return;
    Watch &w = m_watches[std::size_t(fd)];
    if (!w.direct)
        return;
    w.direct = nullptr;
    w.directEvents = 0;
    ++w.generation;
    if (w.armed != 0) {   // now, as for a socket's last notifier: the fd is closed next
        epoll_event ev{};
        if (epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, &ev) != 0 && errno != ENOENT && errno != EBADF)
            qWarning("proxy: cannot stop watching socket %d: %s", fd, std::strerror(errno));
        w.armed = 0;
        ++m_interestChanges;
    }
}

void EpollEventDispatcher::markDirty(int fd)
{
    Watch &w = m_watches[std::size_t(fd)];
    if (!w.dirty) {
        w.dirty = true;
        m_dirty.push_back(fd);
    }
}

void EpollEventDispatcher::applyInterest()
{
    for (const int fd : m_dirty) {
        Watch &w = m_watches[std::size_t(fd)];
        w.dirty = false;
        const std::uint32_t want = wantedEvents(w);
        if (want == w.armed)
            continue;
        epoll_event ev{};
        ev.events = want;
        ev.data.u64 = std::uint64_t(fd);
        int rc = 0;
        if (want == 0) {
            rc = epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, &ev);
            if (rc != 0 && (errno == ENOENT || errno == EBADF))
                rc = 0;   // closed since: the kernel has dropped it already
        } else if (w.armed == 0) {
            rc = epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &ev);
            if (rc != 0 && errno == EEXIST)
                rc = epoll_ctl(m_epoll, EPOLL_CTL_MOD, fd, &ev);
        } else {
            // A socket closed and another opened on the same number between two passes: the
            // kernel dropped the old registration with the old file.
            rc = epoll_ctl(m_epoll, EPOLL_CTL_MOD, fd, &ev);
            if (rc != 0 && errno == ENOENT)
                rc = epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &ev);
        }
        ++m_interestChanges;
        if (rc != 0)
            qWarning("proxy: cannot watch socket %d: %s", fd, std::strerror(errno));
        w.armed = want;   // on failure too: a retry each pass would fail the same way
    }
    m_dirty.clear();
}

int EpollEventDispatcher::waitTimeoutMs() const
{
    if (m_deadlines.empty())
        return -1;
    const qint64 left = m_deadlines.begin()->first - nowNs();
    if (left <= 0)
        return 0;
    const qint64 ms = (left + kNsPerMs - 1) / kNsPerMs;   // never wake before the deadline
    return ms > INT_MAX ? INT_MAX : int(ms);
}

void EpollEventDispatcher::scheduleTimer(int timerId, Timer &timer, qint64 deadlineNs)
{
    m_deadlines.erase({timer.deadlineNs, timerId});
    timer.deadlineNs = deadlineNs;
    m_deadlines.insert({deadlineNs, timerId});
}

bool EpollEventDispatcher::fireTimers()
{
    if (m_deadlines.empty())
        return false;
    const qint64 now = nowNs();
    if (m_deadlines.begin()->first > now)
        return false;
    std::vector<int> due;
    for (auto it = m_deadlines.begin(); it != m_deadlines.end() && it->first <= now; ++it)
        due.push_back(it->second);
    bool fired = false;
    for (const int id : due) {
        auto it = m_timers.find(id);
        // Killed or restarted by an earlier timer's handler, or already inside its own handler.
        if (it == m_timers.end() || it->firing || it->deadlineNs > now)
            continue;
        const qint64 interval = it->intervalMs * kNsPerMs;
        qint64 next = it->deadlineNs + interval;
        if (next <= now)
            next = now + interval;   // fell behind: no burst of catch-up events
        scheduleTimer(id, *it, next);
        it->firing = true;
        QObject *object = it->object;
        QTimerEvent event(id);
        QCoreApplication::sendEvent(object, &event);   // may kill, restart or add timers
        fired = true;
        auto again = m_timers.find(id);
        if (again != m_timers.end())
            again->firing = false;
    }
    return fired;
}

void EpollEventDispatcher::registerTimer(int timerId, qint64 interval, Qt::TimerType timerType, QObject *object)
{
    if (timerId <= 0 || interval < 0 || !object) {
        qWarning("proxy: refusing timer %d (interval %lld)", timerId, static_cast<long long>(interval));
        return;
    }
    unregisterTimer(timerId);
    Timer t;
    t.object = object;
    t.intervalMs = interval;
    t.type = timerType;
    t.deadlineNs = nowNs() + interval * kNsPerMs;
    m_timers.insert(timerId, t);
    m_timersByObject.insert(object, timerId);
    m_deadlines.insert({t.deadlineNs, timerId});
}

bool EpollEventDispatcher::unregisterTimer(int timerId)
{
    auto it = m_timers.find(timerId);
    if (it == m_timers.end())
        return false;
    m_deadlines.erase({it->deadlineNs, timerId});
    m_timersByObject.remove(it->object, timerId);
    m_timers.erase(it);
    return true;
}

bool EpollEventDispatcher::unregisterTimers(QObject *object)
{
    const QList<int> ids = m_timersByObject.values(object);
    for (const int id : ids) {
        auto it = m_timers.find(id);
        if (it == m_timers.end())
            continue;
        m_deadlines.erase({it->deadlineNs, id});
        m_timers.erase(it);
    }
    m_timersByObject.remove(object);
    return !ids.isEmpty();
}

QList<QAbstractEventDispatcher::TimerInfo> EpollEventDispatcher::registeredTimers(QObject *object) const
{
    QList<TimerInfo> out;
    const QList<int> ids = m_timersByObject.values(object);
    for (const int id : ids) {
        const auto it = m_timers.constFind(id);
        if (it != m_timers.cend())
            out.append(TimerInfo(id, int(qMin<qint64>(it->intervalMs, INT_MAX)), it->type));
    }
    return out;
}

int EpollEventDispatcher::remainingTime(int timerId)
{
    const auto it = m_timers.constFind(timerId);
    if (it == m_timers.cend())
        return -1;
    const qint64 left = it->deadlineNs - nowNs();
    if (left <= 0)
        return 0;
    const qint64 ms = (left + kNsPerMs - 1) / kNsPerMs;
    return ms > INT_MAX ? INT_MAX : int(ms);
}

void EpollEventDispatcher::wakeUp()
{
    // Our own thread is running, not waiting: the flag is enough, it is read before any wait.
    if (m_thread.load(std::memory_order_acquire) == QThread::currentThreadId()) {
        m_woken.store(1, std::memory_order_release);
        return;
    }
    if (m_woken.exchange(1, std::memory_order_acq_rel) == 0) {
        const std::uint64_t one = 1;
        while (::write(m_wakeFd, &one, sizeof one) < 0 && errno == EINTR) {
        }
    }
}

void EpollEventDispatcher::interrupt()
{
    m_interrupted.store(true, std::memory_order_relaxed);
    wakeUp();
}

} // namespace gh
