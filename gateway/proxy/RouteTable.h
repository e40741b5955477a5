#pragma once

#include "core/Resources.h"
#include "core/Result.h"
#include "policy/PolicyPlan.h"
#include "proxy/CredentialSource.h"

#include <QByteArray>
#include <QHash>
#include <QSslConfiguration>
#include <QString>

#include <memory>
#include <optional>

namespace gh {

class MaskPlanCache;
class SecretBox;

// Where an http connection's requests go, taken apart once per route-table build.
struct UpstreamEndpoint {
    bool tls = false;
    QString host;
    quint16 port = 0;
    QByteArray basePath;     // "" or "/v1" (no trailing '/')
    QByteArray hostHeader;   // "host" or "host:port" when the port is not the scheme's default
    QByteArray poolKey;      // equal for endpoints whose connections may be shared

    static Result<UpstreamEndpoint> parse(const QString &url);
};

// One routable connection: its resource, parsed upstream, TLS settings and credential.
struct Route {
    Connection connection;
    UpstreamEndpoint upstream;
    std::optional<QSslConfiguration> tls;         // https upstreams: system CAs plus ca_file
    QByteArray credentialHeader;                  // empty: the connection adds no credential
    QList<QByteArray> recordedSecretNames;        // headers left out of recordings besides the usual
    std::shared_ptr<CredentialSource> credential;
    std::shared_ptr<const PolicyPlan> policy;     // the rules that apply to this connection
    std::shared_ptr<MaskPlanCache> masks;         // compiled mask plans by caller subset (set with mask rules)
    QString problem;                              // set when the route cannot be used (502)
};

// An immutable snapshot of the http connections, rebuilt whenever the resources change and shared
// by every proxy thread.
class RouteTable final {
    Q_DISABLE_COPY_MOVE(RouteTable)
public:
    RouteTable() = default;
    // secrets must outlive the table. Connections of other types are left out. Each route's rules
    // are compiled here, once per resource change; a rule that cannot be compiled makes its
    // connections refuse traffic (fail closed) rather than run without it.
    static std::shared_ptr<const RouteTable> build(const QList<Connection> &connections, const SecretBox *secrets,
                                                   const QList<Rule> &rules = {});

    const Route *find(QByteArrayView name) const;
    qsizetype size() const { return m_routes.size(); }

private:
    QHash<QByteArray, Route> m_routes;
};

} // namespace gh
