// The rules' part of ProxyConnection (contract §3): after access (allow_groups) come deny, then
// approve; proceed() then records the request and forwards it, and the response is masked.
#include "proxy/ProxyConnection.h"

#include "admin/Metrics.h"
#include "policy/PolicyPlan.h"
#include "proxy/ProxyContext.h"
#include "proxy/RouteTable.h"

#include <QTcpSocket>

namespace gh {

void ProxyConnection::startBodyScan()
{
    // A deny or approve rule looks at the body: read all of it (bounded) before anything is
    // forwarded. The client that asked to be told first is told to send it now.
    m_scanning = true;
    m_scanBody.clear();
    if (m_expectContinue) {
        m_socket->write("HTTP/1.1 100 Continue\r\n\r\n", 25);
        m_continueSent = true;
    }
    m_request = Request::Body;
    armTimer(m_context.options.headerTimeout);
    pump();
}

void ProxyConnection::applyPolicy()
{
    if (m_policy && !m_policy->empty()) {
        const HttpRequestView view{m_method, m_upstreamPath, &m_headers, m_scanBody};
        if (const Rule *deny = m_policy->denied(view, m_principal.groups)) {
            refuseByRule(403, QByteArrayLiteral("denied"), deny->name,
                         QStringLiteral("rule \"%1\" denies this request").arg(deny->name));
            return;
        }
    }
    proceed();
}

void ProxyConnection::refuseByRule(int status, const QByteArray &code, const QString &rule, const QString &message)
{
    m_refusalExtra.insert(QStringLiteral("rule"), rule);
    refuse(status, code, message);
}

} // namespace gh
