#pragma once

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QObject>
#include <QSet>

#include <memory>

namespace gh {

class ProxyConnection;
class RouteTable;
class UpstreamConnection;
struct ProxyContext;
struct Route;

// One proxy event loop (it lives on its own QThread): owns the client connections handed to it
// and this thread's pool of idle upstream connections.
class ProxyWorker final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ProxyWorker)
public:
    ProxyWorker(std::shared_ptr<const ProxyContext> context, int index);
    ~ProxyWorker() override;

    // Call on this worker's thread.
    void adopt(qintptr descriptor);
    void drain();   // finish what is in flight, then emit drained()
    void abortAll();

    // An idle pooled connection to the route's upstream, or a new one that still needs open().
    UpstreamConnection *acquire(const Route &route);
    // Back to the pool when reusable, else closed.
    void release(UpstreamConnection *upstream, bool reusable);

    // By reference: a connection copies it (an atomic add on a count both threads share) only when
    // the table changed since its last request.
    const std::shared_ptr<const RouteTable> &routes();
    QByteArray nextRequestId();

Q_SIGNALS:
    void drained();

private:
    void onClientClosed(ProxyConnection *connection);
    void onIdleLost(UpstreamConnection *upstream);

    std::shared_ptr<const ProxyContext> m_context;
    QSet<ProxyConnection *> m_clients;                       // children
    QHash<QByteArray, QList<UpstreamConnection *>> m_idle;   // pool key -> idle (children)
    std::shared_ptr<const RouteTable> m_routes;
    quint64 m_routesGeneration = 0;
    QByteArray m_idPrefix;
    quint64 m_nextId = 0;
    bool m_draining = false;
};

} // namespace gh
