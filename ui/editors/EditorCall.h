#pragma once

#include "GatewayLink.h"
#include "admin/AdminClient.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>

#include <functional>

namespace gh::editors {

// One admin API call with a JSON body for the editors. `done` runs once, and only while `context`
// lives; without a client (not attached yet) it runs at once with status 0.
inline void call(GatewayLink *link, const QByteArray &method, const QString &path, const QJsonObject &body,
                 QObject *context, std::function<void(const AdminReply &)> done)
{
    AdminClient *client = link ? link->client() : nullptr;
    if (!client) {
        AdminReply none;
        none.errorText = QCoreApplication::translate("gh::editors", "The gateway is not connected.");
        done(none);
        return;
    }
    QPointer<QObject> alive(context);
    client->call(method, path, body.isEmpty() ? QByteArray() : QJsonDocument(body).toJson(QJsonDocument::Compact),
                 body.isEmpty() ? QByteArray() : QByteArrayLiteral("application/json"),
                 [alive, done = std::move(done)](const AdminReply &reply) {
                     if (alive)
                         done(reply);
                 });
}

// The server's message, or the transport's.
inline QString errorOf(const AdminReply &reply)
{
    if (!reply.errorText.isEmpty())
        return reply.errorText;
    return QCoreApplication::translate("gh::editors", "HTTP %1").arg(reply.status);
}

} // namespace gh::editors
