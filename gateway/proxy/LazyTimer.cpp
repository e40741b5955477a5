#include "proxy/LazyTimer.h"

#include <chrono>

namespace gh {

LazyTimer::LazyTimer(QObject *parent) : QObject(parent)
{
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &LazyTimer::onFire);
}

qint64 LazyTimer::nowMs()
{
    using namespace std::chrono;
    // Never 0, which means "stopped".
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count() + 1;
}

void LazyTimer::start(int ms)
{
    m_deadlineMs = nowMs() + std::max(ms, 0);
    if (m_firesAtMs == 0 || m_firesAtMs > m_deadlineMs) {   // only an earlier deadline re-registers
        m_timer.start(std::max(ms, 0));
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
