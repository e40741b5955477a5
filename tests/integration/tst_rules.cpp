// Rules in the data path (issue 4) as clients meet them: deny and approve rules, and sessions on
// the live event stream (mask rules: tst_maskrules.cpp).
#include "RulesFixture.h"

#include <QJsonDocument>
#include <QTest>

using gh::test::curl;

class TestRules final : public RulesFixture {
    Q_OBJECT

private slots:
    void initTestCase() { startGateway(); }
    void cleanupTestCase() { QCOMPARE(m_daemon.stop(), 0); }

    void denyRefusesWith403NamingTheRule_data();
    void denyRefusesWith403NamingTheRule();
    void bodyRuleReadsTheBodyAndForwardsItIntact();
    void bodyOverTheRuleBoundIsRefused();
    void denyIsScopedToItsGroups();
    void ruleChangesApplyWhileTrafficFlows();
    void denialIsRecordedWithTheRuleName();

    void fourEyesApprovalLetsTheHeldRequestThrough();
    void requesterCannotDecideTheirOwnRequestAndDenyRefuses();
    void undecidedApprovalTimesOut();
    void justificationAndTimeBoxedGrant();
    void revokedGrantHoldsTheNextRequestAgain();
    void clientLeavingExpiresItsApproval();
    void watchFollowsApprovalEventsAndEveryStepIsRecorded();
    void restartRefusesHeldRequestsAndExpiresThem();
    void sessionsStartAndEndOnTheLiveStream();
};

void TestRules::denyRefusesWith403NamingTheRule_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QStringList>("curlArgs");
    QTest::addColumn<QString>("rule");   // empty: allowed

    QTest::newRow("method and path") << "/llm/v1/models/gpt/weights" << QStringList{} << "no-weight-export";
    QTest::newRow("same path, other method")
        << "/llm/v1/models/gpt/weights" << QStringList{QStringLiteral("-X"), QStringLiteral("HEAD"), QStringLiteral("-I")}
        << "";
    QTest::newRow("other path") << "/llm/v1/models/gpt" << QStringList{} << "";
    QTest::newRow("header, case-insensitive value")
        << "/llm/v1/chat" << QStringList{QStringLiteral("-H"), QStringLiteral("x-debug: TRUE")} << "no-debug-header";
    QTest::newRow("header with another value")
        << "/llm/v1/chat" << QStringList{QStringLiteral("-H"), QStringLiteral("X-Debug: 0")} << "";
    QTest::newRow("body")
        << "/llm/v1/sql"
        << QStringList{QStringLiteral("--data-binary"), QStringLiteral("{\"q\": \"SELECT *  FROM customers\"}")}
        << "no-customer-dump";
    QTest::newRow("body, harmless")
        << "/llm/v1/sql" << QStringList{QStringLiteral("--data-binary"), QStringLiteral("{\"q\": \"select 1\"}")} << "";
}

void TestRules::denyRefusesWith403NamingTheRule()
{
    QFETCH(QString, path);
    QFETCH(QStringList, curlArgs);
    QFETCH(QString, rule);
    const int before = m_upstream.requests();
    const Answer a = send(m_alice, path, curlArgs);
    if (rule.isEmpty()) {
        QCOMPARE(a.status, 200);
        QCOMPARE(m_upstream.requests(), before + 1);
        return;
    }
    QCOMPARE(a.status, 403);
    QCOMPARE(a.json().value(QStringLiteral("error")).toString(), QStringLiteral("denied"));
    QCOMPARE(a.json().value(QStringLiteral("rule")).toString(), rule);
    QCOMPARE(m_upstream.requests(), before);   // nothing reached the upstream
}

void TestRules::bodyRuleReadsTheBodyAndForwardsItIntact()
{
    // 20 KiB: curl sends Expect: 100-continue, and chunked framing with -H Transfer-Encoding.
    QByteArray body(20 * 1024, 'a');
    for (int i = 0; i < body.size(); i += 100)
        body[i] = char('0' + (i / 100) % 10);
    const QStringList data = upload(QStringLiteral("upload.bin"), body);
    for (const bool chunked : {false, true}) {
        QStringList args = data;
        if (chunked)
            args << QStringLiteral("-H") << QStringLiteral("Transfer-Encoding: chunked");
        const Answer a = send(m_alice, QStringLiteral("/llm/v1/upload"), args);
        QCOMPARE(a.status, 200);
        const QJsonObject echo = a.json();
        QCOMPARE(echo.value(QStringLiteral("body_size")).toInt(), body.size());
        QCOMPARE(echo.value(QStringLiteral("body")).toString().toLatin1(), body);
    }
}

void TestRules::bodyOverTheRuleBoundIsRefused()
{
    // The rules cannot see past rule_body_limit (64 KiB here), so such a request is not forwarded.
    const QStringList data = upload(QStringLiteral("big.bin"), QByteArray(100 * 1024, 'b'));
    const int before = m_upstream.requests();
    const Answer a = send(m_alice, QStringLiteral("/llm/v1/upload"), data);
    QCOMPARE(a.status, 413);
    QCOMPARE(a.json().value(QStringLiteral("error")).toString(), QStringLiteral("body_too_large"));
    QCOMPARE(m_upstream.requests(), before);
    // A GET without a body on the same connection is not held to it.
    QCOMPARE(send(m_alice, QStringLiteral("/llm/v1/models")).status, 200);
}

void TestRules::denyIsScopedToItsGroups()
{
    QCOMPARE(send(m_alice, QStringLiteral("/llm/v1/files/1"), {QStringLiteral("-X"), QStringLiteral("DELETE")}).status, 200);
    const Answer a = send(m_carol, QStringLiteral("/llm/v1/files/1"), {QStringLiteral("-X"), QStringLiteral("DELETE")});
    QCOMPARE(a.status, 403);
    QCOMPARE(a.json().value(QStringLiteral("rule")).toString(), QStringLiteral("interns-read-only"));
    QCOMPARE(send(m_carol, QStringLiteral("/llm/v1/files/1")).status, 200);
}

void TestRules::ruleChangesApplyWhileTrafficFlows()
{
    QCOMPARE(send(m_alice, QStringLiteral("/llm/v2/experimental")).status, 200);
    QVERIFY(apply("[[rule]]\nname = \"no-v2\"\nkind = \"deny\"\nmatch = { path = \"^/v2/\" }\n"));
    QTRY_COMPARE_WITH_TIMEOUT(send(m_alice, QStringLiteral("/llm/v2/experimental")).status, 403, 5000);
    const auto del = m_daemon.ctl({QStringLiteral("delete"), QStringLiteral("rule"), QStringLiteral("no-v2")});
    QCOMPARE(del.exitCode, 0);
    QTRY_COMPARE_WITH_TIMEOUT(send(m_alice, QStringLiteral("/llm/v2/experimental")).status, 200, 5000);
}

void TestRules::denialIsRecordedWithTheRuleName()
{
    QCOMPARE(send(m_carol, QStringLiteral("/llm/v1/record-me"), {QStringLiteral("-X"), QStringLiteral("PUT")}).status, 403);
    bool found = false;
    QTRY_VERIFY_WITH_TIMEOUT(([&] {
        for (const QJsonValue &v : eventsOf(QStringLiteral("carol"))) {
            const QJsonObject e = v.toObject();
            const QJsonObject data = e.value(QStringLiteral("data")).toObject();
            if (e.value(QStringLiteral("kind")).toString() == u"policy.refused"
                && data.value(QStringLiteral("path")).toString().endsWith(QLatin1String("/record-me"))) {
                found = data.value(QStringLiteral("rule")).toString() == u"interns-read-only"
                    && data.value(QStringLiteral("error")).toString() == u"denied";
            }
        }
        return found;
    }()), 10000);
}


void TestRules::fourEyesApprovalLetsTheHeldRequestThrough()
{
    const int before = m_upstream.requests();
    auto client = startHeld(m_alice, QStringLiteral("/llm/v1/fine-tunes?model=base"));
    const QJsonObject pending = waitForPending(QStringLiteral("/v1/fine-tunes?model=base"));
    QVERIFY2(!pending.isEmpty(), "the held request never showed up as a pending approval");
    const QString id = pending.value(QStringLiteral("id")).toString();
    QCOMPARE(pending.value(QStringLiteral("subject")).toString(), QStringLiteral("alice"));
    QCOMPARE(pending.value(QStringLiteral("rule")).toString(), QStringLiteral("approve-fine-tune"));
    QCOMPARE(pending.value(QStringLiteral("connection")).toString(), QStringLiteral("llm"));
    QCOMPARE(pending.value(QStringLiteral("method")).toString(), QStringLiteral("GET"));
    QCOMPARE(m_upstream.requests(), before);   // held, not forwarded
    QCOMPARE(client->state(), QProcess::Running);

    // One approval of the two needed: still held.
    const auto first = ctlAs(m_dave, {QStringLiteral("approve"), id});
    QVERIFY2(first.exitCode == 0, first.err.constData());
    QTest::qWait(300);
    QCOMPARE(client->state(), QProcess::Running);
    QCOMPARE(approval(id).value(QStringLiteral("state")).toString(), QStringLiteral("pending"));
    // The same approver again does not count twice.
    QVERIFY(ctlAs(m_dave, {QStringLiteral("approve"), id}).exitCode != 0);
    QCOMPARE(client->state(), QProcess::Running);

    const auto second = ctlAs(m_erin, {QStringLiteral("approve"), id, QStringLiteral("--reason"), QStringLiteral("ok")});
    QVERIFY2(second.exitCode == 0, second.err.constData());
    const Answer a = finish(*client);
    QCOMPARE(a.status, 200);
    QCOMPARE(a.json().value(QStringLiteral("path")).toString(), QStringLiteral("/v1/fine-tunes"));
    QCOMPARE(m_upstream.requests(), before + 1);
    QCOMPARE(approval(id).value(QStringLiteral("state")).toString(), QStringLiteral("approved"));
}

void TestRules::requesterCannotDecideTheirOwnRequestAndDenyRefuses()
{
    const int before = m_upstream.requests();
    auto client = startHeld(m_frank, QStringLiteral("/llm/v1/fine-tunes/own"));
    const QJsonObject pending = waitForPending(QStringLiteral("/v1/fine-tunes/own"));
    QVERIFY(!pending.isEmpty());
    const QString id = pending.value(QStringLiteral("id")).toString();
    for (const char *verb : {"approve", "deny"}) {
        const auto own = ctlAs(m_frank, {QLatin1String(verb), id});
        QCOMPARE(own.exitCode, 1);
        QVERIFY2(own.err.toLower().contains("own"), own.err.constData());
    }
    // Someone outside the rule's approvers cannot decide either.
    QCOMPARE(ctlAs(m_alice, {QStringLiteral("approve"), id}).exitCode, 1);
    QCOMPARE(client->state(), QProcess::Running);

    const auto denied = ctlAs(m_dave, {QStringLiteral("deny"), id, QStringLiteral("--reason"), QStringLiteral("not on a Friday")});
    QVERIFY2(denied.exitCode == 0, denied.err.constData());
    const Answer a = finish(*client);
    QCOMPARE(a.status, 403);
    QCOMPARE(a.json().value(QStringLiteral("error")).toString(), QStringLiteral("approval_denied"));
    QCOMPARE(a.json().value(QStringLiteral("approval")).toString(), id);
    QVERIFY(a.json().value(QStringLiteral("message")).toString().contains(QLatin1String("not on a Friday")));
    QCOMPARE(m_upstream.requests(), before);
}

void TestRules::undecidedApprovalTimesOut()
{
    QElapsedTimer t;
    t.start();
    const Answer a = send(m_alice, QStringLiteral("/llm/v1/quick"));
    QCOMPARE(a.status, 403);
    QCOMPARE(a.json().value(QStringLiteral("error")).toString(), QStringLiteral("approval_timeout"));
    QVERIFY(t.elapsed() >= 900);
    const QString id = a.json().value(QStringLiteral("approval")).toString();
    QVERIFY(!id.isEmpty());
    QCOMPARE(approval(id).value(QStringLiteral("state")).toString(), QStringLiteral("expired"));
}

void TestRules::justificationAndTimeBoxedGrant()
{
    const Answer missing = send(m_alice, QStringLiteral("/llm/v1/export"));
    QCOMPARE(missing.status, 403);
    QCOMPARE(missing.json().value(QStringLiteral("error")).toString(), QStringLiteral("justification_required"));
    QCOMPARE(missing.json().value(QStringLiteral("rule")).toString(), QStringLiteral("approve-export"));

    auto client = startHeld(m_alice, QStringLiteral("/llm/v1/export"),
                            {QStringLiteral("-H"), QStringLiteral("X-Gatehouse-Justification: INC-4711 customer asked for it")});
    const QJsonObject pending = waitForPending(QStringLiteral("/v1/export"));
    QVERIFY(!pending.isEmpty());
    QCOMPARE(pending.value(QStringLiteral("justification")).toString(), QStringLiteral("INC-4711 customer asked for it"));
    const QString id = pending.value(QStringLiteral("id")).toString();
    QCOMPARE(ctlAs(m_dave, {QStringLiteral("approve"), id, QStringLiteral("--for"), QStringLiteral("15m")}).exitCode, 0);
    QCOMPARE(finish(*client).status, 200);

    // The grant lets alice's next matching requests through at once, and nobody else's.
    QElapsedTimer t;
    t.start();
    QCOMPARE(send(m_alice, QStringLiteral("/llm/v1/export"), {QStringLiteral("-H"), QStringLiteral("X-Gatehouse-Justification: again")}).status, 200);
    QVERIFY(t.elapsed() < 5000);
    auto other = startHeld(m_frank, QStringLiteral("/llm/v1/export?other=1"),
                           {QStringLiteral("-H"), QStringLiteral("X-Gatehouse-Justification: me too")});
    const QJsonObject otherPending = waitForPending(QStringLiteral("/v1/export?other=1"));
    QVERIFY2(!otherPending.isEmpty(), "another subject must not ride on alice's grant");
    QCOMPARE(ctlAs(m_dave, {QStringLiteral("deny"), otherPending.value(QStringLiteral("id")).toString()}).exitCode, 0);
    QCOMPARE(finish(*other).status, 403);
}

void TestRules::revokedGrantHoldsTheNextRequestAgain()
{
    const QStringList why{QStringLiteral("-H"), QStringLiteral("X-Gatehouse-Justification: INC-4712")};
    auto client = startHeld(m_frank, QStringLiteral("/llm/v1/export?revoke=1"), why);
    const QJsonObject pending = waitForPending(QStringLiteral("/v1/export?revoke=1"));
    QVERIFY(!pending.isEmpty());
    const QString id = pending.value(QStringLiteral("id")).toString();
    QCOMPARE(ctlAs(m_dave, {QStringLiteral("approve"), id, QStringLiteral("--for"), QStringLiteral("8h")}).exitCode, 0);
    QCOMPARE(finish(*client).status, 200);
    QCOMPARE(send(m_frank, QStringLiteral("/llm/v1/export?revoke=2"), why).status, 200);   // the grant runs

    // Someone who is no approver at all may not.
    const auto outsider = ctlAs(m_carol, {QStringLiteral("approvals"), QStringLiteral("revoke"), id});
    QVERIFY(outsider.exitCode != 0);
    QVERIFY2(outsider.err.contains("forbidden"), outsider.err.constData());
    QCOMPARE(send(m_frank, QStringLiteral("/llm/v1/export?revoke=3"), why).status, 200);

    const auto revoked = ctlAs(m_erin, {QStringLiteral("approvals"), QStringLiteral("revoke"), id, QStringLiteral("--reason"),
                                        QStringLiteral("approved the wrong ticket")});
    QCOMPARE(revoked.exitCode, 0);
    QVERIFY2(revoked.out.contains("grant revoked"), revoked.out.constData());
    const QJsonObject after = approval(id);
    QCOMPARE(after.value(QStringLiteral("state")).toString(), QStringLiteral("approved"));
    const QJsonObject by = after.value(QStringLiteral("grant_revoked")).toObject();
    QCOMPARE(by.value(QStringLiteral("by")).toString(), QStringLiteral("erin"));
    QCOMPARE(by.value(QStringLiteral("reason")).toString(), QStringLiteral("approved the wrong ticket"));
    QVERIFY(QDateTime::fromString(after.value(QStringLiteral("grant_until")).toString(), Qt::ISODateWithMs)
            <= QDateTime::currentDateTimeUtc());

    // Frank's next matching request waits for a person again.
    auto again = startHeld(m_frank, QStringLiteral("/llm/v1/export?revoke=4"), why);
    const QJsonObject heldAgain = waitForPending(QStringLiteral("/v1/export?revoke=4"));
    QVERIFY2(!heldAgain.isEmpty(), "the revoked grant still let the request through");
    QCOMPARE(ctlAs(m_dave, {QStringLiteral("deny"), heldAgain.value(QStringLiteral("id")).toString()}).exitCode, 0);
    QCOMPARE(finish(*again).status, 403);

    // A second revocation has nothing left to end.
    const auto twice = ctlAs(m_erin, {QStringLiteral("approvals"), QStringLiteral("revoke"), id});
    QVERIFY(twice.exitCode != 0);
    QVERIFY2(twice.err.contains("no running grant"), twice.err.constData());
}

void TestRules::clientLeavingExpiresItsApproval()
{
    auto client = startHeld(m_alice, QStringLiteral("/llm/v1/fine-tunes/abandoned"));
    const QJsonObject pending = waitForPending(QStringLiteral("/v1/fine-tunes/abandoned"));
    QVERIFY(!pending.isEmpty());
    client->kill();
    client->waitForFinished(5000);
    const QString id = pending.value(QStringLiteral("id")).toString();
    QTRY_COMPARE_WITH_TIMEOUT(approval(id).value(QStringLiteral("state")).toString(), QStringLiteral("expired"), 5000);
    // Too late to decide now.
    QVERIFY(ctlAs(m_dave, {QStringLiteral("approve"), id}).exitCode != 0);
}

void TestRules::watchFollowsApprovalEventsAndEveryStepIsRecorded()
{
    QProcess watch;
    watch.start(gh::test::builtProgram(QStringLiteral("gatehousectl")),
                {QStringLiteral("--server"), m_daemon.adminUrl(), QStringLiteral("--token"), QString::fromLatin1(m_dave),
                 QStringLiteral("approvals"), QStringLiteral("watch"), QStringLiteral("-o"), QStringLiteral("json")});
    QVERIFY(watch.waitForStarted(5000));
    QTest::qWait(500);   // subscribed
    auto client = startHeld(m_alice, QStringLiteral("/llm/v1/fine-tunes/watched"));
    QByteArray seen;
    QString id;
    QElapsedTimer t;
    t.start();
    while (id.isEmpty() && t.elapsed() < 10000) {
        watch.waitForReadyRead(200);
        seen += watch.readAllStandardOutput();
        for (const QByteArray &line : seen.split('\n')) {
            const QJsonObject e = QJsonDocument::fromJson(line).object();
            if (e.value(QStringLiteral("type")).toString() == u"approval.requested" && line.contains("/v1/fine-tunes/watched"))
                id = e.value(QStringLiteral("id")).toString();
        }
    }
    QVERIFY2(!id.isEmpty(), seen.constData());
    QCOMPARE(ctlAs(m_dave, {QStringLiteral("deny"), id, QStringLiteral("--reason"), QStringLiteral("watched")}).exitCode, 0);
    QCOMPARE(finish(*client).status, 403);
    QTRY_VERIFY_WITH_TIMEOUT((seen += watch.readAllStandardOutput()).contains("approval.decided"), 5000);
    watch.terminate();
    watch.waitForFinished(5000);

    // The session holds the request, its approval asked and decided, and the refusal.
    QStringList kinds;
    QTRY_VERIFY_WITH_TIMEOUT(([&] {
        kinds.clear();
        for (const QJsonValue &v : eventsOf(QStringLiteral("alice"))) {
            const QJsonObject data = v.toObject().value(QStringLiteral("data")).toObject();
            if (data.value(QStringLiteral("approval")).toString() == id)
                kinds << v.toObject().value(QStringLiteral("kind")).toString();
        }
        return kinds.size() >= 3;
    }()), 10000);
    QCOMPARE(kinds, (QStringList{QStringLiteral("approval.requested"), QStringLiteral("approval.decided"),
                                 QStringLiteral("policy.refused")}));
}

void TestRules::restartRefusesHeldRequestsAndExpiresThem()
{
    auto client = startHeld(m_alice, QStringLiteral("/llm/v1/fine-tunes/restart"));
    const QJsonObject pending = waitForPending(QStringLiteral("/v1/fine-tunes/restart"));
    QVERIFY(!pending.isEmpty());
    QCOMPARE(m_daemon.stop(), 0);
    const Answer a = finish(*client);
    QCOMPARE(a.status, 403);
    QCOMPARE(a.json().value(QStringLiteral("error")).toString(), QStringLiteral("approval_timeout"));
    QVERIFY2(m_daemon.start(), qPrintable(m_daemon.error()));
    const QJsonObject after = approval(pending.value(QStringLiteral("id")).toString());
    QCOMPARE(after.value(QStringLiteral("state")).toString(), QStringLiteral("expired"));
}

void TestRules::sessionsStartAndEndOnTheLiveStream()
{
    QProcess stream;
    stream.start(QStringLiteral("curl"), {QStringLiteral("-sSN"), QStringLiteral("-H"),
                                          QStringLiteral("Authorization: Bearer ") + QString::fromLatin1(m_daemon.adminToken()),
                                          m_daemon.adminUrl() + QStringLiteral("/api/v1/events")});
    QVERIFY(stream.waitForStarted(5000));
    QTest::qWait(500);
    const QByteArray carolToken = issue("carol", "ml-eng,interns");   // a session of its own
    QCOMPARE(send(carolToken, QStringLiteral("/llm/v1/live-stream")).status, 200);
    QByteArray seen;
    QString id;
    QTRY_VERIFY_WITH_TIMEOUT(([&] {
        seen += stream.readAllStandardOutput();
        id.clear();
        QStringList ended;
        QByteArray type;
        for (const QByteArray &line : seen.split('\n')) {
            if (line.startsWith("event:")) {
                type = line.mid(6).trimmed();
            } else if (line.startsWith("data:")) {
                const QJsonObject d = QJsonDocument::fromJson(line.mid(5)).object();
                if (type == "session.started" && d.value(QStringLiteral("subject")).toString() == u"carol")
                    id = d.value(QStringLiteral("id")).toString();
                else if (type == "session.ended")
                    ended << d.value(QStringLiteral("id")).toString();
            }
        }
        return !id.isEmpty() && ended.contains(id);
    }()), 10000);
    stream.kill();
    stream.waitForFinished(5000);
}

QTEST_GUILESS_MAIN(TestRules)
#include "tst_rules.moc"
