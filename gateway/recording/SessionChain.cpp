#include "recording/SessionChain.h"

#include <QtEndian>

#include <openssl/evp.h>

namespace gh {

namespace {

template <typename T>
QByteArray bigEndian(T v)
{
    QByteArray out(sizeof(T), Qt::Uninitialized);
    qToBigEndian(v, out.data());
    return out;
}

bool update(EVP_MD_CTX *ctx, QByteArrayView bytes)
{
    return EVP_DigestUpdate(ctx, bytes.data(), size_t(bytes.size())) == 1;
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
    if (!ctx)
        return {};
    const QByteArray kindBytes = kind.toUtf8();
    QByteArray hash(kHashSize, Qt::Uninitialized);
    unsigned int length = 0;
    const bool ok = EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1
        && update(ctx, m_head)
        && update(ctx, bigEndian(quint64(seq)))
        && update(ctx, bigEndian(quint64(tsUs)))
        && update(ctx, bigEndian(quint32(kindBytes.size())))
        && update(ctx, kindBytes)
        && update(ctx, bigEndian(quint64(data.size())))
        && update(ctx, data)
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
