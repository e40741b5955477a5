#pragma once

#include <QByteArray>
#include <QList>
#include <QMutex>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <utility>
#include <vector>

namespace gh {

using MetricLabels = QList<std::pair<QByteArray, QByteArray>>;   // name -> value

namespace metrics {
// Counts the proxy threads bump on every request are kept in stripes, one cache line each, a
// thread always adding to the same one: with a single shared atomic the two proxy threads handed
// its line back and forth between their cores a few times a request. Reads add the stripes up.
constexpr int kStripes = 8;
int nextStripe();
inline int stripe()
{
    thread_local int s = -1;
    if (s < 0)
        s = nextStripe();
    return s;
}
} // namespace metrics

// A monotonically increasing count; inc() is a single atomic add, safe from any thread.
class Counter final {
    Q_DISABLE_COPY_MOVE(Counter)
public:
    Counter() = default;
    void inc(quint64 n = 1) { m_stripes[metrics::stripe()].value.fetch_add(n, std::memory_order_relaxed); }
    quint64 value() const
    {
        quint64 total = 0;
        for (const Stripe &s : m_stripes)
            total += s.value.load(std::memory_order_relaxed);
        return total;
    }

private:
    struct alignas(64) Stripe {
        std::atomic<quint64> value{0};
    };
    Stripe m_stripes[metrics::kStripes];
};

// A value that goes up and down; lock-free from any thread.
class Gauge final {
    Q_DISABLE_COPY_MOVE(Gauge)
public:
    Gauge() = default;
    void set(double v) { m_value.store(v, std::memory_order_relaxed); }
    void add(double v) { m_value.fetch_add(v, std::memory_order_relaxed); }
    void inc() { add(1); }
    void dec() { add(-1); }
    double value() const { return m_value.load(std::memory_order_relaxed); }

private:
    std::atomic<double> m_value{0};
};

// Observations counted into fixed upper bounds (plus +Inf); observe() is lock-free.
class Histogram final {
    Q_DISABLE_COPY_MOVE(Histogram)
public:
    explicit Histogram(QList<double> upperBounds);   // sorted, deduplicated, +Inf dropped
    void observe(double v);

    const QList<double> &upperBounds() const { return m_bounds; }
    // Per-bucket counts, not cumulative; the last one is the +Inf bucket.
    std::vector<quint64> bucketCounts() const;
    double sum() const;

    static QList<double> defaultLatencyBuckets();   // seconds, 5 ms .. 10 s

private:
    struct alignas(64) Line {
        std::atomic<quint64> counts[8];
    };
    struct alignas(64) Sum {
        std::atomic<double> value{0};
    };
    QList<double> m_bounds;
    qsizetype m_linesPerStripe = 1;   // each stripe's m_bounds.size() + 1 counts, in whole lines
    std::vector<Line> m_lines;        // metrics::kStripes stripes of m_linesPerStripe lines
    Sum m_sums[metrics::kStripes];
};

// The registry behind GET /metrics. Registration takes a lock; the returned references live as
// long as the registry, so the hot path keeps them and only touches atomics.
class Metrics final {
    Q_DISABLE_COPY_MOVE(Metrics)
public:
    Metrics();
    ~Metrics();

    // Same name and labels: the same object. A name used with another type, or an invalid
    // metric or label name, gets a detached object that is never rendered (and a warning).
    Counter &counter(const QByteArray &name, const QByteArray &help, const MetricLabels &labels = {});
    Gauge &gauge(const QByteArray &name, const QByteArray &help, const MetricLabels &labels = {});
    Histogram &histogram(const QByteArray &name, const QByteArray &help, const QList<double> &upperBounds,
                         const MetricLabels &labels = {});
    // A gauge read when rendering (resident memory, queue lengths owned elsewhere).
    void gaugeCallback(const QByteArray &name, const QByteArray &help, std::function<double()> read,
                       const MetricLabels &labels = {});

    // Prometheus text exposition format 0.0.4.
    QByteArray renderPrometheus() const;
    static QByteArray contentType() { return QByteArrayLiteral("text/plain; version=0.0.4; charset=utf-8"); }

    // process_start_time_seconds, process_resident_memory_bytes.
    void registerProcessMetrics();

    static bool isValidMetricName(const QByteArray &name);
    static bool isValidLabelName(const QByteArray &name);
    static QByteArray escapeLabelValue(const QByteArray &value);
    static QByteArray formatValue(double v);

private:
    enum class Type { Counter, Gauge, Histogram };
    struct Family;
    Family *family(const QByteArray &name, const QByteArray &help, Type type, const MetricLabels &labels);

    mutable QMutex m_mutex;
    std::map<QByteArray, std::unique_ptr<Family>> m_families;   // sorted: stable output
    // Objects handed out for misuse; kept alive, never rendered.
    std::vector<std::unique_ptr<Counter>> m_strayCounters;
    std::vector<std::unique_ptr<Gauge>> m_strayGauges;
    std::vector<std::unique_ptr<Histogram>> m_strayHistograms;
};

// Process figures for the metrics endpoint.
namespace ProcessInfo {
double startTimeSeconds();           // Unix time the process started
qint64 residentMemoryBytes();       // from /proc/self/statm; -1 when unreadable
} // namespace ProcessInfo

} // namespace gh
