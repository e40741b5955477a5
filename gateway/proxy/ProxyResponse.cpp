// The response side of ProxyConnection: the upstream's head and body on their way to the client,
// masked when rules say so, framed, and recorded as the client saw them.
#include "proxy/ProxyConnection.h"
#include "core/ByteWriter.h"

#include "admin/Metrics.h"
#include "proxy/HopByHopFilter.h"
#include "proxy/ProxyContext.h"
#include "proxy/ProxyWire.h"
#include "proxy/ResponseMasker.h"
#include "proxy/RouteTable.h"
#include "recording/Recorder.h"


namespace gh {

using namespace proxywire;

void ProxyConnection::upstreamHead(UpstreamResponseHead &head)
{
    if (m_context.counters.upstreamLatency)
        m_context.counters.upstreamLatency->observe(double(m_sentAt.nsecsElapsed()) / 1e9);
    m_response = Response::Streaming;
    if (!m_keepAlive || m_draining)
        m_closeAfterResponse = true;
    m_masker.reset();
    m_brokenOff = false;
    m_deferredHead.reset();
    const bool masked = m_maskPlan && !head.bodyless && !m_headRequest;
    if (masked && !startMasking(head))
        return;
    if (!m_deferredHead)
        m_stream->write(responseHeadBytes(head, masked, -1));
    m_responseInline = false;
    if (m_session) {
        // By reference: a ternary with a temporary would copy the route's list, a count on bytes
        // every connection shares.
        static const QList<QByteArray> noSecretNames;
        const QList<QByteArray> &secretNames = m_route ? m_route->recordedSecretNames : noSecretNames;
        EventJson headers = headersJsonForRecord(head.headers, secretNames);
        if (m_deferredHead || head.bodyless || (!masked && head.hasContentLength && head.contentLength <= quint64(kInlineBody))) {
            // Small and framed: one event at the end, head and body together.
            m_responseInline = true;
            m_responseStatus = head.status;
            m_responseHeaders = std::move(headers);
            m_responseBody.clear();
            m_responseBody.reserve(qsizetype(qMin<quint64>(head.contentLength, kInlineBody)));
        } else {
            m_session->record(QStringLiteral("http.response"),
                              EventJson()
                                  .addObject(QLatin1StringView("headers"), headers)
                                  .addLatin1(QLatin1StringView("request_id"), m_requestId)
                                  .addNumber(QLatin1StringView("status"), head.status));
        }
    }
}

QByteArray ProxyConnection::responseHeadBytes(const UpstreamResponseHead &head, bool masked, qint64 maskedLength)
{
    QByteArray bytes;
    qsizetype size = 160 + head.reason.size() + m_requestId.size();
    for (const auto &h : head.headers)
        size += h.first.size() + h.second.size() + 4;
    ByteWriter out(bytes, size);
    out.literal("HTTP/1.1 ");
    out.number(head.status);
    out.put(' ');
    if (head.reason.isEmpty())
        out.put(reasonPhrase(head.status));
    else
        out.put(head.reason);
    out.literal("\r\n");
    const HopByHopFilter hop(head.headers);
    bool hasRequestId = false;
    for (const auto &h : head.headers) {
        if (hop.drops(h.first) || is(h.first, "content-length"))
            continue;
        // A masked body is sent decoded, with a length of its own.
        if (masked && is(h.first, "content-encoding"))
            continue;
        hasRequestId = hasRequestId || is(h.first, "x-request-id");
        out.put(h.first);
        out.literal(": ");
        out.put(h.second);
        out.literal("\r\n");
    }
    if (!hasRequestId) {
        out.literal("X-Request-Id: ");
        out.put(m_requestId);
        out.literal("\r\n");
    }
    m_clientChunked = false;
    const bool knownLength = masked ? maskedLength >= 0 : head.hasContentLength;
    if (knownLength) {
        out.literal("Content-Length: ");
        out.unsignedNumber(masked ? quint64(maskedLength) : head.contentLength);
        out.literal("\r\n");
    } else if (!head.bodyless) {
        // Chunked upstream, one that ends its body by closing, or a masked body whose length
        // changes as it streams: chunks to HTTP/1.1 clients.
        if (m_httpMinor >= 1) {
            m_clientChunked = true;
            out.literal("Transfer-Encoding: chunked\r\n");
        } else {
            m_closeAfterResponse = true;
        }
    }
    if (m_closeAfterResponse)
        out.literal("Connection: close\r\n");
    else if (m_httpMinor == 0)
        out.literal("Connection: keep-alive\r\n");
    out.literal("\r\n");
    out.finish();
    return bytes;
}

void ProxyConnection::upstreamBody(const char *data, qsizetype size)
{
    if (m_context.counters.bytesFromUpstreams)
        m_context.counters.bytesFromUpstreams->inc(quint64(size));
    if (!m_masker) {
        writeBody(data, size);
        return;
    }
    auto out = m_masker->feed(QByteArrayView(data, size));
    if (!out) {
        maskFailed(out.error().message);
        return;
    }
    writeBody(out->constData(), out->size());
    if (m_masker->brokenOff()) {
        // Nothing more of this body goes out: end the client's response here and let the upstream
        // go, so an LLM stops generating (and billing) an answer nobody receives.
        if (m_context.counters.maskFailures)
            m_context.counters.maskFailures->inc();
        qWarning("connection %s: a streamed response could not be masked across its events; broken off "
                 "with an error event",
                 qPrintable(m_route ? m_route->connection.name : QString()));
        m_brokenOff = true;
        upstreamComplete(false);
    }
}

void ProxyConnection::writeBody(const char *data, qsizetype size)
{
    if (size <= 0)
        return;
    if (m_clientChunked)
        writeChunk(*m_stream, data, size);
    else
        m_stream->write(data, size);
    m_responseBytes += size;
    if (m_responseInline)
        m_responseBody.append(data, qMin<qsizetype>(size, qsizetype(kInlineBody) - m_responseBody.size()));
    else if (m_session)
        recordBody("http.chunk", data, size, m_responseRecorded);
}

void ProxyConnection::upstreamReadDone()
{
    // Each upstream read goes out now: the first token of a stream must not wait for the next.
    m_stream->flush();
    if (!m_pausedUpstream && m_upstream && m_stream->bytesToWrite() > kHighWater) {
        m_pausedUpstream = true;
        m_upstream->setPaused(true);
    }
}

void ProxyConnection::upstreamComplete(bool reusable)
{
    std::optional<QList<MaskSummary>> masks;
    if (m_masker) {
        auto tail = m_masker->finish();
        if (!tail) {
            maskFailed(tail.error().message);
            return;
        }
        if (m_deferredHead) {
            // Masked whole: the head goes out now, with the masked body's own length.
            m_stream->write(responseHeadBytes(*m_deferredHead, true, tail->size()));
            m_deferredHead.reset();
            m_response = Response::Streaming;
        }
        writeBody(tail->constData(), tail->size());
        masks = m_masker->summary();
        m_masker.reset();
    }
    if (m_clientChunked)
        m_stream->write("0\r\n\r\n", 5);
    m_clientChunked = false;
    m_response = Response::Done;
    if (m_session) {
        if (m_responseInline) {
            m_session->record(QStringLiteral("http.response"),
                              EventJson(m_responseHeaders.json().size() + EventJson::bodyReserve(m_responseBody.size()) + 128)
                                  .addNumber(QLatin1StringView("body_size"), m_responseBytes)
                                  .addObject(QLatin1StringView("headers"), m_responseHeaders)
                                  .addLatin1(QLatin1StringView("request_id"), m_requestId)
                                  .addNumber(QLatin1StringView("status"), m_responseStatus),
                              m_responseBody);
            m_responseInline = false;
            m_responseBody.clear();
        } else {
            recordEnd("http.response.end", m_responseBytes, m_responseRecorded, m_brokenOff);
        }
        if (masks)
            recordMasking(*masks);
        m_session->addBytes(m_bodyBytes, m_responseBytes);
    }
    releaseUpstream(reusable && m_request == Request::Done);
    if (m_request != Request::Done)
        m_closeAfterResponse = true;   // the upstream answered before the body ended
    finishExchange();
}

void ProxyConnection::upstreamFailed(const QString &reason, bool timedOut)
{
    UpstreamConnection *failed = m_upstream;
    const bool retryable = failed && failed->wasReused() && !failed->responseStarted() && !m_hasBody && !timedOut
        && !m_retried && m_response == Response::None;
    releaseUpstream(false);
    if (retryable) {
        // A pooled connection the upstream had closed just now: once more on a fresh one.
        m_retried = true;
        connectUpstream();
        return;
    }
    if (m_context.counters.upstreamErrors)
        m_context.counters.upstreamErrors->inc();
    const QString name = m_route ? m_route->connection.name : QString();
    qWarning("connection %s: upstream failed: %s", qPrintable(name), qPrintable(reason));
    if (m_response != Response::None) {
        if (m_session && m_responseInline) {
            m_session->record(QStringLiteral("http.response"),
                              EventJson()
                                  .addNumber(QLatin1StringView("body_size"), m_responseBytes)
                                  .addObject(QLatin1StringView("headers"), m_responseHeaders)
                                  .addBool(QLatin1StringView("incomplete"), true)
                                  .addLatin1(QLatin1StringView("request_id"), m_requestId)
                                  .addNumber(QLatin1StringView("status"), m_responseStatus),
                              m_responseBody);
            m_responseInline = false;
        }
        closeGracefully();   // cut short: the client sees the body end early
        return;
    }
    if (timedOut && failed && failed->isReady())
        refuse(504, QByteArrayLiteral("upstream_timeout"),
               QStringLiteral("the upstream of connection \"%1\" did not answer in time").arg(name));
    else
        refuse(502, QByteArrayLiteral("upstream_unavailable"),
               QStringLiteral("the upstream of connection \"%1\" is unavailable: %2").arg(name, reason));
}

} // namespace gh
