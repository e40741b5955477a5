#include "proxy/HopByHopFilter.h"

namespace gh {

namespace {

bool equalsIgnoringCase(QByteArrayView a, QByteArrayView b)
{
    return a.size() == b.size() && a.compare(b, Qt::CaseInsensitive) == 0;
}

} // namespace

HopByHopFilter::HopByHopFilter(const HttpHeaders &headers)
{
    for (const auto &h : headers) {
        if (!equalsIgnoringCase(h.first, "connection"))
            continue;
        QByteArrayView rest(h.second);
        while (!rest.isEmpty()) {
            const qsizetype comma = rest.indexOf(',');
            const QByteArrayView token = (comma < 0 ? rest : rest.first(comma)).trimmed();
            rest = comma < 0 ? QByteArrayView() : rest.sliced(comma + 1);
            if (!token.isEmpty() && !isAlwaysHopByHop(token) && !equalsIgnoringCase(token, "close"))
                m_named.append(token.toByteArray().toLower());
        }
    }
}

bool HopByHopFilter::isAlwaysHopByHop(QByteArrayView name)
{
    static constexpr QByteArrayView fixed[] = {"connection", "keep-alive", "te", "trailer", "transfer-encoding",
                                               "upgrade"};
    if (name.size() >= 6 && name.first(6).compare("proxy-", Qt::CaseInsensitive) == 0)
        return true;
    for (QByteArrayView f : fixed) {
        if (equalsIgnoringCase(name, f))
            return true;
    }
    return false;
}

bool HopByHopFilter::drops(QByteArrayView name) const
{
    if (isAlwaysHopByHop(name))
        return true;
    for (const QByteArray &n : m_named) {
        if (equalsIgnoringCase(name, n))
            return true;
    }
    return false;
}

} // namespace gh
