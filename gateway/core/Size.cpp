#include "core/NodeConfig.h"

#include <array>

namespace gh {

namespace {

struct SizeUnit {
    QLatin1String name;
    qint64 bytes;
};

constexpr std::array<SizeUnit, 4> kSizeUnits{{
    {QLatin1String("B"), 1},
    {QLatin1String("KiB"), qint64(1) << 10},
    {QLatin1String("MiB"), qint64(1) << 20},
    {QLatin1String("GiB"), qint64(1) << 30},
}};

Error sizeError(const QString &what, QStringView text)
{
    return Error(QStringLiteral("invalid size \"%1\": %2").arg(text.toString(), what));
}

} // namespace

Result<qint64> parseSize(QStringView text)
{
    if (text.isEmpty())
        return sizeError(QStringLiteral("empty; expected e.g. 0, 512KiB or 64MiB"), text);
    if (text.startsWith(QLatin1Char('-')))
        return sizeError(QStringLiteral("sizes cannot be negative"), text);

    qint64 number = 0;
    qsizetype i = 0;
    while (i < text.size() && text[i] >= QLatin1Char('0') && text[i] <= QLatin1Char('9')) {
        if (__builtin_mul_overflow(number, qint64(10), &number)
            || __builtin_add_overflow(number, qint64(text[i].unicode() - u'0'), &number))
            return sizeError(QStringLiteral("too large"), text);
        ++i;
    }
    if (i == 0)
        return sizeError(QStringLiteral("expected a number, optionally followed by B, KiB, MiB or GiB"), text);
    if (i < text.size() && (text[i] == QLatin1Char('.') || text[i] == QLatin1Char(',')))
        return sizeError(QStringLiteral("fractions are not supported; write 1536KiB rather than 1.5MiB"), text);
    const QStringView unitText = text.mid(i);
    if (unitText.isEmpty())
        return number;
    for (const SizeUnit &u : kSizeUnits) {
        if (unitText == u.name) {
            qint64 bytes = 0;
            if (__builtin_mul_overflow(number, u.bytes, &bytes))
                return sizeError(QStringLiteral("too large"), text);
            return bytes;
        }
    }
    return sizeError(QStringLiteral("unknown unit \"%1\" (use B, KiB, MiB or GiB; 1 KiB = 1024 bytes)")
                         .arg(unitText.toString()),
                     text);
}

} // namespace gh
