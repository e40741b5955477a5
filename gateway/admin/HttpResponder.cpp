#include "admin/HttpResponder.h"

#include "admin/HttpConnection.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTimer>

#include <memory>
#include <utility>

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

QByteArray HttpResponder::jsonBody(const QJsonValue &json)
{
    QByteArray body;
    if (json.isObject())
        body = QJsonDocument(json.toObject()).toJson(QJsonDocument::Compact);
    else if (json.isArray())
        body = QJsonDocument(json.toArray()).toJson(QJsonDocument::Compact);
    else
        body = QJsonDocument(QJsonArray{json}).toJson(QJsonDocument::Compact).mid(1).chopped(1);
    return body + '\n';
}

QByteArray HttpResponder::errorBody(const QByteArray &code, const QString &message)
{
    return jsonBody(QJsonObject{{QStringLiteral("error"), QString::fromLatin1(code)},
                                {QStringLiteral("message"), message}});
}

void HttpResponder::sendJson(int status, const QJsonValue &json, const HttpHeaders &extraHeaders) const
{
    send(status, QByteArrayLiteral("application/json"), jsonBody(json), extraHeaders);
}

void HttpResponder::sendError(int status, const QByteArray &code, const QString &message) const
{
    send(status, QByteArrayLiteral("application/json"), errorBody(code, message));
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

void HttpResponder::abortStream() const
{
    if (m_connection)
        m_connection->breakStream(m_serial);
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

void HttpResponder::onWritable(QObject *context, qint64 lowWater, std::function<void()> ready) const
{
    if (!context || !ready)
        return;
    if (!m_connection || m_connection->isClosed() || !isOpen() || pendingBytes() <= lowWater) {
        QTimer::singleShot(0, context, std::move(ready));
        return;
    }
    // Both connections go when either fires, so a long stream leaves none behind.
    struct Wait {
        QMetaObject::Connection written, gone;
        std::function<void()> ready;
        void fire()
        {
            QObject::disconnect(written);
            QObject::disconnect(gone);
            if (auto r = std::exchange(ready, nullptr))
                r();
        }
    };
    auto wait = std::make_shared<Wait>();
    wait->ready = std::move(ready);
    const HttpResponder self = *this;
    wait->written = QObject::connect(m_connection.data(), &HttpConnection::written, context,
                                     [self, lowWater, wait](quint64 serial) {
                                         if (serial == self.m_serial && self.pendingBytes() <= lowWater)
                                             wait->fire();
                                     });
    // A client that goes away takes nothing more: wake the writer so it can see that and stop.
    wait->gone = QObject::connect(m_connection.data(), &HttpConnection::clientGone, context,
                                  [serial = m_serial, wait](quint64 which) {
                                      if (which == serial)
                                          wait->fire();
                                  });
}

} // namespace gh
