#include "node/GatewayNode.h"

#include "admin/HttpServer.h"
#include "admin/Metrics.h"
#include "approvals/ApprovalBroker.h"
#include "approvals/SqliteApprovalStore.h"
#include "core/Clock.h"
#include "core/SecretBox.h"
#include "identity/Authenticator.h"
#include "identity/OidcProvider.h"
#include "identity/TokenIssuer.h"
#include "node/AdminApi.h"
#include "node/AdminReads.h"
#include "node/DataDir.h"
#include "node/EventHub.h"
#include "proxy/HttpProxy.h"
#include "recording/Recorder.h"
#include "recording/SqliteStore.h"

#include <QElapsedTimer>
#include <QFile>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QTimer>

namespace gh {

namespace {

Result<QSslConfiguration> loadTls(const NodeConfig &config)
{
    const QString where = config.sourceFile.isEmpty() ? QStringLiteral("config") : config.sourceFile;
    const QList<QSslCertificate> chain = QSslCertificate::fromPath(config.tlsCert, QSsl::Pem);
    if (chain.isEmpty())
        return Error(QStringLiteral("no PEM certificate could be read from %1").arg(config.tlsCert), where, 0,
                     QStringLiteral("gateway.tls_cert"));
    QFile keyFile(config.tlsKey);
    if (!keyFile.open(QIODevice::ReadOnly))
        return Error(QStringLiteral("cannot read %1").arg(config.tlsKey), where, 0, QStringLiteral("gateway.tls_key"));
    const QByteArray pem = keyFile.readAll();
    QSslKey key(pem, QSsl::Ec, QSsl::Pem);
    if (key.isNull())
        key = QSslKey(pem, QSsl::Rsa, QSsl::Pem);
    if (key.isNull())
        return Error(QStringLiteral("%1 holds no unencrypted PEM RSA or EC private key").arg(config.tlsKey), where, 0,
                     QStringLiteral("gateway.tls_key"));
    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setLocalCertificateChain(chain);
    tls.setPrivateKey(key);
    tls.setProtocol(QSsl::TlsV1_2OrLater);
    tls.setPeerVerifyMode(QSslSocket::VerifyNone);
    return tls;
}

} // namespace

GatewayNode::GatewayNode(NodeConfig config, QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
{
    if (m_config.dataDir.isEmpty())
        m_config.dataDir = defaultDataDir();
}

GatewayNode::~GatewayNode()
{
    m_proxy.reset();
    if (m_dataDir && m_proxyPort != 0 && !m_stopping)
        QFile::remove(m_dataDir->file(QStringLiteral("proxy.url")));
    if (m_dataDir && m_adminPort != 0 && !m_stopping)
        m_dataDir->removeAdminUrl();
}

Status GatewayNode::checkConfig(const NodeConfig &config)
{
    const QString where = config.sourceFile.isEmpty() ? QStringLiteral("config") : config.sourceFile;
    if (config.store != QLatin1String("sqlite"))
        return Error(QStringLiteral("only the embedded \"sqlite\" store is available in this version"), where, 0,
                     QStringLiteral("gateway.store"));
    if (!config.tlsCert.isEmpty() || !config.tlsKey.isEmpty()) {
        if (auto tls = loadTls(config); !tls)
            return tls.error();
    }
    for (int i = 0; i < config.oidc.size(); ++i) {
        const OidcProviderConfig &p = config.oidc.at(i);
        if (!p.jwksFile.isEmpty() && !QFile::exists(p.jwksFile))
            return Error(QStringLiteral("%1 does not exist").arg(p.jwksFile), where, 0,
                         QStringLiteral("identity.oidc[%1].jwks_file").arg(i + 1));
    }
    return {};
}

QString GatewayNode::adminUrl() const
{
    const bool tls = !m_config.tlsCert.isEmpty();
    QString host = m_config.adminListen.host;
    if (host == QLatin1String("0.0.0.0"))
        host = QStringLiteral("127.0.0.1");
    else if (host == QLatin1String("::"))
        host = QStringLiteral("::1");
    ListenAddress shown{host, m_adminPort};
    return (tls ? QStringLiteral("https://") : QStringLiteral("http://")) + shown.toString();
}

QString GatewayNode::proxyUrl() const
{
    const bool tls = !m_config.tlsCert.isEmpty();
    QString host = m_config.httpListen.host;
    if (host == QLatin1String("0.0.0.0"))
        host = QStringLiteral("127.0.0.1");
    else if (host == QLatin1String("::"))
        host = QStringLiteral("::1");
    ListenAddress shown{host, m_proxyPort};
    return (tls ? QStringLiteral("https://") : QStringLiteral("http://")) + shown.toString();
}

Status GatewayNode::openDataDir()
{
    auto dir = DataDir::open(m_config.dataDir);
    if (!dir)
        return dir.error();
    m_dataDir = std::make_unique<DataDir>(std::move(dir).value());

    auto secrets = SecretBox::loadOrCreate(m_dataDir->secretKeyPath());
    if (!secrets)
        return secrets.error();
    m_secrets = std::move(secrets).value();

    auto issuer = TokenIssuer::loadOrCreate(m_dataDir->path());
    if (!issuer)
        return issuer.error();
    m_issuer = std::move(issuer).value();

    SqliteStore::Options storeOptions;
    // Without a [recording] synchronous key the store runs on its own default.
    Q_ASSERT(RecordingConfig{}.syncOnCommit == storeOptions.syncOnCommit);
    storeOptions.syncOnCommit = m_config.recording.syncOnCommit;
    auto store = SqliteStore::open(m_dataDir->storePath(), storeOptions);
    if (!store)
        return Error(QStringLiteral("cannot open the store %1: %2").arg(m_dataDir->storePath(), store.error().message));
    m_store = std::move(store).value();
    connect(m_store.get(), &Store::healthChanged, this, [](bool healthy, const QString &reason) {
        if (healthy)
            qInfo("store is writable again");
        else
            qCritical("store cannot write (%s): refusing traffic that must be recorded", qPrintable(reason));
    });
    return {};
}

Status GatewayNode::startAdmin()
{
    auto adminToken = m_dataDir->loadOrCreateAdminToken();
    if (!adminToken)
        return adminToken.error();

    QList<OidcProvider *> providers;
    for (const OidcProviderConfig &pc : std::as_const(m_config.oidc)) {
        auto *provider = new OidcProvider(pc, Clock::system(), this);
        if (auto st = provider->start(); !st)
            return Error(QStringLiteral("identity provider %1: %2").arg(pc.issuer, st.error().message));
        providers << provider;
    }
    m_auth = new Authenticator(*adminToken, m_issuer.get(), providers, Clock::system(), this);
    if (auto revoked = m_store->revokedTokens(); revoked)
        m_auth->setRevoked(*revoked);
    else
        return revoked.error();

    m_metrics = std::make_unique<Metrics>();
    m_metrics->registerProcessMetrics();
    m_metrics->gaugeCallback("gatehouse_store_healthy", "1 while the store can commit writes, else 0.",
                             [store = m_store.get()] { return store->health().ok() ? 1.0 : 0.0; });
    m_events = new EventHub(this);

    // Approvals write through their own connection to the store's file (WAL allows it).
    auto approvalStore = SqliteApprovalStore::open(m_dataDir->storePath(), SqliteApprovalStore::defaultBusyTimeoutMs,
                                                   m_config.recording.syncOnCommit);
    if (!approvalStore)
        return Error(QStringLiteral("cannot open the approvals in %1: %2")
                         .arg(m_dataDir->storePath(), approvalStore.error().message));
    m_approvalStore = std::move(approvalStore).value();
    m_approvals = std::make_unique<ApprovalBroker>(*m_approvalStore, Clock::system());
    connect(m_approvals.get(), &ApprovalBroker::requested, m_events,
            [hub = m_events](const QJsonObject &a) { hub->publish(QStringLiteral("approval.requested"), a); });
    connect(m_approvals.get(), &ApprovalBroker::updated, m_events,
            [hub = m_events](const QJsonObject &a) { hub->publish(QStringLiteral("approval.updated"), a); });
    connect(m_approvals.get(), &ApprovalBroker::decided, m_events,
            [hub = m_events](const QJsonObject &a) { hub->publish(QStringLiteral("approval.decided"), a); });
    connect(m_approvals.get(), &ApprovalBroker::expired, m_events,
            [hub = m_events](const QJsonObject &a) { hub->publish(QStringLiteral("approval.expired"), a); });
    connect(m_approvals.get(), &ApprovalBroker::grantRevoked, m_events,
            [hub = m_events](const QJsonObject &a) { hub->publish(QStringLiteral("approval.revoked"), a); });
    if (auto st = m_approvals->start(); !st)
        return st.error();

    AdminServices services;
    services.config = &m_config;
    services.store = m_store.get();
    services.auth = m_auth;
    services.issuer = m_issuer.get();
    services.secrets = m_secrets.get();
    services.metrics = m_metrics.get();
    services.events = m_events;
    services.approvals = m_approvals.get();
    services.clock = &Clock::system();
    m_reads = std::make_unique<AdminReads>();
    services.reads = m_reads.get();
    m_api = new AdminApi(services, this);

    m_admin = new HttpServer(this);
    if (!m_config.tlsCert.isEmpty()) {
        auto tls = loadTls(m_config);
        if (!tls)
            return tls.error();
        m_admin->setTlsConfiguration(*tls);
    }
    m_admin->setHandler([api = m_api](const HttpRequest &req, HttpResponder res) { api->handle(req, res); });
    auto port = m_admin->listen(m_config.adminListen);
    if (!port)
        return Error(QStringLiteral("admin API cannot listen on %1: %2")
                         .arg(m_config.adminListen.toString(), port.error().message));
    m_adminPort = *port;
    if (auto st = m_dataDir->writeAdminUrl(adminUrl()); !st)
        return st.error();
    return {};
}

Status GatewayNode::startProxy()
{
    HttpProxy::Services services;
    services.store = m_store.get();
    services.auth = m_auth;
    services.secrets = m_secrets.get();
    services.metrics = m_metrics.get();
    // Without a [proxy] or [recording] key the node runs on the options' own defaults.
    static_assert(ProxyConfig{}.workers == HttpProxyOptions{}.workers
                  && ProxyConfig{}.connectTimeout == HttpProxyOptions{}.connectTimeout
                  && ProxyConfig{}.readTimeout == HttpProxyOptions{}.readTimeout
                  && ProxyConfig{}.headerTimeout == HttpProxyOptions{}.headerTimeout
                  && ProxyConfig{}.idleTimeout == HttpProxyOptions{}.idleTimeout
                  && ProxyConfig{}.maxRequestHeaders == HttpProxyOptions{}.maxHeaderBytes
                  && ProxyConfig{}.maxRequestBody == HttpProxyOptions{}.maxBodyBytes
                  && ProxyConfig{}.maxIdleUpstreams == HttpProxyOptions{}.maxIdleUpstreamsPerKey
                  && ProxyConfig{}.ruleBodyLimit == HttpProxyOptions{}.ruleBodyLimit
                  && ProxyConfig{}.maskBodyLimit == HttpProxyOptions{}.maskBodyLimit
                  && RecordingConfig{}.bodyCap == Recorder::Options{}.bodyCap,
                  "the defaults documented for [proxy]/[recording] must be the options' own");
    Recorder::Options recording;
    recording.bodyCap = m_config.recording.bodyCap;
    m_recorder = std::make_unique<Recorder>(*m_store, *m_issuer, recording);
    services.recorder = m_recorder.get();
    services.approvals = m_approvals.get();
    // Proxy threads hand session events to the hub's thread; nothing waits. The proxy stops before
    // the hub goes, and a queued call whose context object is gone is dropped by Qt.
    services.publish = [hub = m_events](const QString &type, const QJsonObject &data) {
        QMetaObject::invokeMethod(hub, [hub, type, data] { hub->publish(type, data); }, Qt::QueuedConnection);
    };
    HttpProxyOptions options;
    options.workers = m_config.proxy.workers;
    options.connectTimeout = m_config.proxy.connectTimeout;
    options.readTimeout = m_config.proxy.readTimeout;
    options.headerTimeout = m_config.proxy.headerTimeout;
    options.idleTimeout = m_config.proxy.idleTimeout;
    options.maxHeaderBytes = qsizetype(m_config.proxy.maxRequestHeaders);
    options.maxBodyBytes = m_config.proxy.maxRequestBody;
    options.maxIdleUpstreamsPerKey = m_config.proxy.maxIdleUpstreams;
    options.ruleBodyLimit = m_config.proxy.ruleBodyLimit;
    options.maskBodyLimit = m_config.proxy.maskBodyLimit;
    m_proxy = std::make_unique<HttpProxy>(services, options);
    if (!m_config.tlsCert.isEmpty()) {
        auto tls = loadTls(m_config);
        if (!tls)
            return tls.error();
        m_proxy->setTlsConfiguration(*tls);
    }
    auto port = m_proxy->listen(m_config.httpListen);
    if (!port)
        return Error(QStringLiteral("HTTP proxy cannot listen on %1: %2")
                         .arg(m_config.httpListen.toString(), port.error().message));
    m_proxyPort = *port;
    // Tests and scripts on this machine find the proxy here, as gatehousectl finds admin.url.
    QFile url(m_dataDir->file(QStringLiteral("proxy.url")));
    if (!url.open(QIODevice::WriteOnly | QIODevice::Truncate) || url.write(proxyUrl().toUtf8() + '\n') < 0)
        return Error(QStringLiteral("cannot write %1: %2").arg(url.fileName(), url.errorString()));
    return {};
}

Status GatewayNode::start()
{
    QElapsedTimer timer;
    timer.start();
    if (auto st = openDataDir(); !st)
        return st;
    if (auto st = startAdmin(); !st)
        return st;
    if (auto st = startProxy(); !st)
        return st;

    auto set = m_store->resources();
    const qsizetype connections = set ? set->connections.size() : 0;
    const qsizetype rules = set ? set->rules.size() : 0;
    qInfo("gatehoused %s ready in %lld ms", GATEHOUSE_VERSION, static_cast<long long>(timer.elapsed()));
    qInfo("config: %s", qPrintable(m_config.sourceFile.isEmpty() ? QStringLiteral("embedded default") : m_config.sourceFile));
    qInfo("data dir: %s (store gatehouse.db; keys and admin.token, mode 0600)", qPrintable(m_dataDir->path()));
    qInfo("admin API: %s (use the token in %s; gatehousectl finds both on its own)",
          qPrintable(adminUrl()), qPrintable(m_dataDir->adminTokenPath()));
    qInfo("HTTP proxy: %s/<connection>/... on %d thread(s)", qPrintable(proxyUrl()), m_proxy->workerCount());
    qInfo("identity: gateway issuer %s, %lld OIDC provider(s)", qPrintable(m_issuer->issuer()),
          static_cast<long long>(m_config.oidc.size()));
    qInfo("resources: %lld connection(s), %lld rule(s)", static_cast<long long>(connections),
          static_cast<long long>(rules));
    return {};
}

void GatewayNode::stop()
{
    if (m_stopping)
        return;
    m_stopping = true;
    if (m_dataDir)
        m_dataDir->removeAdminUrl();
    if (m_dataDir && m_proxyPort != 0)
        QFile::remove(m_dataDir->file(QStringLiteral("proxy.url")));
    // Held requests are answered (403 approval_timeout) so the proxy can drain.
    if (m_approvals)
        m_approvals->shutdown(QStringLiteral("gateway shutting down"));
    if (m_events)
        m_events->closeAll();
    m_listenersDraining = 1;   // released below, once both listeners have been asked
    if (m_proxy) {
        ++m_listenersDraining;
        connect(m_proxy.get(), &HttpProxy::drained, this, &GatewayNode::onListenerDrained, Qt::SingleShotConnection);
        m_proxy->close();
    }
    if (m_admin) {
        ++m_listenersDraining;
        connect(m_admin, &HttpServer::drained, this, &GatewayNode::onListenerDrained, Qt::SingleShotConnection);
        m_admin->close();
    }
    QMetaObject::invokeMethod(this, &GatewayNode::onListenerDrained, Qt::QueuedConnection);
}

void GatewayNode::onListenerDrained()
{
    if (--m_listenersDraining == 0)
        finishStop();
}

void GatewayNode::finishStop()
{
    // The proxy's threads go first: they use identity and the store. Closing the store waits for
    // queued writes to commit.
    m_proxy.reset();
    m_recorder.reset();
    m_store.reset();
    qInfo("stopped");
    emit stopped();
}

} // namespace gh
