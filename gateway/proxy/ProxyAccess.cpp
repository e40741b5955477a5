// Who may use which connection: the principal a connection keeps for its token, then the
// route, the caller's groups and the recorder's health, before the rules (ProxyPolicy.cpp).
#include "proxy/ProxyConnection.h"

#include "core/GroupGlob.h"
#include "identity/Authenticator.h"
#include "proxy/ProxyContext.h"
#include "proxy/ProxyWorker.h"
#include "proxy/RouteTable.h"
#include "recording/Recorder.h"

namespace gh {

namespace {

QString printable(QByteArrayView v)
{
    return QString::fromUtf8(v.first(qMin<qsizetype>(v.size(), 64)));
}

} // namespace

bool ProxyConnection::stillNotRevoked()
{
    const quint64 now = m_context.auth->revocations();
    if (now == m_provenRevocations || m_provenPrincipal.tokenId.isEmpty())
        return true;
    if (m_context.auth->isRevoked(m_provenPrincipal.tokenId))
        return false;
    m_provenRevocations = now;   // read before the check: a revocation since then moves it again
    return true;
}

Principal ProxyConnection::detached(const Principal &p)
{
    // Every connection of a client holding one token shares the authenticator's copy of these
    // strings; a copy per request counted references on them from both proxy threads.
    auto own = [](const QString &s) { return s.isNull() ? QString() : QString(s.constData(), s.size()); };
    Principal out = p;
    out.subject = own(p.subject);
    out.issuer = own(p.issuer);
    out.tokenId = own(p.tokenId);
    out.groups.clear();
    out.groups.reserve(p.groups.size());
    for (const QString &g : p.groups)
        out.groups.append(own(g));
    return out;
}

void ProxyConnection::authorize()
{
    if (m_principal.isAdminToken()) {
        refuse(403, QByteArrayLiteral("forbidden"),
               QStringLiteral("the admin token is for the admin API; use a token issued to a person or service"));
        return;
    }
    if (const std::shared_ptr<const RouteTable> &current = m_worker->routes(); m_routes != current)
        m_routes = current;
    m_route = m_routes->find(m_target.connection);
    if (!m_route) {
        refuse(404, QByteArrayLiteral("not_found"),
               QStringLiteral("there is no HTTP connection named \"%1\"").arg(printable(m_target.connection)));
        return;
    }
    if (!GroupGlob::allows(m_route->connection.allowGroups, m_principal.groups)) {
        refuse(403, QByteArrayLiteral("forbidden"),
               QStringLiteral("your groups may not use connection \"%1\"").arg(m_route->connection.name));
        return;
    }
    if (!m_route->problem.isEmpty()) {
        qWarning("connection %s cannot be used: %s", qPrintable(m_route->connection.name), qPrintable(m_route->problem));
        refuse(502, QByteArrayLiteral("upstream_unavailable"),
               QStringLiteral("connection \"%1\" is misconfigured: %2").arg(m_route->connection.name, m_route->problem));
        return;
    }
    m_upstreamPath = m_target.upstreamTarget({});
    m_policy = m_route->policy.get();
    // Fail closed: what cannot be recorded is not forwarded, and no rule is worth evaluating.
    if (Recorder *recorder = m_context.recorder) {
        if (auto health = recorder->health(); !health) {
            refuse(503, QByteArrayLiteral("recording_unavailable"),
                   QStringLiteral("the gateway cannot record right now, so it forwards nothing: ") + health.error().message);
            return;
        }
    }
    if (m_policy && m_hasBody && m_policy->needsBody(m_principal.groups)) {
        startBodyScan();
        return;
    }
    applyPolicy();
}

} // namespace gh
