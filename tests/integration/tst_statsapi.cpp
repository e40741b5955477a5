// The newcomer demo end to end (the bundled demo upstream behind resources/demo.toml: a masked
// answer, streamed and not, and a held fine-tune approved by the admin token) and GET
// /api/v1/stats counting what happened, with its role checks and input errors.
#include "support/DaemonProcess.h"
#include "support/TestTools.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using gh::test::curl;
using gh::test::DaemonProcess;

namespace {

const QByteArray kRoles = "[roles]\nadmin = [\"gatehouse-admins\"]\nauditor = [\"auditors\"]\n";

QJsonObject connectionNamed(const QJsonArray &list, const QString &name)
{
    for (const QJsonValue &v : list) {
        if (v.toObject().value(QStringLiteral("name")).toString() == name)
            return v.toObject();
    }
    return {};
}

qint64 sum(const QJsonArray &series)
{
    qint64 total = 0;
    for (const QJsonValue &v : series)
        total += qint64(v.toDouble());
    return total;
}

} // namespace

class TestStatsApi final : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void demoMasksAnswers();
    void demoHoldsFineTunesForTheAdmin();
    void statsCountWhatHappened();
    void statsRefusesBadInputAndOtherRoles();

private:
    QByteArray chat(bool stream);
    QJsonObject stats(const QString &query = QStringLiteral("?since=1h&bucket=1m"));

    DaemonProcess m_daemon;
    QProcess m_upstream;
    QTemporaryDir m_tmp;
    QByteArray m_user;   // a demo-users token, as run.sh --demo issues one
};

void TestStatsApi::initTestCase()
{
    QVERIFY(m_tmp.isValid());
    const QString demo = QFileInfo(gh::test::builtProgram(QStringLiteral("gatehoused"))).absolutePath()
        + QStringLiteral("/gatehouse-demo-upstream");
    QVERIFY2(QFileInfo(demo).isExecutable(), qPrintable(demo));
    const QString portFile = m_tmp.filePath(QStringLiteral("port"));
    m_upstream.setProgram(demo);
    m_upstream.setArguments({QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0"), QStringLiteral("--port-file"), portFile});
    m_upstream.start();
    QVERIFY(m_upstream.waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(portFile), 10000);
    QFile pf(portFile);
    QVERIFY(pf.open(QIODevice::ReadOnly));
    const QByteArray port = pf.readAll().trimmed();
    QVERIFY(port.toInt() > 0);

    m_daemon.setExtraConfig(kRoles);
    QVERIFY2(m_daemon.start(), qPrintable(m_daemon.error()));
    // The shipped demo.toml, pointed at this run's port.
    QFile toml(qEnvironmentVariable("GATEHOUSE_SOURCE_DIR") + QStringLiteral("/resources/demo.toml"));
    QVERIFY(toml.open(QIODevice::ReadOnly));
    QByteArray resources = toml.readAll();
    QVERIFY(resources.contains("http://127.0.0.1:8790"));
    resources.replace("http://127.0.0.1:8790", QByteArray("http://127.0.0.1:" + port));
    const auto applied = m_daemon.request("POST", QStringLiteral("/api/v1/apply"), m_daemon.adminToken(), resources,
                                          "application/toml");
    QVERIFY2(applied.status == 200, applied.body.constData());

    const auto issued = m_daemon.ctl({QStringLiteral("token"), QStringLiteral("issue"), QStringLiteral("--subject"),
                                      QStringLiteral("newcomer"), QStringLiteral("--groups"), QStringLiteral("demo-users"),
                                      QStringLiteral("--ttl"), QStringLiteral("15m")});
    QVERIFY2(issued.exitCode == 0, issued.err.constData());
    m_user = issued.out.trimmed();
}

void TestStatsApi::cleanupTestCase()
{
    m_daemon.stop();
    m_upstream.kill();
    m_upstream.waitForFinished();
}

QByteArray TestStatsApi::chat(bool stream)
{
    const QByteArray body = stream ? "{\"model\":\"demo-1\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"
                                   : "{\"model\":\"demo-1\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    const auto r = curl({QStringLiteral("-N"), QStringLiteral("-H"), QString(QStringLiteral("Authorization: Bearer ") + QString::fromLatin1(m_user)),
                         QStringLiteral("-H"), QStringLiteral("Content-Type: application/json"), QStringLiteral("-d"),
                         QString::fromLatin1(body), m_daemon.proxyUrl() + QStringLiteral("/demo/v1/chat/completions")});
    if (r.exitCode != 0)
        qWarning("curl: %s", r.err.constData());
    return r.out;
}

QJsonObject TestStatsApi::stats(const QString &query)
{
    const auto r = m_daemon.request("GET", QString(QStringLiteral("/api/v1/stats") + query), m_daemon.adminToken());
    if (r.status != 200)
        qWarning("stats: %d %s", r.status, r.body.constData());
    return r.json().object();
}

void TestStatsApi::demoMasksAnswers()
{
    const QByteArray plain = chat(false);
    const QJsonObject answer = QJsonDocument::fromJson(plain).object();
    const QString content = answer.value(QStringLiteral("choices")).toArray().at(0).toObject()
                                .value(QStringLiteral("message")).toObject().value(QStringLiteral("content")).toString();
    QVERIFY2(content.contains(QStringLiteral("Card on file: [CARD]")), plain.constData());
    QVERIFY(!content.contains(QStringLiteral("4111")));
    QVERIFY(!content.contains(QStringLiteral("5555-5555")));
    // Only cards are masked in the demo: the e-mail address shows what the rule leaves alone.
    QVERIFY(content.contains(QStringLiteral("jane.roe@example.com")));

    // Streamed (a sentence per event), the card numbers are masked too.
    const QByteArray streamed = chat(true);
    QVERIFY2(streamed.contains("data: [DONE]"), streamed.constData());
    QString joined;
    for (const QByteArray &line : streamed.split('\n')) {
        if (!line.startsWith("data: {"))
            continue;
        joined += QJsonDocument::fromJson(line.mid(6)).object().value(QStringLiteral("choices")).toArray().at(0)
                      .toObject().value(QStringLiteral("delta")).toObject().value(QStringLiteral("content")).toString();
    }
    QVERIFY2(joined.contains(QStringLiteral("Card on file: [CARD]")), qPrintable(joined));
    QVERIFY(!joined.contains(QStringLiteral("4111")));
    QVERIFY(!joined.contains(QStringLiteral("5555-5555")));
}

void TestStatsApi::demoHoldsFineTunesForTheAdmin()
{
    QProcess client;
    client.setProgram(QStringLiteral("curl"));
    client.setArguments({QStringLiteral("-sS"), QStringLiteral("-H"), QString(QStringLiteral("Authorization: Bearer ") + QString::fromLatin1(m_user)),
                         QStringLiteral("-H"), QStringLiteral("Content-Type: application/json"), QStringLiteral("-d"),
                         QStringLiteral("{\"training_file\":\"file-demo\"}"), m_daemon.proxyUrl() + QStringLiteral("/demo/v1/fine-tunes")});
    client.start();
    QVERIFY(client.waitForStarted());
    QString id;
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            const auto r = m_daemon.request("GET", QStringLiteral("/api/v1/approvals?state=pending"), m_daemon.adminToken());
            const QJsonArray list = r.json().array();
            if (list.isEmpty())
                return false;
            id = list.at(0).toObject().value(QStringLiteral("id")).toString();
            return list.at(0).toObject().value(QStringLiteral("rule")).toString() == QStringLiteral("demo-approve-fine-tunes");
        }(),
        15000);
    QCOMPARE(client.state(), QProcess::Running);   // the request waits for a human
    const auto approved = m_daemon.ctl({QStringLiteral("approve"), id});
    QVERIFY2(approved.exitCode == 0, approved.err.constData());
    QVERIFY(gh::test::waitFinished(client, 15000));
    const QJsonObject job = QJsonDocument::fromJson(client.readAllStandardOutput()).object();
    QCOMPARE(job.value(QStringLiteral("status")).toString(), QStringLiteral("queued"));
    QVERIFY(job.value(QStringLiteral("id")).toString().startsWith(QStringLiteral("ft-demo-")));
}

void TestStatsApi::statsCountWhatHappened()
{
    // A refusal: no token at all.
    const auto refused = curl({QStringLiteral("-o"), QStringLiteral("/dev/null"), QStringLiteral("-w"), QStringLiteral("%{http_code}"),
                               m_daemon.proxyUrl() + QStringLiteral("/demo/v1/models")});
    QCOMPARE(refused.out, QByteArray("401"));

    QJsonObject s;
    QJsonObject demo;
    // Recording is asynchronous: wait until the refusal is counted.
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            s = stats();
            demo = connectionNamed(s.value(QStringLiteral("connections")).toArray(), QStringLiteral("demo"));
            return demo.value(QStringLiteral("totals")).toObject().value(QStringLiteral("refusals")).toInt() >= 1;
        }(),
        10000);
    const QJsonArray buckets = s.value(QStringLiteral("buckets")).toArray();
    QCOMPARE(buckets.size(), 60);
    QCOMPARE(s.value(QStringLiteral("bucket_seconds")).toInt(), 60);
    QCOMPARE(demo.value(QStringLiteral("requests")).toArray().size(), 60);
    const QJsonObject totals = demo.value(QStringLiteral("totals")).toObject();
    QCOMPARE(totals.value(QStringLiteral("requests")).toInt(), 3);    // two chats and the fine-tune
    QCOMPARE(totals.value(QStringLiteral("approvals")).toInt(), 1);
    QCOMPARE(totals.value(QStringLiteral("refusals")).toInt(), 1);
    QCOMPARE(totals.value(QStringLiteral("masked")).toInt(), 4);      // two cards in each of two answers
    QCOMPARE(sum(demo.value(QStringLiteral("masked")).toArray()), qint64(4));
    // Everything happened in the last minute or two: the newest buckets hold it.
    const QJsonArray requests = demo.value(QStringLiteral("requests")).toArray();
    QCOMPARE(requests.at(58).toInt() + requests.at(59).toInt(), 3);

    const QJsonArray denials = s.value(QStringLiteral("latest_denials")).toArray();
    QCOMPARE(denials.size(), 1);
    const QJsonObject d = denials.at(0).toObject();
    QCOMPARE(d.value(QStringLiteral("connection")).toString(), QStringLiteral("demo"));
    QCOMPARE(d.value(QStringLiteral("subject")).toString(), QStringLiteral("anonymous"));
    QCOMPARE(d.value(QStringLiteral("method")).toString(), QStringLiteral("GET"));
    QVERIFY(d.value(QStringLiteral("path")).toString().endsWith(QStringLiteral("/v1/models")));
    QCOMPARE(d.value(QStringLiteral("status")).toInt(), 401);
    QVERIFY(QDateTime::fromString(d.value(QStringLiteral("time")).toString(), Qt::ISODateWithMs).isValid());

    // A window before any of it counts nothing, and a connection without traffic shows zeros.
    const QJsonObject older = stats(QStringLiteral("?since=2m&bucket=1m&denials=0"));
    QCOMPARE(older.value(QStringLiteral("buckets")).toArray().size(), 2);
    QVERIFY(older.value(QStringLiteral("latest_denials")).toArray().isEmpty());
}

void TestStatsApi::statsRefusesBadInputAndOtherRoles()
{
    const QByteArray admin = m_daemon.adminToken();
    QCOMPARE(m_daemon.request("GET", QStringLiteral("/api/v1/stats?since=banana"), admin).status, 400);
    QCOMPARE(m_daemon.request("GET", QStringLiteral("/api/v1/stats?bucket=1s"), admin).status, 400);
    const auto tooMany = m_daemon.request("GET", QStringLiteral("/api/v1/stats?since=30d&bucket=1m"), admin);
    QCOMPARE(tooMany.status, 400);
    QCOMPARE(tooMany.json().object().value(QStringLiteral("error")).toString(), QStringLiteral("invalid"));
    QCOMPARE(m_daemon.request("POST", QStringLiteral("/api/v1/stats"), admin).status, 405);
    // A demo user is neither auditor nor admin.
    const auto forbidden = m_daemon.request("GET", QStringLiteral("/api/v1/stats"), m_user);
    QCOMPARE(forbidden.status, 403);
    QCOMPARE(forbidden.json().object().value(QStringLiteral("error")).toString(), QStringLiteral("forbidden"));
    const auto auditor = m_daemon.ctl({QStringLiteral("token"), QStringLiteral("issue"), QStringLiteral("--subject"),
                                       QStringLiteral("audrey"), QStringLiteral("--groups"), QStringLiteral("auditors")});
    QVERIFY(auditor.exitCode == 0);
    QCOMPARE(m_daemon.request("GET", QStringLiteral("/api/v1/stats"), auditor.out.trimmed()).status, 200);
}

QTEST_GUILESS_MAIN(TestStatsApi)
#include "tst_statsapi.moc"
