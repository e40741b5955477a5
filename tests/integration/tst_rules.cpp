// Rules in the data path (issue 4) as clients meet them: the real gatehoused in front of
// tests/support/upstream.py, driven by curl and the real gatehousectl, on 127.0.0.1 only.
#include "support/DaemonProcess.h"
#include "support/TestTools.h"

#include <QFile>
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

private:
    Answer send(const QByteArray &token, const QString &path, const QStringList &extra = {});
    bool apply(const QByteArray &toml);
    QByteArray issue(const char *subject, const char *groups);
    QJsonArray eventsOf(const QString &subject);

    QTemporaryDir m_tmp;
    TestUpstream m_upstream;
    DaemonProcess m_daemon;
    QByteArray m_alice;   // ml-eng
    QByteArray m_carol;   // ml-eng, interns
};

void TestRules::initTestCase()
{
    QVERIFY(m_tmp.isValid());
    QVERIFY(m_upstream.start(m_tmp.filePath(QStringLiteral("upstream.log"))));
    m_daemon.setExtraConfig("[proxy]\nrule_body_limit = \"64KiB\"\n");
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
        "match = { method = \"DELETE|PUT\" }\n";
    QVERIFY(apply(rules));
    m_alice = issue("alice", "ml-eng");
    m_carol = issue("carol", "ml-eng,interns");
    QVERIFY(!m_alice.isEmpty() && !m_carol.isEmpty());
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

Answer TestRules::send(const QByteArray &token, const QString &path, const QStringList &extra)
{
    return parse(curl(QStringList{QStringLiteral("-i"), QStringLiteral("-H"),
                                  QStringLiteral("Authorization: Bearer ") + QString::fromLatin1(token)}
                      + extra + QStringList{m_daemon.proxyUrl() + path}));
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
    const QString file = m_tmp.filePath(QStringLiteral("upload.bin"));
    QFile f(file);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(body);
    f.close();
    for (const bool chunked : {false, true}) {
        QStringList args{QStringLiteral("--data-binary"), QLatin1Char('@') + file};
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
    const QString file = m_tmp.filePath(QStringLiteral("big.bin"));
    QFile f(file);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QByteArray(100 * 1024, 'b'));
    f.close();
    const int before = m_upstream.requests();
    const Answer a = send(m_alice, QStringLiteral("/llm/v1/upload"), {QStringLiteral("--data-binary"), QLatin1Char('@') + file});
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

QTEST_GUILESS_MAIN(TestRules)
#include "tst_rules.moc"
