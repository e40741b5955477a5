#pragma once

#include "approvals/Approval.h"
#include "core/Result.h"

#include <QHash>
#include <QList>

#include <optional>

namespace gh {

// Where approvals are kept so that a restart can expire the held ones and keep the granted ones.
// Used from the broker's thread only.
class ApprovalStore {
public:
    virtual ~ApprovalStore() = default;

    // Inserts or replaces the approval with a.id. A failure means the step is not on record.
    virtual Status save(const Approval &a) = 0;
    virtual Result<std::optional<Approval>> find(const QString &id) const = 0;
    // Newest first, at most `limit`; every state when `state` is nullopt.
    virtual Result<QList<Approval>> list(std::optional<Approval::State> state, int limit) const = 0;
    // Approved approvals whose grant runs past `now`.
    virtual Result<QList<Approval>> activeGrants(const QDateTime &now) const = 0;
};

// Keeps approvals in memory: for tests, and for a gateway that runs without a store file.
class MemoryApprovalStore final : public ApprovalStore {
public:
    Status save(const Approval &a) override;
    Result<std::optional<Approval>> find(const QString &id) const override;
    Result<QList<Approval>> list(std::optional<Approval::State> state, int limit) const override;
    Result<QList<Approval>> activeGrants(const QDateTime &now) const override;

    // Test seam: every save() fails while set, as a full disk would.
    void setFailing(bool failing) { m_failing = failing; }

private:
    QList<Approval> m_approvals;   // in creation order
    bool m_failing = false;
};

} // namespace gh
