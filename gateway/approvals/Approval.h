#pragma once

#include "identity/Principal.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace gh {

// One approver's step on an approval.
struct ApprovalStep {
    QString by;        // the approver's subject
    QString issuer;    // the approver's token issuer ("" for the admin token)
    QDateTime at;      // UTC
    bool approve = true;
    QString reason;
    std::optional<qint64> forMs;   // "approve for a duration": the grant the approver asked for

    friend bool operator==(const ApprovalStep &, const ApprovalStep &) = default;
};

// Who ended a time-boxed grant before it ran out, and why.
struct GrantRevocation {
    QString by;        // subject
    QString issuer;    // "" for the admin token
    QDateTime at;      // UTC; the grant's end (grantUntil) is moved to it
    QString reason;

    friend bool operator==(const GrantRevocation &, const GrantRevocation &) = default;
};

// A request held by an `approve` rule (issue 4) and everything decided about it: what the admin
// API lists, the live stream carries and the store keeps.
struct Approval {
    enum class State { Pending, Approved, Denied, Expired };

    QString id;
    State state = State::Pending;
    QString rule;
    QString connection;
    QString subject;             // the requester
    QString issuer;              // the requester's token issuer; with subject, who may not decide
    QStringList groups;          // the requester's groups
    QString sessionId;
    QString clientAddr;
    QString method;
    QString path;
    QString bodyExcerpt;         // masked by the proxy, at most 2 KiB
    QString justification;       // X-Gatehouse-Justification
    QStringList approverGroups;  // the rule's approvers when the request was held
    int required = 1;            // distinct approvers needed
    QList<ApprovalStep> steps;
    QDateTime createdAt;
    QDateTime expiresAt;         // a pending approval expires then
    QDateTime decidedAt;         // invalid while pending
    QString reason;              // the denier's, the approvers', or why it expired
    QDateTime grantUntil;        // approved for a duration: matching requests pass until then
    std::optional<GrantRevocation> revocation;   // the grant was ended early

    int approveCount() const;
    bool isFinal() const { return state != State::Pending; }
    friend bool operator==(const Approval &, const Approval &) = default;
};

QString approvalStateName(Approval::State s);
std::optional<Approval::State> approvalStateFromName(const QString &name);

// Whether `who` is among the approvers of `a` (by group); says nothing about self-approval.
bool isApproverOf(const Approval &a, const Principal &who);
// Whether `who` made the request held by `a`: subject and issuer both match.
bool isRequesterOf(const Approval &a, const Principal &who);

// The JSON the admin API answers with, the event stream carries and the store keeps (docs/admin-api.md).
QJsonObject toJson(const Approval &a);
// Reads back what toJson() wrote; nullopt when the object is not an approval.
std::optional<Approval> approvalFromJson(const QJsonObject &o);

} // namespace gh
