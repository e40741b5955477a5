#include "approvals/ApprovalBroker.h"
#include "approvals/ApprovalStore.h"
#include "core/Clock.h"

#include <QJsonArray>
#include <QSignalSpy>
#include <QTest>
#include <QThread>

using namespace gh;
using namespace std::chrono_literals;

namespace {

Principal person(const QString &subject, const QStringList &groups,
                 const QString &issuer = QStringLiteral("https://idp.example.com"))
{
    Principal p;
    p.subject = subject;
    p.groups = groups;
    p.issuer = issuer;
    return p;
}

ApprovalRequest request(const Principal &who, int required = 1, std::chrono::milliseconds timeout = 5min)
{
    ApprovalRequest r;
    r.rule = QStringLiteral("approve-pii-dataset");
    r.connection = QStringLiteral("llm");
    r.requester = who;
    r.sessionId = QStringLiteral("s-1");
    r.clientAddr = QStringLiteral("127.0.0.1");
    r.method = QStringLiteral("POST");
    r.path = QStringLiteral("/v1/fine-tunes");
    r.bodyExcerpt = QByteArrayLiteral("{\"dataset\": \"customers\"}");
    r.justification = QStringLiteral("ticket OPS-42");
    r.approverGroups = {QStringLiteral("security")};
    r.required = required;
    r.timeout = timeout;
    return r;
}

// What the held client would be told, once. It is the callback's context too, as the proxy's
// connection is: when it goes, so does any answer still on its way.
struct Outcomes : QObject {
    QList<ApprovalOutcome> seen;
    std::function<void(ApprovalOutcome)> callback()
    {
        return [this](ApprovalOutcome o) { seen.append(std::move(o)); };
    }
};

ApprovalDecision approve(std::optional<std::chrono::milliseconds> forDuration = std::nullopt, QString reason = {})
{
    ApprovalDecision d;
    d.forDuration = forDuration;
    d.reason = std::move(reason);
    return d;
}

ApprovalDecision deny(QString reason)
{
    ApprovalDecision d;
    d.approve = false;
    d.reason = std::move(reason);
    return d;
}

} // namespace

class tst_ApprovalBroker final : public QObject {
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void heldRequestIsListedAndAnnounced();
    void fourEyesNeedsTwoDistinctApprovers();
    void requesterCannotDecideOwnRequest();
    void approverOutsideTheGroupsIsRefused();
    void adminMayDecideAnyRule();
    void denyDecidesAtOnceWithReason();
    void timeoutExpiresByTheClock();
    void grantLetsTheSameSubjectThroughUntilItExpires();
    void grantIsTheShortestAnyApproverAskedFor();
    void grantLongerThanTheCapIsRefused();
    void revokedGrantHoldsTheNextRequestAndStaysRevoked();
    void onlyARunningGrantCanBeRevokedAndOnlyByItsPeople();
    void revocationTheStoreLostLeavesTheGrantRunning();
    void cancelExpiresWithTheReasonGiven();
    void decidingTwiceOrUnknownIsRefused();
    void storeFailureRefusesTheRequest();
    void shutdownEndsHeldRequests();
    void holdFromAWorkerThreadAnswersOnThatThread();
    void callbackIsDroppedWhenContextIsGone();
    void bodyExcerptIsCutAt2KiB();

private:
    std::unique_ptr<FakeClock> m_clock;
    std::unique_ptr<MemoryApprovalStore> m_store;
    std::unique_ptr<ApprovalBroker> m_broker;
    const Principal m_ana = person(QStringLiteral("ana"), {QStringLiteral("ml-eng")});
    const Principal m_sam = person(QStringLiteral("sam"), {QStringLiteral("security")});
    const Principal m_sue = person(QStringLiteral("sue"), {QStringLiteral("security")});
};

void tst_ApprovalBroker::init()
{
    m_clock = std::make_unique<FakeClock>();
    m_store = std::make_unique<MemoryApprovalStore>();
    m_broker = std::make_unique<ApprovalBroker>(*m_store, *m_clock);
    QVERIFY(m_broker->start().ok());
}

void tst_ApprovalBroker::cleanup()
{
    m_broker.reset();
    m_store.reset();
    m_clock.reset();
}

void tst_ApprovalBroker::heldRequestIsListedAndAnnounced()
{
    QSignalSpy requested(m_broker.get(), &ApprovalBroker::requested);
    Outcomes outcomes;
    const QString id = m_broker->hold(request(m_ana), &outcomes, outcomes.callback());
    QCOMPARE(id.size(), 32);   // 128 random bits in hex
    QVERIFY(QRegularExpression(QStringLiteral("^[0-9a-f]{32}$")).match(id).hasMatch());
    QVERIFY(m_broker->hold(request(m_ana), &outcomes, outcomes.callback()) != id);

    QCOMPARE(requested.size(), 2);
    const QJsonObject shown = requested.first().first().toJsonObject();
    QCOMPARE(shown.value(QStringLiteral("id")).toString(), id);
    QCOMPARE(shown.value(QStringLiteral("state")).toString(), QStringLiteral("pending"));
    QCOMPARE(shown.value(QStringLiteral("subject")).toString(), QStringLiteral("ana"));
    QCOMPARE(shown.value(QStringLiteral("connection")).toString(), QStringLiteral("llm"));
    QCOMPARE(shown.value(QStringLiteral("rule")).toString(), QStringLiteral("approve-pii-dataset"));
    QCOMPARE(shown.value(QStringLiteral("justification")).toString(), QStringLiteral("ticket OPS-42"));
    QCOMPARE(shown.value(QStringLiteral("body_excerpt")).toString(), QStringLiteral("{\"dataset\": \"customers\"}"));
    QCOMPARE(shown.value(QStringLiteral("expires_at")).toString(), QStringLiteral("2026-01-01T00:05:00.000Z"));

    auto pending = m_broker->list(Approval::State::Pending);
    QVERIFY(pending.ok());
    QCOMPARE(pending->size(), 2);
    QCOMPARE(m_broker->list(Approval::State::Approved)->size(), 0);
    QCoreApplication::processEvents();
    QVERIFY(outcomes.seen.isEmpty());   // the client waits
}

void tst_ApprovalBroker::fourEyesNeedsTwoDistinctApprovers()
{
    QSignalSpy updated(m_broker.get(), &ApprovalBroker::updated);
    QSignalSpy decided(m_broker.get(), &ApprovalBroker::decided);
    Outcomes outcomes;
    const QString id = m_broker->hold(request(m_ana, 2), &outcomes, outcomes.callback());

    DecideResult first = m_broker->decide(id, m_sam, approve({}, QStringLiteral("looks fine")));
    QVERIFY2(first.ok(), qPrintable(first.message));
    QCOMPARE(first.approval->state, Approval::State::Pending);
    QCOMPARE(updated.size(), 1);
    QCOMPARE(updated.first().first().toJsonObject().value(QStringLiteral("approvals")).toArray().size(), 1);

    // The same approver twice does not make four eyes.
    DecideResult again = m_broker->decide(id, m_sam, approve());
    QCOMPARE(again.status, 409);
    QVERIFY(again.message.contains(QStringLiteral("2 distinct approvers")));
    QCoreApplication::processEvents();
    QVERIFY(outcomes.seen.isEmpty());

    DecideResult second = m_broker->decide(id, m_sue, approve());
    QVERIFY2(second.ok(), qPrintable(second.message));
    QCOMPARE(second.approval->state, Approval::State::Approved);
    QCOMPARE(decided.size(), 1);
    QTRY_COMPARE(outcomes.seen.size(), 1);
    QCOMPARE(outcomes.seen.first().state, ApprovalOutcome::Approved);
    QCOMPARE(outcomes.seen.first().id, id);
    QCOMPARE(outcomes.seen.first().decidedBy, (QStringList{QStringLiteral("sam"), QStringLiteral("sue")}));
    QVERIFY(!outcomes.seen.first().grantUntil.isValid());   // once

    auto stored = m_broker->get(id);
    QVERIFY(stored.ok() && stored->has_value());
    const QJsonObject json = toJson(**stored);
    QCOMPARE(json.value(QStringLiteral("state")).toString(), QStringLiteral("approved"));
    const QJsonArray steps = json.value(QStringLiteral("approvals")).toArray();
    QCOMPARE(steps.size(), 2);
    QCOMPARE(steps.at(0).toObject().value(QStringLiteral("by")).toString(), QStringLiteral("sam"));
    QCOMPARE(steps.at(0).toObject().value(QStringLiteral("decision")).toString(), QStringLiteral("approve"));
    QCOMPARE(steps.at(1).toObject().value(QStringLiteral("by")).toString(), QStringLiteral("sue"));
    QCOMPARE(json.value(QStringLiteral("decided_at")).toString(), QStringLiteral("2026-01-01T00:00:00.000Z"));
    QCOMPARE(json.value(QStringLiteral("reason")).toString(), QStringLiteral("looks fine"));
    QCOMPARE(m_broker->pendingCount(), 0);
}

void tst_ApprovalBroker::requesterCannotDecideOwnRequest()
{
    // The requester is in the approver group themselves, and even an admin.
    const Principal samAsks = m_sam;
    Outcomes outcomes;
    const QString id = m_broker->hold(request(samAsks), &outcomes, outcomes.callback());
    for (bool approving : {true, false}) {
        ApprovalDecision d = approving ? approve() : deny(QStringLiteral("x"));
        d.asAdmin = true;
        DecideResult r = m_broker->decide(id, samAsks, d);
        QCOMPARE(r.status, 403);
        QCOMPARE(r.error, QByteArray("forbidden"));
        QCOMPARE(r.message, QStringLiteral("you cannot approve or deny your own request"));
    }
    // The same name from another issuer is another person.
    DecideResult other = m_broker->decide(id, person(QStringLiteral("sam"), {QStringLiteral("security")},
                                                     QStringLiteral("https://other-idp.example.com")),
                                          approve());
    QVERIFY2(other.ok(), qPrintable(other.message));
    QTRY_COMPARE(outcomes.seen.size(), 1);
    QCOMPARE(outcomes.seen.first().state, ApprovalOutcome::Approved);
}

void tst_ApprovalBroker::approverOutsideTheGroupsIsRefused()
{
    Outcomes outcomes;
    const QString id = m_broker->hold(request(m_ana), &outcomes, outcomes.callback());
    DecideResult r = m_broker->decide(id, person(QStringLiteral("bob"), {QStringLiteral("ml-eng")}), approve());
    QCOMPARE(r.status, 403);
    QVERIFY(r.message.contains(QStringLiteral("not among the approvers of rule approve-pii-dataset (security)")));
    QCOMPARE(m_broker->get(id)->value().state, Approval::State::Pending);
    QCOMPARE(m_broker->get(id)->value().steps.size(), 0);
}

void tst_ApprovalBroker::adminMayDecideAnyRule()
{
    Outcomes outcomes;
    const QString id = m_broker->hold(request(m_ana), &outcomes, outcomes.callback());
    ApprovalDecision d = approve();
    d.asAdmin = true;
    DecideResult r = m_broker->decide(id, person(QStringLiteral("root"), {QStringLiteral("gatehouse-admins")}), d);
    QVERIFY2(r.ok(), qPrintable(r.message));
    QTRY_COMPARE(outcomes.seen.size(), 1);
    QCOMPARE(outcomes.seen.first().decidedBy, QStringList{QStringLiteral("root")});
}

void tst_ApprovalBroker::denyDecidesAtOnceWithReason()
{
    QSignalSpy decided(m_broker.get(), &ApprovalBroker::decided);
    Outcomes outcomes;
    const QString id = m_broker->hold(request(m_ana, 2), &outcomes, outcomes.callback());
    QVERIFY(m_broker->decide(id, m_sam, approve()).ok());
    DecideResult r = m_broker->decide(id, m_sue, deny(QStringLiteral("customers data stays in-house")));
    QVERIFY(r.ok());
    QCOMPARE(r.approval->state, Approval::State::Denied);
    QTRY_COMPARE(outcomes.seen.size(), 1);
    QCOMPARE(outcomes.seen.first().state, ApprovalOutcome::Denied);
    QCOMPARE(outcomes.seen.first().reason, QStringLiteral("customers data stays in-house"));
    QCOMPARE(outcomes.seen.first().decidedBy, QStringList{QStringLiteral("sue")});
    QCOMPARE(decided.size(), 1);
    const QJsonObject json = decided.first().first().toJsonObject();
    QCOMPARE(json.value(QStringLiteral("state")).toString(), QStringLiteral("denied"));
    QCOMPARE(json.value(QStringLiteral("reason")).toString(), QStringLiteral("customers data stays in-house"));
    QVERIFY(!m_broker->hasGrant(m_ana, QStringLiteral("llm"), QStringLiteral("approve-pii-dataset")));
}

void tst_ApprovalBroker::timeoutExpiresByTheClock()
{
    QSignalSpy expired(m_broker.get(), &ApprovalBroker::expired);
    Outcomes outcomes;
    const QString id = m_broker->hold(request(m_ana, 1, 5min), &outcomes, outcomes.callback());
    m_clock->advance(5min - 1s);
    m_broker->expireDue();
    QCOMPARE(m_broker->pendingCount(), 1);
    QCOMPARE(expired.size(), 0);

    m_clock->advance(2s);
    m_broker->expireDue();
    QCOMPARE(m_broker->pendingCount(), 0);
    QCOMPARE(expired.size(), 1);
    QCOMPARE(expired.first().first().toJsonObject().value(QStringLiteral("state")).toString(), QStringLiteral("expired"));
    QTRY_COMPARE(outcomes.seen.size(), 1);
    QCOMPARE(outcomes.seen.first().state, ApprovalOutcome::Expired);
    QCOMPARE(outcomes.seen.first().reason, QStringLiteral("no decision within 5m"));
    QCOMPARE(m_broker->get(id)->value().state, Approval::State::Expired);

    // Too late to decide.
    DecideResult late = m_broker->decide(id, m_sam, approve());
    QCOMPARE(late.status, 409);
    QCOMPARE(late.message, QStringLiteral("approval %1 is already expired").arg(id));
}

void tst_ApprovalBroker::grantLetsTheSameSubjectThroughUntilItExpires()
{
    const QString rule = QStringLiteral("approve-pii-dataset");
    const QString llm = QStringLiteral("llm");
    Outcomes outcomes;
    const QString id = m_broker->hold(request(m_ana), &outcomes, outcomes.callback());
    QVERIFY(!m_broker->hasGrant(m_ana, llm, rule));
    m_clock->advance(1min);
    DecideResult r = m_broker->decide(id, m_sam, approve(15min));
    QVERIFY2(r.ok(), qPrintable(r.message));
    QCOMPARE(r.approval->grantUntil, QDateTime(QDate(2026, 1, 1), QTime(0, 16), Qt::UTC));
    QTRY_COMPARE(outcomes.seen.size(), 1);
    QCOMPARE(outcomes.seen.first().grantUntil, QDateTime(QDate(2026, 1, 1), QTime(0, 16), Qt::UTC));

    QVERIFY(m_broker->hasGrant(m_ana, llm, rule));
    QCOMPARE(m_broker->grantFor(m_ana, llm, rule)->approvalId, id);
    QVERIFY(!m_broker->hasGrant(person(QStringLiteral("bob"), {QStringLiteral("ml-eng")}), llm, rule));
    QVERIFY(!m_broker->hasGrant(person(QStringLiteral("ana"), {}, QStringLiteral("https://other-idp")), llm, rule));
    QVERIFY(!m_broker->hasGrant(m_ana, QStringLiteral("billing"), rule));
    QVERIFY(!m_broker->hasGrant(m_ana, llm, QStringLiteral("another-rule")));

    m_clock->advance(15min - 1ms);
    QVERIFY(m_broker->hasGrant(m_ana, llm, rule));
    m_clock->advance(1ms);
    QVERIFY(!m_broker->hasGrant(m_ana, llm, rule));
    m_broker->expireDue();
    QVERIFY(!m_broker->hasGrant(m_ana, llm, rule));
}

void tst_ApprovalBroker::grantIsTheShortestAnyApproverAskedFor()
{
    const QString rule = QStringLiteral("approve-pii-dataset");
    Outcomes outcomes;
    QString id = m_broker->hold(request(m_ana, 2), &outcomes, outcomes.callback());
    QVERIFY(m_broker->decide(id, m_sam, approve(1h)).ok());
    DecideResult r = m_broker->decide(id, m_sue, approve(10min));
    QCOMPARE(r.approval->grantUntil, m_clock->now().addSecs(600));

    // One approver meant "once": no grant at all.
    const Principal bob = person(QStringLiteral("bob"), {QStringLiteral("ml-eng")});
    id = m_broker->hold(request(bob, 2), &outcomes, outcomes.callback());
    QVERIFY(m_broker->decide(id, m_sam, approve(1h)).ok());
    r = m_broker->decide(id, m_sue, approve());
    QCOMPARE(r.approval->state, Approval::State::Approved);
    QVERIFY(!r.approval->grantUntil.isValid());
    QVERIFY(!m_broker->hasGrant(bob, QStringLiteral("llm"), rule));
}

void tst_ApprovalBroker::revokedGrantHoldsTheNextRequestAndStaysRevoked()
{
    const QString rule = QStringLiteral("approve-pii-dataset");
    const QString llm = QStringLiteral("llm");
    Outcomes outcomes;
    const QString id = m_broker->hold(request(m_ana), &outcomes, outcomes.callback());
    QVERIFY(m_broker->decide(id, m_sam, approve(8h)).ok());
    QVERIFY(m_broker->hasGrant(m_ana, llm, rule));

    QSignalSpy revoked(m_broker.get(), &ApprovalBroker::grantRevoked);
    m_clock->advance(10min);
    const DecideResult r = m_broker->revokeGrant(id, m_sue, false, QStringLiteral("approved by mistake"));
    QVERIFY2(r.ok(), qPrintable(r.message));
    QVERIFY(!m_broker->hasGrant(m_ana, llm, rule));   // the next matching request is held again
    QCOMPARE(r.approval->state, Approval::State::Approved);   // the request it let through was approved
    QCOMPARE(r.approval->grantUntil, m_clock->now());
    QVERIFY(r.approval->revocation.has_value());
    QCOMPARE(r.approval->revocation->by, QStringLiteral("sue"));
    QCOMPARE(r.approval->revocation->reason, QStringLiteral("approved by mistake"));
    QCOMPARE(r.approval->revocation->at, m_clock->now());

    QCOMPARE(revoked.size(), 1);
    const QJsonObject announced = revoked.first().first().toJsonObject();
    QCOMPARE(announced.value(QStringLiteral("id")).toString(), id);
    QCOMPARE(announced.value(QStringLiteral("grant_revoked")).toObject().value(QStringLiteral("by")).toString(),
             QStringLiteral("sue"));

    // On record: a broker started on the same store (a restart) does not bring the grant back,
    // and the JSON reads back whole.
    const std::optional<Approval> stored = m_store->find(id).value();
    QVERIFY(stored.has_value());
    QCOMPARE(*stored, *r.approval);
    QCOMPARE(approvalFromJson(toJson(*stored)), stored);
    m_broker.reset();
    m_broker = std::make_unique<ApprovalBroker>(*m_store, *m_clock);
    QVERIFY(m_broker->start().ok());
    QVERIFY(!m_broker->hasGrant(m_ana, llm, rule));

    // Revoking twice is a conflict, not a second event.
    QCOMPARE(m_broker->revokeGrant(id, m_sue, false, QString()).status, 409);
}

void tst_ApprovalBroker::onlyARunningGrantCanBeRevokedAndOnlyByItsPeople()
{
    Outcomes outcomes;
    const QString once = m_broker->hold(request(m_ana), &outcomes, outcomes.callback());
    QVERIFY(m_broker->decide(once, m_sam, approve()).ok());
    QCOMPARE(m_broker->revokeGrant(once, m_sam, false, QString()).status, 409);   // approved once: no grant

    const QString pending = m_broker->hold(request(m_ana), &outcomes, outcomes.callback());
    QCOMPARE(m_broker->revokeGrant(pending, m_sam, false, QString()).status, 409);
    QCOMPARE(m_broker->revokeGrant(QStringLiteral("no-such-id"), m_sam, false, QString()).status, 404);

    QVERIFY(m_broker->decide(pending, m_sam, approve(1h)).ok());
    const Principal outsider = person(QStringLiteral("bob"), {QStringLiteral("ml-eng")});
    const DecideResult refused = m_broker->revokeGrant(pending, outsider, false, QString());
    QCOMPARE(refused.status, 403);
    QVERIFY(m_broker->hasGrant(m_ana, QStringLiteral("llm"), QStringLiteral("approve-pii-dataset")));
    // The grantee may give their own grant up; an admin may end anyone's.
    QVERIFY(m_broker->revokeGrant(pending, m_ana, false, QStringLiteral("done early")).ok());
    QVERIFY(!m_broker->hasGrant(m_ana, QStringLiteral("llm"), QStringLiteral("approve-pii-dataset")));

    const QString third = m_broker->hold(request(m_ana), &outcomes, outcomes.callback());
    QVERIFY(m_broker->decide(third, m_sam, approve(1h)).ok());
    QVERIFY(m_broker->revokeGrant(third, outsider, true, QString()).ok());

    // A grant that ran out is no longer running.
    const QString fourth = m_broker->hold(request(m_ana), &outcomes, outcomes.callback());
    QVERIFY(m_broker->decide(fourth, m_sam, approve(1min)).ok());
    m_clock->advance(1min);
    QCOMPARE(m_broker->revokeGrant(fourth, m_sam, false, QString()).status, 409);
}

void tst_ApprovalBroker::revocationTheStoreLostLeavesTheGrantRunning()
{
    Outcomes outcomes;
    const QString id = m_broker->hold(request(m_ana), &outcomes, outcomes.callback());
    QVERIFY(m_broker->decide(id, m_sam, approve(1h)).ok());
    m_store->setFailing(true);
    const DecideResult r = m_broker->revokeGrant(id, m_sam, false, QString());
    QCOMPARE(r.status, 503);
    // Not pretended: the grant is what the store (and so the next start) says it is.
    QVERIFY(m_broker->hasGrant(m_ana, QStringLiteral("llm"), QStringLiteral("approve-pii-dataset")));
    m_store->setFailing(false);
    QVERIFY(m_broker->revokeGrant(id, m_sam, false, QString()).ok());
}

void tst_ApprovalBroker::grantLongerThanTheCapIsRefused()
{
    Outcomes outcomes;
    const QString id = m_broker->hold(request(m_ana), &outcomes, outcomes.callback());
    DecideResult r = m_broker->decide(id, m_sam, approve(25h));
    QCOMPARE(r.status, 400);
    QCOMPARE(r.message, QStringLiteral("for: a grant lasts at most 1d"));
    QCOMPARE(m_broker->pendingCount(), 1);
    QVERIFY(m_broker->decide(id, m_sam, approve(24h)).ok());
}

void tst_ApprovalBroker::cancelExpiresWithTheReasonGiven()
{
    QSignalSpy expired(m_broker.get(), &ApprovalBroker::expired);
    Outcomes outcomes;
    const QString id = m_broker->hold(request(m_ana), &outcomes, outcomes.callback());
    m_broker->cancel(id, QStringLiteral("the client closed the connection"));
    QCOMPARE(expired.size(), 1);
    QCOMPARE(expired.first().first().toJsonObject().value(QStringLiteral("reason")).toString(),
             QStringLiteral("the client closed the connection"));
    QTRY_COMPARE(outcomes.seen.size(), 1);
    QCOMPARE(outcomes.seen.first().state, ApprovalOutcome::Expired);
    QCOMPARE(m_broker->decide(id, m_sam, approve()).status, 409);
    m_broker->cancel(id, QStringLiteral("again"));   // nothing left to cancel
    QCoreApplication::processEvents();
    QCOMPARE(outcomes.seen.size(), 1);
    QCOMPARE(expired.size(), 1);
}

void tst_ApprovalBroker::decidingTwiceOrUnknownIsRefused()
{
    Outcomes outcomes;
    const QString id = m_broker->hold(request(m_ana), &outcomes, outcomes.callback());
    QVERIFY(m_broker->decide(id, m_sam, deny(QStringLiteral("no"))).ok());
    DecideResult twice = m_broker->decide(id, m_sue, approve());
    QCOMPARE(twice.status, 409);
    QCOMPARE(twice.error, QByteArray("conflict"));
    QCOMPARE(twice.message, QStringLiteral("approval %1 is already denied").arg(id));
    DecideResult unknown = m_broker->decide(QStringLiteral("0123456789abcdef0123456789abcdef"), m_sam, approve());
    QCOMPARE(unknown.status, 404);
    QCOMPARE(unknown.error, QByteArray("not_found"));
    QTRY_COMPARE(outcomes.seen.size(), 1);
    QCOMPARE(outcomes.seen.first().state, ApprovalOutcome::Denied);
}

void tst_ApprovalBroker::storeFailureRefusesTheRequest()
{
    QSignalSpy requested(m_broker.get(), &ApprovalBroker::requested);
    Outcomes outcomes;
    m_store->setFailing(true);
    const QString id = m_broker->hold(request(m_ana), &outcomes, outcomes.callback());
    QTRY_COMPARE(outcomes.seen.size(), 1);
    QCOMPARE(outcomes.seen.first().id, id);
    QCOMPARE(outcomes.seen.first().state, ApprovalOutcome::Denied);
    QCOMPARE(outcomes.seen.first().reason, QStringLiteral("approval store unavailable"));
    QCOMPARE(requested.size(), 0);   // nobody is asked to decide what is not on record
    QCOMPARE(m_broker->pendingCount(), 0);

    // A decision that cannot be recorded is not taken.
    m_store->setFailing(false);
    const QString held = m_broker->hold(request(m_ana), &outcomes, outcomes.callback());
    m_store->setFailing(true);
    DecideResult r = m_broker->decide(held, m_sam, approve());
    QCOMPARE(r.status, 503);
    QCOMPARE(m_broker->pendingCount(), 1);
    QCoreApplication::processEvents();
    QCOMPARE(outcomes.seen.size(), 1);
}

void tst_ApprovalBroker::shutdownEndsHeldRequests()
{
    Outcomes outcomes;
    m_broker->hold(request(m_ana), &outcomes, outcomes.callback());
    m_broker->shutdown(QStringLiteral("gateway shutting down"));
    QTRY_COMPARE(outcomes.seen.size(), 1);
    QCOMPARE(outcomes.seen.first().state, ApprovalOutcome::Expired);
    QCOMPARE(outcomes.seen.first().reason, QStringLiteral("gateway shutting down"));
    m_broker->hold(request(m_ana), &outcomes, outcomes.callback());
    QTRY_COMPARE(outcomes.seen.size(), 2);
    QCOMPARE(outcomes.seen.last().state, ApprovalOutcome::Expired);
    QCOMPARE(m_broker->list(Approval::State::Pending)->size(), 0);
}

void tst_ApprovalBroker::holdFromAWorkerThreadAnswersOnThatThread()
{
    QThread worker;
    worker.start();
    QObject context;
    context.moveToThread(&worker);
    QSignalSpy requested(m_broker.get(), &ApprovalBroker::requested);

    std::atomic<QThread *> ranOn{nullptr};
    std::atomic<int> calls{0};
    QString id;
    QMetaObject::invokeMethod(
        &context,
        [&] {
            id = m_broker->hold(request(m_ana), &context, [&](ApprovalOutcome o) {
                ranOn = QThread::currentThread();
                calls += o.state == ApprovalOutcome::Approved ? 1 : 100;
            });
        },
        Qt::BlockingQueuedConnection);
    QVERIFY(!id.isEmpty());
    QTRY_COMPARE(requested.size(), 1);
    QVERIFY(m_broker->decide(id, m_sam, approve()).ok());
    QTRY_COMPARE(calls.load(), 1);
    QCOMPARE(ranOn.load(), &worker);
    worker.quit();
    worker.wait();
}

void tst_ApprovalBroker::callbackIsDroppedWhenContextIsGone()
{
    int calls = 0;
    QString id;
    {
        QObject context;
        id = m_broker->hold(request(m_ana), &context, [&calls](ApprovalOutcome) { ++calls; });
    }
    QVERIFY(m_broker->decide(id, m_sam, approve()).ok());
    QCoreApplication::processEvents();
    QCOMPARE(calls, 0);
}

void tst_ApprovalBroker::bodyExcerptIsCutAt2KiB()
{
    ApprovalRequest r = request(m_ana);
    r.bodyExcerpt = QByteArray(2047, 'a') + QByteArray("\xc3\xa9", 2) + QByteArray(100, 'b');
    Outcomes outcomes;
    const QString id = m_broker->hold(r, &outcomes, outcomes.callback());
    const QString shown = m_broker->get(id)->value().bodyExcerpt;
    QCOMPARE(shown, QString(2047, QLatin1Char('a')));   // never half a character
}

QTEST_GUILESS_MAIN(tst_ApprovalBroker)
#include "tst_approvalbroker.moc"
