#include "core/NodeConfig.h"

#include <array>
#include <limits>

namespace gh {

namespace {

struct Unit {
    QLatin1String name;
    qint64 ms;
};

// Largest first: formatDuration walks this order and parseDuration insists on it.
constexpr std::array<Unit, 5> kUnits{{
    {QLatin1String("d"), 86400000},
    {QLatin1String("h"), 3600000},
    {QLatin1String("m"), 60000},
    {QLatin1String("s"), 1000},
    {QLatin1String("ms"), 1},
}};

Error durationError(const QString &what, QStringView text)
{
    return Error(QStringLiteral("invalid duration \"%1\": %2").arg(text.toString(), what));
}

} // namespace

Result<std::chrono::milliseconds> parseDuration(QStringView text)
{
    if (text.isEmpty())
        return durationError(QStringLiteral("empty; expected e.g. 30s, 15m or 1h30m"), text);
    if (text.startsWith(QLatin1Char('-')))
        return durationError(QStringLiteral("durations cannot be negative"), text);

    qint64 total = 0;
    qsizetype lastUnit = -1;
    qsizetype i = 0;
    while (i < text.size()) {
        qint64 number = 0;
        const qsizetype digitsStart = i;
        while (i < text.size() && text[i] >= QLatin1Char('0') && text[i] <= QLatin1Char('9')) {
            if (__builtin_mul_overflow(number, qint64(10), &number)
                || __builtin_add_overflow(number, qint64(text[i].unicode() - u'0'), &number))
                return durationError(QStringLiteral("too large"), text);
            ++i;
        }
        if (i == digitsStart)
            return durationError(QStringLiteral("expected a number followed by a unit (ms, s, m, h, d)"), text);
        if (i < text.size() && (text[i] == QLatin1Char('.') || text[i] == QLatin1Char(',')))
            return durationError(QStringLiteral("fractions are not supported; write 1h30m rather than 1.5h"), text);
        const qsizetype unitStart = i;
        while (i < text.size() && text[i].isLetter())
            ++i;
        const QStringView unitText = text.mid(unitStart, i - unitStart);
        qsizetype unitIndex = -1;
        for (qsizetype u = 0; u < qsizetype(kUnits.size()); ++u)
            if (unitText == kUnits[size_t(u)].name)
                unitIndex = u;
        if (unitIndex < 0)
            return durationError(unitText.isEmpty()
                                     ? QStringLiteral("missing unit (ms, s, m, h, d)")
                                     : QStringLiteral("unknown unit \"%1\" (use ms, s, m, h, d)").arg(unitText.toString()),
                                 text);
        if (unitIndex <= lastUnit)
            return durationError(QStringLiteral("units must go from largest to smallest, each once (like 1h30m)"), text);
        lastUnit = unitIndex;
        qint64 part = 0;
        if (__builtin_mul_overflow(number, kUnits[size_t(unitIndex)].ms, &part)
            || __builtin_add_overflow(total, part, &total))
            return durationError(QStringLiteral("too large"), text);
    }
    if (total <= 0)
        return durationError(QStringLiteral("must be greater than zero"), text);
    return std::chrono::milliseconds(total);
}

QString formatDuration(std::chrono::milliseconds d)
{
    qint64 rest = d.count();
    if (rest <= 0)
        return QStringLiteral("0ms");
    QString out;
    for (const Unit &u : kUnits) {
        if (rest >= u.ms) {
            out += QString::number(rest / u.ms) + u.name;
            rest %= u.ms;
        }
    }
    return out;
}

} // namespace gh
