#include "admin/HttpConnection.h"

#include "admin/GracefulClose.h"
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpSocket>

#include <algorithm>

#include <sys/socket.h>


namespace gh {

namespace {

// Bounds what one connection can make us buffer while its previous request is being handled:
// beyond it the kernel's window pushes back on the client.
constexpr qint64 kSocketReadBuffer = 256 * 1024;
// After an error response, how long we keep reading (and dropping) what the client still
// sends, so that closing does not reset the connection before it read our answer.
constexpr int kLingerMs = 2000;
// Unsent response bytes beyond which we stop reading further pipelined requests.
constexpr qint64 kMaxPendingWrite = 1024 * 1024;

QByteArray errorBody(const QByteArray &code, const QString &message)
{
    const QJsonObject o{{QStringLiteral("error"), QString::fromLatin1(code)},
                        {QStringLiteral("message"), message}};
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

bool isTokenChar(char c)
{
    // RFC 9110 tchar
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || QByteArrayView("!#$%&'*+-.^_`|~").contains(c);
}

bool safeHeader(const std::pair<QByteArray, QByteArray> &h)
{
    if (h.first.isEmpty())
        return false;
    for (char c : h.first) {
        if (!isTokenChar(c))
            return false;
    }
    for (char c : h.second) {
        if (c == '\r' || c == '\n' || c == '\0')
            return false;
    }
    return true;
}

// Headers the framing owns; a handler cannot override them.
bool reservedHeader(const QByteArray &name)
{
    static const char *const reserved[] = {"content-length", "transfer-encoding", "connection",
                                           "cache-control", "content-type", "keep-alive"};
    for (const char *r : reserved) {
        if (QByteArrayView(name).compare(QByteArrayView(r), Qt::CaseInsensitive) == 0)
            return true;
    }
    return false;
}

QByteArray reasonPhrase(int status)
{
    const char *text = http_status_str(static_cast<enum http_status>(status));
    if (!text || qstrcmp(text, "<unknown>") == 0)
        return QByteArrayLiteral("Status");
    return QByteArray(text);
}

} // namespace

HttpConnection::HttpConnection(QTcpSocket *socket, std::shared_ptr<HttpServer::Handler> handler,
                               const HttpServerLimits &limits, QObject *parent)
    : QObject(parent), m_socket(socket), m_handler(std::move(handler)), m_limits(limits)
{
    m_socket->setParent(this);
    m_socket->setReadBufferSize(kSocketReadBuffer);
    m_peer = m_socket->peerAddress();
    m_peerPort = m_socket->peerPort();
    http_parser_init(&m_parser, HTTP_REQUEST);
    m_parser.data = this;

    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &HttpConnection::onTimeout);
    connect(m_socket, &QTcpSocket::readyRead, this, &HttpConnection::onReadyRead);
    connect(m_socket, &QTcpSocket::disconnected, this, &HttpConnection::onDisconnected);
    connect(m_socket, &QTcpSocket::bytesWritten, this, &HttpConnection::onBytesWritten);

    // A new connection gets the header timeout to send its first request.
    armTimer(m_limits.headerTimeout);
    if (m_socket->bytesAvailable() > 0)
        QMetaObject::invokeMethod(this, &HttpConnection::onReadyRead, Qt::QueuedConnection);
}

HttpConnection::~HttpConnection() = default;

const http_parser_settings &HttpConnection::settings()
{
    static const http_parser_settings s = [] {
        http_parser_settings st;
        http_parser_settings_init(&st);
        st.on_message_begin = &HttpConnection::onMessageBegin;
        st.on_url = &HttpConnection::onUrl;
        st.on_header_field = &HttpConnection::onHeaderField;
        st.on_header_value = &HttpConnection::onHeaderValue;
        st.on_headers_complete = &HttpConnection::onHeadersComplete;
        st.on_body = &HttpConnection::onBody;
        st.on_message_complete = &HttpConnection::onMessageComplete;
        return st;
    }();
    return s;
}

void HttpConnection::armTimer(std::chrono::milliseconds timeout)
{
    m_timer.start(int(qMin<qint64>(timeout.count(), std::numeric_limits<int>::max())));
}

// ---- parser callbacks -------------------------------------------------------------------

int HttpConnection::onMessageBegin(http_parser *p)
{
    auto *self = static_cast<HttpConnection *>(p->data);
    self->m_request = HttpRequest{};
    self->m_request.peer = self->m_peer;
    self->m_request.peerPort = self->m_peerPort;
    self->m_url.clear();
    self->m_lastWasValue = false;
    self->m_headerBytes = 0;
    if (self->m_phase == Phase::Idle) {
        self->m_phase = Phase::Headers;
        self->armTimer(self->m_limits.headerTimeout);
    }
    return 0;
}

bool HttpConnection::countHeaderBytes(size_t len)
{
    // + 4 approximates the ": " and CRLF the parser does not hand us.
    m_headerBytes += qsizetype(len) + 4;
    if (m_headerBytes > m_limits.maxHeaderBytes) {
        m_failStatus = 431;
        m_failCode = QByteArrayLiteral("headers_too_large");
        m_failMessage = QStringLiteral("the request's header block exceeds %1 bytes").arg(m_limits.maxHeaderBytes);
        return false;
    }
    return true;
}

int HttpConnection::onUrl(http_parser *p, const char *at, size_t len)
{
    auto *self = static_cast<HttpConnection *>(p->data);
    if (!self->countHeaderBytes(len))
        return -1;
    self->m_url.append(at, qsizetype(len));
    return 0;
}

int HttpConnection::onHeaderField(http_parser *p, const char *at, size_t len)
{
    auto *self = static_cast<HttpConnection *>(p->data);
    if (!self->countHeaderBytes(len))
        return -1;
    // A name may arrive in pieces; a new one starts after a value.
    if (self->m_lastWasValue || self->m_request.headers.isEmpty())
        self->m_request.headers.append({QByteArray(), QByteArray()});
    self->m_request.headers.last().first.append(at, qsizetype(len));
    self->m_lastWasValue = false;
    return 0;
}

int HttpConnection::onHeaderValue(http_parser *p, const char *at, size_t len)
{
    auto *self = static_cast<HttpConnection *>(p->data);
    if (!self->countHeaderBytes(len))
        return -1;
    if (self->m_request.headers.isEmpty())
        return -1;
    self->m_request.headers.last().second.append(at, qsizetype(len));
    self->m_lastWasValue = true;
    return 0;
}

int HttpConnection::validateHead()
{
    // Request smuggling defences, on top of what http-parser already refuses.
    int contentLengths = 0;
    QByteArray firstLength;
    bool transferEncoding = false;
    for (auto &h : m_request.headers) {
        h.second = h.second.trimmed();
        // http-parser is lenient about names ("Bad Header"); proxies in front of us may not be.
        if (h.first.isEmpty() || !std::all_of(h.first.cbegin(), h.first.cend(), isTokenChar)) {
            m_failMessage = QStringLiteral("invalid header name");
            return 400;
        }
        if (h.first.compare("content-length", Qt::CaseInsensitive) == 0) {
            if (contentLengths++ && h.second != firstLength) {
                m_failMessage = QStringLiteral("conflicting Content-Length headers");
                return 400;
            }
            firstLength = h.second;
        } else if (h.first.compare("transfer-encoding", Qt::CaseInsensitive) == 0) {
            if (transferEncoding || h.second.compare("chunked", Qt::CaseInsensitive) != 0) {
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
    if ((m_parser.flags & F_CONTENTLENGTH) && m_parser.content_length > quint64(m_limits.maxBodyBytes)) {
        m_failCode = QByteArrayLiteral("body_too_large");
        m_failMessage = QStringLiteral("the request body exceeds %1 bytes").arg(m_limits.maxBodyBytes);
        return 413;
    }

    http_parser_url u;
    http_parser_url_init(&u);
    if (http_parser_parse_url(m_url.constData(), size_t(m_url.size()), m_parser.method == HTTP_CONNECT, &u) != 0) {
        m_failMessage = QStringLiteral("invalid request target");
        return 400;
    }
    if (u.field_set & (1 << UF_PATH))
        m_request.path = m_url.mid(u.field_data[UF_PATH].off, u.field_data[UF_PATH].len);
    if (m_request.path.isEmpty())
        m_request.path = QByteArrayLiteral("/");
    if (u.field_set & (1 << UF_QUERY)) {
        m_request.rawQuery = m_url.mid(u.field_data[UF_QUERY].off, u.field_data[UF_QUERY].len);
        // '+' means space in form-encoded query strings; QUrlQuery leaves it alone.
        QByteArray q = m_request.rawQuery;
        q.replace('+', "%20");
        m_request.query = QUrlQuery(QString::fromUtf8(q));
    }
    m_request.method = QByteArray(http_method_str(static_cast<enum http_method>(m_parser.method)));
    m_request.httpMinor = m_parser.http_minor;
    return 0;
}

int HttpConnection::onHeadersComplete(http_parser *p)
{
    auto *self = static_cast<HttpConnection *>(p->data);
    self->m_failCode = QByteArrayLiteral("bad_request");
    if (const int status = self->validateHead()) {
        self->m_failStatus = status;
        return -1;
    }
    self->m_phase = Phase::Body;
    self->m_headRequest = (p->method == HTTP_HEAD);
    // From here the header timeout applies to each read of the body.
    self->armTimer(self->m_limits.headerTimeout);
    if (p->http_major == 1 && p->http_minor >= 1
        && self->m_request.header("expect").compare("100-continue", Qt::CaseInsensitive) == 0) {
        self->m_socket->write(QByteArrayLiteral("HTTP/1.1 100 Continue\r\n\r\n"));
    }
    return 0;
}

int HttpConnection::onBody(http_parser *p, const char *at, size_t len)
{
    auto *self = static_cast<HttpConnection *>(p->data);
    if (self->m_request.body.size() + qsizetype(len) > self->m_limits.maxBodyBytes) {
        self->m_failStatus = 413;
        self->m_failCode = QByteArrayLiteral("body_too_large");
        self->m_failMessage = QStringLiteral("the request body exceeds %1 bytes").arg(self->m_limits.maxBodyBytes);
        return -1;
    }
    self->m_request.body.append(at, qsizetype(len));
    return 0;
}

int HttpConnection::onMessageComplete(http_parser *p)
{
    auto *self = static_cast<HttpConnection *>(p->data);
    self->m_requestReady = true;
    self->m_keepAlive = http_should_keep_alive(p) != 0;
    // One request at a time: whatever follows waits in m_buffer until this one is answered.
    http_parser_pause(p, 1);
    return 0;
}

// ---- input ------------------------------------------------------------------------------

void HttpConnection::onReadyRead()
{
    if (m_phase == Phase::Closing || m_phase == Phase::Closed) {
        m_socket->readAll();   // lingering close: drop what the client still sends
        return;
    }
    if (m_phase == Phase::Handling || m_phase == Phase::Streaming)
        return;   // leave it in the socket; read when this response is done
    processInput();
}

void HttpConnection::processInput()
{
    if (m_phase != Phase::Idle && m_phase != Phase::Headers && m_phase != Phase::Body)
        return;
    // A client that pipelines without reading its answers waits until they drain.
    if (m_socket->bytesToWrite() > kMaxPendingWrite) {
        m_waitingForWrite = true;
        return;
    }
    if (m_phase == Phase::Body)
        armTimer(m_limits.headerTimeout);

    while (true) {
        // Read in bounded slices: what is not parsed yet stays in the kernel, not in memory.
        if (m_buffer.size() < kSocketReadBuffer && m_socket->bytesAvailable() > 0)
            m_buffer += m_socket->read(kSocketReadBuffer - m_buffer.size());
        if (m_buffer.isEmpty() || m_requestReady)
            break;
        m_failStatus = 0;
        const size_t parsed = http_parser_execute(&m_parser, &settings(), m_buffer.constData(),
                                                  size_t(m_buffer.size()));
        const auto err = HTTP_PARSER_ERRNO(&m_parser);
        if (err == HPE_PAUSED) {
            http_parser_pause(&m_parser, 0);
            m_buffer.remove(0, qsizetype(parsed));
            if (m_parser.upgrade) {
                // No protocol upgrades here: answer the request, then close.
                m_closeAfterResponse = true;
                m_buffer.clear();
            }
            break;
        }
        if (err != HPE_OK) {
            if (m_failStatus)
                failRequest(m_failStatus, m_failCode, m_failMessage);
            else if (err == HPE_HEADER_OVERFLOW)
                failRequest(431, QByteArrayLiteral("headers_too_large"), QStringLiteral("the request's header block is too large"));
            else
                failRequest(400, QByteArrayLiteral("bad_request"),
                            QStringLiteral("malformed request: %1").arg(QString::fromLatin1(http_errno_description(err))));
            return;
        }
        if (parsed == 0)
            break;   // no progress without an error: wait for more bytes rather than spin
        m_buffer.remove(0, qsizetype(parsed));
    }
    if (m_requestReady) {
        dispatch();
    } else if (m_phase == Phase::Idle && m_buffer.isEmpty() && !m_timer.isActive()) {
        armTimer(m_limits.idleTimeout);
    }
}

void HttpConnection::onBytesWritten()
{
    if (m_phase == Phase::Streaming)
        Q_EMIT written(m_serial);
    if (m_waitingForWrite && m_socket->bytesToWrite() <= kMaxPendingWrite) {
        m_waitingForWrite = false;
        processInput();
    }
}

void HttpConnection::dispatch()
{
    m_requestReady = false;
    m_phase = Phase::Handling;
    m_timer.stop();
    if (!m_keepAlive || m_draining)
        m_closeAfterResponse = true;
    const quint64 serial = ++m_serial;
    HttpResponder responder(this, serial);
    if (m_handler && *m_handler) {
        (*m_handler)(m_request, responder);
    } else {
        responder.sendError(404, QByteArrayLiteral("not_found"), QStringLiteral("no handler"));
    }
}

void HttpConnection::failRequest(int status, const QByteArray &code, const QString &message)
{
    m_closeAfterResponse = true;
    const QByteArray body = errorBody(code, message);
    HttpHeaders none;
    m_socket->write(responseHead(status, QByteArrayLiteral("application/json"), none,
                                 "Content-Length: " + QByteArray::number(body.size()) + "\r\n")
                    + body);
    closeGracefully();
}

void HttpConnection::refuse(int status, const QByteArray &code, const QString &message)
{
    failRequest(status, code, message);
}

// ---- output -----------------------------------------------------------------------------

bool HttpConnection::canRespond(quint64 serial) const
{
    return serial == m_serial && m_phase == Phase::Handling
        && m_socket->state() == QAbstractSocket::ConnectedState;
}

bool HttpConnection::isStreaming(quint64 serial) const
{
    return serial == m_serial && m_phase == Phase::Streaming
        && m_socket->state() == QAbstractSocket::ConnectedState;
}

qint64 HttpConnection::pendingBytes(quint64 serial) const
{
    if (serial != m_serial || m_phase == Phase::Closed)
        return 0;
    return m_socket->bytesToWrite();
}

bool HttpConnection::isClosed() const
{
    return m_phase == Phase::Closed || m_socket->state() != QAbstractSocket::ConnectedState;
}

QByteArray HttpConnection::responseHead(int status, const QByteArray &contentType, const HttpHeaders &extra,
                                        const QByteArray &framing) const
{
    QByteArray head;
    head.reserve(256);
    head += "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) + "\r\n";
    QByteArray type = contentType.isEmpty() ? QByteArrayLiteral("application/octet-stream") : contentType;
    if (!safeHeader({QByteArrayLiteral("Content-Type"), type}))
        type = QByteArrayLiteral("application/octet-stream");
    head += "Content-Type: " + type + "\r\n";
    head += "Cache-Control: no-store\r\n";
    head += framing;
    if (m_closeAfterResponse)
        head += "Connection: close\r\n";
    else if (m_request.httpMinor == 0)
        head += "Connection: keep-alive\r\n";
    for (const auto &h : extra) {
        if (!safeHeader(h) || reservedHeader(h.first)) {
            qWarning("gatehoused: dropped an unsafe or reserved response header");
            continue;
        }
        head += h.first + ": " + h.second + "\r\n";
    }
    head += "\r\n";
    return head;
}

void HttpConnection::sendResponse(quint64 serial, int status, const QByteArray &contentType,
                                  const QByteArray &body, const HttpHeaders &extra)
{
    if (!canRespond(serial))
        return;
    const bool noBody = m_headRequest || status == 204 || status == 304;
    QByteArray framing;
    if (status != 204 && status != 304)
        framing = "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    m_socket->write(responseHead(status, contentType, extra, framing));
    if (!noBody)
        m_socket->write(body);
    finishResponse();
}

void HttpConnection::beginStream(quint64 serial, int status, const QByteArray &contentType, const HttpHeaders &extra)
{
    if (!canRespond(serial))
        return;
    // HTTP/1.0 has no chunked framing: the end of the stream is the end of the connection.
    m_chunked = m_request.httpMinor >= 1;
    if (!m_chunked)
        m_closeAfterResponse = true;
    m_socket->write(responseHead(status, contentType, extra,
                                 m_chunked ? QByteArrayLiteral("Transfer-Encoding: chunked\r\n") : QByteArray()));
    m_phase = Phase::Streaming;
    if (m_headRequest) {
        if (m_chunked)
            m_socket->write("0\r\n\r\n");
        finishResponse();
    }
}

void HttpConnection::writeChunk(quint64 serial, const QByteArray &chunk)
{
    if (!isStreaming(serial) || chunk.isEmpty())
        return;
    if (m_chunked) {
        m_socket->write(QByteArray::number(chunk.size(), 16) + "\r\n");
        m_socket->write(chunk);
        m_socket->write("\r\n");
    } else {
        m_socket->write(chunk);
    }
}

void HttpConnection::endStream(quint64 serial)
{
    if (!isStreaming(serial))
        return;
    if (m_chunked)
        m_socket->write("0\r\n\r\n");
    finishResponse();
}

void HttpConnection::finishResponse()
{
    m_chunked = false;
    m_headRequest = false;
    if (m_closeAfterResponse) {
        closeGracefully();
        return;
    }
    m_phase = Phase::Idle;
    armTimer(m_limits.idleTimeout);
    // Later, not now: the handler that just answered may still be on the stack.
    QMetaObject::invokeMethod(this, &HttpConnection::processInput, Qt::QueuedConnection);
}

void HttpConnection::closeGracefully()
{
    if (m_phase == Phase::Closing || m_phase == Phase::Closed)
        return;
    m_phase = Phase::Closing;
    m_buffer.clear();
    m_timer.start(kLingerMs);
    closeAfterFlush(m_socket, this);
}

void HttpConnection::drain()
{
    m_draining = true;
    switch (m_phase) {
    case Phase::Idle:
        if (m_buffer.isEmpty() && m_socket->bytesAvailable() == 0) {
            m_closeAfterResponse = true;
            closeGracefully();
        } else {
            m_closeAfterResponse = true;   // the request already on its way is answered
        }
        break;
    case Phase::Headers:
    case Phase::Body:
    case Phase::Handling:
        m_closeAfterResponse = true;
        break;
    case Phase::Streaming:
        m_closeAfterResponse = true;
        endStream(m_serial);
        break;
    case Phase::Closing:
    case Phase::Closed:
        break;
    }
}

void HttpConnection::abort()
{
    if (m_phase == Phase::Closed)
        return;
    m_socket->abort();
    if (m_phase != Phase::Closed)
        onDisconnected();
}

void HttpConnection::breakStream(quint64 serial)
{
    if (!isStreaming(serial))
        return;
    const qintptr fd = m_socket->socketDescriptor();
    if (fd >= 0) {
        const linger reset{1, 0};   // close() then sends RST, not FIN
        ::setsockopt(int(fd), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
    }
    abort();
}

void HttpConnection::onTimeout()
{
    switch (m_phase) {
    case Phase::Idle:
        if (m_buffer.isEmpty()) {
            // An idle client has nothing in flight: no reason to linger.
            m_socket->abort();
            if (m_phase != Phase::Closed)
                onDisconnected();
            return;
        }
        [[fallthrough]];
    case Phase::Headers:
    case Phase::Body:
        failRequest(408, QByteArrayLiteral("request_timeout"), QStringLiteral("the request did not arrive in time"));
        return;
    case Phase::Closing:
        abort();
        return;
    case Phase::Handling:
    case Phase::Streaming:
    case Phase::Closed:
        return;
    }
}

void HttpConnection::onDisconnected()
{
    if (m_phase == Phase::Closed)
        return;
    const bool inFlight = m_phase == Phase::Handling || m_phase == Phase::Streaming;
    m_phase = Phase::Closed;
    m_timer.stop();
    if (inFlight)
        Q_EMIT clientGone(m_serial);
    Q_EMIT closed(this);
}

} // namespace gh
