#include "recording/SessionChain.h"

#include "identity/Sha256.h"

#include <QtEndian>

#include <openssl/evp.h>

#include <cstring>

namespace gh {

namespace {

template <typename T>
QByteArray bigEndian(T v)
{
    QByteArray out(sizeof(T), Qt::Uninitialized);
    qToBigEndian(v, out.data());
    return out;
}

} // namespace

void SessionChain::DigestFree::operator()(void *ctx) const
{
    EVP_MD_CTX_free(static_cast<EVP_MD_CTX *>(ctx));
}

SessionChain::SessionChain() : m_ctx(EVP_MD_CTX_new()) {}

SessionChain::~SessionChain() = default;

QByteArray SessionChain::append(qint64 seq, qint64 tsUs, const QString &kind, QByteArrayView data)
{
    auto *ctx = static_cast<EVP_MD_CTX *>(m_ctx.get());
    const EVP_MD *md = sha256::algorithm();
    if (!ctx || !md)
        return {};
    // The fixed-size fields go through one buffer: one EVP update instead of five, no allocation.
    const QByteArray kindBytes = kind.toUtf8();
    unsigned char fields[kHashSize + 8 + 8 + 4];
    std::memcpy(fields, m_head.constData(), kHashSize);
    qToBigEndian(quint64(seq), fields + kHashSize);
    qToBigEndian(quint64(tsUs), fields + kHashSize + 8);
    qToBigEndian(quint32(kindBytes.size()), fields + kHashSize + 16);
    unsigned char dataSize[8];
    qToBigEndian(quint64(data.size()), dataSize);

    QByteArray hash(kHashSize, Qt::Uninitialized);
    unsigned int length = 0;
    const bool ok = EVP_DigestInit_ex2(ctx, md, nullptr) == 1
        && EVP_DigestUpdate(ctx, fields, sizeof fields) == 1
        && EVP_DigestUpdate(ctx, kindBytes.constData(), size_t(kindBytes.size())) == 1
        && EVP_DigestUpdate(ctx, dataSize, sizeof dataSize) == 1
        && EVP_DigestUpdate(ctx, data.data(), size_t(data.size())) == 1
        && EVP_DigestFinal_ex(ctx, reinterpret_cast<unsigned char *>(hash.data()), &length) == 1
        && length == unsigned(kHashSize);
    if (!ok)
        return {};
    m_head = hash;
    ++m_count;
    return hash;
}

QByteArray SessionChain::headMessage(const QString &sessionId, qint64 eventCount, QByteArrayView head)
{
    const QByteArray id = sessionId.toUtf8();
    QByteArray out = QByteArrayLiteral("gatehouse-session-v1");
    out += bigEndian(quint32(id.size()));
    out += id;
    out += bigEndian(quint64(eventCount));
    out += head;
    return out;
}

} // namespace gh
