#include "proxy/ProxyWire.h"

#include <cstring>

namespace gh::proxywire {

namespace {

// By length, then spelling. QByteArrayLiteral's arrays are static: copies share them with no
// reference count to touch. Built when the library loads: no guard to check per call.
constexpr qsizetype kShortest = 4;
constexpr qsizetype kLongest = 19;
constexpr int kPerLength = 8;

struct KnownNames {
    QByteArray names[kLongest + 1][kPerLength];
    char firsts[kLongest + 1][kPerLength] = {};   // each name's first byte: tried without touching it
    int count[kLongest + 1] = {};

    KnownNames()
    {
        const QByteArray all[] = {
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
        for (const QByteArray &name : all) {
            const qsizetype n = name.size();
            Q_ASSERT(n >= kShortest && n <= kLongest && count[n] < kPerLength);
            firsts[n][count[n]] = name.front();
            names[n][count[n]++] = name;
        }
    }
};

const KnownNames kKnown;

} // namespace

QByteArray knownHeaderName(QByteArrayView name)
{
    const qsizetype n = name.size();
    if (n < kShortest || n > kLongest)
        return {};
    const char first = name.front();
    for (int i = 0; i < kKnown.count[n]; ++i) {
        if (kKnown.firsts[n][i] != first)
            continue;
        const QByteArray &candidate = kKnown.names[n][i];
        if (std::memcmp(candidate.constData() + 1, name.data() + 1, std::size_t(n - 1)) == 0)
            return candidate;
    }
    return {};
}

} // namespace gh::proxywire
