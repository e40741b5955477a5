#include "proxy/UpstreamConnection.h"

#include "proxy/ProxyWire.h"

#include <QPointer>
#include <QSslSocket>
#include <QTcpSocket>

#include <algorithm>

namespace gh {

namespace {

// One read from the upstream: what the client is handed at once, and what we buffer at most.
constexpr qint64 kReadSlice = 64 * 1024;

int timerMs(std::chrono::milliseconds d)
{
    return int(std::clamp<qint64>(d.count(), 1, std::numeric_limits<int>::max()));
}

} // namespace

UpstreamConnection::UpstreamConnection(const Route &route, std::chrono::milliseconds connectTimeout,
                                       std::chrono::milliseconds readTimeout, QObject *parent)
    : QObject(parent)
    , m_poolKey(route.upstream.poolKey)
    , m_host(route.upstream.host)
    , m_port(route.upstream.port)
    , m_tls(route.upstream.tls)
    , m_connectTimeout(connectTimeout)
    , m_readTimeout(readTimeout)
{
    if (m_tls) {
        auto *ssl = new QSslSocket(this);
        if (route.tls)
            ssl->setSslConfiguration(*route.tls);
        connect(ssl, &QSslSocket::encrypted, this, &UpstreamConnection::onConnected);
        m_socket = ssl;
    } else {
        m_socket = new QTcpSocket(this);
        connect(m_socket, &QTcpSocket::connected, this, &UpstreamConnection::onConnected);
    }
    m_parser.data = this;
    connect(&m_timer, &LazyTimer::timeout, this, &UpstreamConnection::onTimeout);
    connect(m_socket, &QTcpSocket::readyRead, this, &UpstreamConnection::onReadyRead);
    connect(m_socket, &QTcpSocket::disconnected, this, &UpstreamConnection::onDisconnected);
    connect(m_socket, &QTcpSocket::bytesWritten, this, &UpstreamConnection::onBytesWritten);
    connect(m_socket, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError error) {
        if (error == QAbstractSocket::RemoteHostClosedError)
            return;   // onDisconnected decides: a close may legitimately end the body
        if (!m_ready || m_busy)
            fail(m_socket->errorString());
        else
            Q_EMIT idleLost(this);
    });
}

UpstreamConnection::~UpstreamConnection() = default;

const http_parser_settings &UpstreamConnection::settings()
{
    static const http_parser_settings s = [] {
        http_parser_settings st;
        http_parser_settings_init(&st);
        st.on_status = &UpstreamConnection::onStatus;
        st.on_header_field = &UpstreamConnection::onHeaderField;
        st.on_header_value = &UpstreamConnection::onHeaderValue;
        st.on_headers_complete = &UpstreamConnection::onHeadersComplete;
        st.on_body = &UpstreamConnection::onBody;
        st.on_message_complete = &UpstreamConnection::onMessageComplete;
        return st;
    }();
    return s;
}

void UpstreamConnection::attach(UpstreamListener *listener)
{
    m_listener = listener;
}

void UpstreamConnection::detach()
{
    m_listener = nullptr;
}

void UpstreamConnection::open()
{
    m_timer.start(timerMs(m_connectTimeout));
    if (m_tls)
        static_cast<QSslSocket *>(m_socket)->connectToHostEncrypted(m_host, m_port);
    else
        m_socket->connectToHost(m_host, m_port);
}

void UpstreamConnection::onConnected()
{
    m_ready = true;
    m_timer.stop();
    m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    // Bounded: what the client cannot take yet stays in the kernel, and TCP slows the upstream.
    m_socket->setReadBufferSize(kReadSlice);
    if (m_listener)
        m_listener->upstreamReady();
}

void UpstreamConnection::sendHead(const QByteArray &head, bool headRequest)
{
    http_parser_init(&m_parser, HTTP_RESPONSE);
    m_parser.data = this;
    m_head = UpstreamResponseHead{};
    m_head.headers.reserve(16);
    m_lastWasValue = false;
    m_busy = true;
    m_complete = false;
    m_paused = false;
    m_skipInterim = false;
    m_headRequest = headRequest;
    m_responseBytes = 0;
    ++m_exchanges;
    m_socket->write(head);
    m_socket->flush();   // now, not on the next pass through the event loop
    m_timer.start(timerMs(m_readTimeout));
}

void UpstreamConnection::sendBody(const char *data, qsizetype size, bool chunked)
{
    if (size <= 0)
        return;
    if (chunked)
        writeChunk(m_socket, data, size);
    else
        m_socket->write(data, size);
}

void UpstreamConnection::sendBodyEnd()
{
    m_socket->write("0\r\n\r\n", 5);
}

qint64 UpstreamConnection::bytesToWrite() const
{
    return m_socket->bytesToWrite();
}

void UpstreamConnection::setPaused(bool paused)
{
    if (m_paused == paused)
        return;
    m_paused = paused;
    if (paused) {
        m_timer.stop();   // a slow client is not a silent upstream
        return;
    }
    if (m_busy)
        m_timer.start(timerMs(m_readTimeout));
    // Whatever arrived while paused raises no new readyRead: look now, from the event loop.
    QMetaObject::invokeMethod(this, &UpstreamConnection::onReadyRead, Qt::QueuedConnection);
}

void UpstreamConnection::close()
{
    m_listener = nullptr;
    m_busy = false;
    m_failed = true;
    m_timer.stop();
    m_socket->abort();
    deleteLater();
}

void UpstreamConnection::fail(const QString &reason, bool timedOut)
{
    if (m_failed)
        return;
    m_failed = true;
    m_busy = false;
    m_timer.stop();
    m_socket->abort();
    if (UpstreamListener *l = std::exchange(m_listener, nullptr))
        l->upstreamFailed(reason, timedOut);
    else
        Q_EMIT idleLost(this);
}

void UpstreamConnection::onTimeout()
{
    if (!m_ready)
        fail(QStringLiteral("no connection within %1 ms").arg(m_connectTimeout.count()), true);
    else if (m_busy)
        fail(QStringLiteral("no data for %1 s").arg(m_readTimeout.count() / 1000), true);
}

void UpstreamConnection::onBytesWritten()
{
    if (m_busy && !m_paused)
        m_timer.start(timerMs(m_readTimeout));
    if (m_listener)
        m_listener->upstreamWritable();
}

void UpstreamConnection::onReadyRead()
{
    if (m_failed)
        return;
    if (!m_busy) {
        if (m_socket->bytesAvailable() > 0) {
            // An idle connection has nothing to say; whatever it says makes it unusable.
            m_failed = true;
            m_socket->abort();
            Q_EMIT idleLost(this);
        }
        return;
    }
    QPointer<UpstreamConnection> guard(this);
    char buffer[kReadSlice];
    while (!m_paused && m_busy && m_socket->bytesAvailable() > 0) {
        const qint64 n = m_socket->read(buffer, kReadSlice);
        if (n <= 0)
            break;
        m_timer.start(timerMs(m_readTimeout));
        parse(buffer, qsizetype(n));
        if (!guard || m_failed)
            return;
        if (m_listener)
            m_listener->upstreamReadDone();
        if (!guard)
            return;
    }
    if (m_busy && !m_paused && m_socket->state() != QAbstractSocket::ConnectedState && m_socket->bytesAvailable() == 0)
        onDisconnected();
}

void UpstreamConnection::parse(const char *data, qsizetype size)
{
    m_responseBytes += size;
    const size_t parsed = http_parser_execute(&m_parser, &settings(), data, size_t(size));
    const auto err = HTTP_PARSER_ERRNO(&m_parser);
    if (m_failed)
        return;
    if (err == HPE_PAUSED) {
        // Paused at the end of the response: anything after it was not asked for.
        const bool extra = parsed < size_t(size);
        m_busy = false;
        m_timer.stop();
        const bool reusable = !extra && http_should_keep_alive(&m_parser) != 0
            && m_socket->state() == QAbstractSocket::ConnectedState;
        if (UpstreamListener *l = std::exchange(m_listener, nullptr))
            l->upstreamComplete(reusable);
        return;
    }
    if (err != HPE_OK) {
        fail(QStringLiteral("the upstream sent an invalid HTTP response (%1)")
                 .arg(QLatin1String(http_errno_description(err))));
    }
}

void UpstreamConnection::onDisconnected()
{
    if (m_failed)
        return;
    if (!m_busy) {
        if (m_ready) {
            m_failed = true;
            Q_EMIT idleLost(this);
        }
        return;
    }
    if (m_paused || m_socket->bytesAvailable() > 0)
        return;   // read what is buffered first; onReadyRead comes back here
    // The end of the connection may be the end of a body that had no length.
    http_parser_execute(&m_parser, &settings(), nullptr, 0);
    if (m_failed)
        return;
    if (HTTP_PARSER_ERRNO(&m_parser) == HPE_PAUSED) {
        m_busy = false;
        m_timer.stop();
        if (UpstreamListener *l = std::exchange(m_listener, nullptr))
            l->upstreamComplete(false);
        return;
    }
    fail(m_responseBytes == 0 ? QStringLiteral("the upstream closed the connection without answering")
                              : QStringLiteral("the upstream closed the connection mid-response"));
}

// ---- parser callbacks -------------------------------------------------------------------

int UpstreamConnection::onStatus(http_parser *p, const char *at, size_t len)
{
    auto *self = static_cast<UpstreamConnection *>(p->data);
    if (self->m_head.reason.size() + qsizetype(len) > 1024)
        return -1;
    self->m_head.reason.append(at, qsizetype(len));
    return 0;
}

int UpstreamConnection::onHeaderField(http_parser *p, const char *at, size_t len)
{
    auto *self = static_cast<UpstreamConnection *>(p->data);
    proxywire::addHeaderName(self->m_head.headers, self->m_lastWasValue, at, len);
    self->m_lastWasValue = false;
    return 0;
}

int UpstreamConnection::onHeaderValue(http_parser *p, const char *at, size_t len)
{
    auto *self = static_cast<UpstreamConnection *>(p->data);
    if (self->m_head.headers.isEmpty())
        return -1;
    proxywire::addHeaderValue(self->m_head.headers.last().second, at, len);
    self->m_lastWasValue = true;
    return 0;
}

int UpstreamConnection::onHeadersComplete(http_parser *p)
{
    auto *self = static_cast<UpstreamConnection *>(p->data);
    const int status = int(p->status_code);
    self->m_lastWasValue = false;
    if (status >= 100 && status < 200) {
        if (status == 101)
            return -1;   // we never ask for an upgrade
        // Interim answers (103 Early Hints, an unasked-for 100) are dropped; the final one follows.
        self->m_skipInterim = true;
        self->m_head = UpstreamResponseHead{};
        return 0;
    }
    for (auto &h : self->m_head.headers)
        proxywire::trimHeaderValue(h.second);
    self->m_head.status = status;
    self->m_head.chunked = (p->flags & F_CHUNKED) != 0;
    self->m_head.hasContentLength = (p->flags & F_CONTENTLENGTH) != 0;
    self->m_head.contentLength = self->m_head.hasContentLength ? p->content_length : 0;
    self->m_head.bodyless = self->m_headRequest || status == 204 || status == 304;
    if (self->m_listener)
        self->m_listener->upstreamHead(self->m_head);
    if (self->m_failed)
        return -1;
    return self->m_headRequest ? 1 : 0;
}

int UpstreamConnection::onBody(http_parser *p, const char *at, size_t len)
{
    auto *self = static_cast<UpstreamConnection *>(p->data);
    if (self->m_listener)
        self->m_listener->upstreamBody(at, qsizetype(len));
    return self->m_failed ? -1 : 0;
}

int UpstreamConnection::onMessageComplete(http_parser *p)
{
    auto *self = static_cast<UpstreamConnection *>(p->data);
    if (self->m_skipInterim) {
        self->m_skipInterim = false;
        return 0;
    }
    self->m_complete = true;
    http_parser_pause(p, 1);
    return 0;
}

} // namespace gh
