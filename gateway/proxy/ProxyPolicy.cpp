// The rules' part of ProxyConnection (contract §3): after access (allow_groups) come deny, then
// approve; proceed() then records the request and forwards it, and the response is masked.
#include "proxy/ProxyConnection.h"

#include "admin/Metrics.h"
#include "approvals/ApprovalBroker.h"
#include "masking/MaskPlan.h"
#include "policy/PolicyPlan.h"
#include "proxy/ProxyContext.h"
#include "proxy/ResponseMasker.h"
#include "proxy/RouteTable.h"
#include "recording/Recorder.h"

#include <QJsonArray>

namespace gh {


void ProxyConnection::startBodyScan()
{
    // A deny or approve rule looks at the body: read all of it (bounded) before anything is
    // forwarded. The client that asked to be told first is told to send it now.
    m_scanning = true;
    m_scanBody.clear();
    if (m_expectContinue) {
        m_stream->write("HTTP/1.1 100 Continue\r\n\r\n", 25);
        m_continueSent = true;
    }
    m_request = Request::Body;
    armTimer(m_context.options.headerTimeout);
    pump();
}

void ProxyConnection::applyPolicy()
{
    if (!selectMaskPlan())
        return;
    if (m_policy && !m_policy->empty()) {
        const HttpRequestView view{m_method, m_upstreamPath, &m_headers, m_scanBody};
        if (const Rule *deny = m_policy->denied(view, m_principal.groups)) {
            refuseByRule(403, QByteArrayLiteral("denied"), deny->name,
                         QStringLiteral("rule \"%1\" denies this request").arg(deny->name));
            return;
        }
        m_approvalsLeft.clear();
        for (const Rule *rule : m_policy->approvalsNeeded(view, m_principal.groups)) {
            // A running time-boxed grant for this caller lets the request through unasked.
            if (!m_context.approvals || !m_context.approvals->hasGrant(m_principal, m_route->connection.name, rule->name))
                m_approvalsLeft.append(rule);
        }
        if (!m_approvalsLeft.isEmpty()) {
            holdNextApproval();
            return;
        }
    }
    proceed();
}

void ProxyConnection::holdNextApproval()
{
    const Rule *rule = m_approvalsLeft.takeFirst();
    ApprovalBroker *broker = m_context.approvals;
    if (!broker) {
        refuseByRule(403, QByteArrayLiteral("approval_denied"), rule->name,
                     QStringLiteral("rule \"%1\" needs an approval and this gateway takes none").arg(rule->name));
        return;
    }
    const QByteArray justification = headerValue(m_headers, "x-gatehouse-justification").trimmed();
    if (rule->justification && justification.isEmpty()) {
        refuseByRule(403, QByteArrayLiteral("justification_required"), rule->name,
                     QStringLiteral("rule \"%1\" needs an approval with a reason: send it in X-Gatehouse-Justification")
                         .arg(rule->name));
        return;
    }
    ApprovalRequest request;
    request.rule = rule->name;
    request.connection = m_route->connection.name;
    request.requester = m_principal;
    request.clientAddr = QString::fromLatin1(m_peerText);
    request.method = QString::fromLatin1(m_method);
    request.path = QString::fromUtf8(m_upstreamPath);
    request.bodyExcerpt = maskedExcerpt(m_scanBody.left(ApprovalBroker::kMaxBodyExcerpt));
    request.justification = QString::fromUtf8(justification.left(2048));
    request.approverGroups = rule->approvers;
    request.required = rule->approvals;
    request.timeout = rule->timeout;
    if (m_context.recorder && ensureSession())
        request.sessionId = m_session->id();
    const quint64 serial = ++m_exchangeSerial;
    m_heldApproval = broker->hold(request, this, [this, serial](ApprovalOutcome outcome) { onApprovalOutcome(serial, outcome); });
    if (m_session)
        m_session->record(QStringLiteral("approval.requested"),
                          QJsonObject{{QStringLiteral("request_id"), QString::fromLatin1(m_requestId)},
                                      {QStringLiteral("approval"), m_heldApproval},
                                      {QStringLiteral("rule"), rule->name},
                                      {QStringLiteral("method"), request.method},
                                      {QStringLiteral("path"), request.path},
                                      {QStringLiteral("justification"), request.justification}});
    // The client waits: no header or body timer runs while a human decides.
    m_timer.stop();
}

void ProxyConnection::onApprovalOutcome(quint64 serial, const ApprovalOutcome &outcome)
{
    if (serial != m_exchangeSerial || outcome.id != m_heldApproval || m_closing || m_closed)
        return;
    m_heldApproval.clear();
    static const char *const states[] = {"approved", "denied", "expired"};
    const QString state = QLatin1String(states[outcome.state]);
    if (m_session) {
        QJsonObject data{{QStringLiteral("request_id"), QString::fromLatin1(m_requestId)},
                         {QStringLiteral("approval"), outcome.id},
                         {QStringLiteral("state"), state},
                         {QStringLiteral("by"), QJsonArray::fromStringList(outcome.decidedBy)},
                         {QStringLiteral("reason"), outcome.reason}};
        if (outcome.grantUntil.isValid())
            data.insert(QStringLiteral("grant_until"), outcome.grantUntil.toString(Qt::ISODateWithMs));
        m_session->record(QStringLiteral("approval.decided"), data);
    }
    if (outcome.state == ApprovalOutcome::Approved) {
        if (!m_approvalsLeft.isEmpty())
            holdNextApproval();
        else
            proceed();
        return;
    }
    m_refusalExtra.insert(QStringLiteral("approval"), outcome.id);
    if (outcome.state == ApprovalOutcome::Denied) {
        refuse(403, QByteArrayLiteral("approval_denied"),
               outcome.reason.isEmpty() ? QStringLiteral("the approval was denied")
                                        : QStringLiteral("the approval was denied: ") + outcome.reason);
    } else {
        refuse(403, QByteArrayLiteral("approval_timeout"),
               outcome.reason.isEmpty() ? QStringLiteral("no decision came in time")
                                        : QStringLiteral("the approval expired: ") + outcome.reason);
    }
}

QByteArray ProxyConnection::maskedExcerpt(QByteArrayView body) const
{
    // An approver sees what the caller would be shown: masked as responses are.
    if (!m_maskPlan || body.isEmpty())
        return body.toByteArray();
    return m_maskPlan->maskBuffer(body).data;
}

bool ProxyConnection::selectMaskPlan()
{
    m_maskPlan.reset();
    if (!m_policy || !m_route->masks)
        return true;
    if (m_maskChoice.route == m_route && m_maskChoice.groups == m_principal.groups
        && m_maskChoice.routes.lock() == m_routes) {
        m_maskPlan = m_maskChoice.plan;
        return true;
    }
    const MaskSelection selection = m_policy->maskRules(m_principal.groups);
    if (selection.rules.isEmpty()) {
        m_maskChoice = {m_routes, m_route, m_principal.groups, nullptr};
        return true;
    }
    auto plan = m_route->masks->get(selection.key, selection.rules);
    if (!plan) {
        qWarning("connection %s: the mask rules cannot be compiled: %s", qPrintable(m_route->connection.name),
                 qPrintable(plan.error().message));
        refuse(502, QByteArrayLiteral("unmaskable"),
               QStringLiteral("the mask rules of connection \"%1\" cannot be applied, so nothing is forwarded")
                   .arg(m_route->connection.name));
        return false;
    }
    m_maskPlan = std::move(*plan);
    m_maskChoice = {m_routes, m_route, m_principal.groups, m_maskPlan};
    return true;
}

bool ProxyConnection::startMasking(UpstreamResponseHead &head)
{
    auto masker = ResponseMasker::create(m_maskPlan, head, m_context.options.maskBodyLimit);
    if (!masker) {
        m_response = Response::None;   // nothing has been sent: the client gets a 502
        maskFailed(masker.error().message);
        return false;
    }
    m_masker = std::move(*masker);
    if (m_masker->wholeBody()) {
        // The head waits for the masked body, so a body that turns out unmaskable is still a 502.
        m_deferredHead = head;
        m_response = Response::None;
    }
    return true;
}

void ProxyConnection::maskFailed(const QString &reason)
{
    if (m_context.counters.maskFailures)
        m_context.counters.maskFailures->inc();
    const QString name = m_route ? m_route->connection.name : QString();
    qWarning("connection %s: a response could not be masked, not passing it on: %s", qPrintable(name), qPrintable(reason));
    const bool headSent = !m_deferredHead && m_response != Response::None;
    m_masker.reset();
    m_deferredHead.reset();
    m_responseInline = false;
    releaseUpstream(false);
    if (headSent) {
        closeGracefully();   // what was sent was masked; the rest never goes out
        return;
    }
    refuse(502, QByteArrayLiteral("unmaskable"),
           QStringLiteral("the response cannot be masked safely, so the gateway does not pass it on: ") + reason);
}

void ProxyConnection::recordMasking(const QList<MaskSummary> &masks)
{
    QJsonArray list;
    for (const MaskSummary &m : masks) {
        if (m.count == 0)
            continue;
        QJsonArray ranges;
        for (const auto &[offset, length] : m.ranges)
            ranges.append(QJsonArray{double(offset), double(length)});
        list.append(QJsonObject{{QStringLiteral("rule"), m.rule},
                                {QStringLiteral("detector"), m.detector},
                                {QStringLiteral("count"), double(m.count)},
                                {QStringLiteral("ranges"), ranges}});
    }
    if (list.isEmpty())
        return;
    // Where and what kind, never the original values.
    m_session->record(QStringLiteral("policy.masked"),
                      QJsonObject{{QStringLiteral("request_id"), QString::fromLatin1(m_requestId)},
                                  {QStringLiteral("masks"), list}});
}

void ProxyConnection::refuseByRule(int status, const QByteArray &code, const QString &rule, const QString &message)
{
    m_refusalExtra.insert(QStringLiteral("rule"), rule);
    refuse(status, code, message);
}

} // namespace gh
