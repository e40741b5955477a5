#include "proxy/ProxyConnection.h"

#include "admin/GracefulClose.h"
#include "admin/Metrics.h"
#include "approvals/ApprovalBroker.h"
#include "core/ByteWriter.h"
#include "identity/Authenticator.h"
#include "proxy/HopByHopFilter.h"
#include "proxy/ProxyContext.h"
#include "proxy/ProxyWire.h"
#include "proxy/ProxyWorker.h"
#include "proxy/ResponseMasker.h"
#include "proxy/RouteTable.h"
#include "recording/Recorder.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>

namespace gh {

using namespace proxywire;

void writeChunkSize(ByteStream &stream, qsizetype size)
{
    char buf[24];
    int n = 0;
    char digits[16];
    int d = 0;
    quint64 v = quint64(size);
    do {
        digits[d++] = "0123456789abcdef"[v & 0xf];
        v >>= 4;
    } while (v);
    while (d)
        buf[n++] = digits[--d];
    buf[n++] = '\r';
    buf[n++] = '\n';
    stream.write(buf, n);
}

void writeChunk(ByteStream &stream, const char *data, qsizetype size)
{
    if (size <= 0)
        return;
    writeChunkSize(stream, size);
    stream.write(data, size);
    stream.write("\r\n", 2);
}

namespace {

int timerMs(std::chrono::milliseconds d)
{
    return int(std::clamp<qint64>(d.count(), 1, std::numeric_limits<int>::max()));
}

} // namespace

ProxyConnection::ProxyConnection(std::unique_ptr<ByteStream> stream, ProxyWorker *worker, const ProxyContext &context)
    : QObject(worker), m_stream(std::move(stream)), m_worker(worker), m_context(context)
{
    m_stream->setHandler(this);
    QHostAddress peer = m_stream->peerAddress();
    bool v4 = false;
    const quint32 ip4 = peer.toIPv4Address(&v4);
    if (v4)
        peer = QHostAddress(ip4);
    m_peerText = peer.toString().toLatin1();
    m_proto = m_stream->isEncrypted() ? QByteArrayLiteral("https") : QByteArrayLiteral("http");
    http_parser_init(&m_parser, HTTP_REQUEST);
    m_parser.data = this;
    m_in.reserve(kReadSlice);

    connect(&m_timer, &LazyTimer::timeout, this, &ProxyConnection::onTimeout);
    if (m_context.counters.clientConnections)
        m_context.counters.clientConnections->inc();
    armTimer(m_context.options.headerTimeout);
}

ProxyConnection::~ProxyConnection()
{
    endSession();
    releaseUpstream(false);
    if (m_context.counters.clientConnections)
        m_context.counters.clientConnections->dec();
}

const http_parser_settings &ProxyConnection::settings()
{
    static const http_parser_settings s = [] {
        http_parser_settings st;
        http_parser_settings_init(&st);
        st.on_message_begin = &ProxyConnection::onMessageBegin;
        st.on_url = &ProxyConnection::onUrl;
        st.on_header_field = &ProxyConnection::onHeaderField;
        st.on_header_value = &ProxyConnection::onHeaderValue;
        st.on_headers_complete = &ProxyConnection::onHeadersComplete;
        st.on_body = &ProxyConnection::onBody;
        st.on_message_complete = &ProxyConnection::onMessageComplete;
        return st;
    }();
    return s;
}

void ProxyConnection::armTimer(std::chrono::milliseconds timeout)
{
    m_timer.start(timerMs(timeout));
}

// ---- request parsing ----------------------------------------------------------------------

int ProxyConnection::onMessageBegin(http_parser *p)
{
    auto *self = static_cast<ProxyConnection *>(p->data);
    self->m_url.clear();
    self->m_headers.clear();
    self->m_lastWasValue = false;
    self->m_valueAtChunkEnd = false;
    self->m_obsFold = false;
    self->m_headerBytes = 0;
    self->m_bodyBytes = 0;
    self->m_request = Request::Head;
    self->armTimer(self->m_context.options.headerTimeout);
    return 0;
}

bool ProxyConnection::countHeaderBytes(size_t len)
{
    // + 4 approximates the ": " and CRLF the parser does not hand us.
    m_headerBytes += qsizetype(len) + 4;
    if (m_headerBytes > m_context.options.maxHeaderBytes) {
        m_failStatus = 431;
        m_failCode = QByteArrayLiteral("headers_too_large");
        m_failMessage = QStringLiteral("the request's header block exceeds %1 bytes").arg(m_context.options.maxHeaderBytes);
        return false;
    }
    return true;
}

int ProxyConnection::onUrl(http_parser *p, const char *at, size_t len)
{
    auto *self = static_cast<ProxyConnection *>(p->data);
    if (!self->countHeaderBytes(len))
        return -1;
    self->m_url.append(at, qsizetype(len));
    return 0;
}

int ProxyConnection::onHeaderField(http_parser *p, const char *at, size_t len)
{
    auto *self = static_cast<ProxyConnection *>(p->data);
    if (!self->countHeaderBytes(len))
        return -1;
    addHeaderName(self->m_headers, self->m_lastWasValue, at, len);
    self->m_lastWasValue = false;
    return 0;
}

int ProxyConnection::onHeaderValue(http_parser *p, const char *at, size_t len)
{
    auto *self = static_cast<ProxyConnection *>(p->data);
    if (!self->countHeaderBytes(len))
        return -1;
    if (self->m_headers.isEmpty())
        return -1;
    // http-parser hands a folded continuation line over as a second value piece; a piece that
    // merely continues past the end of the previous read is not one.
    if (self->m_lastWasValue && !self->m_valueAtChunkEnd)
        self->m_obsFold = true;
    addHeaderValue(self->m_headers.last().second, at, len);
    self->m_lastWasValue = true;
    self->m_valueAtChunkEnd = (at + len == self->m_chunkEnd);
    return 0;
}

int ProxyConnection::validateHead()
{
    m_failCode = QByteArrayLiteral("bad_request");
    if (m_obsFold) {
        m_failMessage = QStringLiteral("folded header lines (obs-fold) are refused");
        return 400;
    }
    if (m_parser.http_major != 1) {
        m_failMessage = QStringLiteral("only HTTP/1.x is spoken here");
        return 400;
    }
    if (m_parser.method == HTTP_CONNECT) {
        m_failMessage = QStringLiteral("CONNECT is not supported; address a connection as /<connection>/<path>");
        return 400;
    }
    int contentLengths = 0;
    QByteArray firstLength;
    bool transferEncoding = false;
    for (auto &h : m_headers) {
        proxywire::trimHeaderValue(h.second);
        if (h.first.isEmpty() || !std::all_of(h.first.cbegin(), h.first.cend(), isTokenChar)) {
            m_failMessage = QStringLiteral("invalid header name");
            return 400;
        }
        if (is(h.first, "content-length")) {
            if (contentLengths++ && h.second != firstLength) {
                m_failMessage = QStringLiteral("conflicting Content-Length headers");
                return 400;
            }
            firstLength = h.second;
        } else if (is(h.first, "transfer-encoding")) {
            if (transferEncoding || !is(h.second, "chunked")) {
                m_failMessage = QStringLiteral("unsupported Transfer-Encoding (only a single \"chunked\" is accepted)");
                return 400;
            }
            transferEncoding = true;
        }
    }
    if (contentLengths > 0 && transferEncoding) {
        m_failMessage = QStringLiteral("Content-Length and Transfer-Encoding together are refused");
        return 400;
    }
    auto target = RequestTarget::parse(m_url);
    if (!target) {
        m_failMessage = QStringLiteral("the request target must be /<connection>/<path> without dot segments");
        return 400;
    }
    m_target = std::move(*target);
    m_requestChunked = (m_parser.flags & F_CHUNKED) != 0;
    m_contentLength = (m_parser.flags & F_CONTENTLENGTH) ? m_parser.content_length : 0;
    const qint64 maxBody = m_context.options.maxBodyBytes;
    if (maxBody > 0 && m_contentLength > quint64(maxBody)) {
        m_failCode = QByteArrayLiteral("body_too_large");
        m_failMessage = QStringLiteral("the request body exceeds %1 bytes").arg(maxBody);
        return 413;
    }
    m_hasBody = m_requestChunked || m_contentLength > 0;
    m_method = QByteArray::fromRawData(http_method_str(static_cast<enum http_method>(m_parser.method)),
                                       qsizetype(qstrlen(http_method_str(static_cast<enum http_method>(m_parser.method)))));
    m_headRequest = m_parser.method == HTTP_HEAD;
    m_httpMinor = m_parser.http_minor;
    m_expectContinue = m_httpMinor >= 1 && is(headerValue(m_headers, "expect"), "100-continue");
    m_keepAlive = http_should_keep_alive(&m_parser) != 0;
    return 0;
}

int ProxyConnection::onHeadersComplete(http_parser *p)
{
    auto *self = static_cast<ProxyConnection *>(p->data);
    if (const int status = self->validateHead()) {
        self->m_failStatus = status;
        return -1;
    }
    // Hold the body in the kernel until the request is allowed and its upstream is ready.
    self->m_headReady = true;
    http_parser_pause(p, 1);
    return 0;
}

int ProxyConnection::onBody(http_parser *p, const char *at, size_t len)
{
    auto *self = static_cast<ProxyConnection *>(p->data);
    self->m_bodyBytes += qint64(len);
    const qint64 maxBody = self->m_context.options.maxBodyBytes;
    if (maxBody > 0 && self->m_bodyBytes > maxBody) {
        self->m_failStatus = 413;
        self->m_failCode = QByteArrayLiteral("body_too_large");
        self->m_failMessage = QStringLiteral("the request body exceeds %1 bytes").arg(maxBody);
        return -1;
    }
    if (self->m_scanning) {
        const qint64 bound = self->m_context.options.ruleBodyLimit;
        if (self->m_scanBody.size() + qint64(len) > bound) {
            self->m_failStatus = 413;
            self->m_failCode = QByteArrayLiteral("body_too_large");
            self->m_failMessage = QStringLiteral("rules on this connection inspect request bodies, up to %1 bytes").arg(bound);
            return -1;
        }
        self->m_scanBody.append(at, qsizetype(len));
        return 0;
    }
    if (self->m_upstream)
        self->m_upstream->sendBody(at, qsizetype(len), self->m_requestChunked);
    if (self->m_session && !self->m_requestBodyInline)
        self->recordBody("http.request.body", at, qsizetype(len), self->m_requestRecorded);
    return 0;
}

int ProxyConnection::onMessageComplete(http_parser *p)
{
    auto *self = static_cast<ProxyConnection *>(p->data);
    if (self->m_scanning) {
        self->m_request = Request::Done;
        self->m_keepAlive = self->m_keepAlive && http_should_keep_alive(p) != 0;
        http_parser_pause(p, 1);
        return 0;
    }
    if (self->m_requestChunked && self->m_upstream)
        self->m_upstream->sendBodyEnd();
    if (self->m_session && self->m_hasBody && self->m_route && !self->m_requestBodyInline)
        self->recordEnd("http.request.end", self->m_bodyBytes, self->m_requestRecorded);
    self->m_request = Request::Done;
    self->m_keepAlive = self->m_keepAlive && http_should_keep_alive(p) != 0;
    http_parser_pause(p, 1);
    return 0;
}

// ---- client input -------------------------------------------------------------------------

void ProxyConnection::streamReadable()
{
    if (m_closing || m_closed) {
        if (m_stream->discardInput())   // lingering close: drop what the client still sends
            onClientDisconnected();
        return;
    }
    m_inputReady = true;
    fillInput();
    pump();
    if (m_closed)
        return;
    if (m_inputEnded) {
        // The client closed its side: whatever it sent before was parsed above; nobody is left
        // to answer.
        onClientDisconnected();
        return;
    }
    if (m_inputReady && !m_inputPaused) {
        // m_in is full and the request in flight does not take more now (held, answered, or the
        // upstream is slow): the stream keeps the rest until pump() makes room.
        m_inputPaused = true;
        m_stream->setReadPaused(true);
    }
}

void ProxyConnection::fillInput()
{
    while (m_inputReady && !m_inputEnded) {
        const qint64 room = kReadSlice - m_in.size();
        if (room <= 0)
            return;
        // Read in bounded slices into the same buffer: no allocation per read.
        const qsizetype old = m_in.size();
        m_in.resize(old + room);
        const qint64 n = m_stream->read(m_in.data() + old, room);
        m_in.resize(old + qMax<qint64>(n, 0));
        if (n > 0 && m_context.counters.bytesFromClients)
            m_context.counters.bytesFromClients->inc(quint64(n));
        if (n < 0)
            m_inputEnded = true;
        if (n < room)
            m_inputReady = false;   // all the kernel had: the stream tells us when there is more
    }
}

void ProxyConnection::streamHangUp()
{
    onClientDisconnected();   // gone while its input waited for room
}

void ProxyConnection::streamFailed(const QString &)
{
    onClientDisconnected();
}

void ProxyConnection::pump()
{
    if (m_closing || m_closed)
        return;
    // Held: waiting for auth/upstream; Done: pipelined requests wait until this one is answered.
    if (m_request == Request::Held || m_request == Request::Done)
        return;
    if (m_request == Request::Body) {
        if (m_upstream && m_upstream->bytesToWrite() > kHighWater) {
            m_timer.stop();   // we are the slow side now, not the client
            return;           // upstreamWritable() resumes
        }
        armTimer(m_context.options.headerTimeout);
    }
    if (m_inputPaused) {   // taking input again: the stream offers what it held
        m_inputPaused = false;
        m_stream->setReadPaused(false);
    }
    while (true) {
        fillInput();
        if (m_in.isEmpty())
            break;
        m_failStatus = 0;
        m_chunkEnd = m_in.constData() + m_in.size();
        const size_t parsed = http_parser_execute(&m_parser, &settings(), m_in.constData(), size_t(m_in.size()));
        const auto err = HTTP_PARSER_ERRNO(&m_parser);
        if (m_closing || m_closed)
            return;
        if (err == HPE_PAUSED) {
            http_parser_pause(&m_parser, 0);
            m_in.remove(0, qsizetype(parsed));
            if (m_headReady) {
                m_headReady = false;
                m_request = Request::Held;
                m_timer.stop();
                startRequest();
                return;
            }
            // The request is complete.
            m_timer.stop();
            if (m_scanning) {
                // The whole body is here: it goes upstream with a Content-Length of its own.
                m_scanning = false;
                m_bodyBuffered = true;
                m_requestChunked = false;
                m_contentLength = quint64(m_scanBody.size());
                m_bodyBytes = m_scanBody.size();
                applyPolicy();
                return;
            }
            if (m_response == Response::Done)
                finishExchange();
            return;
        }
        if (err != HPE_OK) {
            const bool forwarded = m_request == Request::Body && m_upstream;
            releaseUpstream(false);
            if (forwarded && m_response != Response::None) {
                closeGracefully();   // the answer is under way; all we can do is stop
            } else if (m_failStatus) {
                refuse(m_failStatus, m_failCode, m_failMessage, true);
            } else if (err == HPE_HEADER_OVERFLOW) {
                refuse(431, QByteArrayLiteral("headers_too_large"), QStringLiteral("the request's header block is too large"), true);
            } else {
                refuse(400, QByteArrayLiteral("bad_request"),
                       QStringLiteral("malformed request: %1").arg(QLatin1String(http_errno_description(err))), true);
            }
            return;
        }
        m_in.remove(0, qsizetype(parsed));
        if (parsed == 0)
            break;
        if (m_request == Request::Body && m_upstream && m_upstream->bytesToWrite() > kHighWater) {
            m_timer.stop();
            return;
        }
    }
    if (m_request == Request::Idle && m_in.isEmpty() && !m_timer.isActive())
        armTimer(m_context.options.idleTimeout);
}

void ProxyConnection::streamWritten()
{
    if (m_pausedUpstream && m_stream->bytesToWrite() <= kLowWater) {
        m_pausedUpstream = false;
        if (m_upstream)
            m_upstream->setPaused(false);
    }
}

void ProxyConnection::upstreamWritable()
{
    if (m_request == Request::Body && m_upstream && m_upstream->bytesToWrite() <= kLowWater)
        pump();
}

// ---- one request ------------------------------------------------------------------------------

void ProxyConnection::startRequest()
{
    const ProxyCounters &counters = m_context.counters;
    if (counters.requests)
        counters.requests->inc();
    m_principal = Principal{};   // each request proves itself
    m_refusalExtra = QJsonObject();
    m_bodyBuffered = false;
    m_scanning = false;
    m_continueSent = false;
    m_scanBody.clear();
    m_requestId = headerValue(m_headers, "x-request-id");
    if (m_requestId.isEmpty() || m_requestId.size() > 128
        || !std::all_of(m_requestId.cbegin(), m_requestId.cend(), isTokenChar))
        m_requestId = m_worker->nextRequestId();

    const QByteArray authorization = headerValue(m_headers, "authorization");
    if (authorization.isEmpty()) {
        refuse(401, QByteArrayLiteral("unauthenticated"),
               QStringLiteral("a token is required: send Authorization: Bearer <token>"));
        return;
    }
    if (authorization.size() < 8 || !is(QByteArrayView(authorization).first(7), "bearer ")) {
        refuse(401, QByteArrayLiteral("unauthenticated"), QStringLiteral("only Bearer tokens are accepted"));
        return;
    }
    // A view: the connection's proven token is compared without a copy; one is made to ask.
    const QByteArrayView presented = QByteArrayView(authorization).sliced(7).trimmed();
    if (!m_provenToken.isEmpty() && presented == m_provenToken && QDateTime::currentMSecsSinceEpoch() < m_provenExpiresMs
        && stillNotRevoked()) {
        m_principal = m_provenPrincipal;
        authorize();
        return;
    }
    m_provenToken.clear();
    // Usually answered at once; a token signed with a key the gateway has not seen yet (an OIDC
    // provider rotated its keys) waits for one JWKS refresh instead of being refused.
    const quint64 serial = ++m_exchangeSerial;
    const quint64 revocations = m_context.auth->revocations();   // before: one during it is seen later
    const QByteArray token = presented.toByteArray();
    m_context.auth->authenticate(token, this, [this, serial, token, revocations](Result<Principal> who) {
        if (serial != m_exchangeSerial || m_closing || m_closed)
            return;
        if (!who) {
            refuse(401, QByteArrayLiteral("unauthenticated"), who.error().message);
            return;
        }
        m_principal = std::move(who).value();
        if (m_principal.expiresAt.isValid()) {
            m_provenToken = token;
            m_provenPrincipal = detached(m_principal);
            m_provenExpiresMs = m_principal.expiresAt.toMSecsSinceEpoch();
            m_provenRevocations = revocations;
        }
        authorize();
    });
}

void ProxyConnection::proceed()
{
    if (m_context.recorder) {
        ensureSession();
        m_requestRecorded = 0;
        m_responseBytes = 0;
        m_responseRecorded = 0;
        // A small body that is already here goes into the request event itself. What the parser
        // has not consumed yet starts at the head's final LF, which it reads again on resume.
        QByteArray body;
        m_requestBodyInline = false;
        if (m_bodyBuffered) {
            body = m_scanBody;
            m_requestBodyInline = true;
        } else if (!m_requestChunked && m_contentLength > 0 && qint64(m_contentLength) <= kInlineBody) {
            const qsizetype skip = m_in.startsWith('\n') ? 1 : 0;
            if (m_in.size() - skip >= qsizetype(m_contentLength)) {
                body = m_in.mid(skip, qsizetype(m_contentLength));
                m_requestBodyInline = true;
            }
        }
        // Members in key order, as the QJsonObject form wrote them; sized for all of them at once.
        const EventJson headers = headersJsonForRecord(m_headers, m_route->recordedSecretNames);
        EventJson data(headers.json().size() + m_upstreamPath.size() * 2 + m_requestId.size()
                       + EventJson::bodyReserve(body.size()) + 128);
        data.addObject(QLatin1StringView("headers"), headers)
            .addLatin1(QLatin1StringView("method"), m_method)
            .addUtf8(QLatin1StringView("path"), m_upstreamPath)
            .addLatin1(QLatin1StringView("request_id"), m_requestId);
        ++m_exchangeSerial;   // what was pending for the exchange before (a held approval) is over
        // Recorded before forwarded (contract §6): the store's journal has the event when this
        // returns, so the request goes upstream without waiting for the database's commit.
        if (Result<qint64> recorded = m_session->recordDurable(QStringLiteral("http.request"), std::move(data), body);
            !recorded) {
            qWarning("connection %s: the request could not be recorded, refusing it: %s",
                     qPrintable(m_route->connection.name), qPrintable(recorded.error().message));
            refuse(503, QByteArrayLiteral("recording_unavailable"),
                   QStringLiteral("the gateway could not record the request, so it was not forwarded"));
            return;
        }
    }
    connectUpstream();
}

void ProxyConnection::connectUpstream()
{
    UpstreamConnection *upstream = m_worker->acquire(*m_route);
    m_upstream = upstream;
    upstream->attach(this);
    if (upstream->isReady())
        forward();
    else
        upstream->open();
}

void ProxyConnection::upstreamReady()
{
    forward();
}

void ProxyConnection::forward()
{
    const std::shared_ptr<CredentialSource> &source = m_route->credential;
    if (!source) {
        m_credential.clear();
        m_credentialSource.reset();
    } else if (source != m_credentialSource || source->readsFiles()) {
        auto value = source->value();
        if (!value) {
            qWarning("connection %s: %s", qPrintable(m_route->connection.name), qPrintable(value.error().message));
            releaseUpstream(true);
            refuse(502, QByteArrayLiteral("upstream_unavailable"),
                   QStringLiteral("the gateway cannot resolve the credential of connection \"%1\"").arg(m_route->connection.name));
            return;
        }
        if (source->readsFiles()) {
            m_credential = *std::move(value);
            m_credentialSource.reset();
        } else {
            // Kept for the connection's next requests, in bytes of its own: copies of the source's
            // would count references on a line the other proxy threads' copies count on too.
            m_credential = QByteArray(value->constData(), value->size());
            m_credentialSource = source;
        }
    }
    m_sentAt.start();
    m_upstream->sendHead(upstreamHeadBytes(m_credential), m_headRequest);
    if (m_bodyBuffered) {
        if (!m_scanBody.isEmpty())
            m_upstream->sendBody(m_scanBody.constData(), m_scanBody.size(), false);
        return;   // the parser consumed the whole request already
    }
    if (m_request != Request::Held)
        return;   // a retry: the body (if any) is on its way already
    m_request = Request::Body;
    if (m_expectContinue && !m_continueSent)
        m_stream->write("HTTP/1.1 100 Continue\r\n\r\n", 25);
    pump();
}

QByteArray ProxyConnection::upstreamHeadBytes(const QByteArray &credential) const
{
    const UpstreamEndpoint &up = m_route->upstream;
    qsizetype size = 256 + m_url.size() + credential.size() + up.hostHeader.size() + m_requestId.size();
    for (const auto &h : m_headers)
        size += h.first.size() + h.second.size() + 4;
    QByteArray bytes;
    ByteWriter head(bytes, size);
    head.put(m_method);
    head.put(' ');
    m_target.putUpstreamTarget(head, up.basePath);
    head.literal(" HTTP/1.1\r\nHost: ");
    head.put(up.hostHeader);
    head.literal("\r\n");
    const HopByHopFilter hop(m_headers);
    for (const auto &h : m_headers) {
        const QByteArrayView name(h.first);
        // Masking needs bodies it can read: identity is asked for (gzip and deflate are decoded
        // when an upstream sends them anyway).
        if (m_maskPlan && is(name, "accept-encoding"))
            continue;
        if (hop.drops(name) || is(name, "host") || is(name, "authorization") || is(name, "expect")
            || is(name, "content-length") || is(name, "x-forwarded-for") || is(name, "x-forwarded-proto")
            || is(name, "x-request-id") || (!m_route->credentialHeader.isEmpty() && is(name, m_route->credentialHeader)))
            continue;
        head.put(h.first);
        head.literal(": ");
        head.put(h.second);
        head.literal("\r\n");
    }
    if (!m_route->credentialHeader.isEmpty()) {
        head.put(m_route->credentialHeader);
        head.literal(": ");
        head.put(credential);
        head.literal("\r\n");
    }
    if (m_maskPlan)
        head.literal("Accept-Encoding: identity\r\n");
    // The gateway is the trust boundary: what a client claims about forwarding is replaced.
    head.literal("X-Forwarded-For: ");
    head.put(m_peerText);
    head.literal("\r\nX-Forwarded-Proto: ");
    head.put(m_proto);
    head.literal("\r\nX-Request-Id: ");
    head.put(m_requestId);
    head.literal("\r\n");
    if (m_requestChunked) {
        head.literal("Transfer-Encoding: chunked\r\n");
    } else if (m_bodyBuffered || m_parser.flags & F_CONTENTLENGTH || m_contentLength > 0) {
        head.literal("Content-Length: ");
        head.unsignedNumber(m_contentLength);
        head.literal("\r\n");
    }
    head.literal("\r\n");
    head.finish();
    return bytes;
}

void ProxyConnection::releaseUpstream(bool reusable)
{
    UpstreamConnection *u = m_upstream;
    m_upstream = nullptr;
    m_pausedUpstream = false;
    if (u)
        m_worker->release(u, reusable);
}

void ProxyConnection::finishExchange()
{
    if (m_closeAfterResponse || !m_keepAlive || m_draining || m_request != Request::Done) {
        closeGracefully();
        return;
    }
    m_stream->flush();
    m_request = Request::Idle;
    m_response = Response::None;
    m_route = nullptr;
    m_routes.reset();
    m_policy = nullptr;
    m_maskPlan.reset();
    m_masker.reset();
    m_deferredHead.reset();
    m_retried = false;
    m_hasBody = false;
    m_requestChunked = false;
    m_contentLength = 0;
    armTimer(m_context.options.idleTimeout);
    // A pipelined request already read is taken up later, not now: we may be deep in an upstream
    // callback. Otherwise the stream's next readable call starts the next request, and nothing is
    // queued per request.
    if (!m_in.isEmpty())
        QMetaObject::invokeMethod(this, &ProxyConnection::pump, Qt::QueuedConnection);
}

void ProxyConnection::refuse(int status, const QByteArray &code, const QString &message, bool close)
{
    const ProxyCounters &c = m_context.counters;
    Counter *counter = nullptr;
    switch (status) {
    case 401: counter = c.refusedUnauthenticated; break;
    case 403:
        counter = code == "denied" ? c.refusedDenied
            : code.startsWith("approval") ? c.refusedApproval
                                           : c.refusedForbidden;
        break;
    case 404: counter = c.refusedNotFound; break;
    case 503: counter = c.refusedRecording; break;
    default:
        if (status >= 400 && status < 500)
            counter = c.refusedBadRequest;
        break;
    }
    if (counter)
        counter->inc();
    recordRefusal(status, code, message);
    // A body we never read cannot be skipped safely: close instead of guessing where it ends.
    sendError(status, code, message, close || (m_request != Request::Done && m_hasBody));
}

void ProxyConnection::sendError(int status, const QByteArray &code, const QString &message, bool close)
{
    if (close || !m_keepAlive || m_draining)
        m_closeAfterResponse = true;
    QJsonObject o = m_refusalExtra;
    o.insert(QStringLiteral("error"), QString::fromLatin1(code));
    o.insert(QStringLiteral("message"), message);
    const QByteArray body = QJsonDocument(o).toJson(QJsonDocument::Compact);
    QByteArray out;
    out.reserve(256 + body.size());
    out += "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status)
        + "\r\nContent-Type: application/json\r\nCache-Control: no-store\r\nContent-Length: "
        + QByteArray::number(body.size()) + "\r\n";
    if (status == 401)
        out += "WWW-Authenticate: Bearer realm=\"gatehouse\"\r\n";
    if (!m_requestId.isEmpty())
        out += "X-Request-Id: " + m_requestId + "\r\n";
    if (m_closeAfterResponse)
        out += "Connection: close\r\n";
    else if (m_httpMinor == 0)
        out += "Connection: keep-alive\r\n";
    out += "\r\n";
    if (!m_headRequest)
        out += body;
    m_stream->write(out);
    m_response = Response::Done;
    if (m_closeAfterResponse) {
        closeGracefully();
        return;
    }
    if (m_request == Request::Done) {
        finishExchange();
    } else {
        // No body follows (else we would close): let the parser reach the end of the request.
        m_request = Request::Body;
        pump();
    }
}

void ProxyConnection::closeGracefully()
{
    if (m_closing || m_closed)
        return;
    m_closing = true;
    releaseUpstream(false);
    m_in.clear();
    if (m_inputPaused) {   // the input is drained from now on, never left to reset the answer
        m_inputPaused = false;
        m_stream->setReadPaused(false);
    }
    m_timer.start(kLingerMs);
    m_stream->closeAfterFlush();
}

void ProxyConnection::drain()
{
    m_draining = true;
    if (m_request == Request::Idle && m_in.isEmpty() && m_stream->bytesAvailable() == 0)
        closeGracefully();
    // Otherwise finishExchange() closes once the exchange in flight is answered.
}

void ProxyConnection::onTimeout()
{
    if (m_closing) {
        onClientDisconnected();
        return;
    }
    switch (m_request) {
    case Request::Idle:
        if (m_in.isEmpty()) {
            onClientDisconnected();   // an idle keep-alive client has nothing in flight
            return;
        }
        [[fallthrough]];
    case Request::Head:
        refuse(408, QByteArrayLiteral("request_timeout"), QStringLiteral("the request did not arrive in time"), true);
        return;
    case Request::Body:
        releaseUpstream(false);
        if (m_response == Response::None)
            refuse(408, QByteArrayLiteral("request_timeout"), QStringLiteral("the request body stopped arriving"), true);
        else
            closeGracefully();
        return;
    case Request::Held:
    case Request::Done:
        return;   // the upstream's own timers are running
    }
}

void ProxyConnection::onClientDisconnected()
{
    if (m_closed)
        return;
    m_closed = true;
    m_timer.stop();
    m_stream->abort();
    releaseUpstream(false);
    if (!m_heldApproval.isEmpty() && m_context.approvals) {
        // Nobody waits for the answer any more: the approvers should not have to decide.
        m_context.approvals->cancel(m_heldApproval, QStringLiteral("the client went away"));
        m_heldApproval.clear();
    }
    Q_EMIT closed(this);
}

} // namespace gh
