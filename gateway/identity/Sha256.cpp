// SHA256_Init/Update/Final are deprecated in OpenSSL 3 in favour of EVP, whose per-init allocation
// is what this file avoids; they remain part of OpenSSL 3's API.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "identity/Sha256.h"

#include <openssl/sha.h>

namespace gh::sha256 {

static_assert(sizeof(SHA256_CTX) <= Hasher::stateSize && alignof(SHA256_CTX) <= 8);

namespace {

SHA256_CTX *context(unsigned char *state)
{
    return reinterpret_cast<SHA256_CTX *>(state);
}

} // namespace

Hasher::Hasher()
{
    m_ok = start();
}

bool Hasher::start()
{
    return SHA256_Init(context(m_state)) == 1;
}

void Hasher::update(const void *data, size_t length)
{
    if (m_ok && length > 0)
        m_ok = SHA256_Update(context(m_state), data, length) == 1;
}

void Hasher::update(QByteArrayView data)
{
    update(data.data(), size_t(data.size()));
}

bool Hasher::finish(unsigned char *out)
{
    const bool ok = m_ok && SHA256_Final(out, context(m_state)) == 1;
    m_ok = start();
    return ok;
}

QByteArray digest(QByteArrayView data)
{
    Hasher h;
    h.update(data);
    QByteArray out(size, Qt::Uninitialized);
    if (!h.finish(reinterpret_cast<unsigned char *>(out.data())))
        return {};
    return out;
}

} // namespace gh::sha256
