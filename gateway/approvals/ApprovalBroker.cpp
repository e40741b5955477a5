#include "approvals/ApprovalBroker.h"

#include "approvals/ApprovalStore.h"
#include "core/NodeConfig.h"

#include <QMutexLocker>
#include <QRandomGenerator>
#include <QThread>

#include <algorithm>
#include <array>
#include <limits>

namespace gh {

// Carries one outcome to the holder's thread. Emitting over a queued connection whose receiver
// is the holder's context is what makes delivery safe when that context dies on its own thread.
class ApprovalNotifier final : public QObject {
    Q_OBJECT
public:
    using QObject::QObject;
signals:
    void ready(const gh::ApprovalOutcome &outcome);
};

namespace {

// 128 random bits in hex: unguessable, URL-safe, and never read as a command-line option.
QString newApprovalId()
{
    std::array<quint32, 4> words{};
    QRandomGenerator::system()->fillRange(words.data(), qsizetype(words.size()));
    QByteArray raw(reinterpret_cast<const char *>(words.data()), qsizetype(sizeof(words)));
    return QString::fromLatin1(raw.toHex());
}

// Cuts at a UTF-8 character boundary so the excerpt stays valid text.
QString excerpt(const QByteArray &body)
{
    if (body.size() <= ApprovalBroker::kMaxBodyExcerpt)
        return QString::fromUtf8(body);
    qsizetype end = ApprovalBroker::kMaxBodyExcerpt;
    while (end > 0 && (uchar(body.at(end)) & 0xC0) == 0x80)
        --end;
    return QString::fromUtf8(body.left(end));
}

ApprovalOutcome outcomeOf(const Approval &a)
{
    ApprovalOutcome o;
    o.id = a.id;
    o.reason = a.reason;
    o.grantUntil = a.grantUntil;
    switch (a.state) {
    case Approval::State::Approved:
        o.state = ApprovalOutcome::Approved;
        break;
    case Approval::State::Denied:
        o.state = ApprovalOutcome::Denied;
        break;
    default:
        o.state = ApprovalOutcome::Expired;
        break;
    }
    for (const ApprovalStep &s : a.steps) {
        if (s.approve == (a.state == Approval::State::Approved))
            o.decidedBy << s.by;
    }
    return o;
}

DecideResult refuse(int status, const char *code, const QString &message)
{
    DecideResult r;
    r.status = status;
    r.error = code;
    r.message = message;
    return r;
}

} // namespace

ApprovalBroker::ApprovalBroker(ApprovalStore &store, const Clock &clock, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_clock(clock)
{
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &ApprovalBroker::expireDue);
}

ApprovalBroker::~ApprovalBroker()
{
    shutdown(QStringLiteral("gateway shutting down"));
}

Status ApprovalBroker::start()
{
    const QDateTime now = m_clock.now();
    auto held = m_store.list(Approval::State::Pending, std::numeric_limits<int>::max());
    if (!held)
        return Error(QStringLiteral("cannot read held approvals: %1").arg(held.error().message));
    for (Approval a : *held) {
        // Their clients are gone with the old process: on record as refused.
        a.state = Approval::State::Expired;
        a.decidedAt = now;
        a.reason = QStringLiteral("gateway restarted");
        if (Status s = m_store.save(a); !s)
            return Error(QStringLiteral("cannot expire approval %1: %2").arg(a.id, s.error().message));
        qInfo("approval %s expired: the gateway restarted while it was pending", qPrintable(a.id));
        emit expired(toJson(a));
    }
    auto grants = m_store.activeGrants(now);
    if (!grants)
        return Error(QStringLiteral("cannot read approval grants: %1").arg(grants.error().message));
    for (const Approval &a : *grants)
        addGrant(a);
    scheduleNext();
    return {};
}

QString ApprovalBroker::hold(ApprovalRequest request, QObject *context, std::function<void(ApprovalOutcome)> done)
{
    Approval a;
    a.id = newApprovalId();
    a.rule = request.rule;
    a.connection = request.connection;
    a.subject = request.requester.subject;
    a.issuer = request.requester.issuer;
    a.groups = request.requester.groups;
    a.sessionId = request.sessionId;
    a.clientAddr = request.clientAddr;
    a.method = request.method;
    a.path = request.path;
    a.bodyExcerpt = excerpt(request.bodyExcerpt);
    a.justification = request.justification;
    a.approverGroups = request.approverGroups;
    a.required = std::max(1, request.required);
    a.createdAt = m_clock.now();
    a.expiresAt = a.createdAt.addMSecs(std::max<qint64>(0, request.timeout.count()));

    // Created here, on the holder's thread, so the connection to `context` is made where it lives;
    // then handed to the broker's thread, which emits and deletes it.
    auto *notifier = new ApprovalNotifier;
    connect(notifier, &ApprovalNotifier::ready, context ? context : this,
            [done = std::move(done)](const ApprovalOutcome &o) { done(o); }, Qt::QueuedConnection);
    const QString id = a.id;
    if (QThread::currentThread() == thread()) {
        admit(std::move(a), notifier);
    } else {
        notifier->moveToThread(thread());
        QMetaObject::invokeMethod(this, [this, a = std::move(a), notifier]() mutable { admit(std::move(a), notifier); },
                                  Qt::QueuedConnection);
    }
    return id;
}

void ApprovalBroker::admit(Approval a, QObject *notifier)
{
    if (m_shutDown) {
        ApprovalOutcome o;
        o.id = a.id;
        o.state = ApprovalOutcome::Expired;
        o.reason = QStringLiteral("gateway shutting down");
        return deliver(notifier, o);
    }
    // Fail closed: a request nobody can find on record is never let through.
    if (Status s = m_store.save(a); !s) {
        qCritical("approval %s for rule %s cannot be stored, refusing the request: %s", qPrintable(a.id),
                  qPrintable(a.rule), qPrintable(s.error().message));
        ApprovalOutcome o;
        o.id = a.id;
        o.state = ApprovalOutcome::Denied;
        o.reason = QStringLiteral("approval store unavailable");
        return deliver(notifier, o);
    }
    qInfo("approval %s requested: %s %s on %s by %s (rule %s, %d approver(s) of %s)", qPrintable(a.id),
          qPrintable(a.method), qPrintable(a.path), qPrintable(a.connection), qPrintable(a.subject),
          qPrintable(a.rule), a.required, qPrintable(a.approverGroups.join(QLatin1Char(','))));
    const QJsonObject json = toJson(a);
    const QString id = a.id;
    m_pending.insert(id, Pending{std::move(a), notifier});
    emit requested(json);
    scheduleNext();
}

void ApprovalBroker::deliver(QObject *notifier, const ApprovalOutcome &outcome)
{
    emit static_cast<ApprovalNotifier *>(notifier)->ready(outcome);
    delete notifier;
}

void ApprovalBroker::cancel(const QString &id, const QString &reason)
{
    if (QThread::currentThread() != thread()) {
        QMetaObject::invokeMethod(this, [this, id, reason] { cancel(id, reason); }, Qt::QueuedConnection);
        return;
    }
    if (m_pending.contains(id))
        finish(id, Approval::State::Expired, reason.isEmpty() ? QStringLiteral("the client went away") : reason);
}

void ApprovalBroker::finish(const QString &id, Approval::State state, const QString &reason)
{
    auto it = m_pending.find(id);
    if (it == m_pending.end())
        return;
    Pending p = std::move(*it);
    m_pending.erase(it);
    Approval &a = p.approval;
    a.state = state;
    a.reason = reason;
    a.decidedAt = m_clock.now();
    if (Status s = m_store.save(a); !s) {
        // The request is refused or let through as decided either way; say loudly that the record lags.
        qCritical("approval %s: cannot record that it is %s: %s", qPrintable(a.id),
                  qPrintable(approvalStateName(state)), qPrintable(s.error().message));
    }
    qInfo("approval %s %s: %s", qPrintable(a.id), qPrintable(approvalStateName(state)), qPrintable(reason));
    deliver(p.notifier, outcomeOf(a));
    const QJsonObject json = toJson(a);
    if (state == Approval::State::Expired)
        emit expired(json);
    else
        emit decided(json);
    scheduleNext();
}

DecideResult ApprovalBroker::decide(const QString &id, const Principal &approver, const ApprovalDecision &decision)
{
    expireDue();
    auto it = m_pending.find(id);
    if (it == m_pending.end()) {
        auto stored = m_store.find(id);
        if (!stored)
            return refuse(503, "store_unavailable", QStringLiteral("the approval store failed: %1").arg(stored.error().message));
        if (!stored->has_value())
            return refuse(404, "not_found", QStringLiteral("no approval with id %1").arg(id));
        return refuse(409, "conflict",
                      QStringLiteral("approval %1 is already %2").arg(id, approvalStateName((*stored)->state)));
    }
    const Approval &current = it->approval;
    if (isRequesterOf(current, approver))
        return refuse(403, "forbidden", QStringLiteral("you cannot approve or deny your own request"));
    if (!decision.asAdmin && !isApproverOf(current, approver))
        return refuse(403, "forbidden",
                      QStringLiteral("you are not among the approvers of rule %1 (%2)")
                          .arg(current.rule, current.approverGroups.join(QStringLiteral(", "))));
    for (const ApprovalStep &s : current.steps) {
        if (s.by == approver.subject && s.issuer == approver.issuer)
            return refuse(409, "conflict",
                          QStringLiteral("you already approved this request; it needs %1 distinct approvers")
                              .arg(current.required));
    }
    if (decision.forDuration) {
        if (!decision.approve)
            return refuse(400, "invalid", QStringLiteral("for: only an approval can be for a duration"));
        if (decision.forDuration->count() <= 0)
            return refuse(400, "invalid", QStringLiteral("for: the duration must be positive"));
        if (*decision.forDuration > kMaxGrant)
            return refuse(400, "invalid",
                          QStringLiteral("for: a grant lasts at most %1").arg(formatDuration(kMaxGrant)));
    }

    const QDateTime now = m_clock.now();
    Approval next = current;
    ApprovalStep step;
    step.by = approver.subject;
    step.issuer = approver.issuer;
    step.at = now;
    step.approve = decision.approve;
    step.reason = decision.reason;
    if (decision.forDuration)
        step.forMs = decision.forDuration->count();
    next.steps.append(step);

    QString finalReason;
    std::optional<Approval::State> final;
    if (!decision.approve) {
        final = Approval::State::Denied;
        finalReason = decision.reason.isEmpty() ? QStringLiteral("denied by %1").arg(approver.subject) : decision.reason;
    } else if (next.approveCount() >= next.required) {
        final = Approval::State::Approved;
        // Every approver must have meant a grant; it lasts as long as the shortest asked for.
        std::optional<qint64> grantMs;
        QStringList reasons;
        for (const ApprovalStep &s : std::as_const(next.steps)) {
            if (!s.approve)
                continue;
            if (!s.reason.isEmpty())
                reasons << s.reason;
            if (!s.forMs) {
                grantMs.reset();
                break;
            }
            grantMs = grantMs ? std::min(*grantMs, *s.forMs) : *s.forMs;
        }
        if (grantMs)
            next.grantUntil = now.addMSecs(*grantMs);
        finalReason = reasons.join(QStringLiteral("; "));
    }
    if (final) {
        next.state = *final;
        next.reason = finalReason;
        next.decidedAt = now;
    }
    // Nothing is decided that is not on record.
    if (Status s = m_store.save(next); !s)
        return refuse(503, "store_unavailable", QStringLiteral("the decision could not be recorded: %1").arg(s.error().message));

    qInfo("approval %s: %s %s%s", qPrintable(id), qPrintable(approver.subject),
          decision.approve ? "approved" : "denied",
          decision.forDuration ? qPrintable(QStringLiteral(" for ") + formatDuration(*decision.forDuration)) : "");
    if (!final) {
        it->approval = next;
        emit updated(toJson(next));
        DecideResult r;
        r.approval = next;
        return r;
    }
    Pending p = std::move(*it);
    m_pending.erase(it);
    if (next.grantUntil.isValid())
        addGrant(next);
    deliver(p.notifier, outcomeOf(next));
    emit decided(toJson(next));
    scheduleNext();
    DecideResult r;
    r.approval = next;
    return r;
}

DecideResult ApprovalBroker::revokeGrant(const QString &id, const Principal &who, bool asAdmin, const QString &reason)
{
    auto stored = m_store.find(id);
    if (!stored)
        return refuse(503, "store_unavailable", QStringLiteral("the approval store failed: %1").arg(stored.error().message));
    if (!stored->has_value())
        return refuse(404, "not_found", QStringLiteral("no approval with id %1").arg(id));
    const Approval &current = **stored;
    if (!asAdmin && !isApproverOf(current, who) && !isRequesterOf(current, who))
        return refuse(403, "forbidden",
                      QStringLiteral("you are not among the approvers of rule %1 (%2)")
                          .arg(current.rule, current.approverGroups.join(QStringLiteral(", "))));
    const QDateTime now = m_clock.now();
    if (current.state != Approval::State::Approved || !current.grantUntil.isValid() || current.grantUntil <= now)
        return refuse(409, "conflict", QStringLiteral("approval %1 has no running grant").arg(id));

    Approval next = current;
    next.revocation = GrantRevocation{who.subject, who.issuer, now, reason};
    next.grantUntil = now;
    // On record first: a revocation the store lost would come back as a running grant at restart.
    if (Status s = m_store.save(next); !s)
        return refuse(503, "store_unavailable", QStringLiteral("the revocation could not be recorded: %1").arg(s.error().message));
    {
        QMutexLocker lock(&m_grantsMutex);
        m_grants.removeIf([&id](const auto &entry) { return entry.value().approvalId == id; });
    }
    qInfo("approval %s: grant revoked by %s", qPrintable(id), qPrintable(who.subject));
    emit grantRevoked(toJson(next));
    scheduleNext();
    DecideResult r;
    r.approval = next;
    return r;
}

Result<QList<Approval>> ApprovalBroker::list(std::optional<Approval::State> state, int limit) const
{
    return m_store.list(state, limit);
}

Result<std::optional<Approval>> ApprovalBroker::get(const QString &id) const
{
    return m_store.find(id);
}

QString ApprovalBroker::grantKey(const QString &subject, const QString &issuer, const QString &connection,
                                 const QString &rule)
{
    // Newlines never occur in these names, so the parts cannot run into each other.
    return subject + QLatin1Char('\n') + issuer + QLatin1Char('\n') + connection + QLatin1Char('\n') + rule;
}

void ApprovalBroker::addGrant(const Approval &a)
{
    QMutexLocker lock(&m_grantsMutex);
    m_grants.insert(grantKey(a.subject, a.issuer, a.connection, a.rule), ApprovalGrant{a.id, a.grantUntil});
}

std::optional<ApprovalGrant> ApprovalBroker::grantFor(const Principal &subject, const QString &connection,
                                                      const QString &rule) const
{
    const QString key = grantKey(subject.subject, subject.issuer, connection, rule);
    const QDateTime now = m_clock.now();
    QMutexLocker lock(&m_grantsMutex);
    std::optional<ApprovalGrant> best;
    for (auto it = m_grants.constFind(key); it != m_grants.cend() && it.key() == key; ++it) {
        if (it->until > now && (!best || it->until > best->until))
            best = *it;
    }
    return best;
}

bool ApprovalBroker::hasGrant(const Principal &subject, const QString &connection, const QString &rule) const
{
    return grantFor(subject, connection, rule).has_value();
}

void ApprovalBroker::expireDue()
{
    const QDateTime now = m_clock.now();
    QList<QString> due;
    for (auto it = m_pending.cbegin(); it != m_pending.cend(); ++it) {
        if (it->approval.expiresAt <= now)
            due << it.key();
    }
    for (const QString &id : std::as_const(due)) {
        const Approval &a = m_pending.find(id)->approval;
        const std::chrono::milliseconds waited(a.createdAt.msecsTo(a.expiresAt));
        finish(id, Approval::State::Expired, QStringLiteral("no decision within %1").arg(formatDuration(waited)));
    }
    {
        QMutexLocker lock(&m_grantsMutex);
        m_grants.removeIf([&now](const auto &entry) { return entry.value().until <= now; });
    }
    scheduleNext();
}

void ApprovalBroker::scheduleNext()
{
    if (m_shutDown)
        return m_timer.stop();
    QDateTime next;
    for (const Pending &p : std::as_const(m_pending)) {
        if (!next.isValid() || p.approval.expiresAt < next)
            next = p.approval.expiresAt;
    }
    {
        QMutexLocker lock(&m_grantsMutex);
        for (const ApprovalGrant &g : std::as_const(m_grants)) {
            if (!next.isValid() || g.until < next)
                next = g.until;
        }
    }
    if (!next.isValid())
        return m_timer.stop();
    // Re-read the clock at least once a minute, so a clock that jumps is noticed.
    const qint64 wait = std::clamp<qint64>(m_clock.now().msecsTo(next), 0, 60'000);
    m_timer.start(std::chrono::milliseconds(wait));
}

void ApprovalBroker::shutdown(const QString &reason)
{
    m_shutDown = true;
    m_timer.stop();
    const QStringList ids = m_pending.keys();
    for (const QString &id : ids)
        finish(id, Approval::State::Expired, reason);
}

} // namespace gh

#include "ApprovalBroker.moc"
