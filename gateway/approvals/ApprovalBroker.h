#pragma once

#include "approvals/Approval.h"
#include "core/Clock.h"
#include "core/Result.h"
#include "identity/Principal.h"

#include <QByteArray>
#include <QDateTime>
#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QMutex>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QStringList>
#include <QTimer>

#include <chrono>
#include <functional>
#include <optional>

namespace gh {

class ApprovalStore;

// What the proxy holds a request for (an `approve` rule matched).
struct ApprovalRequest {
    QString rule;
    QString connection;
    Principal requester;
    QString sessionId;
    QString clientAddr;
    QString method;
    QString path;
    QByteArray bodyExcerpt;        // already masked by the caller; cut to 2 KiB here
    QString justification;         // X-Gatehouse-Justification, when sent
    QStringList approverGroups;    // the rule's approvers
    int required = 1;              // the rule's `approvals`
    std::chrono::milliseconds timeout{std::chrono::minutes(5)};
};

// How a held request ends; the proxy answers 403 approval_denied / approval_timeout unless Approved.
struct ApprovalOutcome {
    enum State { Approved, Denied, Expired };
    QString id;
    State state = Expired;
    QString reason;
    QStringList decidedBy;      // the approvers, or the denier
    QDateTime grantUntil;       // approved for a duration; invalid for "once"
};

// An approver's decision as the admin API received it.
struct ApprovalDecision {
    bool approve = true;
    std::optional<std::chrono::milliseconds> forDuration;   // approve only: a time-boxed grant
    QString reason;
    bool asAdmin = false;       // the caller has the admin role: may decide any rule's approvals
};

// The answer to decide(): the approval as it now stands, or why not (HTTP status and error code).
struct DecideResult {
    std::optional<Approval> approval;
    int status = 200;           // 400 invalid, 403 forbidden, 404 not_found, 409 conflict, 503 store_unavailable
    QByteArray error;
    QString message;
    bool ok() const { return approval.has_value(); }
};

// A time-boxed grant that lets a subject's matching requests through without asking again.
struct ApprovalGrant {
    QString approvalId;
    QDateTime until;
};

// Holds requests that an `approve` rule matched until enough approvers decide, the rule's timeout
// passes or the client goes away; keeps time-boxed grants. Lives on the admin (main) thread;
// hold(), cancel(), hasGrant() and grantFor() may be called from any thread.
class ApprovalBroker final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ApprovalBroker)
public:
    static constexpr std::chrono::hours kMaxGrant{24};
    static constexpr qsizetype kMaxBodyExcerpt = 2048;

    // `store` and `clock` must outlive the broker.
    ApprovalBroker(ApprovalStore &store, const Clock &clock, QObject *parent = nullptr);
    ~ApprovalBroker() override;   // shutdown("gateway shutting down")

    // Marks every approval still pending in the store expired ("gateway restarted", emitting
    // expired() for each) and loads the grants that have not run out. Connect signals first.
    Status start();

    // Holds a request: returns its approval id at once and never blocks. `done` runs exactly once,
    // on `context`'s thread (queued, never inside hold()), when the approval is approved, denied,
    // times out, is cancelled or the broker shuts down; not at all if `context` is destroyed first.
    // When the approval cannot be stored, `done` gets Denied, "approval store unavailable".
    QString hold(ApprovalRequest request, QObject *context, std::function<void(ApprovalOutcome)> done);
    // The client went away: a pending approval turns expired with `reason`; `done` still runs.
    // Call it from the thread that called hold().
    void cancel(const QString &id, const QString &reason);
    // A time-boxed grant for this subject (subject and issuer), connection and rule is running.
    bool hasGrant(const Principal &subject, const QString &connection, const QString &rule) const;
    std::optional<ApprovalGrant> grantFor(const Principal &subject, const QString &connection,
                                          const QString &rule) const;

    // Broker thread only. An approver (in the approval's groups, or an admin) decides; never the
    // requester. Deny decides at once; approve once `required` distinct approvers approved.
    DecideResult decide(const QString &id, const Principal &approver, const ApprovalDecision &decision);
    // Broker thread only. Ends the running time-boxed grant of an approved approval now: its
    // subject's matching requests are held again. An admin, an approver of its rule or the grantee
    // may; not found 404, no running grant 409, store failure 503 (the grant then still runs).
    DecideResult revokeGrant(const QString &id, const Principal &who, bool asAdmin, const QString &reason);
    // Newest first.
    Result<QList<Approval>> list(std::optional<Approval::State> state, int limit = 1000) const;
    Result<std::optional<Approval>> get(const QString &id) const;

    // Expires pending approvals and drops grants whose time (by the Clock) has come; a timer calls
    // it, tests call it after advancing a FakeClock.
    void expireDue();
    // Ends every pending approval as expired with `reason`; later holds end the same way at once.
    void shutdown(const QString &reason);
    int pendingCount() const { return int(m_pending.size()); }

signals:
    // The approval as the admin API shows it.
    void requested(const QJsonObject &approval);
    void updated(const QJsonObject &approval);    // an approve that still needs more approvers
    void decided(const QJsonObject &approval);    // approved or denied
    void expired(const QJsonObject &approval);
    void grantRevoked(const QJsonObject &approval);

private:
    struct Pending {
        Approval approval;
        QObject *notifier;   // owned; emits the outcome to the holder's context
    };

    void admit(Approval a, QObject *notifier);
    void finish(const QString &id, Approval::State state, const QString &reason);
    void deliver(QObject *notifier, const ApprovalOutcome &outcome);
    void addGrant(const Approval &a);
    void scheduleNext();
    static QString grantKey(const QString &subject, const QString &issuer, const QString &connection,
                            const QString &rule);

    ApprovalStore &m_store;
    const Clock &m_clock;
    QHash<QString, Pending> m_pending;
    QTimer m_timer;
    bool m_shutDown = false;

    mutable QMutex m_grantsMutex;
    QMultiHash<QString, ApprovalGrant> m_grants;
};

} // namespace gh
