#pragma once

#include "core/NodeConfig.h"
#include "core/Result.h"

#include <QObject>

#include <memory>
#include <optional>

namespace gh {

class AdminApi;
class AdminReads;
class ApprovalBroker;
class ApprovalStore;
class Authenticator;
class DataDir;
class EventHub;
class HttpProxy;
class HttpServer;
class Metrics;
class OidcProvider;
class Recorder;
class SecretBox;
class Store;
class TokenIssuer;

// One running gateway: opens the data dir, keys and store, builds the identity verifier and serves
// the admin API. gatehoused is a thin main around it; tests run it in-process too.
class GatewayNode final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GatewayNode)
public:
    explicit GatewayNode(NodeConfig config, QObject *parent = nullptr);
    ~GatewayNode() override;

    // What can be checked without starting: the store kind, TLS files, OIDC key sources.
    static Status checkConfig(const NodeConfig &config);

    Status start();
    // Stops accepting, lets in-flight requests finish, flushes the store; emits stopped().
    void stop();

    quint16 adminPort() const { return m_adminPort; }
    QString adminUrl() const;
    quint16 proxyPort() const { return m_proxyPort; }
    QString proxyUrl() const;   // also written to <data dir>/proxy.url while running
    // Holds requests that an `approve` rule matched; created by start(), lives on this thread.
    ApprovalBroker *approvals() const { return m_approvals.get(); }

signals:
    void stopped();

private:
    Status openDataDir();
    Status startAdmin();
    Status startProxy();
    void onListenerDrained();
    void finishStop();

    NodeConfig m_config;
    std::unique_ptr<DataDir> m_dataDir;
    std::unique_ptr<SecretBox> m_secrets;
    std::unique_ptr<TokenIssuer> m_issuer;
    std::unique_ptr<Store> m_store;
    // Goes before the store it reads: its destructor waits for the reads in flight.
    std::unique_ptr<AdminReads> m_reads;
    std::unique_ptr<Metrics> m_metrics;
    Authenticator *m_auth = nullptr;
    EventHub *m_events = nullptr;
    HttpServer *m_admin = nullptr;
    AdminApi *m_api = nullptr;
    // The broker goes before its store, and after the proxy that holds requests with it.
    std::unique_ptr<ApprovalStore> m_approvalStore;
    std::unique_ptr<ApprovalBroker> m_approvals;
    quint16 m_adminPort = 0;
    std::unique_ptr<Recorder> m_recorder;
    // Stopped before everything it uses (identity, store) goes away; hence not a QObject child.
    std::unique_ptr<HttpProxy> m_proxy;
    quint16 m_proxyPort = 0;
    int m_listenersDraining = 0;
    bool m_stopping = false;
};

} // namespace gh
