// Rules in the data path (issue 4) as clients meet them: the real gatehoused in front of
// tests/support/upstream.py, driven by curl and the real gatehousectl, on 127.0.0.1 only.
#include "support/DaemonProcess.h"
#include "support/TestTools.h"

#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using gh::test::CurlResult;
using gh::test::DaemonProcess;
using gh::test::TestUpstream;
using gh::test::curl;

namespace {

// A curl answer taken apart: -i puts the status line and headers before the body.
struct Answer {
    int status = 0;
    QByteArray head;
    QByteArray body;
    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
};

Answer parse(const CurlResult &c)
{
    Answer a;
    QByteArray out = c.out;
    // Skip interim 100 Continue answers.
    while (out.startsWith("HTTP/1.1 100")) {
        const qsizetype end = out.indexOf("\r\n\r\n");
        out = out.mid(end + 4);
    }
    const qsizetype end = out.indexOf("\r\n\r\n");
    a.head = out.left(end);
    a.body = end < 0 ? QByteArray() : out.mid(end + 4);
    if (a.head.startsWith("HTTP/1.1 "))
        a.status = a.head.mid(9, 3).toInt();
    return a;
}

} // namespace

class TestRules final : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

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

    void responsesAreMaskedAsTheyStream_data();
    void responsesAreMaskedAsTheyStream();
    void llmDeltasAreMaskedAcrossEvents();
    void responsesApiDeltasAreMaskedAcrossEvents();
    void anUnmaskableStreamIsBrokenOffAndTheUpstreamLetGo();
    void compressedResponsesAreDecodedOrRefused();
    void jsonFieldsAreMaskedWholeWithinTheBound();
    void jsonAnswersStayValidJson();
    void maskingIsRecordedWithoutTheOriginalValues();
    void approverSeesAMaskedBodyExcerpt();
    void sessionsStartAndEndOnTheLiveStream();

private:
    Answer send(const QByteArray &token, const QString &path, const QStringList &extra = {});
    // curl's arguments to upload `body` as it is (written to a file of the test's own).
    QStringList upload(const QString &name, const QByteArray &body);
    bool apply(const QByteArray &toml);
    QByteArray issue(const char *subject, const char *groups);
    QJsonArray eventsOf(const QString &subject);
    // Alice's events of the request whose body holds `marker` (none until it is recorded), and the
    // data of the first of them of `kind`.
    QList<QJsonObject> requestEvents(const char *marker);
    QJsonObject eventOfRequest(const char *marker, QStringView kind);
    // A client whose request the gateway holds: curl runs in the background until decided.
    std::unique_ptr<QProcess> startHeld(const QByteArray &token, const QString &path, const QStringList &extra = {});
    static Answer finish(QProcess &curlProcess, int timeoutMs = 30000);
    // The approval pending for `path` (polled, since the client only just asked); empty if none came.
    QJsonObject waitForPending(const QString &path, int timeoutMs = 10000);
    QJsonObject approval(const QString &id);
    DaemonProcess::CtlResult ctlAs(const QByteArray &token, const QStringList &args) const;

    QTemporaryDir m_tmp;
    TestUpstream m_upstream;
    DaemonProcess m_daemon;
    QByteArray m_alice;   // ml-eng
    QByteArray m_carol;   // ml-eng, interns
    QByteArray m_dave;    // security: an approver
    QByteArray m_erin;    // security: another approver
    QByteArray m_frank;   // ml-eng and security: may approve, but never his own requests
};

void TestRules::initTestCase()
{
    QVERIFY(m_tmp.isValid());
    QVERIFY(m_upstream.start(m_tmp.filePath(QStringLiteral("upstream.log"))));
    m_daemon.setExtraConfig("[proxy]\nrule_body_limit = \"64KiB\"\nmask_body_limit = \"16KiB\"\n");
    QVERIFY2(m_daemon.start(), qPrintable(m_daemon.error()));
    const QByteArray rules =
        "[[connection]]\n"
        "name = \"llm\"\ntype = \"http\"\nupstream = \"" + m_upstream.url() + "\"\nallow_groups = [\"ml-eng\"]\n\n"
        "[[rule]]\nname = \"no-weight-export\"\nkind = \"deny\"\nconnections = [\"llm\"]\n"
        "match = { method = \"GET\", path = \"^/v1/models/.*/weights\" }\n\n"
        "[[rule]]\nname = \"no-debug-header\"\nkind = \"deny\"\n"
        "match = { header = { X-Debug = \"(?i)^(1|true)$\" } }\n\n"
        "[[rule]]\nname = \"no-customer-dump\"\nkind = \"deny\"\n"
        "match = { method = \"POST\", body = \"(?i)select\\\\s+\\\\*\\\\s+from\\\\s+customers\" }\n\n"
        "[[rule]]\nname = \"interns-read-only\"\nkind = \"deny\"\ngroups = [\"interns\"]\n"
        "match = { method = \"DELETE|PUT\" }\n\n"
        "[[rule]]\nname = \"approve-fine-tune\"\nkind = \"approve\"\nconnections = [\"llm\"]\n"
        "match = { path = \"^/v1/fine-tunes\" }\napprovers = [\"security\"]\napprovals = 2\ntimeout = \"60s\"\n\n"
        "[[rule]]\nname = \"approve-export\"\nkind = \"approve\"\n"
        "match = { path = \"^/v1/export\" }\napprovers = [\"security\"]\njustification = true\ntimeout = \"60s\"\n\n"
        "[[rule]]\nname = \"approve-quick\"\nkind = \"approve\"\n"
        "match = { path = \"^/v1/quick\" }\napprovers = [\"security\"]\ntimeout = \"1s\"\n\n"
        "[[connection]]\nname = \"pii\"\ntype = \"http\"\nupstream = \"" + m_upstream.url() + "\"\nallow_groups = [\"ml-eng\"]\n\n"
        "[[rule]]\nname = \"mask-email\"\nkind = \"mask\"\nconnections = [\"pii\"]\ndetector = \"email\"\n\n"
        "[[rule]]\nname = \"mask-cards\"\nkind = \"mask\"\nconnections = [\"pii\"]\ndetector = \"credit_card\"\n\n"
        "[[rule]]\nname = \"mask-employee-ids\"\nkind = \"mask\"\nconnections = [\"pii\"]\n"
        "pattern = \"EMP-[0-9]{6}\"\nreplace = \"[EMPLOYEE]\"\n\n"
        "[[rule]]\nname = \"mask-ssn-field\"\nkind = \"mask\"\nconnections = [\"pii\"]\ndetector = \"us_ssn\"\njson_fields = [\"$.user.ssn\"]\n"
        "replace = \"[SSN]\"\n\n"
        "[[rule]]\nname = \"approve-pii-body\"\nkind = \"approve\"\nconnections = [\"pii\"]\n"
        "match = { body = \"approve-me\" }\napprovers = [\"security\"]\n";
    QVERIFY(apply(rules));
    m_alice = issue("alice", "ml-eng");
    m_carol = issue("carol", "ml-eng,interns");
    m_dave = issue("dave", "security");
    m_erin = issue("erin", "security");
    m_frank = issue("frank", "ml-eng,security");
    QVERIFY(!m_alice.isEmpty() && !m_carol.isEmpty() && !m_dave.isEmpty() && !m_erin.isEmpty() && !m_frank.isEmpty());
}

void TestRules::cleanupTestCase()
{
    QCOMPARE(m_daemon.stop(), 0);
}

bool TestRules::apply(const QByteArray &toml)
{
    static int n = 0;
    const QString file = m_tmp.filePath(QStringLiteral("resources-%1.toml").arg(++n));
    QFile f(file);
    if (!f.open(QIODevice::WriteOnly) || f.write(toml) != toml.size())
        return false;
    f.close();
    const auto r = m_daemon.ctl({QStringLiteral("apply"), QStringLiteral("-f"), file});
    if (r.exitCode != 0)
        qWarning("apply failed: %s", r.err.constData());
    return r.exitCode == 0;
}

QByteArray TestRules::issue(const char *subject, const char *groups)
{
    const auto r = m_daemon.ctl({QStringLiteral("token"), QStringLiteral("issue"), QStringLiteral("--subject"),
                                 QLatin1String(subject), QStringLiteral("--groups"), QLatin1String(groups)});
    return r.exitCode == 0 ? r.out.trimmed() : QByteArray();
}

QStringList TestRules::upload(const QString &name, const QByteArray &body)
{
    const QString file = m_tmp.filePath(name);
    QFile f(file);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(body) != body.size())
        QTest::qFail(qPrintable(QStringLiteral("cannot write ") + file), __FILE__, __LINE__);
    return {QStringLiteral("--data-binary"), QLatin1Char('@') + file};
}

Answer TestRules::send(const QByteArray &token, const QString &path, const QStringList &extra)
{
    return parse(curl(QStringList{QStringLiteral("-i"), QStringLiteral("-H"),
                                  QStringLiteral("Authorization: Bearer ") + QString::fromLatin1(token)}
                      + extra + QStringList{m_daemon.proxyUrl() + path}));
}

QList<QJsonObject> TestRules::requestEvents(const char *marker)
{
    QList<QJsonObject> out;
    QString requestId;
    for (const QJsonValue &v : eventsOf(QStringLiteral("alice"))) {
        const QJsonObject e = v.toObject();
        const QJsonObject data = e.value(QStringLiteral("data")).toObject();
        if (requestId.isEmpty() && e.value(QStringLiteral("kind")).toString() == u"http.request"
            && data.value(QStringLiteral("body")).toString().contains(QLatin1String(marker)))
            requestId = data.value(QStringLiteral("request_id")).toString();
        if (!requestId.isEmpty() && data.value(QStringLiteral("request_id")).toString() == requestId)
            out.append(e);
    }
    return out;
}

QJsonObject TestRules::eventOfRequest(const char *marker, QStringView kind)
{
    for (const QJsonObject &e : requestEvents(marker))
        if (e.value(QStringLiteral("kind")).toString() == kind)
            return e.value(QStringLiteral("data")).toObject();
    return {};
}

QJsonArray TestRules::eventsOf(const QString &subject)
{
    QJsonArray all;
    const auto list = m_daemon.ctl({QStringLiteral("get"), QStringLiteral("sessions"), QStringLiteral("--subject"),
                                    subject, QStringLiteral("-o"), QStringLiteral("json")});
    for (const QJsonValue &s : QJsonDocument::fromJson(list.out).array()) {
        const QString id = s.toObject().value(QStringLiteral("id")).toString();
        const auto events = m_daemon.ctl({QStringLiteral("sessions"), QStringLiteral("export"), id});
        for (const QByteArray &line : events.out.split('\n'))
            if (!line.trimmed().isEmpty())
                all.append(QJsonDocument::fromJson(line).object());
    }
    return all;
}

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

DaemonProcess::CtlResult TestRules::ctlAs(const QByteArray &token, const QStringList &args) const
{
    return m_daemon.ctl(QStringList{QStringLiteral("--server"), m_daemon.adminUrl(), QStringLiteral("--token"),
                                    QString::fromLatin1(token)}
                            + args,
                        true);
}

std::unique_ptr<QProcess> TestRules::startHeld(const QByteArray &token, const QString &path, const QStringList &extra)
{
    auto p = std::make_unique<QProcess>();
    p->start(QStringLiteral("curl"), QStringList{QStringLiteral("-sS"), QStringLiteral("-i"), QStringLiteral("-H"),
                                                 QStringLiteral("Authorization: Bearer ") + QString::fromLatin1(token)}
                                         + extra + QStringList{m_daemon.proxyUrl() + path});
    p->waitForStarted(5000);
    return p;
}

Answer TestRules::finish(QProcess &curlProcess, int timeoutMs)
{
    CurlResult r;
    if (curlProcess.waitForFinished(timeoutMs)) {
        r.exitCode = curlProcess.exitCode();
        r.out = curlProcess.readAllStandardOutput();
        r.err = curlProcess.readAllStandardError();
    }
    return parse(r);
}

QJsonObject TestRules::waitForPending(const QString &path, int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < timeoutMs) {
        const auto r = m_daemon.ctl({QStringLiteral("get"), QStringLiteral("approvals"), QStringLiteral("--state"),
                                     QStringLiteral("pending"), QStringLiteral("-o"), QStringLiteral("json")});
        for (const QJsonValue &v : QJsonDocument::fromJson(r.out).array())
            if (v.toObject().value(QStringLiteral("path")).toString() == path)
                return v.toObject();
        QTest::qWait(50);
    }
    return {};
}

QJsonObject TestRules::approval(const QString &id)
{
    const auto r = m_daemon.request("GET", QStringLiteral("/api/v1/approvals/") + id, m_daemon.adminToken());
    return r.json().object();
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

namespace {

// Text with what the pii connection's rules mask, and the same text as a client must see it.
const QByteArray kPlain = "Contact ada.lovelace@example.com or EMP-123456; card 4111 1111 1111 1111, "
                          "not a card: 4111 1111 1111 1112; order 2024-01-15.\n";
const QByteArray kMasked = "Contact [EMAIL] or [EMPLOYEE]; card [CREDIT_CARD], "
                           "not a card: 4111 1111 1111 1112; order 2024-01-15.\n";

QByteArray header(const QByteArray &head, const QByteArray &name)
{
    for (const QByteArray &line : head.split('\n')) {
        const qsizetype colon = line.indexOf(':');
        if (colon > 0 && line.left(colon).trimmed().compare(name, Qt::CaseInsensitive) == 0)
            return line.mid(colon + 1).trimmed();
    }
    return {};
}

} // namespace

void TestRules::responsesAreMaskedAsTheyStream_data()
{
    QTest::addColumn<QString>("query");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("expected");
    QTest::addColumn<bool>("chunkedToClient");

    // Small framed bodies are masked whole and keep a Content-Length: the masked one.
    QTest::newRow("Content-Length, one write") << "" << kPlain << kMasked << false;
    QTest::newRow("Content-Length, 7-byte writes") << "split=7&pause=0.002" << kPlain << kMasked << false;
    QTest::newRow("chunked, 3-byte chunks") << "mode=chunked&split=3&pause=0.001" << kPlain << kMasked << true;
    QTest::newRow("chunked, one chunk per 50 bytes") << "mode=chunked&split=50" << kPlain.repeated(40) << kMasked.repeated(40)
                                                      << true;
    const QByteArray sse = "data: {\"delta\":\"write to ada.lovelace@example.com\"}\n\n"
                           "data: {\"delta\":\"EMP-654321 done\"}\n\ndata: [DONE]\n\n";
    const QByteArray sseMasked = "data: {\"delta\":\"write to [EMAIL]\"}\n\n"
                                 "data: {\"delta\":\"[EMPLOYEE] done\"}\n\ndata: [DONE]\n\n";
    QTest::newRow("SSE, split inside matches") << "mode=sse&split=11&pause=0.005" << sse << sseMasked << true;
    QTest::newRow("nothing to mask passes unchanged") << "split=5" << QByteArray("plain words only\n")
                                                      << QByteArray("plain words only\n") << false;
}

void TestRules::responsesAreMaskedAsTheyStream()
{
    QFETCH(QString, query);
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, expected);
    QFETCH(bool, chunkedToClient);
    const QStringList data = upload(QStringLiteral("reflect.txt"), body);
    const Answer a = send(m_alice, QStringLiteral("/pii/reflect?") + query,
                          data + QStringList{QStringLiteral("--raw")});
    QCOMPARE(a.status, 200);
    if (chunkedToClient) {
        // The length changed as the body was masked: the client gets chunks, not a stale length.
        QCOMPARE(header(a.head, "Transfer-Encoding").toLower(), QByteArray("chunked"));
        QVERIFY(header(a.head, "Content-Length").isEmpty());
    }
    if (!chunkedToClient) {
        QCOMPARE(header(a.head, "Content-Length").toInt(), expected.size());
        QVERIFY(header(a.head, "Transfer-Encoding").isEmpty());
        QCOMPARE(a.body, expected);
        return;
    }
    // Undo the chunk framing curl --raw left in place.
    QByteArray decoded;
    QByteArray rest = a.body;
    while (!rest.isEmpty()) {
        const qsizetype eol = rest.indexOf("\r\n");
        QVERIFY(eol > 0);
        bool ok = false;
        const qsizetype size = rest.left(eol).toLongLong(&ok, 16);
        QVERIFY(ok);
        if (size == 0)
            break;
        decoded += rest.mid(eol + 2, size);
        rest = rest.mid(eol + 2 + size + 2);
    }
    QCOMPARE(decoded, expected);
}

void TestRules::llmDeltasAreMaskedAcrossEvents()
{
    // An OpenAI-style stream whose answer splits an address (and a card) over several deltas,
    // sent in 13-byte chunks so reads split events too.
    const QList<QByteArray> deltas = {"Write to ada.", "love", "lace@exam", "ple.com or pay 4111 11", "11 1111 1111", " today."};
    QByteArray body = "data: {\"marker\":\"sse-delta-marker\"}\n\n";
    for (const QByteArray &d : deltas)
        body += "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + d
            + "\"},\"finish_reason\":null}]}\n\n";
    body += "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}"
            "\n\ndata: [DONE]\n\n";
    const Answer a = send(m_alice, QStringLiteral("/pii/reflect?mode=sse&split=13&pause=0.002"),
                          upload(QStringLiteral("deltas.txt"), body));
    QCOMPARE(a.status, 200);
    // Not one piece of the address or the card reached the client.
    for (const char *piece : {"ada.", "love", "lace", "exam", "ple.com", "4111"})
        QVERIFY2(!a.body.contains(piece), a.body.constData());
    QString content;
    int events = 0;
    for (const QByteArray &line : a.body.split('\n')) {
        if (!line.startsWith("data: {"))
            continue;
        QJsonParseError err;
        const QJsonObject o = QJsonDocument::fromJson(line.mid(6), &err).object();
        QVERIFY2(err.error == QJsonParseError::NoError, line.constData());
        ++events;
        for (const QJsonValue &c : o.value(QStringLiteral("choices")).toArray())
            content += c.toObject().value(QStringLiteral("delta")).toObject().value(QStringLiteral("content")).toString();
    }
    QCOMPARE(content, QStringLiteral("Write to [EMAIL] or pay [CREDIT_CARD] today."));
    QCOMPARE(events, 1 + deltas.size() + 1); // as many events as the upstream sent
    QVERIFY(a.body.endsWith("data: [DONE]\n\n"));

    // The decision event counts what was masked, never what it was.
    QJsonObject masked;
    QTRY_VERIFY_WITH_TIMEOUT(!(masked = eventOfRequest("sse-delta-marker", u"policy.masked")).isEmpty(), 10000);
    QHash<QString, int> counts;
    for (const QJsonValue &m : masked.value(QStringLiteral("masks")).toArray()) {
        const QJsonObject o = m.toObject();
        counts[o.value(QStringLiteral("rule")).toString()] += o.value(QStringLiteral("count")).toInt();
        // Each range points at a replacement in the body as the client got it.
        for (const QJsonValue &r : o.value(QStringLiteral("ranges")).toArray()) {
            const QByteArray replaced = a.body.mid(qsizetype(r.toArray().at(0).toDouble()), qsizetype(r.toArray().at(1).toDouble()));
            QVERIFY2(replaced == "[EMAIL]" || replaced == "[CREDIT_CARD]", replaced.constData());
        }
    }
    QCOMPARE(counts.value(QStringLiteral("mask-email")), 1);
    QCOMPARE(counts.value(QStringLiteral("mask-cards")), 1);
    const QByteArray decision = QJsonDocument(masked).toJson();
    for (const char *piece : {"love", "lace", "exam", "4111"})
        QVERIFY(!decision.contains(piece));
}

void TestRules::anUnmaskableStreamIsBrokenOffAndTheUpstreamLetGo()
{
    // An event with more choices than the masker tracks across events: the stream cannot be masked,
    // so the client gets an error event and the end of the body at once, and the upstream, still
    // streaming for another 10 s, is let go rather than read to its end.
    QByteArray body = "data: {\"marker\":\"sse-broken-off-marker\"}\n\n";
    QByteArray wide = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[";
    for (int i = 0; i < 17; ++i)
        wide += QByteArray(i ? "," : "") + "{\"index\":" + QByteArray::number(i) + ",\"delta\":{\"content\":\"choice text\"}}";
    body += wide + "]}\n\n";
    const QByteArray later = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
                             "\"delta\":{\"content\":\"later text\"}}]}\n\n";
    for (int i = 0; i < 100; ++i)
        body += later;
    const QString path = QStringLiteral("/reflect?mode=sse&split=%1&pause=0.1&tag=broken-off").arg(later.size());
    QElapsedTimer t;
    t.start();
    const CurlResult c = curl(QStringList{QStringLiteral("-i"), QStringLiteral("-H"),
                                          QStringLiteral("Authorization: Bearer ") + QString::fromLatin1(m_alice)}
                              + upload(QStringLiteral("broken-off.txt"), body)
                              + QStringList{m_daemon.proxyUrl() + QStringLiteral("/pii") + path});
    const qint64 took = t.elapsed();
    QVERIFY2(c.exitCode == 0, c.err.constData());   // a whole response: the chunked body was ended
    const Answer a = parse(c);
    QCOMPARE(a.status, 200);
    QVERIFY2(a.body.contains("\"type\":\"gatehouse_unmaskable_stream\""), a.body.constData());
    QVERIFY(!a.body.contains("later text"));
    QVERIFY(!a.body.contains("choice text"));
    QVERIFY2(took < 5000, qPrintable(QString::number(took)));   // not the upstream's 10 s

    // The upstream saw its answer cut off: the gateway closed the connection.
    QTRY_VERIFY_WITH_TIMEOUT(curl({QString::fromLatin1(m_upstream.url() + "/aborts")}).out.contains("tag=broken-off"), 10000);

    // The record says the response was broken off, and the next request on the connection works.
    QJsonObject end;
    QTRY_VERIFY_WITH_TIMEOUT(!(end = eventOfRequest("sse-broken-off-marker", u"http.response.end")).isEmpty(), 10000);
    QCOMPARE(end.value(QStringLiteral("broken_off")).toBool(), true);
    const Answer next = send(m_alice, QStringLiteral("/pii/echo"));
    QCOMPARE(next.status, 200);
}

void TestRules::responsesApiDeltasAreMaskedAcrossEvents()
{
    // The OpenAI Responses API's shape: output_text.delta events split an address and a card, then
    // .done and response.completed carry the whole text; sent in 13-byte chunks.
    const QList<QByteArray> deltas = {"Write to ada.", "love", "lace@exam", "ple.com or pay 4111 11", "11 1111 1111", " today."};
    QByteArray whole;
    for (const QByteArray &d : deltas)
        whole += d;
    auto event = [](const QByteArray &type, const QByteArray &members) -> QByteArray {
        return "event: " + type + "\ndata: {\"type\":\"" + type + "\"," + members + "}\n\n";
    };
    const QByteArray where = "\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0";
    QByteArray body = event("response.created", "\"sequence_number\":0,\"response\":{\"marker\":\"sse-responses-marker\"}");
    int seq = 1;
    for (const QByteArray &d : deltas)
        body += event("response.output_text.delta", "\"sequence_number\":" + QByteArray::number(seq++) + "," + where + ",\"delta\":\"" + d
                                                        + "\",\"logprobs\":[]");
    body += event("response.output_text.done", "\"sequence_number\":" + QByteArray::number(seq++) + "," + where + ",\"text\":\"" + whole + "\"");
    body += event("response.completed", "\"sequence_number\":" + QByteArray::number(seq++)
                                            + ",\"response\":{\"output\":[{\"content\":[{\"text\":\"" + whole + "\"}]}]}");
    const QStringList data = upload(QStringLiteral("responses-deltas.txt"), body);
    const Answer a = send(m_alice, QStringLiteral("/pii/reflect?mode=sse&split=13&pause=0.002"),
                          data);
    QCOMPARE(a.status, 200);
    for (const char *piece : {"ada.", "love", "lace", "exam", "ple.com", "4111"})
        QVERIFY2(!a.body.contains(piece), a.body.constData());
    QString text;
    QString done;
    QString completed;
    QList<int> sequence;
    for (const QByteArray &line : a.body.split('\n')) {
        if (!line.startsWith("data: {"))
            continue;
        QJsonParseError err;
        const QJsonObject o = QJsonDocument::fromJson(line.mid(6), &err).object();
        QVERIFY2(err.error == QJsonParseError::NoError, line.constData());
        sequence.append(o.value(QStringLiteral("sequence_number")).toInt());
        const QString type = o.value(QStringLiteral("type")).toString();
        if (type == u"response.output_text.delta") {
            QCOMPARE(o.value(QStringLiteral("item_id")).toString(), QStringLiteral("msg_1"));
            text += o.value(QStringLiteral("delta")).toString();
        } else if (type == u"response.output_text.done") {
            done = o.value(QStringLiteral("text")).toString();
        } else if (type == u"response.completed") {
            completed = o.value(QStringLiteral("response")).toObject().value(QStringLiteral("output")).toArray().at(0).toObject()
                            .value(QStringLiteral("content")).toArray().at(0).toObject().value(QStringLiteral("text")).toString();
        }
    }
    // The connection has a custom pattern, so the text is held to the end of its stream: it comes
    // in a delta just before .done, and every copy of the whole text says the same.
    const QString expected = QStringLiteral("Write to [EMAIL] or pay [CREDIT_CARD] today.");
    QCOMPARE(text, expected);
    QCOMPARE(done, expected);
    QCOMPARE(completed, expected);
    QCOMPARE(sequence.size(), 1 + deltas.size() + 1 + 2);
    QVERIFY(std::is_sorted(sequence.begin(), sequence.end()));
}

void TestRules::compressedResponsesAreDecodedOrRefused()
{
    const QStringList data = upload(QStringLiteral("gz.txt"), kPlain.repeated(3));
    for (const char *encoding : {"gzip", "deflate"}) {
        // The client asks for gzip; the upstream answers compressed; the client gets it masked and plain.
        const Answer a = send(m_alice, QStringLiteral("/pii/reflect?split=20&encoding=") + QLatin1String(encoding),
                              data + QStringList{QStringLiteral("-H"),
                               QStringLiteral("Accept-Encoding: gzip")});
        QCOMPARE(a.status, 200);
        QVERIFY(header(a.head, "Content-Encoding").isEmpty());
        QCOMPARE(a.body, kMasked.repeated(3));
    }
    // The upstream was asked for identity, whatever the client accepts.
    const Answer echo = send(m_alice, QStringLiteral("/pii/echo"), {QStringLiteral("-H"), QStringLiteral("Accept-Encoding: gzip, br")});
    QCOMPARE(echo.status, 200);
    QVERIFY2(echo.body.contains("[\"Accept-Encoding\", \"identity\"]"), echo.body.constData());
    // A coding the gateway cannot read is never passed on.
    const Answer br = send(m_alice, QStringLiteral("/pii/reflect?encoding=br"), data);
    QCOMPARE(br.status, 502);
    QCOMPARE(br.json().value(QStringLiteral("error")).toString(), QStringLiteral("unmaskable"));
    QVERIFY(!br.body.contains("lovelace"));
}

void TestRules::jsonFieldsAreMaskedWholeWithinTheBound()
{
    const QByteArray json = "{\"user\": {\"name\": \"Ada\", \"ssn\": \"123-45-6789\", \"mail\": \"ada\\u0040example.com\"},"
                            " \"note\": \"caf\\u00e9 EMP-000042\", \"n\": 1.50}";
    const QStringList data = upload(QStringLiteral("doc.json"), json);
    const Answer a = send(m_alice, QStringLiteral("/pii/reflect?split=9&mode=chunked&type=application/json"),
                          data);
    QCOMPARE(a.status, 200);
    // Masked whole, so it goes out with its new length.
    QCOMPARE(header(a.head, "Content-Length").toInt(), a.body.size());
    const QJsonObject doc = a.json();
    QCOMPARE(doc.value(QStringLiteral("user")).toObject().value(QStringLiteral("ssn")).toString(), QStringLiteral("[SSN]"));
    QCOMPARE(doc.value(QStringLiteral("user")).toObject().value(QStringLiteral("name")).toString(), QStringLiteral("Ada"));
    QCOMPARE(doc.value(QStringLiteral("user")).toObject().value(QStringLiteral("mail")).toString(), QStringLiteral("[EMAIL]"));
    QVERIFY(doc.value(QStringLiteral("note")).toString().contains(QLatin1String("[EMPLOYEE]")));
    QVERIFY(a.body.contains("1.50"));   // untouched bytes stay as sent

    // Over mask_body_limit (16 KiB here), and not JSON at all: refused, never passed on unmasked.
    const Answer big = send(m_alice, QStringLiteral("/pii/reflect?mode=chunked&split=8192&type=application/json"),
                            upload(QStringLiteral("doc.json"), "{\"user\": {\"ssn\": \"123-45-6789\"}, \"pad\": \""
                                                                    + QByteArray(20 * 1024, 'x') + "\"}"));
    QCOMPARE(big.status, 502);
    QCOMPARE(big.json().value(QStringLiteral("error")).toString(), QStringLiteral("unmaskable"));
    QVERIFY(!big.body.contains("123-45-6789"));
    const Answer broken = send(m_alice, QStringLiteral("/pii/reflect?type=application/json"),
                               upload(QStringLiteral("doc.json"), "{\"user\": {\"ssn\": \"123-45-6789\""));
    QCOMPARE(broken.status, 502);
    QVERIFY(!broken.body.contains("123-45-6789"));
}

namespace {

// Python's parser, which unlike Qt's refuses an invalid escape such as "\[".
bool strictJson(const QByteArray &json)
{
    QProcess py;
    py.start(QStringLiteral("python3"), {QStringLiteral("-c"), QStringLiteral("import json,sys; json.loads(sys.stdin.buffer.read())")});
    py.write(json);
    py.closeWriteChannel();
    return py.waitForFinished(10000) && py.exitStatus() == QProcess::NormalExit && py.exitCode() == 0;
}

} // namespace

// A JSON answer no json_fields rule covers: a value right after an escape and one spelled with
// \u escapes come back masked, and the JSON stays valid; in a JSON answer and in an SSE event.
void TestRules::jsonAnswersStayValidJson()
{
    QVERIFY(apply("[[connection]]\nname = \"plainjson\"\ntype = \"http\"\nupstream = \"" + m_upstream.url()
                  + "\"\nallow_groups = [\"ml-eng\"]\n\n[[rule]]\nname = \"mask-email-plainjson\"\nkind = \"mask\"\n"
                    "connections = [\"plainjson\"]\ndetector = \"email\"\n"));
    const QByteArray json = R"({"note":"Contact:\nada@example.org","alt":"a\u0040example.org","n":[1.50,true]})";
    const QByteArray masked = R"({"note":"Contact:\n[EMAIL]","alt":"[EMAIL]","n":[1.50,true]})";
    const QStringList data = upload(QStringLiteral("plain.json"), json);
    Answer a;
    QTRY_VERIFY_WITH_TIMEOUT((a = send(m_alice, QStringLiteral("/plainjson/reflect?split=9&type=application/json"), data)).status == 200,
                             5000);
    QCOMPARE(a.body, masked);
    QCOMPARE(header(a.head, "Content-Length").toInt(), masked.size());
    QVERIFY(strictJson(a.body));
    QVERIFY(!strictJson(R"({"note":"Contact:\[EMAIL]"})")); // the check can fail

    // Chunked, or compressed (its decoded size unknown): masked decoded all the same.
    for (const char *how : {"mode=chunked&split=9", "encoding=gzip&split=9"}) {
        const Answer c = send(m_alice, QStringLiteral("/plainjson/reflect?type=application/json&") + QLatin1String(how), data);
        QCOMPARE(c.status, 200);
        QVERIFY(!header(c.head, "Content-Encoding").size());
        QCOMPARE(c.body, masked);
    }

    // A watch stream (a JSON value per event, the body never ending on its own): each event goes
    // out, masked, as soon as it is whole, while the upstream is still sending.
    QByteArray watch;
    for (int i = 0; i < 3; ++i)
        watch += R"({"type":"MODIFIED","object":{"owner":"ada\u0040example.org","n":)" + QByteArray::number(i) + "}}\n";
    const qsizetype piece = watch.size() / 3;
    QProcess client;
    client.start(QStringLiteral("curl"), QStringList{QStringLiteral("-sN"), QStringLiteral("-H"),
                                                     QStringLiteral("Authorization: Bearer ") + QString::fromLatin1(m_alice)}
                                             + upload(QStringLiteral("watch.json"), watch)
                                             + QStringList{m_daemon.proxyUrl()
                                                           + QStringLiteral("/plainjson/reflect?type=application/json&mode=chunked&pause=3&split=")
                                                           + QString::number(piece)});
    QByteArray seen;
    QTRY_VERIFY_WITH_TIMEOUT((seen += client.readAllStandardOutput()).contains("\"n\":1}}\n"), 8000);   // 2 of 3 sent, lines whole
    QVERIFY(client.state() == QProcess::Running);
    QVERIFY(!seen.contains("\"n\":2"));
    QVERIFY(client.waitForFinished(15000));
    seen += client.readAllStandardOutput();
    QCOMPARE(seen, QByteArray(watch).replace(R"(ada\u0040example.org)", "[EMAIL]"));

    // The same object as an SSE event's data, read in 7-byte pieces.
    const Answer sse = send(m_alice, QStringLiteral("/plainjson/reflect?mode=sse&split=7&pause=0.002"),
                            upload(QStringLiteral("plain.json"), "event: note\ndata: " + json + "\n\ndata: [DONE]\n\n"));
    QCOMPARE(sse.status, 200);
    QCOMPARE(sse.body, "event: note\ndata: " + masked + "\n\ndata: [DONE]\n\n");
    QVERIFY(strictJson(sse.body.split('\n').at(1).mid(6)));
}

void TestRules::maskingIsRecordedWithoutTheOriginalValues()
{
    const QByteArray marker = "mask-record-marker";
    const Answer a = send(m_alice, QStringLiteral("/pii/reflect?split=13"),
                          {QStringLiteral("--data-binary"), QString::fromLatin1(kPlain + marker)});
    QCOMPARE(a.status, 200);
    QVERIFY(a.body.startsWith(kMasked.chopped(1)));
    QJsonObject masked;
    QByteArray recordedResponses;
    QTRY_VERIFY_WITH_TIMEOUT(([&] {
        recordedResponses.clear();
        for (const QJsonObject &e : requestEvents(marker.constData())) {
            const QString kind = e.value(QStringLiteral("kind")).toString();
            if (kind == u"policy.masked")
                masked = e.value(QStringLiteral("data")).toObject();
            else if (kind.startsWith(u"http.response") || kind == u"http.chunk")
                recordedResponses += QJsonDocument(e).toJson(QJsonDocument::Compact);
        }
        return !masked.isEmpty();
    }()), 10000);
    QHash<QString, int> counts;
    for (const QJsonValue &m : masked.value(QStringLiteral("masks")).toArray())
        counts[m.toObject().value(QStringLiteral("rule")).toString()] += m.toObject().value(QStringLiteral("count")).toInt();
    QCOMPARE(counts.value(QStringLiteral("mask-email")), 1);
    QCOMPARE(counts.value(QStringLiteral("mask-cards")), 1);
    QCOMPARE(counts.value(QStringLiteral("mask-employee-ids")), 1);
    const QByteArray decision = QJsonDocument(masked).toJson();
    QVERIFY(!decision.contains("lovelace"));
    QVERIFY(!decision.contains("4111 1111 1111 1111"));
    // What is recorded of the response is what the client saw: masked.
    QVERIFY(!recordedResponses.isEmpty());
    QVERIFY(!recordedResponses.contains("lovelace"));
    QVERIFY(!recordedResponses.contains("EMP-123456"));
}

void TestRules::approverSeesAMaskedBodyExcerpt()
{
    auto client = startHeld(m_alice, QStringLiteral("/pii/reflect?excerpt=1"),
                            {QStringLiteral("--data-binary"), QStringLiteral("approve-me for ada.lovelace@example.com")});
    const QJsonObject pending = waitForPending(QStringLiteral("/reflect?excerpt=1"));
    QVERIFY(!pending.isEmpty());
    const QString excerpt = pending.value(QStringLiteral("body_excerpt")).toString();
    QCOMPARE(excerpt, QStringLiteral("approve-me for [EMAIL]"));
    QCOMPARE(ctlAs(m_erin, {QStringLiteral("approve"), pending.value(QStringLiteral("id")).toString()}).exitCode, 0);
    const Answer a = finish(*client);
    QCOMPARE(a.status, 200);
    QCOMPARE(a.body, QByteArray("approve-me for [EMAIL]"));
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
