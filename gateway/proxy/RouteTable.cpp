#include "proxy/RouteTable.h"

#include "proxy/ResponseMasker.h"

#include <QSslCertificate>
#include <QUrl>

namespace gh {

Result<UpstreamEndpoint> UpstreamEndpoint::parse(const QString &url)
{
    const QUrl u(url, QUrl::StrictMode);
    if (!u.isValid() || u.host().isEmpty())
        return Error(QStringLiteral("upstream %1 is not a valid URL").arg(url));
    UpstreamEndpoint e;
    const QString scheme = u.scheme().toLower();
    if (scheme == u"https")
        e.tls = true;
    else if (scheme != u"http")
        return Error(QStringLiteral("upstream %1 is not http:// or https://").arg(url));
    e.host = u.host();
    const int defaultPort = e.tls ? 443 : 80;
    const int port = u.port(defaultPort);
    if (port <= 0 || port > 65535)
        return Error(QStringLiteral("upstream %1 has no valid port").arg(url));
    e.port = quint16(port);
    e.basePath = u.path(QUrl::FullyEncoded).toUtf8();
    while (e.basePath.endsWith('/'))
        e.basePath.chop(1);
    const QByteArray host = e.host.contains(QLatin1Char(':')) ? '[' + e.host.toUtf8() + ']' : e.host.toUtf8();
    e.hostHeader = port == defaultPort ? host : host + ':' + QByteArray::number(port);
    e.poolKey = (e.tls ? QByteArrayLiteral("https://") : QByteArrayLiteral("http://")) + host + ':'
        + QByteArray::number(port);
    return e;
}

std::shared_ptr<const RouteTable> RouteTable::build(const QList<Connection> &connections, const SecretBox *secrets,
                                                   const QList<Rule> &rules)
{
    auto table = std::make_shared<RouteTable>();
    for (const Connection &c : connections) {
        if (c.type != u"http")
            continue;
        Route r;
        r.connection = c;
        auto endpoint = UpstreamEndpoint::parse(c.upstream);
        if (!endpoint) {
            r.problem = endpoint.error().message;
        } else {
            r.upstream = *endpoint;
            if (r.upstream.tls) {
                QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
                tls.setPeerVerifyMode(QSslSocket::VerifyPeer);
                tls.setProtocol(QSsl::TlsV1_2OrLater);
                if (!c.caFile.isEmpty()) {
                    const QList<QSslCertificate> cas = QSslCertificate::fromPath(c.caFile, QSsl::Pem);
                    if (cas.isEmpty())
                        r.problem = QStringLiteral("no CA certificate could be read from %1").arg(c.caFile);
                    tls.addCaCertificates(cas);
                    // A private CA gets its own pool: its connections are verified differently.
                    r.upstream.poolKey += '|' + c.caFile.toUtf8();
                }
                r.tls = tls;
            }
        }
        if (!c.credential.header.isEmpty()) {
            r.credentialHeader = c.credential.header.toLatin1();
            if (!r.credentialHeader.isEmpty())
                r.recordedSecretNames << r.credentialHeader;
            r.credential = std::make_shared<CredentialSource>(c.credential.value, secrets);
        }
        auto plan = PolicyPlan::build(c.name, rules);
        if (plan) {
            r.policy = std::move(*plan);
            if (!r.policy->allMaskRules().isEmpty())
                r.masks = std::make_shared<MaskPlanCache>();
        }
        else if (r.problem.isEmpty())
            r.problem = plan.error().message;
        table->m_routes.insert(c.name.toUtf8(), std::move(r));
    }
    return table;
}

const Route *RouteTable::find(QByteArrayView name) const
{
    const auto it = m_routes.constFind(QByteArray::fromRawData(name.data(), name.size()));
    return it == m_routes.cend() ? nullptr : &*it;
}

} // namespace gh
