#pragma once

// A tiny HTTP server on 127.0.0.1 that serves one JWKS document, so provider tests can rotate
// keys and count fetches without any network beyond loopback.

#include <QByteArray>
#include <QHostAddress>
#include <QTcpServer>
#include <QTcpSocket>

namespace gh::test {

class JwksServer final {
public:
    JwksServer()
    {
        QObject::connect(&m_server, &QTcpServer::newConnection, &m_server, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                socket->setParent(&m_server);
                QObject::connect(socket, &QTcpSocket::readyRead, socket, [this, socket] { serve(socket); });
                QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            }
        });
    }

    bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    QString url() const { return QStringLiteral("http://127.0.0.1:%1/jwks.json").arg(m_server.serverPort()); }

    void setBody(const QByteArray &body, int status = 200)
    {
        m_body = body;
        m_status = status;
    }
    int requests() const { return m_requests; }

private:
    void serve(QTcpSocket *socket)
    {
        QByteArray &buffer = m_pending[socket];
        buffer += socket->readAll();
        if (!buffer.contains("\r\n\r\n"))
            return;
        m_pending.remove(socket);
        ++m_requests;
        QByteArray response = "HTTP/1.1 " + QByteArray::number(m_status) + " X\r\nContent-Type: application/json\r\n"
                              + "Content-Length: " + QByteArray::number(m_body.size())
                              + "\r\nConnection: close\r\n\r\n";
        socket->write(response);
        socket->write(m_body);
        socket->disconnectFromHost();
    }

    QTcpServer m_server;
    QHash<QTcpSocket *, QByteArray> m_pending;
    QByteArray m_body;
    int m_status = 200;
    int m_requests = 0;
};

} // namespace gh::test
