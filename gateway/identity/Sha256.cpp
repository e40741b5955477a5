#include "identity/Sha256.h"

#include <openssl/evp.h>

#include <memory>

namespace gh::sha256 {

namespace {

struct ContextFree {
    void operator()(EVP_MD_CTX *ctx) const { EVP_MD_CTX_free(ctx); }
};

} // namespace

const EVP_MD *algorithm()
{
    static EVP_MD *const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return md;
}

QByteArray digest(QByteArrayView data)
{
    // One per thread, reset by each EVP_DigestInit_ex2: no allocation per call.
    thread_local const std::unique_ptr<EVP_MD_CTX, ContextFree> ctx(EVP_MD_CTX_new());
    const EVP_MD *md = algorithm();
    if (!ctx || !md)
        return {};
    QByteArray out(size, Qt::Uninitialized);
    unsigned int length = 0;
    if (EVP_DigestInit_ex2(ctx.get(), md, nullptr) != 1 || EVP_DigestUpdate(ctx.get(), data.data(), size_t(data.size())) != 1
        || EVP_DigestFinal_ex(ctx.get(), reinterpret_cast<unsigned char *>(out.data()), &length) != 1 || length != size)
        return {};
    return out;
}

} // namespace gh::sha256
