#include "admin/HttpResponder.h"

#include "admin/HttpConnection.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTimer>

namespace gh {

HttpResponder::HttpResponder(HttpConnection *connection, quint64 serial)
    : m_connection(connection), m_serial(serial)
{
}

void HttpResponder::send(int status, const QByteArray &contentType, const QByteArray &body,
                         const HttpHeaders &extraHeaders) const
{
    if (m_connection)
        m_connection->sendResponse(m_serial, status, contentType, body, extraHeaders);
}

void HttpResponder::sendJson(int status, const QJsonValue &json, const HttpHeaders &extraHeaders) const
{
    QByteArray body;
    if (json.isObject())
        body = QJsonDocument(json.toObject()).toJson(QJsonDocument::Compact);
    else if (json.isArray())
        body = QJsonDocument(json.toArray()).toJson(QJsonDocument::Compact);
    else
        body = QJsonDocument(QJsonArray{json}).toJson(QJsonDocument::Compact).mid(1).chopped(1);
    send(status, QByteArrayLiteral("application/json"), body + '\n', extraHeaders);
}

void HttpResponder::sendError(int status, const QByteArray &code, const QString &message) const
{
    sendJson(status, QJsonObject{{QStringLiteral("error"), QString::fromLatin1(code)},
                                 {QStringLiteral("message"), message}});
}

void HttpResponder::beginStream(int status, const QByteArray &contentType, const HttpHeaders &extraHeaders) const
{
    if (m_connection)
        m_connection->beginStream(m_serial, status, contentType, extraHeaders);
}

void HttpResponder::write(const QByteArray &chunk) const
{
    if (m_connection)
        m_connection->writeChunk(m_serial, chunk);
}

void HttpResponder::end() const
{
    if (m_connection)
        m_connection->endStream(m_serial);
}

bool HttpResponder::isOpen() const
{
    return m_connection && (m_connection->canRespond(m_serial) || m_connection->isStreaming(m_serial));
}

qint64 HttpResponder::pendingBytes() const
{
    return m_connection ? m_connection->pendingBytes(m_serial) : 0;
}

void HttpResponder::onClientGone(QObject *context, std::function<void()> gone) const
{
    if (!context || !gone)
        return;
    if (!m_connection || m_connection->isClosed()) {
        QTimer::singleShot(0, context, std::move(gone));
        return;
    }
    const quint64 serial = m_serial;
    QObject::connect(m_connection.data(), &HttpConnection::clientGone, context,
                     [serial, gone = std::move(gone)](quint64 which) {
                         if (which == serial)
                             gone();
                     });
}

} // namespace gh
