#include "policy/PolicyPlan.h"

#include <QTest>

using namespace gh;

namespace {

Rule rule(const QString &name, const QString &kind)
{
    Rule r;
    r.name = name;
    r.kind = kind;
    return r;
}

struct Req {
    QByteArray method = "GET";
    QByteArray path = "/";
    QList<std::pair<QByteArray, QByteArray>> headers;
    QByteArray body;
    HttpRequestView view() const { return HttpRequestView{method, path, &headers, body}; }
};

} // namespace

class TestPolicyPlan : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void denyMatches_data();
    void denyMatches();
    void firstDenyInFileOrderWins();
    void rulesApplyByConnectionAndGroup();
    void approvalsNeededListsEveryMatchingRule();
    void needsBodyOnlyWhenAnApplicableRuleLooksAtIt();
    void postgresRulesNeverMatchHttp();
    void maskSelectionFollowsGroups();
    void badPatternNamesRuleAndKey();
};

void TestPolicyPlan::denyMatches_data()
{
    QTest::addColumn<QString>("method");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("header");   // "Name=pattern" or empty
    QTest::addColumn<QString>("body");
    QTest::addColumn<QByteArray>("reqMethod");
    QTest::addColumn<QByteArray>("reqPath");
    QTest::addColumn<QByteArray>("reqHeader");   // "Name: value" or empty
    QTest::addColumn<QByteArray>("reqBody");
    QTest::addColumn<bool>("denied");

    QTest::newRow("method and path both match")
        << "GET" << "^/v1/models/.*/weights" << "" << "" << QByteArray("GET") << QByteArray("/v1/models/gpt/weights")
        << QByteArray() << QByteArray() << true;
    QTest::newRow("path matches, method does not")
        << "GET" << "^/v1/models/.*/weights" << "" << "" << QByteArray("POST") << QByteArray("/v1/models/gpt/weights")
        << QByteArray() << QByteArray() << false;
    QTest::newRow("method is matched whole, not as a prefix")
        << "GET" << "" << "" << "" << QByteArray("GETX") << QByteArray("/") << QByteArray() << QByteArray() << false;
    QTest::newRow("method alternation")
        << "DELETE|PUT" << "" << "" << "" << QByteArray("PUT") << QByteArray("/x") << QByteArray() << QByteArray() << true;
    QTest::newRow("path is searched, query string included")
        << "" << "export=true" << "" << "" << QByteArray("GET") << QByteArray("/v1/files?export=true")
        << QByteArray() << QByteArray() << true;
    QTest::newRow("anchored path does not match elsewhere")
        << "" << "^/admin" << "" << "" << QByteArray("GET") << QByteArray("/v1/admin") << QByteArray() << QByteArray()
        << false;
    QTest::newRow("header value, name case-insensitive")
        << "" << "" << "X-Model=^gpt-4" << "" << QByteArray("POST") << QByteArray("/")
        << QByteArray("x-model: gpt-4o") << QByteArray() << true;
    QTest::newRow("header absent never matches")
        << "" << "" << "X-Model=.*" << "" << QByteArray("POST") << QByteArray("/") << QByteArray() << QByteArray()
        << false;
    QTest::newRow("body pattern")
        << "" << "" << "" << "(?i)dataset\\s*=\\s*\"customers\"" << QByteArray("POST") << QByteArray("/q")
        << QByteArray() << QByteArray("{\"q\": \"DATASET = \\\"customers\\\"\"}") << false;
    QTest::newRow("body pattern, plain")
        << "" << "" << "" << "(?i)dataset\\s*=\\s*\"customers\"" << QByteArray("POST") << QByteArray("/q")
        << QByteArray() << QByteArray("run dataset = \"customers\" now") << true;
    QTest::newRow("all keys must match: body differs")
        << "POST" << "^/q" << "" << "secret" << QByteArray("POST") << QByteArray("/q") << QByteArray()
        << QByteArray("public") << false;
}

void TestPolicyPlan::denyMatches()
{
    QFETCH(QString, method);
    QFETCH(QString, path);
    QFETCH(QString, header);
    QFETCH(QString, body);
    QFETCH(QByteArray, reqMethod);
    QFETCH(QByteArray, reqPath);
    QFETCH(QByteArray, reqHeader);
    QFETCH(QByteArray, reqBody);
    QFETCH(bool, denied);

    Rule r = rule(QStringLiteral("d"), QStringLiteral("deny"));
    r.match.method = method;
    r.match.path = path;
    r.match.body = body;
    if (!header.isEmpty())
        r.match.headers.append({header.section(u'=', 0, 0), header.section(u'=', 1)});
    auto plan = PolicyPlan::build(QStringLiteral("llm"), {r});
    QVERIFY2(plan, plan ? "" : qPrintable(plan.error().message));
    Req q;
    q.method = reqMethod;
    q.path = reqPath;
    q.body = reqBody;
    if (!reqHeader.isEmpty()) {
        const qsizetype colon = reqHeader.indexOf(':');
        q.headers.append({reqHeader.left(colon), reqHeader.mid(colon + 1).trimmed()});
    }
    const Rule *hit = (*plan)->denied(q.view(), {});
    QCOMPARE(hit != nullptr, denied);
    if (hit)
        QCOMPARE(hit->name, QStringLiteral("d"));
}

void TestPolicyPlan::firstDenyInFileOrderWins()
{
    Rule a = rule(QStringLiteral("broad"), QStringLiteral("deny"));
    a.match.path = QStringLiteral("^/v1/");
    Rule b = rule(QStringLiteral("narrow"), QStringLiteral("deny"));
    b.match.path = QStringLiteral("^/v1/files");
    auto plan = PolicyPlan::build(QStringLiteral("llm"), {b, a});
    QVERIFY(plan);
    Req q;
    q.path = "/v1/files/1";
    QCOMPARE((*plan)->denied(q.view(), {})->name, QStringLiteral("narrow"));
    q.path = "/v1/models";
    QCOMPARE((*plan)->denied(q.view(), {})->name, QStringLiteral("broad"));
    q.path = "/v2/models";
    QVERIFY(!(*plan)->denied(q.view(), {}));
}

void TestPolicyPlan::rulesApplyByConnectionAndGroup()
{
    Rule r = rule(QStringLiteral("interns-no-delete"), QStringLiteral("deny"));
    r.connections = {QStringLiteral("prod-*")};
    r.groups = {QStringLiteral("intern*")};
    r.match.method = QStringLiteral("DELETE");
    Req q;
    q.method = "DELETE";
    auto prod = PolicyPlan::build(QStringLiteral("prod-api"), {r});
    auto dev = PolicyPlan::build(QStringLiteral("dev-api"), {r});
    QVERIFY(prod && dev);
    QVERIFY((*prod)->denied(q.view(), {QStringLiteral("interns-2026")}));
    QVERIFY(!(*prod)->denied(q.view(), {QStringLiteral("sre")}));
    QVERIFY(!(*prod)->denied(q.view(), {}));
    QVERIFY((*dev)->empty());
    QVERIFY(!(*dev)->denied(q.view(), {QStringLiteral("interns-2026")}));
}

void TestPolicyPlan::approvalsNeededListsEveryMatchingRule()
{
    Rule a = rule(QStringLiteral("approve-pii"), QStringLiteral("approve"));
    a.match.body = QStringLiteral("customers");
    Rule b = rule(QStringLiteral("approve-writes"), QStringLiteral("approve"));
    b.match.method = QStringLiteral("POST|PUT");
    Rule d = rule(QStringLiteral("deny-other"), QStringLiteral("deny"));
    d.match.path = QStringLiteral("^/never");
    auto plan = PolicyPlan::build(QStringLiteral("llm"), {a, d, b});
    QVERIFY(plan);
    Req q;
    q.method = "POST";
    q.path = "/v1/query";
    q.body = "select from customers";
    const auto both = (*plan)->approvalsNeeded(q.view(), {});
    QCOMPARE(both.size(), 2);
    QCOMPARE(both[0]->name, QStringLiteral("approve-pii"));
    QCOMPARE(both[1]->name, QStringLiteral("approve-writes"));
    q.method = "GET";
    const auto one = (*plan)->approvalsNeeded(q.view(), {});
    QCOMPARE(one.size(), 1);
    QCOMPARE(one[0]->name, QStringLiteral("approve-pii"));
    QVERIFY(!(*plan)->denied(q.view(), {}));
}

void TestPolicyPlan::needsBodyOnlyWhenAnApplicableRuleLooksAtIt()
{
    Rule a = rule(QStringLiteral("body-rule"), QStringLiteral("approve"));
    a.groups = {QStringLiteral("contractors")};
    a.match.body = QStringLiteral("x");
    Rule b = rule(QStringLiteral("path-rule"), QStringLiteral("deny"));
    b.match.path = QStringLiteral("^/x");
    auto plan = PolicyPlan::build(QStringLiteral("c"), {a, b});
    QVERIFY(plan);
    QVERIFY((*plan)->needsBody({QStringLiteral("contractors")}));
    QVERIFY(!(*plan)->needsBody({QStringLiteral("staff")}));
}

void TestPolicyPlan::postgresRulesNeverMatchHttp()
{
    Rule r = rule(QStringLiteral("no-ddl"), QStringLiteral("deny"));
    r.match.queryClass = QStringLiteral("ddl");
    Rule m = rule(QStringLiteral("mask-cols"), QStringLiteral("mask"));
    m.columns = {QStringLiteral("email")};
    auto plan = PolicyPlan::build(QStringLiteral("c"), {r, m});
    QVERIFY(plan);
    QVERIFY((*plan)->empty());
    Req q;
    QVERIFY(!(*plan)->denied(q.view(), {}));
}

void TestPolicyPlan::maskSelectionFollowsGroups()
{
    Rule all = rule(QStringLiteral("mask-email"), QStringLiteral("mask"));
    all.detector = QStringLiteral("email");
    Rule ext = rule(QStringLiteral("mask-cards-for-contractors"), QStringLiteral("mask"));
    ext.detector = QStringLiteral("credit_card");
    ext.groups = {QStringLiteral("contractors")};
    Rule other = rule(QStringLiteral("other-conn"), QStringLiteral("mask"));
    other.detector = QStringLiteral("iban");
    other.connections = {QStringLiteral("elsewhere")};
    auto plan = PolicyPlan::build(QStringLiteral("llm"), {all, ext, other});
    QVERIFY(plan);
    QCOMPARE((*plan)->allMaskRules().size(), 2);
    const MaskSelection staff = (*plan)->maskRules({QStringLiteral("staff")});
    QCOMPARE(staff.rules.size(), 1);
    QCOMPARE(staff.key, QByteArray("10"));
    const MaskSelection contractor = (*plan)->maskRules({QStringLiteral("contractors")});
    QCOMPARE(contractor.rules.size(), 2);
    QCOMPARE(contractor.key, QByteArray("11"));
    QVERIFY(staff.key != contractor.key);
}

void TestPolicyPlan::badPatternNamesRuleAndKey()
{
    Rule r = rule(QStringLiteral("broken"), QStringLiteral("deny"));
    r.match.path = QStringLiteral("(unclosed");
    auto plan = PolicyPlan::build(QStringLiteral("c"), {r});
    QVERIFY(!plan);
    QVERIFY2(plan.error().message.contains(QLatin1String("rule \"broken\"")), qPrintable(plan.error().message));
    QVERIFY2(plan.error().message.contains(QLatin1String("match.path")), qPrintable(plan.error().message));
}

QTEST_GUILESS_MAIN(TestPolicyPlan)
#include "tst_policyplan.moc"
