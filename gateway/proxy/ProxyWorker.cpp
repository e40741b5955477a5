#include "proxy/ProxyWorker.h"

#include "proxy/FdStream.h"
#include "proxy/ProxyConnection.h"
#include "proxy/ProxyContext.h"
#include "proxy/ProxyWire.h"
#include "proxy/QtSocketStream.h"
#include "proxy/UpstreamConnection.h"

#include <QRandomGenerator>
#include <QSslSocket>

#include <cstring>

#include <unistd.h>

namespace gh {


ProxyWorker::ProxyWorker(std::shared_ptr<const ProxyContext> context, int index)
    : m_context(std::move(context))
{
    // Request ids: random per worker and process, then a counter; unique without coordination.
    const quint32 r = QRandomGenerator::system()->generate();
    m_idPrefix = QByteArray::number(r, 16).rightJustified(8, '0') + QByteArray::number(index, 16) + '-';
}

ProxyWorker::~ProxyWorker()
{
    // Client connections hand their upstreams back to us as they go: before our members do.
    const auto clients = m_clients;
    m_clients.clear();
    qDeleteAll(clients);
}

void ProxyWorker::adopt(qintptr descriptor)
{
    std::unique_ptr<ByteStream> stream;
    if (m_context->listenerTls) {
        auto *ssl = new QSslSocket;
        ssl->setSslConfiguration(*m_context->listenerTls);
        if (!ssl->setSocketDescriptor(descriptor)) {
            qWarning("proxy: cannot take over an accepted connection: %s", qPrintable(ssl->errorString()));
            delete ssl;
            ::close(int(descriptor));
            return;
        }
        ssl->startServerEncryption();
        stream = std::make_unique<QtSocketStream>(ssl, proxywire::kReadSlice);
    } else {
        auto plain = std::make_unique<FdStream>();
        if (!plain->adopt(int(descriptor))) {
            qWarning("proxy: cannot take over an accepted connection: %s", qPrintable(plain->errorString()));
            return;
        }
        stream = std::move(plain);
    }
    auto *connection = new ProxyConnection(std::move(stream), this, *m_context);
    m_clients.insert(connection);
    connect(connection, &ProxyConnection::closed, this, &ProxyWorker::onClientClosed);
    if (m_draining)
        connection->drain();
}

void ProxyWorker::onClientClosed(ProxyConnection *connection)
{
    m_clients.remove(connection);
    connection->deleteLater();
    if (m_draining && m_clients.isEmpty())
        Q_EMIT drained();
}

void ProxyWorker::drain()
{
    m_draining = true;
    for (auto it = m_idle.begin(); it != m_idle.end(); ++it) {
        for (UpstreamConnection *u : std::as_const(it.value()))
            u->close();
    }
    m_idle.clear();
    const auto clients = m_clients;
    for (ProxyConnection *c : clients)
        c->drain();
    if (m_clients.isEmpty())
        Q_EMIT drained();
}

void ProxyWorker::abortAll()
{
    const auto clients = m_clients;
    for (ProxyConnection *c : clients)
        delete c;
    m_clients.clear();
    if (m_draining)
        Q_EMIT drained();
}

UpstreamConnection *ProxyWorker::acquire(const Route &route)
{
    auto it = m_idle.find(route.upstream.poolKey);
    if (it != m_idle.end()) {
        while (!it->isEmpty()) {
            UpstreamConnection *u = it->takeLast();   // the most recently used is the least likely closed
            if (u->isReady())
                return u;
            u->close();
        }
    }
    auto *u = new UpstreamConnection(route, m_context->options.connectTimeout, m_context->options.readTimeout, this);
    connect(u, &UpstreamConnection::idleLost, this, &ProxyWorker::onIdleLost);
    return u;
}

void ProxyWorker::release(UpstreamConnection *upstream, bool reusable)
{
    upstream->detach();
    if (reusable && !m_draining) {
        QList<UpstreamConnection *> &idle = m_idle[upstream->poolKey()];
        if (idle.size() < m_context->options.maxIdleUpstreamsPerKey) {
            idle.append(upstream);
            return;
        }
    }
    upstream->close();
}

void ProxyWorker::onIdleLost(UpstreamConnection *upstream)
{
    auto it = m_idle.find(upstream->poolKey());
    if (it != m_idle.end() && it->removeOne(upstream))
        upstream->close();
}

const std::shared_ptr<const RouteTable> &ProxyWorker::routes()
{
    const quint64 generation = m_context->routesGeneration();
    if (generation != m_routesGeneration || !m_routes) {
        m_routes = m_context->routes();
        m_routesGeneration = generation;
    }
    return m_routes;
}

QByteArray ProxyWorker::nextRequestId()
{
    // One allocation: the prefix and the number's hex digits written into the id itself.
    char digits[16];
    char *p = digits + sizeof digits;
    for (quint64 n = ++m_nextId; n != 0 || p == digits + sizeof digits; n >>= 4)
        *--p = "0123456789abcdef"[n & 0xF];
    const qsizetype count = digits + sizeof digits - p;
    QByteArray id(m_idPrefix.size() + count, Qt::Uninitialized);
    std::memcpy(id.data(), m_idPrefix.constData(), size_t(m_idPrefix.size()));
    std::memcpy(id.data() + m_idPrefix.size(), p, size_t(count));
    return id;
}

} // namespace gh
