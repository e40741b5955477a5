#include "approvals/ApprovalStore.h"

#include <algorithm>

namespace gh {

Status MemoryApprovalStore::save(const Approval &a)
{
    if (m_failing)
        return Error(QStringLiteral("the approval store refuses writes"));
    for (Approval &existing : m_approvals) {
        if (existing.id == a.id) {
            existing = a;
            return {};
        }
    }
    m_approvals.append(a);
    return {};
}

Result<std::optional<Approval>> MemoryApprovalStore::find(const QString &id) const
{
    for (const Approval &a : m_approvals) {
        if (a.id == id)
            return std::optional<Approval>(a);
    }
    return std::optional<Approval>();
}

Result<QList<Approval>> MemoryApprovalStore::list(std::optional<Approval::State> state, int limit) const
{
    QList<Approval> out;
    for (auto it = m_approvals.crbegin(); it != m_approvals.crend() && out.size() < limit; ++it) {
        if (!state || it->state == *state)
            out.append(*it);
    }
    return out;
}

Result<QList<Approval>> MemoryApprovalStore::activeGrants(const QDateTime &now) const
{
    QList<Approval> out;
    for (const Approval &a : m_approvals) {
        if (a.state == Approval::State::Approved && a.grantUntil.isValid() && a.grantUntil > now)
            out.append(a);
    }
    return out;
}

} // namespace gh
