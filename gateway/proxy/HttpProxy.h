#pragma once

#include "core/NodeConfig.h"
#include "core/Result.h"
#include "proxy/ProxyContext.h"

#include <QList>
#include <QObject>
#include <QSslConfiguration>

#include <chrono>
#include <functional>
#include <memory>

class QThread;

namespace gh {

class ApprovalBroker;

class Authenticator;
class Metrics;
class ProxyWorker;
class Recorder;
class SecretBox;
class Store;

// The HTTP proxy on http_listen (contract §4): accepts on the calling thread and hands each
// connection to one of N worker threads, which authenticate, route and stream it upstream.
class HttpProxy final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpProxy)
public:
    // All must outlive the proxy; metrics and recorder may be null (a null recorder: not recording).
    struct Services {
        Store *store = nullptr;
        Authenticator *auth = nullptr;
        const SecretBox *secrets = nullptr;
        Metrics *metrics = nullptr;
        Recorder *recorder = nullptr;
        ApprovalBroker *approvals = nullptr;   // null: approve rules refuse (fail closed)
        // Live events (session.started / session.ended); called on proxy threads, must not block.
        std::function<void(const QString &type, const QJsonObject &data)> publish;
    };

    HttpProxy(const Services &services, const HttpProxyOptions &options, QObject *parent = nullptr);
    ~HttpProxy() override;

    // Set before listen(): every client connection then speaks TLS.
    void setTlsConfiguration(const QSslConfiguration &configuration);

    // Loads the routes, starts the workers and listens; port 0 lets the OS choose.
    Result<quint16> listen(const ListenAddress &address);
    quint16 port() const;
    int workerCount() const { return int(m_workers.size()); }
    qsizetype routeCount() const;

    // Stops accepting, lets exchanges in flight finish, and cuts what is left after `grace`.
    // Emits drained() once every worker is idle and stopped.
    void close(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));

    // Rebuilds the route table from the store (also done on Store::resourcesChanged).
    void reloadRoutes();

Q_SIGNALS:
    void drained();

private:
    class Listener;
    void dispatch(qintptr descriptor);
    void onWorkerDrained();
    void stopThreads();

    Services m_services;
    std::shared_ptr<ProxyContext> m_context;
    std::unique_ptr<Listener> m_listener;
    QList<QThread *> m_threads;          // children
    QList<ProxyWorker *> m_workers;      // each lives on its thread; deleted when it finishes
    int m_next = 0;
    int m_drainedWorkers = 0;
    bool m_closing = false;
    bool m_drainEmitted = false;
};

} // namespace gh
