#pragma once

#include "admin/HttpRequest.h"
#include "proxy/ByteStream.h"
#include "proxy/LazyTimer.h"
#include "proxy/RouteTable.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QObject>

#include <http_parser.h>

#include <chrono>
#include <memory>

namespace gh {

// Chunked framing, written straight into a stream's queue without a temporary.
void writeChunkSize(ByteStream &stream, qsizetype size);
void writeChunk(ByteStream &stream, const char *data, qsizetype size);

// How the upstream framed a response's body, as the proxy needs to reframe it for the client.
struct UpstreamResponseHead {
    int status = 0;
    QByteArray reason;
    HttpHeaders headers;
    bool chunked = false;
    bool hasContentLength = false;
    quint64 contentLength = 0;
    bool bodyless = false;   // HEAD, 204, 304: nothing follows the head
};

// The side of a proxied exchange that talks to the upstream. Calls arrive on the worker thread.
class UpstreamListener {
public:
    virtual void upstreamReady() = 0;                                  // connected (TLS done)
    virtual void upstreamHead(UpstreamResponseHead &head) = 0;
    virtual void upstreamBody(const char *data, qsizetype size) = 0;
    virtual void upstreamReadDone() = 0;                               // one read handled: flush
    virtual void upstreamComplete(bool reusable) = 0;                  // the whole response arrived
    virtual void upstreamFailed(const QString &reason, bool timedOut) = 0;
    virtual void upstreamWritable() = 0;                               // its send buffer drained

protected:
    ~UpstreamListener() = default;
};

// One HTTP/1.1 connection to an upstream: connects (TLS verified for https), sends a request head
// and streams the body, parses the response with http-parser and hands it over read by read.
// Pooled by the worker between exchanges.
class UpstreamConnection final : public QObject, private ByteStream::Handler {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(UpstreamConnection)
public:
    UpstreamConnection(const Route &route, std::chrono::milliseconds connectTimeout,
                       std::chrono::milliseconds readTimeout, QObject *parent);
    ~UpstreamConnection() override;

    const QByteArray &poolKey() const { return m_poolKey; }
    bool isReady() const { return m_ready; }
    bool wasReused() const { return m_exchanges > 1; }
    bool responseStarted() const { return m_responseBytes > 0; }

    void attach(UpstreamListener *listener);   // the next exchange's listener
    void detach();                             // the listener goes away; nothing is called back
    void open();                               // connects; upstreamReady() follows, or upstreamFailed()

    // Starts an exchange. headRequest: the response to HEAD has no body whatever it declares.
    void sendHead(const QByteArray &head, bool headRequest);
    void sendBody(const char *data, qsizetype size, bool chunked);
    void sendBodyEnd();   // the last chunk of a chunked body
    qint64 bytesToWrite() const;
    // Stop/resume reading responses (the client cannot take more right now).
    void setPaused(bool paused);
    void close();   // abort; nothing is called back

Q_SIGNALS:
    // A pooled (idle) connection closed or sent unasked-for bytes; the pool drops it.
    void idleLost(gh::UpstreamConnection *self);

private:
    static int onStatus(http_parser *p, const char *at, size_t len);
    static int onHeaderField(http_parser *p, const char *at, size_t len);
    static int onHeaderValue(http_parser *p, const char *at, size_t len);
    static int onHeadersComplete(http_parser *p);
    static int onBody(http_parser *p, const char *at, size_t len);
    static int onMessageComplete(http_parser *p);
    static const http_parser_settings &settings();

    void streamConnected() override;
    void streamReadable() override;
    void streamWritten() override;
    void streamFailed(const QString &reason) override;
    void onEnd();   // the upstream closed its side
    void onTimeout();
    void fail(const QString &reason, bool timedOut = false);
    void parse(const char *data, qsizetype size);

    std::unique_ptr<ByteStream> m_stream;   // FdStream; QtSocketStream for https
    QByteArray m_poolKey;
    QString m_host;
    quint16 m_port = 0;
    bool m_tls = false;
    std::chrono::milliseconds m_connectTimeout;
    std::chrono::milliseconds m_readTimeout;
    LazyTimer m_timer;

    UpstreamListener *m_listener = nullptr;
    http_parser m_parser{};
    UpstreamResponseHead m_head;
    bool m_lastWasValue = false;
    bool m_ready = false;
    bool m_busy = false;        // an exchange is in flight
    bool m_paused = false;
    bool m_complete = false;
    bool m_failed = false;
    bool m_headRequest = false;
    bool m_skipInterim = false; // a 1xx answer is being skipped
    int m_exchanges = 0;
    qint64 m_responseBytes = 0;
};

} // namespace gh
