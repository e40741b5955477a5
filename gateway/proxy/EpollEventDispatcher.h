#pragma once

#include <QAbstractEventDispatcher>
#include <QHash>
#include <QList>
#include <QMultiHash>

#include <atomic>
#include <cstdint>
#include <set>
#include <utility>
#include <vector>

class QSocketNotifier;

namespace gh {

// Told directly of a watched fd's epoll events (EpollEventDispatcher::watch).
class FdWatcher {
public:
    virtual void fdReady(std::uint32_t epollEvents) = 0;

protected:
    ~FdWatcher() = default;
};

// The proxy threads' event loop: Linux epoll under Qt's sockets and timers.
//
// Qt's default dispatcher (GLib's main loop) rebuilds its poll set and signals its wake-up eventfd
// every time a socket notifier is switched on or off, which QAbstractSocket does around writes:
// strace counted about three such eventfd writes per proxied request. This dispatcher keeps one
// epoll interest set per thread and records notifier changes as they happen, applying them (at most
// one epoll_ctl per socket) just before it waits, so a notifier switched off and on again within
// one pass costs nothing. Only an fd's last notifier leaves at once: its socket is about to be
// closed, and the number may be reused before the next wait. A wake-up from the dispatcher's own
// thread (a queued call, a deleteLater) needs no system call, since the thread is not waiting.
//
// Install it before the thread starts: QThread::setEventDispatcher(new EpollEventDispatcher).
// Semantics follow Qt's Unix dispatcher: a hang-up or error wakes the read notifier (and the write
// notifier when there is no read notifier), timers never fire re-entrantly, and a timer that falls
// behind is rescheduled from now rather than fired in a burst. Sockets must switch their notifiers
// off before closing their fd, as Qt's do. As in Qt's Unix dispatcher, a pass that waits may wait
// after delivering posted events, until the next event, timer or wake-up.
class EpollEventDispatcher final : public QAbstractEventDispatcher {
    Q_OBJECT

public:
    explicit EpollEventDispatcher(QObject *parent = nullptr);
    ~EpollEventDispatcher() override;

    bool processEvents(QEventLoop::ProcessEventsFlags flags) override;

    void registerSocketNotifier(QSocketNotifier *notifier) override;
    void unregisterSocketNotifier(QSocketNotifier *notifier) override;

    using QAbstractEventDispatcher::registerTimer;
    void registerTimer(int timerId, qint64 interval, Qt::TimerType timerType, QObject *object) override;
    bool unregisterTimer(int timerId) override;
    bool unregisterTimers(QObject *object) override;
    QList<TimerInfo> registeredTimers(QObject *object) const override;
    int remainingTime(int timerId) override;

    void wakeUp() override;
    void interrupt() override;
    void startingUp() override;

    // The dispatcher of the calling thread when it is one of these, else null.
    static EpollEventDispatcher *ofCurrentThread();

    // Direct watching, for the proxy's own sockets (FdStream): `watcher` is called with the epoll
    // events (EPOLLIN, EPOLLOUT, EPOLLRDHUP as asked; EPOLLHUP and EPOLLERR always) of `fd` from
    // the loop, with no QSocketNotifier, event object or signal in between. Calling it again
    // changes the events (0: none for now); like notifier changes, the change reaches epoll just
    // before the next wait. An fd is watched directly or through notifiers, never both.
    void watch(int fd, FdWatcher *watcher, std::uint32_t events);
    // Stops watching at once (call it before closing the fd): nothing more reaches the watcher,
    // including events already collected in this pass.
    void unwatch(int fd);

    // How many epoll_ctl calls were made: tests check that toggles within one pass coalesce.
    quint64 interestChanges() const { return m_interestChanges; }

private:
    struct Watch {
        QSocketNotifier *notifiers[3] = {nullptr, nullptr, nullptr};   // QSocketNotifier::Type
        FdWatcher *direct = nullptr;
        std::uint32_t directEvents = 0;
        std::uint32_t generation = 0;   // bumped by unwatch: events collected before are stale
        std::uint32_t armed = 0;   // the events epoll has for this fd
        bool dirty = false;
    };
    struct DirectEvent {
        int fd;
        std::uint32_t generation;
        std::uint32_t events;
    };
    struct Timer {
        QObject *object = nullptr;
        qint64 intervalMs = 0;
        Qt::TimerType type = Qt::CoarseTimer;
        qint64 deadlineNs = 0;
        bool firing = false;
    };

    void markDirty(int fd);
    Watch &watchFor(int fd);
    static std::uint32_t wantedEvents(const Watch &w);
    void applyInterest();
    bool dispatchPending();
    bool fireTimers();
    int waitTimeoutMs() const;
    void drainWakeUps();
    void scheduleTimer(int timerId, Timer &timer, qint64 deadlineNs);

    int m_epoll = -1;
    int m_wakeFd = -1;
    std::atomic<int> m_woken{0};
    std::atomic<bool> m_interrupted{false};
    std::atomic<Qt::HANDLE> m_thread{nullptr};

    std::vector<Watch> m_watches;   // indexed by fd
    std::vector<int> m_dirty;
    QList<QSocketNotifier *> m_pending;   // ready in this pass, not yet activated
    std::vector<DirectEvent> m_pendingDirect;
    quint64 m_interestChanges = 0;

    QHash<int, Timer> m_timers;
    QMultiHash<QObject *, int> m_timersByObject;
    std::set<std::pair<qint64, int>> m_deadlines;   // (deadline, timer id), soonest first
};

} // namespace gh
