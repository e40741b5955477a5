#include "proxy/UpstreamConnection.h"

#include "proxy/FdStream.h"
#include "proxy/ProxyWire.h"
#include "proxy/QtSocketStream.h"

#include <QPointer>
#include <QSslSocket>

#include <algorithm>
#include <memory>

namespace gh {

namespace {

// One read from the upstream: what the client is handed at once, and what we buffer at most.
constexpr qint64 kReadSlice = 64 * 1024;

// Where a read from the upstream lands: one buffer per thread rather than 64 KiB of stack per
// call, whose guard-page probes alone cost more than the rest of the read. A nested read (not
// expected) gets a buffer of its own.
class ReadSlice {
    Q_DISABLE_COPY_MOVE(ReadSlice)
public:
    ReadSlice()
    {
        if (t_inUse) {
            m_own = std::make_unique<char[]>(kReadSlice);
            return;
        }
        t_inUse = true;
        if (!t_shared)
            t_shared = std::make_unique<char[]>(kReadSlice);
    }
    ~ReadSlice()
    {
        if (!m_own)
            t_inUse = false;
    }
    char *data() const { return m_own ? m_own.get() : t_shared.get(); }

private:
    static thread_local std::unique_ptr<char[]> t_shared;
    static thread_local bool t_inUse;
    std::unique_ptr<char[]> m_own;
};
thread_local std::unique_ptr<char[]> ReadSlice::t_shared;
thread_local bool ReadSlice::t_inUse = false;

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
        auto *ssl = new QSslSocket;
        if (route.tls)
            ssl->setSslConfiguration(*route.tls);
        // Bounded: what the client cannot take yet stays in the kernel, and TCP slows the upstream.
        m_stream = std::make_unique<QtSocketStream>(ssl, kReadSlice);
    } else {
        m_stream = std::make_unique<FdStream>();
    }
    m_stream->setHandler(this);
    m_parser.data = this;
    connect(&m_timer, &LazyTimer::timeout, this, &UpstreamConnection::onTimeout);
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
    m_stream->connectToHost(m_host, m_port);
}

void UpstreamConnection::streamConnected()
{
    m_ready = true;
    m_timer.stop();
    if (m_listener)
        m_listener->upstreamReady();
}

void UpstreamConnection::streamFailed(const QString &reason)
{
    if (!m_ready || m_busy)
        fail(reason);
    else if (!m_failed) {
        m_failed = true;
        Q_EMIT idleLost(this);
    }
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
    m_stream->write(head);
    m_stream->flush();   // now, not on the next pass through the event loop
    m_timer.start(timerMs(m_readTimeout));
}

void UpstreamConnection::sendBody(const char *data, qsizetype size, bool chunked)
{
    if (size <= 0)
        return;
    if (chunked)
        writeChunk(*m_stream, data, size);
    else
        m_stream->write(data, size);
}

void UpstreamConnection::sendBodyEnd()
{
    m_stream->write("0\r\n\r\n", 5);
}

qint64 UpstreamConnection::bytesToWrite() const
{
    return m_stream->bytesToWrite();
}

void UpstreamConnection::setPaused(bool paused)
{
    if (m_paused == paused)
        return;
    m_paused = paused;
    if (paused) {
        m_timer.stop();   // a slow client is not a silent upstream
        m_stream->setReadPaused(true);
        return;
    }
    m_stream->setReadPaused(false);
    if (m_busy)
        m_timer.start(timerMs(m_readTimeout));
    // The stream offers what arrived meanwhile again, from the event loop.
}

void UpstreamConnection::close()
{
    m_listener = nullptr;
    m_busy = false;
    m_failed = true;
    m_timer.stop();
    m_stream->abort();
    deleteLater();
}

void UpstreamConnection::fail(const QString &reason, bool timedOut)
{
    if (m_failed)
        return;
    m_failed = true;
    m_busy = false;
    m_timer.stop();
    m_stream->abort();
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

void UpstreamConnection::streamWritten()
{
    if (m_busy && !m_paused)
        m_timer.start(timerMs(m_readTimeout));
    if (m_listener)
        m_listener->upstreamWritable();
}

void UpstreamConnection::streamReadable()
{
    if (m_failed)
        return;
    if (!m_busy) {
        // An idle connection has nothing to say; whatever it says (its close included) makes it
        // unusable.
        char probe;
        if (m_stream->read(&probe, 1) != 0) {
            m_failed = true;
            m_stream->abort();
            Q_EMIT idleLost(this);
        }
        return;
    }
    QPointer<UpstreamConnection> guard(this);
    ReadSlice slice;
    char *const buffer = slice.data();
    while (!m_paused && m_busy) {
        const qint64 n = m_stream->read(buffer, kReadSlice);
        if (n == 0)
            break;
        if (n < 0) {
            onEnd();
            return;
        }
        m_timer.start(timerMs(m_readTimeout));
        parse(buffer, qsizetype(n));
        if (!guard || m_failed)
            return;
        if (m_listener)
            m_listener->upstreamReadDone();
        if (!guard)
            return;
        if (n < kReadSlice)
            break;   // what the kernel had: the stream calls again when there is more
    }
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
            && m_stream->isOpen();
        if (UpstreamListener *l = std::exchange(m_listener, nullptr))
            l->upstreamComplete(reusable);
        return;
    }
    if (err != HPE_OK) {
        fail(QStringLiteral("the upstream sent an invalid HTTP response (%1)")
                 .arg(QLatin1String(http_errno_description(err))));
    }
}

void UpstreamConnection::onEnd()
{
    if (m_failed || !m_busy)
        return;
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
