#include "approvals/Approval.h"

#include <QJsonArray>

namespace gh {

namespace {

QJsonValue isoOrNull(const QDateTime &t)
{
    return t.isValid() ? QJsonValue(t.toUTC().toString(Qt::ISODateWithMs)) : QJsonValue(QJsonValue::Null);
}

QDateTime fromIso(const QJsonValue &v)
{
    if (!v.isString())
        return {};
    QDateTime t = QDateTime::fromString(v.toString(), Qt::ISODateWithMs);
    return t.isValid() ? t.toUTC() : QDateTime();
}

QStringList stringList(const QJsonValue &v)
{
    QStringList out;
    for (const QJsonValue &item : v.toArray())
        out << item.toString();
    return out;
}

} // namespace

int Approval::approveCount() const
{
    int n = 0;
    for (const ApprovalStep &s : steps)
        n += s.approve ? 1 : 0;
    return n;
}

QString approvalStateName(Approval::State s)
{
    switch (s) {
    case Approval::State::Pending:
        return QStringLiteral("pending");
    case Approval::State::Approved:
        return QStringLiteral("approved");
    case Approval::State::Denied:
        return QStringLiteral("denied");
    case Approval::State::Expired:
        return QStringLiteral("expired");
    }
    return QStringLiteral("expired");
}

std::optional<Approval::State> approvalStateFromName(const QString &name)
{
    for (Approval::State s : {Approval::State::Pending, Approval::State::Approved, Approval::State::Denied,
                              Approval::State::Expired}) {
        if (approvalStateName(s) == name)
            return s;
    }
    return std::nullopt;
}

bool isApproverOf(const Approval &a, const Principal &who)
{
    return who.inAnyGroup(a.approverGroups);
}

bool isRequesterOf(const Approval &a, const Principal &who)
{
    return who.subject == a.subject && who.issuer == a.issuer;
}

QJsonObject toJson(const Approval &a)
{
    QJsonArray steps;
    for (const ApprovalStep &s : a.steps) {
        QJsonObject step{
            {QStringLiteral("by"), s.by},
            {QStringLiteral("issuer"), s.issuer},
            {QStringLiteral("at"), isoOrNull(s.at)},
            {QStringLiteral("decision"), s.approve ? QStringLiteral("approve") : QStringLiteral("deny")},
            {QStringLiteral("reason"), s.reason},
        };
        if (s.forMs)
            step.insert(QStringLiteral("for_ms"), double(*s.forMs));
        steps.append(step);
    }
    QJsonValue revoked = QJsonValue::Null;
    if (a.revocation)
        revoked = QJsonObject{
            {QStringLiteral("by"), a.revocation->by},
            {QStringLiteral("issuer"), a.revocation->issuer},
            {QStringLiteral("at"), isoOrNull(a.revocation->at)},
            {QStringLiteral("reason"), a.revocation->reason},
        };
    return QJsonObject{
        {QStringLiteral("id"), a.id},
        {QStringLiteral("state"), approvalStateName(a.state)},
        {QStringLiteral("rule"), a.rule},
        {QStringLiteral("connection"), a.connection},
        {QStringLiteral("subject"), a.subject},
        {QStringLiteral("issuer"), a.issuer},
        {QStringLiteral("groups"), QJsonArray::fromStringList(a.groups)},
        {QStringLiteral("session"), a.sessionId},
        {QStringLiteral("client_addr"), a.clientAddr},
        {QStringLiteral("method"), a.method},
        {QStringLiteral("path"), a.path},
        {QStringLiteral("body_excerpt"), a.bodyExcerpt},
        {QStringLiteral("justification"), a.justification},
        {QStringLiteral("approvers"), QJsonArray::fromStringList(a.approverGroups)},
        {QStringLiteral("required"), a.required},
        {QStringLiteral("approvals"), steps},
        {QStringLiteral("created_at"), isoOrNull(a.createdAt)},
        {QStringLiteral("expires_at"), isoOrNull(a.expiresAt)},
        {QStringLiteral("decided_at"), isoOrNull(a.decidedAt)},
        {QStringLiteral("reason"), a.reason},
        {QStringLiteral("grant_until"), isoOrNull(a.grantUntil)},
        {QStringLiteral("grant_revoked"), revoked},
    };
}

std::optional<Approval> approvalFromJson(const QJsonObject &o)
{
    Approval a;
    a.id = o.value(QStringLiteral("id")).toString();
    const auto state = approvalStateFromName(o.value(QStringLiteral("state")).toString());
    if (a.id.isEmpty() || !state)
        return std::nullopt;
    a.state = *state;
    a.rule = o.value(QStringLiteral("rule")).toString();
    a.connection = o.value(QStringLiteral("connection")).toString();
    a.subject = o.value(QStringLiteral("subject")).toString();
    a.issuer = o.value(QStringLiteral("issuer")).toString();
    a.groups = stringList(o.value(QStringLiteral("groups")));
    a.sessionId = o.value(QStringLiteral("session")).toString();
    a.clientAddr = o.value(QStringLiteral("client_addr")).toString();
    a.method = o.value(QStringLiteral("method")).toString();
    a.path = o.value(QStringLiteral("path")).toString();
    a.bodyExcerpt = o.value(QStringLiteral("body_excerpt")).toString();
    a.justification = o.value(QStringLiteral("justification")).toString();
    a.approverGroups = stringList(o.value(QStringLiteral("approvers")));
    a.required = o.value(QStringLiteral("required")).toInt(1);
    for (const QJsonValue &v : o.value(QStringLiteral("approvals")).toArray()) {
        const QJsonObject s = v.toObject();
        ApprovalStep step;
        step.by = s.value(QStringLiteral("by")).toString();
        step.issuer = s.value(QStringLiteral("issuer")).toString();
        step.at = fromIso(s.value(QStringLiteral("at")));
        step.approve = s.value(QStringLiteral("decision")).toString() == QLatin1String("approve");
        step.reason = s.value(QStringLiteral("reason")).toString();
        if (s.value(QStringLiteral("for_ms")).isDouble())
            step.forMs = qint64(s.value(QStringLiteral("for_ms")).toDouble());
        a.steps.append(step);
    }
    a.createdAt = fromIso(o.value(QStringLiteral("created_at")));
    a.expiresAt = fromIso(o.value(QStringLiteral("expires_at")));
    a.decidedAt = fromIso(o.value(QStringLiteral("decided_at")));
    a.reason = o.value(QStringLiteral("reason")).toString();
    a.grantUntil = fromIso(o.value(QStringLiteral("grant_until")));
    if (const QJsonValue r = o.value(QStringLiteral("grant_revoked")); r.isObject()) {
        const QJsonObject ro = r.toObject();
        a.revocation = GrantRevocation{ro.value(QStringLiteral("by")).toString(),
                                       ro.value(QStringLiteral("issuer")).toString(),
                                       fromIso(ro.value(QStringLiteral("at"))),
                                       ro.value(QStringLiteral("reason")).toString()};
    }
    return a;
}

} // namespace gh
