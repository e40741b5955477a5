#pragma once

#include <QDateTime>

#include <chrono>

namespace gh {

// The seam through which expiry, token lifetimes and replay timing read the time, so tests
// can drive them with a FakeClock instead of sleeping.
class Clock {
public:
    virtual ~Clock() = default;
    virtual QDateTime now() const = 0;   // always UTC

    static const Clock &system();
};

class SystemClock final : public Clock {
public:
    QDateTime now() const override { return QDateTime::currentDateTimeUtc(); }
};

inline const Clock &Clock::system()
{
    static const SystemClock clock;
    return clock;
}

class FakeClock final : public Clock {
public:
    explicit FakeClock(QDateTime start = QDateTime(QDate(2026, 1, 1), QTime(0, 0), Qt::UTC))
        : m_now(std::move(start)) {}
    QDateTime now() const override { return m_now; }
    void set(const QDateTime &t) { m_now = t.toUTC(); }
    void advance(std::chrono::milliseconds d) { m_now = m_now.addMSecs(d.count()); }

private:
    QDateTime m_now;
};

} // namespace gh
