#include "proxy/LazyTimer.h"

#include <time.h>

namespace gh {

LazyTimer::LazyTimer(QObject *parent) : QObject(parent)
{
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &LazyTimer::onFire);
}

qint64 LazyTimer::tickMs()
{
    static const qint64 tick = [] {
        timespec res{};
        if (::clock_getres(CLOCK_MONOTONIC_COARSE, &res) != 0)
            return qint64(10);
        return qint64(res.tv_sec) * 1000 + (res.tv_nsec + 999'999) / 1'000'000;
    }();
    return tick;
}

qint64 LazyTimer::nowMs()
{
    // Read several times per request: the coarse clock is a load from the vDSO's page (5 ns here,
    // against 27 for CLOCK_MONOTONIC), up to one tick (4 ms here) behind. Never 0, which means
    // "stopped".
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    return qint64(now.tv_sec) * 1000 + now.tv_nsec / 1'000'000 + 1;
}

void LazyTimer::start(int ms)
{
    // A tick more: the clock read now may be a tick behind, the one that ends it may not, and a
    // timeout must never come early. At most a tick late, which for these timeouts (seconds) is
    // nothing.
    const qint64 now = nowMs();
    m_deadlineMs = now + std::max(ms, 0) + tickMs();
    if (m_firesAtMs == 0 || m_firesAtMs > m_deadlineMs) {   // only an earlier deadline re-registers
        m_timer.start(int(m_deadlineMs - now));
        m_firesAtMs = m_deadlineMs;
    }
}

void LazyTimer::onFire()
{
    m_firesAtMs = 0;
    if (m_deadlineMs == 0)
        return;
    const qint64 now = nowMs();
    if (now < m_deadlineMs) {
        m_timer.start(int(m_deadlineMs - now));
        m_firesAtMs = m_deadlineMs;
        return;
    }
    m_deadlineMs = 0;
    Q_EMIT timeout();
}

} // namespace gh
