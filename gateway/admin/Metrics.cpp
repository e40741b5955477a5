#include "admin/Metrics.h"

#include <QDateTime>
#include <QFile>
#include <QMutexLocker>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <iterator>
#include <variant>

#include <unistd.h>

namespace gh {

namespace {

// Taken at static initialisation: close to process start when /proc cannot tell us better.
const double s_loadTime = double(QDateTime::currentMSecsSinceEpoch()) / 1000.0;

QByteArray escapeHelp(const QByteArray &help)
{
    QByteArray out;
    out.reserve(help.size());
    for (char c : help) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

QByteArray labelKey(const MetricLabels &labels)
{
    QByteArray key;
    for (const auto &l : labels)
        key += l.first + '\0' + l.second + '\0';
    return key;
}

QByteArray renderLabels(const MetricLabels &labels, const QByteArray &extraName = {},
                        const QByteArray &extraValue = {})
{
    if (labels.isEmpty() && extraName.isEmpty())
        return {};
    QByteArray out = "{";
    bool first = true;
    for (const auto &l : labels) {
        if (!first)
            out += ',';
        first = false;
        out += l.first + "=\"" + Metrics::escapeLabelValue(l.second) + '"';
    }
    if (!extraName.isEmpty()) {
        if (!first)
            out += ',';
        out += extraName + "=\"" + extraValue + '"';
    }
    out += '}';
    return out;
}

} // namespace

// ---- Histogram --------------------------------------------------------------------------

int metrics::nextStripe()
{
    static std::atomic<int> next{0};
    return next.fetch_add(1, std::memory_order_relaxed) % kStripes;
}

Histogram::Histogram(QList<double> upperBounds)
{
    upperBounds.removeIf([](double b) { return std::isnan(b) || std::isinf(b); });
    std::sort(upperBounds.begin(), upperBounds.end());
    upperBounds.erase(std::unique(upperBounds.begin(), upperBounds.end()), upperBounds.end());
    m_bounds = std::move(upperBounds);
    constexpr qsizetype perLine = qsizetype(std::size(Line{}.counts));
    m_linesPerStripe = (m_bounds.size() + 1 + perLine - 1) / perLine;
    m_lines = std::vector<Line>(size_t(m_linesPerStripe * metrics::kStripes));
    for (Line &line : m_lines)
        for (std::atomic<quint64> &c : line.counts)
            c.store(0, std::memory_order_relaxed);
}

void Histogram::observe(double v)
{
    // Buckets are "less than or equal": the first bound >= v takes it.
    const auto it = std::lower_bound(m_bounds.cbegin(), m_bounds.cend(), v);
    const qsizetype index = it - m_bounds.cbegin();
    const int stripe = metrics::stripe();
    constexpr qsizetype perLine = qsizetype(std::size(Line{}.counts));
    Line &line = m_lines[size_t(stripe * m_linesPerStripe + index / perLine)];
    line.counts[index % perLine].fetch_add(1, std::memory_order_relaxed);
    m_sums[stripe].value.fetch_add(v, std::memory_order_relaxed);
}

std::vector<quint64> Histogram::bucketCounts() const
{
    constexpr qsizetype perLine = qsizetype(std::size(Line{}.counts));
    std::vector<quint64> out(size_t(m_bounds.size()) + 1);
    for (int stripe = 0; stripe < metrics::kStripes; ++stripe)
        for (size_t i = 0; i < out.size(); ++i)
            out[i] += m_lines[size_t(stripe * m_linesPerStripe + qsizetype(i) / perLine)]
                          .counts[qsizetype(i) % perLine]
                          .load(std::memory_order_relaxed);
    return out;
}

double Histogram::sum() const
{
    double total = 0;
    for (const Sum &s : m_sums)
        total += s.value.load(std::memory_order_relaxed);
    return total;
}

QList<double> Histogram::defaultLatencyBuckets()
{
    return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

// ---- Metrics ----------------------------------------------------------------------------

struct Metrics::Family {
    struct Child {
        MetricLabels labels;
        std::variant<std::unique_ptr<Counter>, std::unique_ptr<Gauge>, std::unique_ptr<Histogram>,
                     std::function<double()>> metric;
    };
    QByteArray name;
    QByteArray help;
    Type type;
    std::map<QByteArray, Child> children;   // by label key, in a stable order
};

Metrics::Metrics() = default;
Metrics::~Metrics() = default;

bool Metrics::isValidMetricName(const QByteArray &name)
{
    if (name.isEmpty())
        return false;
    for (qsizetype i = 0; i < name.size(); ++i) {
        const char c = name.at(i);
        const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
        if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
            return false;
    }
    return true;
}

bool Metrics::isValidLabelName(const QByteArray &name)
{
    if (name.isEmpty() || name.startsWith("__") || name == "le")
        return false;
    for (qsizetype i = 0; i < name.size(); ++i) {
        const char c = name.at(i);
        const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
            return false;
    }
    return true;
}

QByteArray Metrics::escapeLabelValue(const QByteArray &value)
{
    QByteArray out;
    out.reserve(value.size());
    for (char c : value) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

QByteArray Metrics::formatValue(double v)
{
    if (std::isnan(v))
        return QByteArrayLiteral("NaN");
    if (std::isinf(v))
        return v > 0 ? QByteArrayLiteral("+Inf") : QByteArrayLiteral("-Inf");
    char buf[64];
    // Shortest text that reads back to the same double: 0.1 stays "0.1".
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return QByteArray(buf, qsizetype(r.ptr - buf));
}

Metrics::Family *Metrics::family(const QByteArray &name, const QByteArray &help, Type type,
                                 const MetricLabels &labels)
{
    if (!isValidMetricName(name)) {
        qWarning("metrics: invalid metric name \"%s\"", name.constData());
        return nullptr;
    }
    for (const auto &l : labels) {
        if (!isValidLabelName(l.first)) {
            qWarning("metrics: invalid label name \"%s\" on %s", l.first.constData(), name.constData());
            return nullptr;
        }
    }
    auto it = m_families.find(name);
    if (it == m_families.end()) {
        auto f = std::make_unique<Family>();
        f->name = name;
        f->help = help;
        f->type = type;
        it = m_families.emplace(name, std::move(f)).first;
    } else if (it->second->type != type) {
        qWarning("metrics: \"%s\" is already registered with another type", name.constData());
        return nullptr;
    }
    return it->second.get();
}

Counter &Metrics::counter(const QByteArray &name, const QByteArray &help, const MetricLabels &labels)
{
    QMutexLocker lock(&m_mutex);
    if (Family *f = family(name, help, Type::Counter, labels)) {
        auto &child = f->children[labelKey(labels)];
        if (auto *c = std::get_if<std::unique_ptr<Counter>>(&child.metric); c && *c)
            return **c;
        child.labels = labels;
        child.metric = std::make_unique<Counter>();
        return *std::get<std::unique_ptr<Counter>>(child.metric);
    }
    m_strayCounters.push_back(std::make_unique<Counter>());
    return *m_strayCounters.back();
}

Gauge &Metrics::gauge(const QByteArray &name, const QByteArray &help, const MetricLabels &labels)
{
    QMutexLocker lock(&m_mutex);
    if (Family *f = family(name, help, Type::Gauge, labels)) {
        auto &child = f->children[labelKey(labels)];
        if (auto *g = std::get_if<std::unique_ptr<Gauge>>(&child.metric); g && *g)
            return **g;
        if (child.metric.index() == 0 && !std::get<0>(child.metric)) {   // fresh child
            child.labels = labels;
            child.metric = std::make_unique<Gauge>();
            return *std::get<std::unique_ptr<Gauge>>(child.metric);
        }
        qWarning("metrics: \"%s\" with these labels is a callback gauge", name.constData());
    }
    m_strayGauges.push_back(std::make_unique<Gauge>());
    return *m_strayGauges.back();
}

Histogram &Metrics::histogram(const QByteArray &name, const QByteArray &help, const QList<double> &upperBounds,
                              const MetricLabels &labels)
{
    QMutexLocker lock(&m_mutex);
    if (Family *f = family(name, help, Type::Histogram, labels)) {
        auto &child = f->children[labelKey(labels)];
        if (auto *h = std::get_if<std::unique_ptr<Histogram>>(&child.metric); h && *h)
            return **h;
        child.labels = labels;
        child.metric = std::make_unique<Histogram>(upperBounds);
        return *std::get<std::unique_ptr<Histogram>>(child.metric);
    }
    m_strayHistograms.push_back(std::make_unique<Histogram>(upperBounds));
    return *m_strayHistograms.back();
}

void Metrics::gaugeCallback(const QByteArray &name, const QByteArray &help, std::function<double()> read,
                            const MetricLabels &labels)
{
    QMutexLocker lock(&m_mutex);
    if (Family *f = family(name, help, Type::Gauge, labels)) {
        auto &child = f->children[labelKey(labels)];
        child.labels = labels;
        child.metric = std::move(read);
    }
}

QByteArray Metrics::renderPrometheus() const
{
    QMutexLocker lock(&m_mutex);
    QByteArray out;
    out.reserve(4096);
    for (const auto &[name, f] : m_families) {
        if (f->children.empty())
            continue;
        out += "# HELP " + name + ' ' + escapeHelp(f->help) + '\n';
        out += "# TYPE " + name + ' '
            + (f->type == Type::Counter ? "counter" : f->type == Type::Gauge ? "gauge" : "histogram") + '\n';
        for (const auto &[key, child] : f->children) {
            const QByteArray labels = renderLabels(child.labels);
            if (const auto *c = std::get_if<std::unique_ptr<Counter>>(&child.metric); c && *c) {
                out += name + labels + ' ' + QByteArray::number((*c)->value()) + '\n';
            } else if (const auto *g = std::get_if<std::unique_ptr<Gauge>>(&child.metric); g && *g) {
                out += name + labels + ' ' + formatValue((*g)->value()) + '\n';
            } else if (const auto *fn = std::get_if<std::function<double()>>(&child.metric); fn && *fn) {
                out += name + labels + ' ' + formatValue((*fn)()) + '\n';
            } else if (const auto *h = std::get_if<std::unique_ptr<Histogram>>(&child.metric); h && *h) {
                const auto counts = (*h)->bucketCounts();
                const auto &bounds = (*h)->upperBounds();
                quint64 cumulative = 0;
                for (size_t i = 0; i < counts.size(); ++i) {
                    cumulative += counts[i];
                    const QByteArray le = i < size_t(bounds.size()) ? formatValue(bounds[qsizetype(i)]) : QByteArrayLiteral("+Inf");
                    out += name + "_bucket" + renderLabels(child.labels, "le", le) + ' ' + QByteArray::number(cumulative) + '\n';
                }
                out += name + "_sum" + labels + ' ' + formatValue((*h)->sum()) + '\n';
                // The +Inf bucket and _count must agree; both come from the same snapshot.
                out += name + "_count" + labels + ' ' + QByteArray::number(cumulative) + '\n';
            }
        }
    }
    return out;
}

void Metrics::registerProcessMetrics()
{
    gaugeCallback("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
                  [] { return ProcessInfo::startTimeSeconds(); });
    gaugeCallback("process_resident_memory_bytes", "Resident memory size in bytes.",
                  [] { return double(ProcessInfo::residentMemoryBytes()); });
}

// ---- ProcessInfo ------------------------------------------------------------------------

double ProcessInfo::startTimeSeconds()
{
    static const double start = [] {
        // /proc/self/stat field 22 is the start in clock ticks after boot; /proc/stat has the boot time.
        QFile stat(QStringLiteral("/proc/self/stat"));
        QFile sys(QStringLiteral("/proc/stat"));
        if (!stat.open(QIODevice::ReadOnly) || !sys.open(QIODevice::ReadOnly))
            return s_loadTime;
        const QByteArray s = stat.readAll();
        const qsizetype paren = s.lastIndexOf(')');   // the command name may hold spaces
        if (paren < 0)
            return s_loadTime;
        const QList<QByteArray> fields = s.mid(paren + 2).split(' ');
        // fields[0] is field 3 (state); field 22 is fields[19].
        if (fields.size() < 20)
            return s_loadTime;
        bool ok = false;
        const double ticks = fields[19].toDouble(&ok);
        if (!ok)
            return s_loadTime;
        double boot = -1;
        for (const QByteArray &line : sys.readAll().split('\n')) {
            if (line.startsWith("btime "))
                boot = line.mid(6).trimmed().toDouble(&ok);
        }
        const long hz = sysconf(_SC_CLK_TCK);
        if (boot < 0 || !ok || hz <= 0)
            return s_loadTime;
        return boot + ticks / double(hz);
    }();
    return start;
}

qint64 ProcessInfo::residentMemoryBytes()
{
    QFile f(QStringLiteral("/proc/self/statm"));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QList<QByteArray> fields = f.readAll().trimmed().split(' ');
    if (fields.size() < 2)
        return -1;
    bool ok = false;
    const qint64 pages = fields[1].toLongLong(&ok);
    if (!ok)
        return -1;
    return pages * qint64(sysconf(_SC_PAGESIZE));
}

} // namespace gh
