#include "admin/HttpServer.h"

#include "admin/HttpConnection.h"

#include <QSslServer>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

namespace gh {

HttpServer::HttpServer(QObject *parent)
    : QObject(parent), m_handler(std::make_shared<Handler>())
{
}

HttpServer::~HttpServer()
{
    // Connections are children; make sure none calls back into a half-destroyed server.
    for (HttpConnection *c : std::as_const(m_connections))
        disconnect(c, nullptr, this, nullptr);
}

void HttpServer::setHandler(Handler handler)
{
    *m_handler = std::move(handler);
}

void HttpServer::setLimits(const HttpServerLimits &limits)
{
    m_limits = limits;
}

void HttpServer::setTlsConfiguration(const QSslConfiguration &configuration)
{
    m_tls = configuration;
}

Result<quint16> HttpServer::listen(const ListenAddress &address)
{
    const QString where = (address.host.contains(QLatin1Char(':')) ? QLatin1Char('[') + address.host + QLatin1Char(']')
                                                                  : address.host)
        + QLatin1Char(':') + QString::number(address.port);
    QHostAddress host;
    if (address.host.isEmpty() || address.host == QLatin1String("*"))
        host = QHostAddress::Any;
    else if (address.host == QLatin1String("localhost"))
        host = QHostAddress::LocalHost;
    else if (!host.setAddress(address.host))
        return Error(QStringLiteral("cannot listen on %1: \"%2\" is not an IP address").arg(where, address.host));

    if (m_tls) {
        auto ssl = std::make_unique<QSslServer>();
        ssl->setSslConfiguration(*m_tls);
        ssl->setHandshakeTimeout(int(qMin<qint64>(m_limits.headerTimeout.count(), std::numeric_limits<int>::max())));
        m_server = std::move(ssl);
    } else {
        m_server = std::make_unique<QTcpServer>();
    }
    connect(m_server.get(), &QTcpServer::pendingConnectionAvailable, this, &HttpServer::onNewConnection);
    if (!m_server->listen(host, address.port)) {
        const QString why = m_server->errorString();
        m_server.reset();
        return Error(QStringLiteral("cannot listen on %1: %2").arg(where, why));
    }
    m_closing = false;
    return m_server->serverPort();
}

bool HttpServer::isListening() const
{
    return m_server && m_server->isListening();
}

quint16 HttpServer::port() const
{
    return m_server ? m_server->serverPort() : 0;
}

void HttpServer::onNewConnection()
{
    while (m_server && m_server->hasPendingConnections()) {
        QTcpSocket *socket = m_server->nextPendingConnection();
        if (!socket)
            break;
        // Answers are written in pieces (head, then body): without this the last piece waits for the
        // client's delayed ACK, about 40 ms per call on Linux.
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        auto *connection = new HttpConnection(socket, m_handler, m_limits, this);
        m_connections.append(connection);
        connect(connection, &HttpConnection::closed, this, &HttpServer::onConnectionClosed);
        if (m_closing)
            connection->drain();
        else if (m_connections.size() > m_limits.maxConnections)
            connection->refuse(503, QByteArrayLiteral("unavailable"), QStringLiteral("too many connections"));
    }
}

void HttpServer::onConnectionClosed(HttpConnection *connection)
{
    m_connections.removeOne(connection);
    connection->deleteLater();
    checkDrained();
}

void HttpServer::close(std::chrono::milliseconds grace)
{
    m_closing = true;
    if (m_server)
        m_server->close();
    const auto connections = m_connections;
    for (HttpConnection *c : connections)
        c->drain();
    if (m_connections.isEmpty()) {
        QMetaObject::invokeMethod(this, &HttpServer::drained, Qt::QueuedConnection);
        return;
    }
    QTimer::singleShot(grace, this, [this] {
        const auto left = m_connections;
        for (HttpConnection *c : left)
            c->abort();
    });
}

void HttpServer::checkDrained()
{
    if (m_closing && m_connections.isEmpty())
        Q_EMIT drained();
}

} // namespace gh
