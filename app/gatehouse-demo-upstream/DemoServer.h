#pragma once

#include <QByteArray>
#include <QHostAddress>
#include <QObject>
#include <QTcpServer>

class QTcpSocket;

namespace gh::demo {

// A tiny HTTP/1.1 server with the routes of an OpenAI-style API: /v1/chat/completions (JSON, or
// Server-Sent Events with "stream": true), /v1/fine-tunes and /v1/models. Its answers contain fake
// personal data (e-mail addresses, card numbers that pass the Luhn check, phone numbers) for the
// gateway to mask. Keep-alive, Content-Length bodies only: enough for the gateway's upstream pool.
class DemoServer final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DemoServer)

public:
    explicit DemoServer(QObject *parent = nullptr);
    bool listen(const QHostAddress &address, quint16 port);
    quint16 port() const { return m_server.serverPort(); }
    QString errorString() const { return m_server.errorString(); }

    // The assistant's answer, the same in JSON and streamed form.
    static QByteArray answer();

private:
    void onConnection();
    void onReadyRead(QTcpSocket *socket);
    void respond(QTcpSocket *socket, const QByteArray &method, const QByteArray &path, const QByteArray &body);
    static void sendJson(QTcpSocket *socket, int status, const QByteArray &json);
    void streamAnswer(QTcpSocket *socket, const QByteArray &model);

    QTcpServer m_server;
};

} // namespace gh::demo
