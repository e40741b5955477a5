#include "DemoServer.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QTcpSocket>
#include <QTimer>

namespace gh::demo {

namespace {

constexpr qsizetype kMaxHead = 64 * 1024;
constexpr qsizetype kMaxBody = 4 * 1024 * 1024;

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200: return QByteArrayLiteral("OK");
    case 400: return QByteArrayLiteral("Bad Request");
    case 404: return QByteArrayLiteral("Not Found");
    case 405: return QByteArrayLiteral("Method Not Allowed");
    case 413: return QByteArrayLiteral("Payload Too Large");
    default: return QByteArrayLiteral("Error");
    }
}

QByteArray errorJson(const QString &message)
{
    return QJsonDocument(QJsonObject{{QStringLiteral("error"),
                                      QJsonObject{{QStringLiteral("message"), message},
                                                  {QStringLiteral("type"), QStringLiteral("invalid_request_error")}}}})
        .toJson(QJsonDocument::Compact);
}

QByteArray chunk(const QByteArray &data)
{
    return QByteArray::number(data.size(), 16) + "\r\n" + data + "\r\n";
}

} // namespace

DemoServer::DemoServer(QObject *parent)
    : QObject(parent)
{
    connect(&m_server, &QTcpServer::newConnection, this, &DemoServer::onConnection);
}

bool DemoServer::listen(const QHostAddress &address, quint16 port)
{
    return m_server.listen(address, port);
}

QByteArray DemoServer::answer()
{
    // Fake: example.com addresses, test card numbers (they pass Luhn), 555 phone numbers.
    return QByteArrayLiteral(
        "Here is the customer record you asked for. Name: Jane Roe. E-mail: jane.roe@example.com. "
        "Card on file: 4111 1111 1111 1111 (backup card 5555-5555-5555-4444). "
        "Phone: +1 415 555 0134. Her manager, John Smith (john.smith@example.com, (212) 555-0187), "
        "approved the refund.");
}

void DemoServer::onConnection()
{
    while (QTcpSocket *socket = m_server.nextPendingConnection()) {
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    }
}

void DemoServer::onReadyRead(QTcpSocket *socket)
{
    QByteArray buffer = socket->property("gh_buffer").toByteArray() + socket->readAll();
    for (;;) {
        const qsizetype headEnd = buffer.indexOf("\r\n\r\n");
        if (headEnd < 0) {
            if (buffer.size() > kMaxHead) {
                sendJson(socket, 400, errorJson(QStringLiteral("request head too large")));
                socket->disconnectFromHost();
                return;
            }
            break;
        }
        const QList<QByteArray> lines = buffer.left(headEnd).split('\n');
        const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
        qint64 length = 0;
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QByteArray line = lines.at(i).trimmed();
            const qsizetype colon = line.indexOf(':');
            if (colon > 0 && line.left(colon).trimmed().toLower() == "content-length")
                length = line.mid(colon + 1).trimmed().toLongLong();
        }
        if (requestLine.size() != 3 || length < 0 || length > kMaxBody) {
            sendJson(socket, requestLine.size() != 3 || length < 0 ? 400 : 413,
                     errorJson(QStringLiteral("malformed or oversized request")));
            socket->disconnectFromHost();
            return;
        }
        if (buffer.size() < headEnd + 4 + length)
            break;
        const QByteArray body = buffer.mid(headEnd + 4, length);
        buffer.remove(0, headEnd + 4 + length);
        QByteArray path = requestLine.at(1);
        if (const qsizetype q = path.indexOf('?'); q >= 0)
            path.truncate(q);
        respond(socket, requestLine.at(0), path, body);
    }
    socket->setProperty("gh_buffer", buffer);
}

void DemoServer::respond(QTcpSocket *socket, const QByteArray &method, const QByteArray &path, const QByteArray &body)
{
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    if (path == "/healthz")
        return sendJson(socket, 200, QByteArrayLiteral("{\"status\":\"ok\"}"));
    if (path == "/v1/models") {
        const QJsonObject model{{QStringLiteral("id"), QStringLiteral("demo-1")},
                                {QStringLiteral("object"), QStringLiteral("model")},
                                {QStringLiteral("owned_by"), QStringLiteral("gatehouse-demo")}};
        return sendJson(socket, 200, QJsonDocument(QJsonObject{{QStringLiteral("object"), QStringLiteral("list")},
                                                               {QStringLiteral("data"), QJsonArray{model}}})
                                         .toJson(QJsonDocument::Compact));
    }
    if (path == "/v1/fine-tunes" || path == "/v1/fine_tuning/jobs") {
        if (method != "POST" && method != "GET")
            return sendJson(socket, 405, errorJson(QStringLiteral("use POST")));
        return sendJson(socket, 200, QJsonDocument(QJsonObject{{QStringLiteral("id"), QStringLiteral("ft-demo-%1").arg(now)},
                                                               {QStringLiteral("object"), QStringLiteral("fine-tune")},
                                                               {QStringLiteral("model"), QStringLiteral("demo-1")},
                                                               {QStringLiteral("status"), QStringLiteral("queued")},
                                                               {QStringLiteral("created_at"), double(now)}})
                                         .toJson(QJsonDocument::Compact));
    }
    if (path != "/v1/chat/completions")
        return sendJson(socket, 404, errorJson(QStringLiteral("no such route: %1").arg(QString::fromUtf8(path))));
    if (method != "POST")
        return sendJson(socket, 405, errorJson(QStringLiteral("use POST /v1/chat/completions")));
    const QJsonObject request = QJsonDocument::fromJson(body).object();
    const QByteArray model = request.value(QLatin1String("model")).toString(QStringLiteral("demo-1")).toUtf8();
    if (request.value(QLatin1String("stream")).toBool())
        return streamAnswer(socket, model);
    const QJsonObject message{{QStringLiteral("role"), QStringLiteral("assistant")},
                              {QStringLiteral("content"), QString::fromUtf8(answer())}};
    const QJsonObject reply{
        {QStringLiteral("id"), QStringLiteral("chatcmpl-demo-%1").arg(now)},
        {QStringLiteral("object"), QStringLiteral("chat.completion")},
        {QStringLiteral("created"), double(now)},
        {QStringLiteral("model"), QString::fromUtf8(model)},
        {QStringLiteral("choices"), QJsonArray{QJsonObject{{QStringLiteral("index"), 0},
                                                           {QStringLiteral("message"), message},
                                                           {QStringLiteral("finish_reason"), QStringLiteral("stop")}}}},
        {QStringLiteral("usage"), QJsonObject{{QStringLiteral("prompt_tokens"), 12},
                                              {QStringLiteral("completion_tokens"), 48},
                                              {QStringLiteral("total_tokens"), 60}}}};
    sendJson(socket, 200, QJsonDocument(reply).toJson(QJsonDocument::Compact));
}

void DemoServer::sendJson(QTcpSocket *socket, int status, const QByteArray &json)
{
    QByteArray out = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status) + "\r\n"
        "Content-Type: application/json\r\n"
        "Content-Length: " + QByteArray::number(json.size()) + "\r\n\r\n";
    out += json;
    socket->write(out);
}

void DemoServer::streamAnswer(QTcpSocket *socket, const QByteArray &model)
{
    socket->write(QByteArrayLiteral("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                                    "Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n"));
    // One sentence per event, a little apart, as a model streams. A value split across two events is
    // not contiguous in the byte stream, and the gateway's masker sees bytes, not SSE events: the
    // demo keeps each value within one event (docs/desktop.md "Demo").
    const QByteArray text = answer();
    QList<QByteArray> pieces;
    qsizetype from = 0;
    while (from < text.size()) {
        qsizetype end = text.indexOf(". ", from);
        end = end < 0 ? text.size() : end + 2;
        pieces << text.mid(from, end - from);
        from = end;
    }
    QList<QByteArray> events;
    const QByteArray id = "chatcmpl-demo-" + QByteArray::number(QDateTime::currentSecsSinceEpoch());
    for (const QByteArray &piece : pieces) {
        const QJsonObject delta{{QStringLiteral("content"), QString::fromUtf8(piece)}};
        const QJsonObject event{{QStringLiteral("id"), QString::fromLatin1(id)},
                                {QStringLiteral("object"), QStringLiteral("chat.completion.chunk")},
                                {QStringLiteral("model"), QString::fromUtf8(model)},
                                {QStringLiteral("choices"), QJsonArray{QJsonObject{{QStringLiteral("index"), 0},
                                                                                   {QStringLiteral("delta"), delta}}}}};
        events << "data: " + QJsonDocument(event).toJson(QJsonDocument::Compact) + "\n\n";
    }
    events << QByteArrayLiteral("data: [DONE]\n\n");
    auto *timer = new QTimer(socket);
    timer->setInterval(40);
    QPointer<QTcpSocket> guard(socket);
    connect(timer, &QTimer::timeout, socket, [guard, timer, events, next = qsizetype(0)]() mutable {
        if (!guard)
            return;
        if (next < events.size()) {
            guard->write(chunk(events.at(next++)));
            return;
        }
        guard->write(QByteArrayLiteral("0\r\n\r\n"));
        timer->deleteLater();
    });
    timer->start();
}

} // namespace gh::demo
