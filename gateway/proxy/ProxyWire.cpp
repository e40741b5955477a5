#include "proxy/ProxyWire.h"

#include <array>
#include <cstring>

namespace gh::proxywire {

namespace {

// By length, then spelling. QByteArrayLiteral's arrays are static: copies share them with no
// reference count to touch.
struct KnownNames {
    static constexpr qsizetype kLongest = 19;
    std::array<QList<QByteArray>, kLongest + 1> byLength;

    KnownNames()
    {
        const QByteArray names[] = {
            QByteArrayLiteral("Host"), QByteArrayLiteral("host"),
            QByteArrayLiteral("Date"), QByteArrayLiteral("date"),
            QByteArrayLiteral("ETag"), QByteArrayLiteral("etag"),
            QByteArrayLiteral("Vary"), QByteArrayLiteral("vary"),
            QByteArrayLiteral("Accept"), QByteArrayLiteral("accept"),
            QByteArrayLiteral("Server"), QByteArrayLiteral("server"),
            QByteArrayLiteral("Expires"), QByteArrayLiteral("expires"),
            QByteArrayLiteral("Connection"), QByteArrayLiteral("connection"),
            QByteArrayLiteral("Keep-Alive"), QByteArrayLiteral("keep-alive"),
            QByteArrayLiteral("User-Agent"), QByteArrayLiteral("user-agent"),
            QByteArrayLiteral("Content-Type"), QByteArrayLiteral("content-type"),
            QByteArrayLiteral("X-Request-Id"), QByteArrayLiteral("x-request-id"),
            QByteArrayLiteral("Authorization"), QByteArrayLiteral("authorization"),
            QByteArrayLiteral("Cache-Control"), QByteArrayLiteral("cache-control"),
            QByteArrayLiteral("Last-Modified"), QByteArrayLiteral("last-modified"),
            QByteArrayLiteral("Accept-Ranges"), QByteArrayLiteral("accept-ranges"),
            QByteArrayLiteral("Content-Length"), QByteArrayLiteral("content-length"),
            QByteArrayLiteral("Accept-Encoding"), QByteArrayLiteral("accept-encoding"),
            QByteArrayLiteral("X-Forwarded-For"), QByteArrayLiteral("x-forwarded-for"),
            QByteArrayLiteral("Content-Encoding"), QByteArrayLiteral("content-encoding"),
            QByteArrayLiteral("Transfer-Encoding"), QByteArrayLiteral("transfer-encoding"),
            QByteArrayLiteral("X-Forwarded-Proto"), QByteArrayLiteral("x-forwarded-proto"),
            QByteArrayLiteral("Content-Disposition"), QByteArrayLiteral("content-disposition"),
        };
        for (const QByteArray &name : names)
            byLength[std::size_t(name.size())].append(name);
    }
};

} // namespace

QByteArray knownHeaderName(QByteArrayView name)
{
    static const KnownNames known;
    if (name.size() < 4 || name.size() > KnownNames::kLongest)
        return {};
    for (const QByteArray &candidate : known.byLength[std::size_t(name.size())])
        if (std::memcmp(candidate.constData(), name.data(), std::size_t(name.size())) == 0)
            return candidate;
    return {};
}

} // namespace gh::proxywire
