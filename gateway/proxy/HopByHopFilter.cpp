#include "proxy/HopByHopFilter.h"

#include "core/AsciiCase.h"

namespace gh {

HopByHopFilter::HopByHopFilter(const HttpHeaders &headers)
{
    for (const auto &h : headers) {
        if (!equalsIgnoringAsciiCase(h.first, "connection"))
            continue;
        QByteArrayView rest(h.second);
        while (!rest.isEmpty()) {
            const qsizetype comma = rest.indexOf(',');
            const QByteArrayView token = (comma < 0 ? rest : rest.first(comma)).trimmed();
            rest = comma < 0 ? QByteArrayView() : rest.sliced(comma + 1);
            if (!token.isEmpty() && !isAlwaysHopByHop(token) && !equalsIgnoringAsciiCase(token, "close"))
                m_named.append(token.toByteArray().toLower());
        }
    }
}

bool HopByHopFilter::isAlwaysHopByHop(QByteArrayView name)
{
    static constexpr QByteArrayView fixed[] = {"connection", "keep-alive", "te", "trailer", "transfer-encoding",
                                               "upgrade"};
    if (startsWithIgnoringAsciiCase(name, "proxy-"))
        return true;
    for (QByteArrayView f : fixed) {
        if (equalsIgnoringAsciiCase(name, f))
            return true;
    }
    return false;
}

bool HopByHopFilter::drops(QByteArrayView name) const
{
    if (isAlwaysHopByHop(name))
        return true;
    for (const QByteArray &n : m_named) {
        if (equalsIgnoringAsciiCase(name, n))
            return true;
    }
    return false;
}

} // namespace gh
