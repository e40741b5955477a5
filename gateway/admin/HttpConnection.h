#pragma once

#include "admin/HttpRequest.h"
#include "admin/HttpServer.h"

#include <QByteArray>
#include <QObject>
#include <QTimer>

#include <http_parser.h>

#include <memory>

class QTcpSocket;

namespace gh {

// One accepted client connection of HttpServer: feeds the wire to http-parser, hands complete
// requests to the handler one at a time, writes the responses. Internal to the admin module.
class HttpConnection final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpConnection)
public:
    HttpConnection(QTcpSocket *socket, std::shared_ptr<HttpServer::Handler> handler,
                   const HttpServerLimits &limits, QObject *parent);
    ~HttpConnection() override;

    // The responder side; every call names the request it answers and is ignored when stale.
    bool canRespond(quint64 serial) const;
    bool isStreaming(quint64 serial) const;
    void sendResponse(quint64 serial, int status, const QByteArray &contentType, const QByteArray &body,
                      const HttpHeaders &extra);
    void beginStream(quint64 serial, int status, const QByteArray &contentType, const HttpHeaders &extra);
    void writeChunk(quint64 serial, const QByteArray &chunk);
    void endStream(quint64 serial);
    bool isClosed() const;
    qint64 pendingBytes(quint64 serial) const;

    // The server is shutting down: finish what is in flight, then close.
    void drain();
    void abort();
    // Breaks the streamed response `serial` off with a reset (RST), so no client can take what it
    // got for the whole answer, as it might after a plain close.
    void breakStream(quint64 serial);

    // Answers and closes at once, before any request was read (too many connections).
    void refuse(int status, const QByteArray &code, const QString &message);

Q_SIGNALS:
    void closed(gh::HttpConnection *self);
    void clientGone(quint64 serial);
    // The client took some of a streamed response (HttpResponder::onWritable waits for it).
    void written(quint64 serial);

private:
    enum class Phase { Idle, Headers, Body, Handling, Streaming, Closing, Closed };

    static int onMessageBegin(http_parser *p);
    static int onUrl(http_parser *p, const char *at, size_t len);
    static int onHeaderField(http_parser *p, const char *at, size_t len);
    static int onHeaderValue(http_parser *p, const char *at, size_t len);
    static int onHeadersComplete(http_parser *p);
    static int onBody(http_parser *p, const char *at, size_t len);
    static int onMessageComplete(http_parser *p);
    static const http_parser_settings &settings();

    bool countHeaderBytes(size_t len);
    int validateHead();
    void onReadyRead();
    void processInput();
    void onBytesWritten();
    void dispatch();
    void failRequest(int status, const QByteArray &code, const QString &message);
    QByteArray responseHead(int status, const QByteArray &contentType, const HttpHeaders &extra,
                            const QByteArray &framing) const;
    void finishResponse();
    void closeGracefully();
    void onDisconnected();
    void onTimeout();
    void armTimer(std::chrono::milliseconds timeout);

    QTcpSocket *m_socket;   // child of this
    std::shared_ptr<HttpServer::Handler> m_handler;
    HttpServerLimits m_limits;
    QTimer m_timer;
    http_parser m_parser{};
    Phase m_phase = Phase::Idle;
    QByteArray m_buffer;            // received, not yet parsed (pipelined bytes wait here)
    HttpRequest m_request;
    QByteArray m_url;
    bool m_lastWasValue = false;
    qsizetype m_headerBytes = 0;
    bool m_requestReady = false;
    bool m_keepAlive = true;
    bool m_closeAfterResponse = false;
    bool m_draining = false;
    bool m_waitingForWrite = false;
    bool m_headRequest = false;
    bool m_chunked = false;         // the current streamed response uses chunked framing
    int m_failStatus = 0;
    QByteArray m_failCode;
    QString m_failMessage;
    quint64 m_serial = 0;
    QHostAddress m_peer;
    quint16 m_peerPort = 0;
};

} // namespace gh
