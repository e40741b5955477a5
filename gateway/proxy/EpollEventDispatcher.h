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

    // How many epoll_ctl calls were made: tests check that toggles within one pass coalesce.
    quint64 interestChanges() const { return m_interestChanges; }

private:
    struct Watch {
        QSocketNotifier *notifiers[3] = {nullptr, nullptr, nullptr};   // QSocketNotifier::Type
        std::uint32_t armed = 0;   // the events epoll has for this fd
        bool dirty = false;
    };
    struct Timer {
        QObject *object = nullptr;
        qint64 intervalMs = 0;
        Qt::TimerType type = Qt::CoarseTimer;
        qint64 deadlineNs = 0;
        bool firing = false;
    };

    void markDirty(int fd);
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
    quint64 m_interestChanges = 0;

    QHash<int, Timer> m_timers;
    QMultiHash<QObject *, int> m_timersByObject;
    std::set<std::pair<qint64, int>> m_deadlines;   // (deadline, timer id), soonest first
};

} // namespace gh
