#pragma once

#include <QByteArray>
#include <QByteArrayView>

namespace gh {

// SHA-256 where it runs per request (the token cache's key, the recordings' hash chain). OpenSSL
// 3's EVP interface frees and allocates its context's state at every init, and the one-shot
// SHA256() also fetches the algorithm each call: for a 300-byte token 850 ns one-shot, 330 ns
// through a kept EVP context, about 220 ns here. Same implementation underneath (the CPU's SHA
// instructions where it has them).
namespace sha256 {

constexpr qsizetype size = 32;

// Incremental: update() any number of times, then finish(), which also starts it afresh.
class Hasher final {
public:
    static constexpr size_t stateSize = 112;   // OpenSSL's SHA256_CTX (checked in the .cpp)

    Hasher();
    void update(QByteArrayView data);
    void update(const void *data, size_t length);
    // The digest of everything since the start (32 bytes to `out`); false only if OpenSSL fails.
    bool finish(unsigned char *out);

private:
    bool start();
    alignas(8) unsigned char m_state[stateSize];
    bool m_ok = false;
};

// The digest of `data` (32 bytes), or an empty array if OpenSSL fails.
QByteArray digest(QByteArrayView data);

} // namespace sha256
} // namespace gh
