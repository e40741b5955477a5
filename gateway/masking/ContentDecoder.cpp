#include "masking/ContentDecoder.h"

#include <zlib.h>

#include <cstring>

namespace gh {

struct ContentDecoder::Stream {
    z_stream z{};
    bool initialised = false;

    ~Stream()
    {
        if (initialised)
            inflateEnd(&z);
    }
};

Result<ContentDecoder::Encoding> ContentDecoder::encodingFor(QByteArrayView contentEncoding)
{
    const QByteArray v = contentEncoding.trimmed().toByteArray().toLower();
    if (v.isEmpty() || v == "identity")
        return Encoding::Identity;
    if (v == "gzip" || v == "x-gzip")
        return Encoding::Gzip;
    if (v == "deflate")
        return Encoding::Deflate;
    return Error(QStringLiteral("unsupported content encoding \"%1\": only gzip and deflate can be decoded for masking")
                     .arg(QString::fromLatin1(v)));
}

ContentDecoder::ContentDecoder(Encoding encoding, qsizetype maxOutputPerCall, qint64 maxTotalOutput)
    : m_encoding(encoding), m_maxOut(qMax<qsizetype>(maxOutputPerCall, 1)), m_maxTotal(maxTotalOutput),
      m_z(std::make_unique<Stream>())
{
}

ContentDecoder::~ContentDecoder() = default;

Error ContentDecoder::fail(const QString &message)
{
    m_failed = true;
    m_pending = false;
    m_error = message;
    return Error(message);
}

Result<QByteArray> ContentDecoder::feed(QByteArrayView chunk)
{
    if (m_failed)
        return Error(m_error);
    if (m_encoding == Encoding::Identity) {
        m_totalOut += chunk.size();
        if (m_maxTotal > 0 && m_totalOut > m_maxTotal)
            return fail(QStringLiteral("body exceeds %1 bytes").arg(m_maxTotal));
        return chunk.toByteArray();
    }
    if (!chunk.isEmpty()) {
        // Compact consumed input first, so a long stream does not grow the buffer.
        if (m_inPos > 0 && m_inPos >= m_in.size() / 2) {
            m_in.remove(0, m_inPos);
            m_inPos = 0;
        }
        m_in.append(chunk.data(), chunk.size());
    }
    return inflateSome(false);
}

Result<QByteArray> ContentDecoder::finish()
{
    if (m_failed)
        return Error(m_error);
    if (m_encoding == Encoding::Identity)
        return QByteArray();
    return inflateSome(true);
}

Result<QByteArray> ContentDecoder::inflateSome(bool final)
{
    z_stream &z = m_z->z;
    if (!m_z->initialised) {
        const qsizetype avail = m_in.size() - m_inPos;
        int windowBits = 16 + MAX_WBITS; // gzip only
        if (m_encoding == Encoding::Deflate) {
            // "deflate" is meant to be zlib-wrapped (RFC 9110 8.4.1.2), but servers have long
            // sent raw deflate; the zlib header's check bits tell them apart.
            if (avail < 2 && !final)
                return QByteArray();
            const auto b0 = avail > 0 ? static_cast<unsigned char>(m_in[m_inPos]) : 0u;
            const auto b1 = avail > 1 ? static_cast<unsigned char>(m_in[m_inPos + 1]) : 0u;
            const bool zlibHeader = avail >= 2 && (b0 & 0x0F) == 8 && (b0 >> 4) <= 7 && ((b0 << 8) | b1) % 31 == 0;
            windowBits = zlibHeader ? MAX_WBITS : -MAX_WBITS;
        }
        if (inflateInit2(&z, windowBits) != Z_OK)
            return fail(QStringLiteral("cannot initialise zlib"));
        m_z->initialised = true;
    }

    // Start from a guess at the output (deflate rarely gets past 4:1 on text) and grow up to the
    // bound, so a small read does not cost a bound-sized allocation.
    QByteArray out(qMin(m_maxOut, qMax<qsizetype>(4096, 4 * (m_in.size() - m_inPos))), Qt::Uninitialized);
    qsizetype produced = 0;
    m_pending = false;
    while (produced < m_maxOut) {
        if (produced == out.size())
            out.resize(qMin(m_maxOut, 2 * out.size()));
        const qsizetype avail = m_in.size() - m_inPos;
        if (m_ended) {
            if (avail == 0)
                break;
            // Another gzip member may follow (RFC 1952 2.2); anything else after the end is not
            // part of the body we can vouch for.
            if (m_encoding == Encoding::Gzip && (avail < 2 && !final))
                break;
            if (m_encoding == Encoding::Gzip && avail >= 2 && static_cast<unsigned char>(m_in[m_inPos]) == 0x1f
                && static_cast<unsigned char>(m_in[m_inPos + 1]) == 0x8b) {
                inflateReset(&z);
                m_ended = false;
            } else {
                return fail(QStringLiteral("data after the end of the compressed stream"));
            }
        }
        z.next_in = reinterpret_cast<Bytef *>(m_in.data() + m_inPos);
        z.avail_in = uInt(avail);
        z.next_out = reinterpret_cast<Bytef *>(out.data() + produced);
        z.avail_out = uInt(out.size() - produced);
        const int rc = inflate(&z, Z_NO_FLUSH);
        const qsizetype used = avail - qsizetype(z.avail_in);
        const qsizetype made = (out.size() - produced) - qsizetype(z.avail_out);
        m_inPos += used;
        produced += made;
        if (rc == Z_STREAM_END) {
            m_ended = true;
            continue;
        }
        if (rc == Z_BUF_ERROR || (rc == Z_OK && used == 0 && made == 0))
            break; // needs more input (or more room, handled by the loop condition)
        if (rc != Z_OK)
            return fail(QStringLiteral("corrupt %1 data: %2")
                            .arg(m_encoding == Encoding::Gzip ? QStringLiteral("gzip") : QStringLiteral("deflate"),
                                 QString::fromLatin1(z.msg ? z.msg : "zlib error")));
    }
    out.truncate(produced);
    m_totalOut += produced;
    if (m_maxTotal > 0 && m_totalOut > m_maxTotal)
        return fail(QStringLiteral("decompressed body exceeds %1 bytes").arg(m_maxTotal));
    // A full buffer means zlib may hold more output, or input is left: either way call again.
    m_pending = produced == m_maxOut && (!m_ended || m_inPos < m_in.size());
    if (final && !m_pending && !m_ended)
        return fail(QStringLiteral("the compressed body ended early (truncated %1 stream)")
                        .arg(m_encoding == Encoding::Gzip ? QStringLiteral("gzip") : QStringLiteral("deflate")));
    return out;
}

} // namespace gh
