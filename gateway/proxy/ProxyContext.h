#pragma once

#include "proxy/RouteTable.h"

#include <QMutex>
#include <QSslConfiguration>

#include <QJsonObject>

#include <atomic>
#include <functional>
#include <chrono>
#include <memory>
#include <optional>

namespace gh {

class ApprovalBroker;
class Authenticator;
class Counter;
class Gauge;
class Histogram;
class Recorder;

// Limits and timeouts of the HTTP proxy.
struct HttpProxyOptions {
    int workers = 0;                                         // proxy event loops; 0 = one per core
    std::chrono::milliseconds connectTimeout{5'000};        // to the upstream (TCP and TLS)
    std::chrono::milliseconds readTimeout{300'000};         // between bytes from the upstream
    std::chrono::milliseconds headerTimeout{30'000};        // a client's request head, and each body read
    std::chrono::milliseconds idleTimeout{60'000};          // a keep-alive client with nothing in flight
    qsizetype maxHeaderBytes = 64 * 1024;                    // request line + headers; beyond: 431
    qint64 maxBodyBytes = 0;                                 // request body; 0 = unlimited; beyond: 413
    int maxIdleUpstreamsPerKey = 32;                         // pooled per proxy thread and upstream
    qint64 ruleBodyLimit = 1 << 20;                          // request bytes read for body rules; beyond: 413
    qint64 maskBodyLimit = 8 << 20;                          // a response masked whole (json_fields); beyond: 502
};

// The proxy's counters, registered once; the hot path only touches their atomics.
struct ProxyCounters {
    Counter *requests = nullptr;
    Counter *bytesFromClients = nullptr;
    Counter *bytesFromUpstreams = nullptr;
    Counter *refusedUnauthenticated = nullptr;
    Counter *refusedForbidden = nullptr;
    Counter *refusedNotFound = nullptr;
    Counter *refusedBadRequest = nullptr;
    Counter *refusedRecording = nullptr;
    Counter *refusedDenied = nullptr;      // a deny rule matched
    Counter *refusedApproval = nullptr;    // an approval was denied or timed out
    Counter *maskFailures = nullptr;       // a response that could not be masked safely (502)
    Counter *upstreamErrors = nullptr;
    Gauge *clientConnections = nullptr;
    Histogram *upstreamLatency = nullptr;   // request sent -> response head, seconds
};

// What every proxy thread shares: options, identity, the current route table.
struct ProxyContext {
    HttpProxyOptions options;
    Authenticator *auth = nullptr;
    Recorder *recorder = nullptr;                      // null: not recording
    ApprovalBroker *approvals = nullptr;               // null: approve rules refuse
    std::function<void(const QString &, const QJsonObject &)> publish;   // live events; may be empty
    std::optional<QSslConfiguration> listenerTls;       // set: clients speak TLS
    ProxyCounters counters;

    // Readers keep their own copy and only take the lock when the generation moved.
    std::shared_ptr<const RouteTable> routes() const
    {
        QMutexLocker lock(&m_routesMutex);
        return m_routes;
    }
    quint64 routesGeneration() const { return m_routesGeneration.load(std::memory_order_acquire); }
    void setRoutes(std::shared_ptr<const RouteTable> routes)
    {
        QMutexLocker lock(&m_routesMutex);
        m_routes = std::move(routes);
        m_routesGeneration.fetch_add(1, std::memory_order_acq_rel);
    }

private:
    mutable QMutex m_routesMutex;
    std::shared_ptr<const RouteTable> m_routes = std::make_shared<const RouteTable>();
    std::atomic<quint64> m_routesGeneration{1};
};

} // namespace gh
