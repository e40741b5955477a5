#pragma once

#include "admin/HttpRequest.h"
#include "admin/HttpResponder.h"
#include "core/NodeConfig.h"
#include "core/Result.h"

#include <QList>
#include <QObject>
#include <QPointer>
#include <QSslConfiguration>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

class QTcpServer;
class QTcpSocket;

namespace gh {

class HttpConnection;

// What a client may make the server hold, and for how long.
struct HttpServerLimits {
    qsizetype maxHeaderBytes = 64 * 1024;                 // request line + headers; beyond: 431
    qsizetype maxBodyBytes = 8 * 1024 * 1024;             // beyond: 413
    std::chrono::milliseconds headerTimeout{30'000};      // to receive a request's head (and each body read)
    std::chrono::milliseconds idleTimeout{60'000};        // a keep-alive connection with nothing to do
    int maxConnections = 512;                             // beyond: 503 and closed
};

// A small HTTP/1.1 server for the admin API: keep-alive, one request at a time per connection,
// TLS on every connection when configured, handlers that may answer later or stream.
class HttpServer final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpServer)
public:
    using Handler = std::function<void(const HttpRequest &, HttpResponder)>;

    explicit HttpServer(QObject *parent = nullptr);
    ~HttpServer() override;

    void setHandler(Handler handler);
    void setLimits(const HttpServerLimits &limits);   // applies to connections accepted afterwards
    const HttpServerLimits &limits() const { return m_limits; }
    // Set before listen(): every accepted connection then speaks TLS.
    void setTlsConfiguration(const QSslConfiguration &configuration);

    // Port 0 lets the OS choose; returns the bound port.
    Result<quint16> listen(const ListenAddress &address);
    bool isListening() const;
    quint16 port() const;
    int connectionCount() const { return int(m_connections.size()); }

    // Stops accepting, closes idle connections, lets in-flight requests finish (streams are
    // ended), and aborts whatever is left after `grace`. Emits drained() when none is left.
    void close(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

Q_SIGNALS:
    void drained();

private:
    void onNewConnection();
    void onConnectionClosed(HttpConnection *connection);
    void checkDrained();

    std::unique_ptr<QTcpServer> m_server;
    std::shared_ptr<Handler> m_handler;
    HttpServerLimits m_limits;
    std::optional<QSslConfiguration> m_tls;
    QList<HttpConnection *> m_connections;   // children of this
    bool m_closing = false;
};

} // namespace gh
