#include "proxy/HttpProxy.h"

#include "admin/Metrics.h"
#include "proxy/EpollEventDispatcher.h"
#include "proxy/ProxyWorker.h"
#include "recording/Store.h"

#include <QHostAddress>
#include <QTcpServer>
#include <QThread>
#include <QTimer>

namespace gh {

// Accepts on the main thread but never touches the sockets: descriptors go to the workers.
class HttpProxy::Listener final : public QTcpServer {
public:
    explicit Listener(HttpProxy *proxy) : m_proxy(proxy) {}

protected:
    void incomingConnection(qintptr descriptor) override { m_proxy->dispatch(descriptor); }

private:
    HttpProxy *m_proxy;
};

HttpProxy::HttpProxy(const Services &services, const HttpProxyOptions &options, QObject *parent)
    : QObject(parent), m_services(services), m_context(std::make_shared<ProxyContext>())
{
    m_context->options = options;
    m_context->auth = services.auth;
    m_context->recorder = services.recorder;
    m_context->approvals = services.approvals;
    m_context->publish = services.publish;
    if (Metrics *m = services.metrics) {
        ProxyCounters &c = m_context->counters;
        c.requests = &m->counter("gatehouse_proxy_requests_total", "HTTP requests received by the proxy.");
        c.bytesFromClients = &m->counter("gatehouse_proxy_received_bytes_total",
                                         "Bytes received from proxy clients (heads and bodies).");
        c.bytesFromUpstreams = &m->counter("gatehouse_proxy_upstream_body_bytes_total",
                                           "Response body bytes received from upstreams.");
        const QByteArray refusedHelp = "HTTP requests the proxy refused, by reason.";
        c.refusedUnauthenticated = &m->counter("gatehouse_proxy_refusals_total", refusedHelp, {{"reason", "unauthenticated"}});
        c.refusedForbidden = &m->counter("gatehouse_proxy_refusals_total", refusedHelp, {{"reason", "forbidden"}});
        c.refusedNotFound = &m->counter("gatehouse_proxy_refusals_total", refusedHelp, {{"reason", "not_found"}});
        c.refusedBadRequest = &m->counter("gatehouse_proxy_refusals_total", refusedHelp, {{"reason", "bad_request"}});
        c.refusedRecording = &m->counter("gatehouse_proxy_refusals_total", refusedHelp, {{"reason", "recording_unavailable"}});
        c.refusedDenied = &m->counter("gatehouse_proxy_refusals_total", refusedHelp, {{"reason", "denied"}});
        c.refusedApproval = &m->counter("gatehouse_proxy_refusals_total", refusedHelp, {{"reason", "approval"}});
        c.maskFailures = &m->counter("gatehouse_proxy_refusals_total", refusedHelp, {{"reason", "unmaskable"}});
        c.upstreamErrors = &m->counter("gatehouse_proxy_upstream_errors_total",
                                       "Upstream connections that failed, timed out or sent an invalid response.");
        c.clientConnections = &m->gauge("gatehouse_proxy_client_connections", "Open client connections of the HTTP proxy.");
        c.upstreamLatency = &m->histogram("gatehouse_proxy_upstream_latency_seconds",
                                          "Time from sending a request upstream to its response head.",
                                          Histogram::defaultLatencyBuckets());
    }
    if (services.store)
        connect(services.store, &Store::resourcesChanged, this, &HttpProxy::reloadRoutes);
}

HttpProxy::~HttpProxy()
{
    m_listener.reset();
    stopThreads();
}

void HttpProxy::setTlsConfiguration(const QSslConfiguration &configuration)
{
    m_context->listenerTls = configuration;
}

qsizetype HttpProxy::routeCount() const
{
    return m_context->routes()->size();
}

void HttpProxy::reloadRoutes()
{
    if (!m_services.store)
        return;
    auto set = m_services.store->resources();
    if (!set) {
        qWarning("proxy: cannot read the connections, keeping the previous routes: %s",
                 qPrintable(set.error().message));
        return;
    }
    m_context->setRoutes(RouteTable::build(set->connections, m_services.secrets, set->rules));
}

Result<quint16> HttpProxy::listen(const ListenAddress &address)
{
    QHostAddress host;
    if (address.host.isEmpty() || address.host == QLatin1String("*"))
        host = QHostAddress::Any;
    else if (address.host == QLatin1String("localhost"))
        host = QHostAddress::LocalHost;
    else if (!host.setAddress(address.host))
        return Error(QStringLiteral("cannot listen on %1: \"%2\" is not an IP address").arg(address.toString(), address.host));

    reloadRoutes();
    if (m_workers.isEmpty()) {
        const int n = m_context->options.workers > 0 ? m_context->options.workers : qMax(1, QThread::idealThreadCount());
        for (int i = 0; i < n; ++i) {
            auto *thread = new QThread(this);
            thread->setObjectName(QStringLiteral("proxy-%1").arg(i));
            if (qgetenv("GATEHOUSE_PROXY_DISPATCHER") != "qt")
                thread->setEventDispatcher(new EpollEventDispatcher);   // see EpollEventDispatcher.h
            auto *worker = new ProxyWorker(m_context, i);
            worker->moveToThread(thread);
            connect(thread, &QThread::finished, worker, &QObject::deleteLater);
            connect(worker, &ProxyWorker::drained, this, &HttpProxy::onWorkerDrained);
            thread->start();
            m_threads.append(thread);
            m_workers.append(worker);
        }
    }
    m_listener = std::make_unique<Listener>(this);
    if (!m_listener->listen(host, address.port)) {
        const QString why = m_listener->errorString();
        m_listener.reset();
        return Error(QStringLiteral("cannot listen on %1: %2").arg(address.toString(), why));
    }
    return m_listener->serverPort();
}

quint16 HttpProxy::port() const
{
    return m_listener ? m_listener->serverPort() : 0;
}

void HttpProxy::dispatch(qintptr descriptor)
{
    ProxyWorker *worker = m_workers.at(m_next);
    m_next = (m_next + 1) % int(m_workers.size());
    QMetaObject::invokeMethod(worker, [worker, descriptor] { worker->adopt(descriptor); }, Qt::QueuedConnection);
}

void HttpProxy::close(std::chrono::milliseconds grace)
{
    if (m_closing)
        return;
    m_closing = true;
    if (m_listener)
        m_listener->close();
    m_drainedWorkers = 0;
    if (m_workers.isEmpty()) {
        QMetaObject::invokeMethod(this, &HttpProxy::onWorkerDrained, Qt::QueuedConnection);
        return;
    }
    for (ProxyWorker *w : std::as_const(m_workers))
        QMetaObject::invokeMethod(w, &ProxyWorker::drain, Qt::QueuedConnection);
    QTimer::singleShot(grace, this, [this] {
        if (m_drainEmitted)
            return;
        for (ProxyWorker *w : std::as_const(m_workers))
            QMetaObject::invokeMethod(w, &ProxyWorker::abortAll, Qt::QueuedConnection);
    });
}

void HttpProxy::onWorkerDrained()
{
    if (!m_closing || m_drainEmitted)
        return;
    if (++m_drainedWorkers < m_workers.size())
        return;
    m_drainEmitted = true;
    stopThreads();
    Q_EMIT drained();
}

void HttpProxy::stopThreads()
{
    for (QThread *t : std::as_const(m_threads)) {
        t->quit();
        t->wait();
    }
    qDeleteAll(m_threads);
    m_threads.clear();
    m_workers.clear();
}

} // namespace gh
