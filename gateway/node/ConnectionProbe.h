#pragma once

#include "admin/HttpRequest.h"
#include "admin/HttpResponder.h"
#include "core/Resources.h"

#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QStringList>
#include <QTimer>

class QTcpSocket;

namespace gh {

class SecretBox;
class Store;

// POST /api/v1/connections/test and /connections/{name}/test (docs/admin-api.md): does the
// upstream answer (TCP connect, then HEAD of the upstream's base for http(s), an SSLRequest for
// postgres), and do the credential's ${env:}/${file:}/${sealed:} references resolve. Sockets are
// asynchronous: the daemon's thread never waits; the probe deletes itself after answering. The
// credential's value is never returned or logged.
class ConnectionProbe final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConnectionProbe)
public:
    static constexpr int kTimeoutMs = 5000;

    // seg: the path after /api/v1 ("connections", "test") or ("connections", name, "test").
    static void handle(const HttpRequest &req, const HttpResponder &res, const QStringList &seg, Store &store,
                       const SecretBox *secrets, QObject *parent);

private:
    ConnectionProbe(Connection connection, QString credential, HttpResponder res, QObject *parent);
    void start();
    void onConnected();
    void onReadyRead();
    void finish(bool reachable, int status, const QString &message);

    Connection m_connection;
    QString m_credential;    // "none", "resolved" or "missing: <why>"
    HttpResponder m_res;
    QTcpSocket *m_socket = nullptr;   // child
    QTimer m_timeout;
    QElapsedTimer m_clock;
    QByteArray m_answer;
    bool m_connected = false;
    bool m_done = false;
};

} // namespace gh
