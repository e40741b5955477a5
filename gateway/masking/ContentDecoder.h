#pragma once

#include "core/Result.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QtGlobal>

#include <memory>

namespace gh {

// Streaming decompression of a response's Content-Encoding, so the proxy can decompress, mask
// and send identity. gzip (also x-gzip, multi-member) and deflate (zlib-wrapped as RFC 9110 says,
// or raw as some servers send it) through zlib; any other coding is reported unsupported so the
// caller fails closed instead of passing bytes it cannot inspect.
//
// Output is bounded per call: feed() and finish() return at most maxOutputPerCall bytes and
// hasPending() says more is ready without more input (call feed({}) or finish() again). A total
// bound guards against decompression bombs. Corrupt, truncated or trailing data is an error;
// after an error every call returns it again.
class ContentDecoder final {
public:
    enum class Encoding { Identity, Gzip, Deflate };

    static constexpr qsizetype kDefaultMaxOutputPerCall = 256 * 1024;

    // The value of a Content-Encoding header: "", "identity", "gzip", "x-gzip" or "deflate";
    // anything else (br, zstd, compress, a list of codings) is an error naming it.
    static Result<Encoding> encodingFor(QByteArrayView contentEncoding);

    explicit ContentDecoder(Encoding encoding, qsizetype maxOutputPerCall = kDefaultMaxOutputPerCall,
                            qint64 maxTotalOutput = 0 /* 0: unbounded */);
    ~ContentDecoder();
    Q_DISABLE_COPY_MOVE(ContentDecoder)

    Result<QByteArray> feed(QByteArrayView chunk);
    // The input has ended: the rest of the output (bounded as feed()), or an error when the
    // compressed stream stopped short.
    Result<QByteArray> finish();

    bool hasPending() const { return m_pending; }
    Encoding encoding() const { return m_encoding; }
    qint64 totalOut() const { return m_totalOut; }

private:
    struct Stream;
    Result<QByteArray> inflateSome(bool final);
    Error fail(const QString &message);

    Encoding m_encoding;
    qsizetype m_maxOut;
    qint64 m_maxTotal;
    std::unique_ptr<Stream> m_z;
    QByteArray m_in;        // compressed input not yet consumed, from m_inPos
    qsizetype m_inPos = 0;
    qint64 m_totalOut = 0;
    bool m_pending = false;
    bool m_ended = false;   // the (last) compressed member ended
    bool m_failed = false;
    QString m_error;
};

} // namespace gh
