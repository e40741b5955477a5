#pragma once

#include "admin/HttpRequest.h"

#include <QByteArray>
#include <QJsonValue>
#include <QPointer>

#include <functional>

class QObject;

namespace gh {

class HttpConnection;

// The answering end of one request. Cheap to copy: a handler may keep it and answer later.
// Answering a request whose connection has gone, or answering twice, is a harmless no-op.
// Use it from the server's thread only.
class HttpResponder {
public:
    HttpResponder() = default;
    HttpResponder(HttpConnection *connection, quint64 serial);

    // A complete response with Content-Length.
    void send(int status, const QByteArray &contentType, const QByteArray &body,
              const HttpHeaders &extraHeaders = {}) const;
    void sendJson(int status, const QJsonValue &json, const HttpHeaders &extraHeaders = {}) const;
    // {"error": code, "message": message}, the shape every admin API error has.
    void sendError(int status, const QByteArray &code, const QString &message) const;

    // A response of unknown length (Server-Sent Events, long downloads): chunked transfer,
    // every write() goes out as it is made. end() finishes it; the connection may be reused.
    void beginStream(int status, const QByteArray &contentType, const HttpHeaders &extraHeaders = {}) const;
    void write(const QByteArray &chunk) const;
    void end() const;
    // Breaks a streamed response off: the connection is reset without the last chunk, so the
    // client sees an incomplete answer rather than a short one that looks whole.
    void abortStream() const;

    // True while this request can still be answered or streamed to.
    bool isOpen() const;
    // Response bytes written but not yet taken by the client: a stream fan-out uses it to
    // drop subscribers that stopped reading instead of buffering for them without end.
    qint64 pendingBytes() const;
    // Calls `gone` (in `context`'s thread, later) when the client disconnects before the
    // response ended; at once, queued, when it already has.
    void onClientGone(QObject *context, std::function<void()> gone) const;
    // Calls `ready` once (in `context`'s thread, later) when no more than `lowWater` bytes of the
    // response wait to be taken by the client, or when the response can no longer be written to:
    // a long stream writes its next part only then, instead of buffering for a slow reader.
    void onWritable(QObject *context, qint64 lowWater, std::function<void()> ready) const;

    // The bodies sendJson() and sendError() send, for replies built elsewhere.
    static QByteArray jsonBody(const QJsonValue &json);
    static QByteArray errorBody(const QByteArray &code, const QString &message);

private:
    QPointer<HttpConnection> m_connection;
    quint64 m_serial = 0;
};

} // namespace gh
