#include "admin/HttpServer.h"
#include "TestCertificate.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace gh;

// Runs the real gatehousectl binary against an HttpServer in this process playing the admin API.
class tst_Gatehousectl : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void versionAndHelp();
    void badUsageExitsTwo_data();
    void badUsageExitsTwo();
    void getJsonPrintsTheServersDocument();
    void getTableAlignsColumns();
    void applyPrintsOneLinePerResource();
    void applyErrorNamesFileLineAndKey();
    void tokenIssuePrintsTheTokenAlone();
    void cappedTokenNotesOnStderr();
    void defaultsComeFromTheDataDir();
    void refusedTokenExitsOneWithOneLine();
    void unreachableServerExitsOne();
    void missingRouteSaysWhatTheServerSaid();
    void verifyExitCodes_data();
    void verifyExitCodes();
    void exportAndSessionsExportWriteBodiesAsIs();
    void playReplaysEventsWithScaledTiming();
    void approveAndDenySendTheDecision();
    void getApprovalsShowsAgeAndTimeLeft();
    void approvalsWatchPrintsOneLinePerApprovalEvent_data();
    void approvalsWatchPrintsOneLinePerApprovalEvent();
    void approvalsWatchWithARefusedTokenExitsOne();
    void httpsServerWithPrivateCa();

private:
    struct Run {
        int exitCode = -1;
        QByteArray out;
        QByteArray err;
    };
    Run run(const QStringList &args, bool withServerFlags = true);

    QString m_binary;
    std::unique_ptr<HttpServer> m_server;
    quint16 m_port = 0;
    QList<HttpRequest> m_seen;
    std::unique_ptr<QTemporaryDir> m_home;
    const QByteArray m_events = "{\"seq\":1,\"ts_us\":1000000,\"kind\":\"http.request\",\"method\":\"GET\",\"path\":\"/v1/models\"}\n"
                                "{\"seq\":2,\"ts_us\":1100000,\"kind\":\"policy.decision\",\"decision\":\"allow\"}\n"
                                "{\"seq\":3,\"ts_us\":11200000,\"kind\":\"http.response\",\"status\":200,"
                                "\"body\":\"" + QByteArray(500, 'x') + "\"}\n";
};

void tst_Gatehousectl::initTestCase()
{
    m_binary = QStringLiteral(GATEHOUSECTL_PATH);
    QVERIFY2(QFile::exists(m_binary), qPrintable(m_binary));
}

void tst_Gatehousectl::init()
{
    m_seen.clear();
    m_home = std::make_unique<QTemporaryDir>();
    QVERIFY(m_home->isValid());
    m_server = std::make_unique<HttpServer>();
    m_server->setHandler([this](const HttpRequest &req, HttpResponder res) {
        m_seen.append(req);
        if (req.header("Authorization") != "Bearer good") {
            res.sendError(401, "unauthenticated", QStringLiteral("invalid token"));
            return;
        }
        const QByteArray route = req.method + ' ' + req.path;
        if (route == "GET /api/v1/connections") {
            res.sendJson(200, QJsonArray{
                QJsonObject{{QStringLiteral("name"), QStringLiteral("llm")}, {QStringLiteral("type"), QStringLiteral("http")},
                            {QStringLiteral("upstream"), QStringLiteral("http://127.0.0.1:9000")},
                            {QStringLiteral("allow_groups"), QJsonArray{QStringLiteral("ml-eng"), QStringLiteral("ci-bots")}}},
                QJsonObject{{QStringLiteral("name"), QStringLiteral("warehouse-db")}, {QStringLiteral("type"), QStringLiteral("postgres")},
                            {QStringLiteral("upstream"), QStringLiteral("postgres://127.0.0.1:5432")},
                            {QStringLiteral("allow_groups"), QJsonArray{}}}});
        } else if (route == "GET /api/v1/rules") {
            res.sendError(404, "not_found", QStringLiteral("rules are not served yet"));
        } else if (route == "POST /api/v1/apply") {
            if (req.body.contains("pth")) {
                res.sendJson(400, QJsonObject{{QStringLiteral("error"), QStringLiteral("invalid")},
                                              {QStringLiteral("message"), QStringLiteral("unknown key \"pth\"")},
                                              {QStringLiteral("line"), 7},
                                              {QStringLiteral("key"), QStringLiteral("rule \"x\": match.pth")},
                                              {QStringLiteral("resource"), QStringLiteral("rule/x")},
                                              {QStringLiteral("file"), QString::fromUtf8(req.header("X-Gatehouse-Source"))}});
            } else {
                res.sendJson(200, QJsonObject{{QStringLiteral("created"), QJsonArray{QStringLiteral("connection/llm")}},
                                              {QStringLiteral("updated"), QJsonArray{QStringLiteral("rule/no-weight-export")}},
                                              {QStringLiteral("unchanged"), QJsonArray{QStringLiteral("rule/mask-email")}}});
            }
        } else if (route == "POST /api/v1/tokens") {
            const QJsonObject in = QJsonDocument::fromJson(req.body).object();
            const bool capped = in.value(QStringLiteral("ttl")).toString() == QLatin1String("48h");
            res.sendJson(201, QJsonObject{{QStringLiteral("token"), QStringLiteral("eyJhbGciOiJFZERTQSJ9.e30.c2ln")},
                                          {QStringLiteral("jti"), QStringLiteral("j-1")},
                                          {QStringLiteral("subject"), in.value(QStringLiteral("subject"))},
                                          {QStringLiteral("expires_at"), QStringLiteral("2026-01-01T01:00:00Z")},
                                          {QStringLiteral("capped"), capped}});
        } else if (route == "GET /api/v1/sessions/s-ok/verify") {
            res.sendJson(200, QJsonObject{{QStringLiteral("intact"), true}});
        } else if (route == "GET /api/v1/sessions/s-bad/verify") {
            res.sendJson(200, QJsonObject{{QStringLiteral("intact"), false}, {QStringLiteral("first_bad_seq"), 3},
                                          {QStringLiteral("reason"), QStringLiteral("hash mismatch")}});
        } else if (route == "GET /api/v1/sessions/s-ok/events") {
            res.send(200, "application/x-ndjson", m_events);
        } else if (route == "GET /api/v1/export") {
            res.send(200, "application/toml", "[[connection]]\nname = \"llm\"\n");
        } else if (req.method == "POST" && req.path.startsWith("/api/v1/approvals/")) {
            res.sendJson(200, QJsonObject{{QStringLiteral("id"), QStringLiteral("a-1")},
                                          {QStringLiteral("state"), req.path.endsWith("/approve") ? QStringLiteral("approved")
                                                                                                  : QStringLiteral("denied")}});
        } else if (route == "GET /api/v1/approvals") {
            const QDateTime now = QDateTime::currentDateTimeUtc();
            auto at = [&now](int secs) { return now.addSecs(secs).toString(Qt::ISODateWithMs); };
            res.sendJson(200, QJsonArray{
                QJsonObject{{QStringLiteral("id"), QStringLiteral("3f2a")}, {QStringLiteral("state"), QStringLiteral("pending")},
                            {QStringLiteral("connection"), QStringLiteral("llm")}, {QStringLiteral("subject"), QStringLiteral("ana")},
                            {QStringLiteral("rule"), QStringLiteral("approve-pii-dataset")},
                            {QStringLiteral("created_at"), at(-90)}, {QStringLiteral("expires_at"), at(211)},
                            {QStringLiteral("grant_until"), QJsonValue()}},
                QJsonObject{{QStringLiteral("id"), QStringLiteral("9c1d")}, {QStringLiteral("state"), QStringLiteral("approved")},
                            {QStringLiteral("connection"), QStringLiteral("llm")}, {QStringLiteral("subject"), QStringLiteral("bob")},
                            {QStringLiteral("rule"), QStringLiteral("approve-pii-dataset")},
                            {QStringLiteral("created_at"), at(-7200)}, {QStringLiteral("expires_at"), at(-6900)},
                            {QStringLiteral("grant_until"), at(901)}}});
        } else if (route == "GET /api/v1/events") {
            res.beginStream(200, "text/event-stream");
            res.write(": gatehouse live events\n\n"
                      "id: 1\nevent: session.started\ndata: {\"type\":\"session.started\",\"id\":\"s-1\"}\n\n"
                      "id: 2\nevent: approval.requested\ndata: {\"type\":\"approval.requested\",\"at\":\"2026-01-01T00:00:00.000Z\","
                      "\"id\":\"3f2a\",\"state\":\"pending\",\"connection\":\"llm\",\"subject\":\"ana\",\"rule\":\"approve-pii\","
                      "\"method\":\"POST\",\"path\":\"/v1/fine-tunes\",\"required\":2,\"justification\":\"ticket OPS-42\","
                      "\"expires_at\":\"2026-01-01T00:05:00.000Z\",\"approvals\":[]}\n\n"
                      "id: 3\nevent: approval.decided\ndata: {\"type\":\"approval.decided\",\"at\":\"2026-01-01T00:01:00.000Z\","
                      "\"id\":\"3f2a\",\"state\":\"denied\",\"connection\":\"llm\",\"subject\":\"ana\",\"rule\":\"approve-pii\","
                      "\"reason\":\"not this dataset\",\"approvals\":[{\"by\":\"sam\",\"decision\":\"deny\"}]}\n\n");
        } else if (route == "GET /api/v1/sessions") {
            res.sendError(500, "internal", QStringLiteral("store unavailable"));
        } else {
            res.sendError(404, "not_found", QStringLiteral("no route"));
        }
    });
    auto port = m_server->listen(ListenAddress{QStringLiteral("127.0.0.1"), 0});
    QVERIFY(port.ok());
    m_port = *port;
}

void tst_Gatehousectl::cleanup()
{
    m_server.reset();
    m_home.reset();
}

tst_Gatehousectl::Run tst_Gatehousectl::run(const QStringList &args, bool withServerFlags)
{
    QProcess proc;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char *name : {"GATEHOUSE_SERVER", "GATEHOUSE_TOKEN", "GATEHOUSE_DATA_DIR"})
        env.remove(QLatin1String(name));
    // Never the developer's own gateway: an empty home and data dir.
    env.insert(QStringLiteral("HOME"), m_home->path());
    env.insert(QStringLiteral("XDG_DATA_HOME"), m_home->filePath(QStringLiteral("share")));
    proc.setProcessEnvironment(env);
    QStringList all;
    if (withServerFlags)
        all << QStringLiteral("--server") << QStringLiteral("http://127.0.0.1:%1").arg(m_port)
            << QStringLiteral("--token") << QStringLiteral("good");
    all << args;
    proc.start(m_binary, all);
    if (!proc.waitForStarted(5000))
        return {};
    // The server answers from this thread's event loop, so wait by running it.
    QDeadlineTimer deadline(20'000);
    while (proc.state() != QProcess::NotRunning && !deadline.hasExpired())
        QTest::qWait(5);
    if (proc.state() != QProcess::NotRunning) {
        proc.kill();
        proc.waitForFinished();
        return {};
    }
    return Run{proc.exitStatus() == QProcess::NormalExit ? proc.exitCode() : -1, proc.readAllStandardOutput(),
               proc.readAllStandardError()};
}

void tst_Gatehousectl::versionAndHelp()
{
    Run r = run({QStringLiteral("--version")}, false);
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, QByteArray("gatehousectl " GATEHOUSE_VERSION "\n"));
    r = run({QStringLiteral("--help")}, false);
    QCOMPARE(r.exitCode, 0);
    QVERIFY(r.out.contains("apply -f FILE.toml"));
    QVERIFY(r.out.contains("sessions verify ID"));
    QVERIFY(r.err.isEmpty());
}

void tst_Gatehousectl::badUsageExitsTwo_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::newRow("no verb") << QStringList{};
    QTest::newRow("unknown verb") << QStringList{QStringLiteral("frobnicate")};
    QTest::newRow("unknown flag") << QStringList{QStringLiteral("get"), QStringLiteral("connections"), QStringLiteral("--colour")};
    QTest::newRow("flag of another verb") << QStringList{QStringLiteral("get"), QStringLiteral("connections"), QStringLiteral("--ttl"), QStringLiteral("1h")};
    QTest::newRow("flag without its value") << QStringList{QStringLiteral("get"), QStringLiteral("connections"), QStringLiteral("-o")};
    QTest::newRow("unknown output format") << QStringList{QStringLiteral("get"), QStringLiteral("connections"), QStringLiteral("-o"), QStringLiteral("yaml")};
    QTest::newRow("get without kind") << QStringList{QStringLiteral("get")};
    QTest::newRow("get unknown kind") << QStringList{QStringLiteral("get"), QStringLiteral("users")};
    QTest::newRow("apply without file") << QStringList{QStringLiteral("apply")};
    QTest::newRow("approve without id") << QStringList{QStringLiteral("approve")};
    QTest::newRow("approve with a bad duration") << QStringList{QStringLiteral("approve"), QStringLiteral("a-1"), QStringLiteral("--for"), QStringLiteral("soon")};
    QTest::newRow("token issue without subject") << QStringList{QStringLiteral("token"), QStringLiteral("issue"), QStringLiteral("--groups"), QStringLiteral("a")};
    QTest::newRow("token issue with a bad ttl") << QStringList{QStringLiteral("token"), QStringLiteral("issue"), QStringLiteral("--subject"), QStringLiteral("ci"), QStringLiteral("--ttl"), QStringLiteral("15x")};
    QTest::newRow("sessions without id") << QStringList{QStringLiteral("sessions"), QStringLiteral("verify")};
    QTest::newRow("play with zero speed") << QStringList{QStringLiteral("play"), QStringLiteral("s-ok"), QStringLiteral("--speed"), QStringLiteral("0")};
    QTest::newRow("approvals without watch") << QStringList{QStringLiteral("approvals")};
    QTest::newRow("approvals list") << QStringList{QStringLiteral("approvals"), QStringLiteral("list")};
    QTest::newRow("approvals watch as yaml") << QStringList{QStringLiteral("approvals"), QStringLiteral("watch"), QStringLiteral("-o"), QStringLiteral("yaml")};
    QTest::newRow("approvals watch --for") << QStringList{QStringLiteral("approvals"), QStringLiteral("watch"), QStringLiteral("--for"), QStringLiteral("1h")};
    QTest::newRow("deny --for") << QStringList{QStringLiteral("deny"), QStringLiteral("a-1"), QStringLiteral("--for"), QStringLiteral("1h")};
    QTest::newRow("delete unknown kind") << QStringList{QStringLiteral("delete"), QStringLiteral("user"), QStringLiteral("x")};
}

void tst_Gatehousectl::badUsageExitsTwo()
{
    QFETCH(QStringList, args);
    const Run r = run(args);
    QCOMPARE(r.exitCode, 2);
    QVERIFY(r.out.isEmpty());
    QVERIFY2(r.err.startsWith("gatehousectl: "), r.err.constData());
    QCOMPARE(r.err.count('\n'), 1);   // one line
    QVERIFY(m_seen.isEmpty());        // nothing was sent
}

void tst_Gatehousectl::getJsonPrintsTheServersDocument()
{
    const Run r = run({QStringLiteral("get"), QStringLiteral("connections"), QStringLiteral("-o"), QStringLiteral("json")});
    QCOMPARE(r.exitCode, 0);
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(r.out, &error);
    QCOMPARE(error.error, QJsonParseError::NoError);
    QCOMPARE(doc.array().size(), 2);
    QCOMPARE(doc.array().at(0).toObject().value(QStringLiteral("name")).toString(), QStringLiteral("llm"));
    QCOMPARE(m_seen.size(), 1);
    QCOMPARE(m_seen.first().header("Authorization"), QByteArray("Bearer good"));
}

void tst_Gatehousectl::getTableAlignsColumns()
{
    const Run r = run({QStringLiteral("get"), QStringLiteral("connections")});
    QCOMPARE(r.exitCode, 0);
    const QList<QByteArray> lines = r.out.trimmed().split('\n');
    QCOMPARE(lines.size(), 3);
    QVERIFY(lines[0].startsWith("NAME"));
    const qsizetype typeColumn = lines[0].indexOf("TYPE");
    const qsizetype upstreamColumn = lines[0].indexOf("UPSTREAM");
    QVERIFY(typeColumn > 0 && upstreamColumn > typeColumn);
    QCOMPARE(lines[1].indexOf("http"), typeColumn);
    QCOMPARE(lines[2].indexOf("postgres"), typeColumn);
    QCOMPARE(lines[2].indexOf("postgres://"), upstreamColumn);
    QVERIFY(lines[1].endsWith("ml-eng,ci-bots"));
    QVERIFY(lines[2].endsWith("-"));   // an empty list shows as "-"
}

void tst_Gatehousectl::applyPrintsOneLinePerResource()
{
    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("resources.toml"));
    QFile f(file);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("[[connection]]\nname = \"llm\"\n");
    f.close();
    const Run r = run({QStringLiteral("apply"), QStringLiteral("-f"), file});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, QByteArray("connection/llm created\nrule/no-weight-export updated\nrule/mask-email unchanged\n"));
    QCOMPARE(m_seen.size(), 1);
    QCOMPARE(m_seen.first().body, QByteArray("[[connection]]\nname = \"llm\"\n"));
    QCOMPARE(m_seen.first().header("Content-Type"), QByteArray("application/toml"));
    QCOMPARE(m_seen.first().header("X-Gatehouse-Source"), file.toUtf8());
}

void tst_Gatehousectl::applyErrorNamesFileLineAndKey()
{
    QTemporaryDir dir;
    QFile f(dir.filePath(QStringLiteral("bad.toml")));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("[[rule]]\nname = \"x\"\nmatch = { pth = \"/\" }\n");
    f.close();
    const Run r = run({QStringLiteral("apply"), QStringLiteral("-f"), f.fileName()});
    QCOMPARE(r.exitCode, 2);
    QVERIFY(r.out.isEmpty());
    QCOMPARE(r.err, "gatehousectl: " + f.fileName().toUtf8() + ":7: rule \"x\": match.pth: unknown key \"pth\"\n");
}

void tst_Gatehousectl::tokenIssuePrintsTheTokenAlone()
{
    const Run r = run({QStringLiteral("token"), QStringLiteral("issue"), QStringLiteral("--subject"), QStringLiteral("ci-bot"),
                       QStringLiteral("--groups"), QStringLiteral("ci-bots,ml-eng"), QStringLiteral("--ttl"), QStringLiteral("15m")});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, QByteArray("eyJhbGciOiJFZERTQSJ9.e30.c2ln\n"));
    QVERIFY(r.err.isEmpty());
    QCOMPARE(m_seen.size(), 1);
    const QJsonObject sent = QJsonDocument::fromJson(m_seen.first().body).object();
    QCOMPARE(sent.value(QStringLiteral("subject")).toString(), QStringLiteral("ci-bot"));
    QCOMPARE(sent.value(QStringLiteral("groups")).toArray(), (QJsonArray{QStringLiteral("ci-bots"), QStringLiteral("ml-eng")}));
    QCOMPARE(sent.value(QStringLiteral("ttl")).toString(), QStringLiteral("15m"));
}

void tst_Gatehousectl::cappedTokenNotesOnStderr()
{
    const Run r = run({QStringLiteral("token"), QStringLiteral("issue"), QStringLiteral("--subject"), QStringLiteral("ci-bot"),
                       QStringLiteral("--ttl"), QStringLiteral("48h")});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, QByteArray("eyJhbGciOiJFZERTQSJ9.e30.c2ln\n"));
    QVERIFY(r.err.startsWith("gatehousectl: note: "));
    QVERIFY(r.err.contains("2026-01-01T01:00:00Z"));
    QCOMPARE(r.err.count('\n'), 1);
}

void tst_Gatehousectl::defaultsComeFromTheDataDir()
{
    QTemporaryDir dataDir;
    QFile url(dataDir.filePath(QStringLiteral("admin.url")));
    QVERIFY(url.open(QIODevice::WriteOnly));
    url.write(QStringLiteral("http://127.0.0.1:%1\n").arg(m_port).toUtf8());
    url.close();
    QFile token(dataDir.filePath(QStringLiteral("admin.token")));
    QVERIFY(token.open(QIODevice::WriteOnly));
    token.write("  good\n");
    token.close();

    const Run r = run({QStringLiteral("--data-dir"), dataDir.path(), QStringLiteral("get"), QStringLiteral("connections"),
                       QStringLiteral("-o"), QStringLiteral("json")},
                      false);
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(m_seen.size(), 1);
    QCOMPARE(m_seen.first().header("Authorization"), QByteArray("Bearer good"));
}

void tst_Gatehousectl::refusedTokenExitsOneWithOneLine()
{
    const Run r = run({QStringLiteral("--server"), QStringLiteral("http://127.0.0.1:%1").arg(m_port), QStringLiteral("--token"),
                       QStringLiteral("stale"), QStringLiteral("get"), QStringLiteral("connections")},
                      false);
    QCOMPARE(r.exitCode, 1);
    QVERIFY(r.out.isEmpty());
    QVERIFY(r.err.startsWith("gatehousectl: "));
    QVERIFY2(r.err.contains("refused the token") && r.err.contains("401"), r.err.constData());
    QVERIFY(!r.err.contains("stale"));   // the token itself is never echoed
    QCOMPARE(r.err.count('\n'), 1);
}

void tst_Gatehousectl::unreachableServerExitsOne()
{
    m_server.reset();
    const Run r = run({QStringLiteral("get"), QStringLiteral("connections")});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.startsWith("gatehousectl: cannot reach the gateway at http://127.0.0.1:"), r.err.constData());
    QCOMPARE(r.err.count('\n'), 1);
}

void tst_Gatehousectl::missingRouteSaysWhatTheServerSaid()
{
    Run r = run({QStringLiteral("get"), QStringLiteral("rules")});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("404") && r.err.contains("rules are not served yet"), r.err.constData());
    r = run({QStringLiteral("get"), QStringLiteral("sessions")});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("500") && r.err.contains("store unavailable"), r.err.constData());
}

void tst_Gatehousectl::verifyExitCodes_data()
{
    QTest::addColumn<QString>("id");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QByteArray>("out");
    QTest::newRow("intact") << QStringLiteral("s-ok") << 0 << QByteArray("intact\n");
    QTest::newRow("tampered") << QStringLiteral("s-bad") << 1 << QByteArray("not intact: first bad event seq 3: hash mismatch\n");
}

void tst_Gatehousectl::verifyExitCodes()
{
    QFETCH(QString, id);
    QFETCH(int, exitCode);
    QFETCH(QByteArray, out);
    const Run r = run({QStringLiteral("sessions"), QStringLiteral("verify"), id});
    QCOMPARE(r.exitCode, exitCode);
    QCOMPARE(r.out, out);
}

void tst_Gatehousectl::exportAndSessionsExportWriteBodiesAsIs()
{
    Run r = run({QStringLiteral("sessions"), QStringLiteral("export"), QStringLiteral("s-ok")});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, m_events);

    QTemporaryDir dir;
    const QString file = dir.filePath(QStringLiteral("all.toml"));
    r = run({QStringLiteral("export"), QStringLiteral("-o"), file});
    QCOMPARE(r.exitCode, 0);
    QVERIFY(r.out.isEmpty());
    QFile f(file);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), QByteArray("[[connection]]\nname = \"llm\"\n"));
}

void tst_Gatehousectl::playReplaysEventsWithScaledTiming()
{
    QElapsedTimer timer;
    timer.start();
    // 10.2 s of recording at speed 100 with idle capped: well under the recorded time.
    const Run r = run({QStringLiteral("play"), QStringLiteral("s-ok"), QStringLiteral("--speed"), QStringLiteral("100")});
    QCOMPARE(r.exitCode, 0);
    QVERIFY(timer.elapsed() < 8000);
    const QList<QByteArray> lines = r.out.trimmed().split('\n');
    QCOMPARE(lines.size(), 3);
    QVERIFY2(lines[0].contains("+    0.000s") && lines[0].contains("http.request") && lines[0].contains("GET /v1/models"),
             lines[0].constData());
    QVERIFY2(lines[1].contains("+    0.100s") && lines[1].contains("decision=allow"), lines[1].constData());
    QVERIFY2(lines[2].contains("+   10.200s") && lines[2].contains("status=200"), lines[2].constData());
    QVERIFY(lines[2].contains("(500 chars)"));   // the body is abbreviated
    QVERIFY(lines[2].size() < 300);
}

void tst_Gatehousectl::approveAndDenySendTheDecision()
{
    Run r = run({QStringLiteral("approve"), QStringLiteral("a-1"), QStringLiteral("--for"), QStringLiteral("15m"),
                 QStringLiteral("--reason"), QStringLiteral("ticket 42")});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, QByteArray("approval a-1 approved\n"));
    QCOMPARE(m_seen.last().path, QByteArray("/api/v1/approvals/a-1/approve"));
    const QJsonObject sent = QJsonDocument::fromJson(m_seen.last().body).object();
    QCOMPARE(sent.value(QStringLiteral("for")).toString(), QStringLiteral("15m"));
    QCOMPARE(sent.value(QStringLiteral("reason")).toString(), QStringLiteral("ticket 42"));

    r = run({QStringLiteral("deny"), QStringLiteral("a-1")});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out, QByteArray("approval a-1 denied\n"));
    QCOMPARE(m_seen.last().path, QByteArray("/api/v1/approvals/a-1/deny"));
}

void tst_Gatehousectl::getApprovalsShowsAgeAndTimeLeft()
{
    const Run r = run({QStringLiteral("get"), QStringLiteral("approvals")});
    QCOMPARE(r.exitCode, 0);
    const QList<QByteArray> lines = r.out.trimmed().split('\n');
    QCOMPARE(lines.size(), 3);
    const QList<QByteArray> header = lines[0].simplified().split(' ');
    QCOMPARE(header, (QList<QByteArray>{"ID", "STATE", "CONNECTION", "SUBJECT", "RULE", "AGE", "TIME", "LEFT"}));
    const QList<QByteArray> pending = lines[1].simplified().split(' ');
    QCOMPARE(pending.mid(0, 5), (QList<QByteArray>{"3f2a", "pending", "llm", "ana", "approve-pii-dataset"}));
    // The clock moves between the server's answer and the table: a second either way.
    QVERIFY2(QRegularExpression(QStringLiteral("^1m(29|30|31)s$")).match(QString::fromUtf8(pending[5])).hasMatch(), pending[5].constData());
    QVERIFY2(QRegularExpression(QStringLiteral("^3m(29|30|31)s$")).match(QString::fromUtf8(pending[6])).hasMatch(), pending[6].constData());
    const QList<QByteArray> approved = lines[2].simplified().split(' ');
    QCOMPARE(approved.mid(0, 2), (QList<QByteArray>{"9c1d", "approved"}));
    QCOMPARE(approved[5], QByteArray("2h"));
    QCOMPARE(approved[6], QByteArray("grant"));
    QVERIFY2(approved[7] == "15m" || approved[7] == "15m1s" || approved[7] == "14m59s", approved[7].constData());
}

void tst_Gatehousectl::approvalsWatchPrintsOneLinePerApprovalEvent_data()
{
    QTest::addColumn<bool>("json");
    QTest::newRow("table") << false;
    QTest::newRow("json") << true;
}

void tst_Gatehousectl::approvalsWatchPrintsOneLinePerApprovalEvent()
{
    QFETCH(bool, json);
    QProcess proc;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("HOME"), m_home->path());
    env.insert(QStringLiteral("XDG_DATA_HOME"), m_home->filePath(QStringLiteral("share")));
    proc.setProcessEnvironment(env);
    QStringList args{QStringLiteral("--server"), QStringLiteral("http://127.0.0.1:%1").arg(m_port), QStringLiteral("--token"),
                     QStringLiteral("good"), QStringLiteral("approvals"), QStringLiteral("watch")};
    if (json)
        args << QStringLiteral("-o") << QStringLiteral("json");
    proc.start(m_binary, args);
    QVERIFY(proc.waitForStarted(5000));
    QByteArray out;
    QTRY_VERIFY_WITH_TIMEOUT((out += proc.readAllStandardOutput(), out.count('\n') >= 2), 20'000);
    QTest::qWait(100);   // nothing more comes for the session event
    out += proc.readAllStandardOutput();
    QVERIFY(proc.state() == QProcess::Running);   // it follows until interrupted
    proc.terminate();
    QVERIFY(proc.waitForFinished(5000));

    const QList<QByteArray> lines = out.trimmed().split('\n');
    QCOMPARE(lines.size(), 2);
    if (json) {
        const QJsonObject requested = QJsonDocument::fromJson(lines[0]).object();
        QCOMPARE(requested.value(QStringLiteral("type")).toString(), QStringLiteral("approval.requested"));
        QCOMPARE(requested.value(QStringLiteral("id")).toString(), QStringLiteral("3f2a"));
        const QJsonObject decided = QJsonDocument::fromJson(lines[1]).object();
        QCOMPARE(decided.value(QStringLiteral("state")).toString(), QStringLiteral("denied"));
        return;
    }
    QCOMPARE(lines[0], QByteArray("2026-01-01T00:00:00.000Z approval.requested 3f2a pending connection=llm subject=ana "
                                  "rule=approve-pii POST /v1/fine-tunes needs=2 justification=\"ticket OPS-42\" "
                                  "expires=2026-01-01T00:05:00.000Z"));
    QCOMPARE(lines[1], QByteArray("2026-01-01T00:01:00.000Z approval.decided 3f2a denied connection=llm subject=ana "
                                  "rule=approve-pii by=sam reason=\"not this dataset\""));
}

void tst_Gatehousectl::approvalsWatchWithARefusedTokenExitsOne()
{
    const Run r = run({QStringLiteral("--server"), QStringLiteral("http://127.0.0.1:%1").arg(m_port), QStringLiteral("--token"),
                       QStringLiteral("bad"), QStringLiteral("approvals"), QStringLiteral("watch")},
                      false);
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.startsWith("gatehousectl: ") && r.err.contains("(401)"), r.err.constData());
    QVERIFY(r.out.isEmpty());
}

void tst_Gatehousectl::httpsServerWithPrivateCa()
{
    QTemporaryDir dir;
    gh::test::TestCertificate cert;
    if (!QSslSocket::supportsSsl() || !cert.create(dir))
        QSKIP("no TLS backend or openssl command");
    m_server = std::make_unique<HttpServer>();
    m_server->setTlsConfiguration(cert.serverConfiguration());
    m_server->setHandler([](const HttpRequest &, HttpResponder res) {
        res.sendJson(200, QJsonArray{QJsonObject{{QStringLiteral("name"), QStringLiteral("llm")}}});
    });
    auto port = m_server->listen(ListenAddress{QStringLiteral("127.0.0.1"), 0});
    QVERIFY(port.ok());
    const QString url = QStringLiteral("https://127.0.0.1:%1").arg(*port);

    // Untrusted certificate: a runtime failure that says it could not connect.
    Run r = run({QStringLiteral("--server"), url, QStringLiteral("--token"), QStringLiteral("good"),
                 QStringLiteral("get"), QStringLiteral("connections")},
                false);
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.startsWith("gatehousectl: cannot reach the gateway at https://"), r.err.constData());

    r = run({QStringLiteral("--server"), url, QStringLiteral("--token"), QStringLiteral("good"), QStringLiteral("--cacert"),
             cert.certificatePath, QStringLiteral("get"), QStringLiteral("connections"), QStringLiteral("-o"),
             QStringLiteral("json")},
            false);
    QVERIFY2(r.exitCode == 0, r.err.constData());
    QCOMPARE(QJsonDocument::fromJson(r.out).array().at(0).toObject().value(QStringLiteral("name")).toString(),
             QStringLiteral("llm"));
}

QTEST_GUILESS_MAIN(tst_Gatehousectl)
#include "tst_gatehousectl.moc"
