#pragma once

#include <QObject>
#include <QTimer>

namespace gh {

// A timeout re-armed on every read and write of a connection without re-registering a timer with
// the event loop each time. QTimer::start() gives its timer id back and takes a new one, and the
// dispatcher re-sorts its timer list: about 5 % of a proxy thread's time at one re-arm per request
// and direction. This keeps one QTimer set for the earliest deadline it was given; when that fires
// and the deadline has moved on, it sleeps again for the rest.
class LazyTimer final : public QObject {
    Q_OBJECT

public:
    explicit LazyTimer(QObject *parent = nullptr);

    // (Re)arms: timeout() comes `ms` milliseconds from now unless start() or stop() comes first.
    void start(int ms);
    void stop() { m_deadlineMs = 0; }
    bool isActive() const { return m_deadlineMs != 0; }

Q_SIGNALS:
    void timeout();

private:
    static qint64 nowMs();    // CLOCK_MONOTONIC_COARSE
    static qint64 tickMs();   // its resolution, rounded up
    void onFire();

    QTimer m_timer;
    qint64 m_deadlineMs = 0;   // monotonic; 0: stopped
    qint64 m_firesAtMs = 0;    // when m_timer goes off; 0: it is not running
};

} // namespace gh
