#include "recording/BodyCodec.h"

#include <zstd.h>

#include <memory>

namespace gh {

namespace {
// Level 3 is zstd's default: most of the ratio for a fraction of the CPU of higher levels,
// which matters because bodies are compressed on the recording path.
constexpr int compressionLevel = 3;

struct CCtxDeleter {
    void operator()(ZSTD_CCtx *c) const { ZSTD_freeCCtx(c); }
};

// One context per thread, reused: creating one per body would allocate on the hot path.
ZSTD_CCtx *threadContext()
{
    thread_local std::unique_ptr<ZSTD_CCtx, CCtxDeleter> ctx = [] {
        std::unique_ptr<ZSTD_CCtx, CCtxDeleter> c(ZSTD_createCCtx());
        if (c) {
            ZSTD_CCtx_setParameter(c.get(), ZSTD_c_compressionLevel, compressionLevel);
            // The frame checksum turns a flipped bit at rest into an error instead of a
            // silently different body.
            ZSTD_CCtx_setParameter(c.get(), ZSTD_c_checksumFlag, 1);
            ZSTD_CCtx_setParameter(c.get(), ZSTD_c_contentSizeFlag, 1);
        }
        return c;
    }();
    return ctx.get();
}
} // namespace

BodyCodec::Encoded BodyCodec::encode(const QByteArray &raw, qsizetype threshold)
{
    if (raw.size() <= threshold)
        return {Encoding::Identity, raw};
    ZSTD_CCtx *ctx = threadContext();
    if (!ctx)
        return {Encoding::Identity, raw};
    QByteArray out(qsizetype(ZSTD_compressBound(size_t(raw.size()))), Qt::Uninitialized);
    const size_t n = ZSTD_compress2(ctx, out.data(), size_t(out.size()), raw.constData(), size_t(raw.size()));
    if (ZSTD_isError(n) || qsizetype(n) >= raw.size())
        return {Encoding::Identity, raw};   // incompressible: keep it readable as is
    out.truncate(qsizetype(n));
    return {Encoding::Zstd, out};
}

Result<QByteArray> BodyCodec::decode(Encoding encoding, const QByteArray &stored, qint64 maxSize)
{
    if (encoding == Encoding::Identity)
        return stored;
    const unsigned long long size = ZSTD_getFrameContentSize(stored.constData(), size_t(stored.size()));
    if (size == ZSTD_CONTENTSIZE_ERROR)
        return Error(QStringLiteral("stored body is not a valid zstd frame"));
    // encode() always writes the size into the frame; a frame without it was not written by us.
    if (size == ZSTD_CONTENTSIZE_UNKNOWN)
        return Error(QStringLiteral("stored body does not declare its size"));
    if (size > static_cast<unsigned long long>(maxSize))
        return Error(QStringLiteral("stored body would inflate to %1 bytes, more than the %2 allowed")
                         .arg(size)
                         .arg(maxSize));
    QByteArray out(qsizetype(size), Qt::Uninitialized);
    const size_t n = ZSTD_decompress(out.data(), size_t(out.size()), stored.constData(),
                                     size_t(stored.size()));
    if (ZSTD_isError(n))
        return Error(QStringLiteral("stored body cannot be decompressed: %1")
                         .arg(QString::fromUtf8(ZSTD_getErrorName(n))));
    if (n != size)
        return Error(QStringLiteral("stored body is shorter than it declares"));
    return out;
}

QString BodyCodec::encodingName(Encoding e)
{
    return QString::fromLatin1(encodingLiteral(e));
}

const char *BodyCodec::encodingLiteral(Encoding e)
{
    return e == Encoding::Zstd ? "zstd" : "identity";
}

Result<BodyCodec::Encoding> BodyCodec::encodingFromName(const QString &name)
{
    if (name == QLatin1String("identity"))
        return Encoding::Identity;
    if (name == QLatin1String("zstd"))
        return Encoding::Zstd;
    return Error(QStringLiteral("unknown body encoding \"%1\"").arg(name));
}

} // namespace gh
