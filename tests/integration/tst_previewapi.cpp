// The editors' admin routes against the real gatehoused: POST /api/v1/preview (rules applied to a
// sample by the engine's own policy and masking code) and POST /api/v1/connections[/{name}]/test.
#include "support/DaemonProcess.h"
#include "support/TestTools.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

using gh::test::DaemonProcess;
using gh::test::TestUpstream;

class TestPreviewApi final : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void maskMatchesAreLocatedInUtf16AndMasked();
    void draftRuleReplacesItsStoredNamesake();
    void requestSideDecidesDenyApproveAllow();
    void jsonFieldsAreMaskedWholeForJsonResponses();
    void jsonAnswersAreMaskedOnTheirDecodedStrings();
    void badDraftIsRefusedWithItsKey_data();
    void badDraftIsRefusedWithItsKey();
    void oversizedSampleIsRefused();
    void aFullSizeSampleIsPreviewed();
    void previewNeedsTheAdminRole();

    void testReachesALiveUpstream();
    void testReportsAClosedPort();
    void testChecksCredentialReferencesWithoutRevealingThem();
    void testOfAStoredConnectionByName();
    void testDoesNotBlockTheDaemon();
    void testSpeaksPostgresSslRequest();

private:
    DaemonProcess::Reply preview(const QJsonObject &body) const
    {
        return m_daemon.request("POST", QStringLiteral("/api/v1/preview"), m_token,
                                QJsonDocument(body).toJson(QJsonDocument::Compact));
    }
    DaemonProcess::Reply testConnection(const QJsonObject &connection) const
    {
        return m_daemon.request("POST", QStringLiteral("/api/v1/connections/test"), m_token,
                                QJsonDocument(connection).toJson(QJsonDocument::Compact));
    }
    static QJsonObject sample(const QString &body, const QJsonObject &headers = {})
    {
        return QJsonObject{{QStringLiteral("method"), QStringLiteral("POST")},
                           {QStringLiteral("path"), QStringLiteral("/v1/chat")},
                           {QStringLiteral("headers"), headers},
                           {QStringLiteral("body"), body}};
    }

    TestUpstream m_upstream;
    DaemonProcess m_daemon;
    QByteArray m_token;
};

void TestPreviewApi::initTestCase()
{
    QVERIFY(m_upstream.start());
    m_daemon.setEnvironment(QStringLiteral("GH_TEST_KEY"), QStringLiteral("s3cr3t-value-never-shown"));
    QVERIFY2(m_daemon.start(), qPrintable(m_daemon.error()));
    m_token = m_daemon.adminToken();
    const QByteArray rules = "[[connection]]\nname = \"llm\"\ntype = \"http\"\nupstream = \"" + m_upstream.url()
        + "\"\nallow_groups = [\"ml-eng\"]\ncredential = { header = \"Authorization\", value = \"Bearer ${env:GH_TEST_KEY}\" }\n\n"
          "[[rule]]\nname = \"no-weights\"\nkind = \"deny\"\nmatch = { path = \"^/v1/weights\" }\n\n"
          "[[rule]]\nname = \"approve-export\"\nkind = \"approve\"\nmatch = { body = \"export\" }\napprovers = [\"security\"]\n\n"
          "[[rule]]\nname = \"mask-email\"\nkind = \"mask\"\ndetector = \"email\"\nreplace = \"[EMAIL]\"\n";
    const auto applied = m_daemon.request("POST", QStringLiteral("/api/v1/apply"), m_token, rules, "application/toml");
    QVERIFY2(applied.status == 200, applied.body.constData());
}

void TestPreviewApi::cleanupTestCase()
{
    QCOMPARE(m_daemon.stop(), 0);
}

void TestPreviewApi::maskMatchesAreLocatedInUtf16AndMasked()
{
    // "é" is two UTF-8 bytes and one UTF-16 unit: the offsets the doc promises are UTF-16.
    const QString body = QStringLiteral("café ana@example.com and bob@example.org");
    const auto r = preview({{QStringLiteral("side"), QStringLiteral("response")}, {QStringLiteral("sample"), sample(body)}});
    QCOMPARE(r.status, 200);
    const QJsonObject o = r.json().object();
    QCOMPARE(o.value(QLatin1String("offsets")).toString(), QStringLiteral("utf16"));
    QCOMPARE(o.value(QLatin1String("masked_body")).toString(), QStringLiteral("café [EMAIL] and [EMAIL]"));
    const QJsonArray matches = o.value(QLatin1String("matches")).toArray();
    QCOMPARE(matches.size(), 2);
    const QJsonObject first = matches.at(0).toObject();
    QCOMPARE(first.value(QLatin1String("rule")).toString(), QStringLiteral("mask-email"));
    QCOMPARE(first.value(QLatin1String("detector")).toString(), QStringLiteral("email"));
    const int start = first.value(QLatin1String("start")).toInt();
    const int end = first.value(QLatin1String("end")).toInt();
    QCOMPARE(body.mid(start, end - start), QStringLiteral("ana@example.com"));
    QCOMPARE(first.value(QLatin1String("byte_start")).toInt(), start + 1);
    const QString masked = o.value(QLatin1String("masked_body")).toString();
    const int ms = first.value(QLatin1String("masked_start")).toInt();
    QCOMPARE(masked.mid(ms, first.value(QLatin1String("masked_end")).toInt() - ms), QStringLiteral("[EMAIL]"));
}

void TestPreviewApi::draftRuleReplacesItsStoredNamesake()
{
    const QJsonObject draft{{QStringLiteral("name"), QStringLiteral("mask-email")},
                            {QStringLiteral("kind"), QStringLiteral("mask")},
                            {QStringLiteral("pattern"), QStringLiteral("bob@[a-z.]+")},
                            {QStringLiteral("replace"), QStringLiteral("<bob>")}};
    const auto r = preview({{QStringLiteral("rule"), draft},
                            {QStringLiteral("sample"), sample(QStringLiteral("ana@example.com bob@example.org"))}});
    QCOMPARE(r.status, 200);
    const QJsonObject o = r.json().object();
    QCOMPARE(o.value(QLatin1String("masked_body")).toString(), QStringLiteral("ana@example.com <bob>"));
    const QJsonArray matches = o.value(QLatin1String("matches")).toArray();
    QCOMPARE(matches.size(), 1);
    QCOMPARE(matches.at(0).toObject().value(QLatin1String("detector")).toString(), QStringLiteral("pattern"));

    // Without the stored rules only the draft applies.
    const QJsonObject alone{{QStringLiteral("name"), QStringLiteral("new-one")},
                            {QStringLiteral("kind"), QStringLiteral("mask")},
                            {QStringLiteral("detector"), QStringLiteral("ipv4")}};
    const auto r2 = preview({{QStringLiteral("rule"), alone}, {QStringLiteral("use_stored_rules"), false},
                             {QStringLiteral("sample"), sample(QStringLiteral("ana@example.com from 10.1.2.3"))}});
    QCOMPARE(r2.status, 200);
    QCOMPARE(r2.json().object().value(QLatin1String("masked_body")).toString(), QStringLiteral("ana@example.com from [IPV4]"));
}

void TestPreviewApi::requestSideDecidesDenyApproveAllow()
{
    auto decide = [&](const QString &path, const QString &body) {
        QJsonObject s = sample(body);
        s.insert(QStringLiteral("path"), path);
        const auto r = preview({{QStringLiteral("side"), QStringLiteral("request")}, {QStringLiteral("sample"), s}});
        return r.json().object().value(QLatin1String("decision")).toObject();
    };
    QJsonObject d = decide(QStringLiteral("/v1/weights/x"), QString());
    QCOMPARE(d.value(QLatin1String("action")).toString(), QStringLiteral("deny"));
    QCOMPARE(d.value(QLatin1String("rule")).toString(), QStringLiteral("no-weights"));
    d = decide(QStringLiteral("/v1/chat"), QStringLiteral("please export it"));
    QCOMPARE(d.value(QLatin1String("action")).toString(), QStringLiteral("approve"));
    QCOMPARE(d.value(QLatin1String("rule")).toString(), QStringLiteral("approve-export"));
    QCOMPARE(d.value(QLatin1String("approvers")).toArray(), QJsonArray{QStringLiteral("security")});
    d = decide(QStringLiteral("/v1/chat"), QStringLiteral("hello"));
    QCOMPARE(d.value(QLatin1String("action")).toString(), QStringLiteral("allow"));
}

void TestPreviewApi::jsonFieldsAreMaskedWholeForJsonResponses()
{
    const QJsonObject draft{{QStringLiteral("name"), QStringLiteral("mask-ssn")},
                            {QStringLiteral("kind"), QStringLiteral("mask")},
                            {QStringLiteral("detector"), QStringLiteral("us_ssn")},
                            {QStringLiteral("json_fields"), QJsonArray{QStringLiteral("$.user.id")}}};
    const QString body = QStringLiteral("{\"user\":{\"id\":12345,\"mail\":\"a@b.io\"}}");
    const auto r = preview({{QStringLiteral("rule"), draft},
                            {QStringLiteral("sample"), sample(body, {{QStringLiteral("Content-Type"), QStringLiteral("application/json")}})}});
    QCOMPARE(r.status, 200);
    const QJsonObject o = r.json().object();
    QCOMPARE(o.value(QLatin1String("mode")).toString(), QStringLiteral("json"));
    QCOMPARE(o.value(QLatin1String("masked_body")).toString(),
             QStringLiteral("{\"user\":{\"id\":\"[US_SSN]\",\"mail\":\"[EMAIL]\"}}"));
    QCOMPARE(o.value(QLatin1String("matches")).toArray().size(), 2);
}

// As the proxy does: a JSON answer without json_fields rules is masked on its decoded strings, so
// an escape next to a value stays an escape and an escaped value is found; not JSON: as text.
void TestPreviewApi::jsonAnswersAreMaskedOnTheirDecodedStrings()
{
    const QJsonObject draft{{QStringLiteral("name"), QStringLiteral("mask-mail")},
                            {QStringLiteral("kind"), QStringLiteral("mask")},
                            {QStringLiteral("detector"), QStringLiteral("email")}};
    const QString body = QStringLiteral(R"({"note":"Contact:\nada@example.org","other":"a\u0040example.org"})");
    const auto r = preview({{QStringLiteral("rule"), draft},
                            {QStringLiteral("use_stored_rules"), false},
                            {QStringLiteral("sample"), sample(body, {{QStringLiteral("Content-Type"), QStringLiteral("application/json")}})}});
    QCOMPARE(r.status, 200);
    const QJsonObject o = r.json().object();
    QCOMPARE(o.value(QLatin1String("mode")).toString(), QStringLiteral("json"));
    QCOMPARE(o.value(QLatin1String("masked_body")).toString(),
             QStringLiteral(R"({"note":"Contact:\n[EMAIL]","other":"[EMAIL]"})"));
    QCOMPARE(o.value(QLatin1String("matches")).toArray().size(), 2);

    const auto text = preview({{QStringLiteral("rule"), draft},
                               {QStringLiteral("use_stored_rules"), false},
                               {QStringLiteral("sample"), sample(QStringLiteral("{not json: ada@example.org"),
                                                                 {{QStringLiteral("Content-Type"), QStringLiteral("application/json")}})}});
    QCOMPARE(text.status, 200);
    QCOMPARE(text.json().object().value(QLatin1String("mode")).toString(), QStringLiteral("text"));
    QCOMPARE(text.json().object().value(QLatin1String("masked_body")).toString(), QStringLiteral("{not json: [EMAIL]"));
}

void TestPreviewApi::badDraftIsRefusedWithItsKey_data()
{
    QTest::addColumn<QJsonObject>("rule");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("says");
    QTest::newRow("bad RE2") << QJsonObject{{QStringLiteral("name"), QStringLiteral("x")}, {QStringLiteral("kind"), QStringLiteral("mask")},
                                            {QStringLiteral("pattern"), QStringLiteral("(unclosed")}}
                             << QStringLiteral("pattern") << QStringLiteral("missing )");
    QTest::newRow("unknown detector") << QJsonObject{{QStringLiteral("name"), QStringLiteral("x")}, {QStringLiteral("kind"), QStringLiteral("mask")},
                                                     {QStringLiteral("detector"), QStringLiteral("nope")}}
                                      << QStringLiteral("detector") << QStringLiteral("not a built-in detector");
    QTest::newRow("bad path") << QJsonObject{{QStringLiteral("name"), QStringLiteral("x")}, {QStringLiteral("kind"), QStringLiteral("deny")},
                                             {QStringLiteral("match"), QJsonObject{{QStringLiteral("path"), QStringLiteral("[a-")}}}}
                              << QStringLiteral("match.path") << QString();
}

void TestPreviewApi::badDraftIsRefusedWithItsKey()
{
    QFETCH(QJsonObject, rule);
    QFETCH(QString, key);
    QFETCH(QString, says);
    const auto r = preview({{QStringLiteral("rule"), rule}, {QStringLiteral("sample"), sample(QStringLiteral("x"))}});
    QCOMPARE(r.status, 400);
    const QJsonObject o = r.json().object();
    QCOMPARE(o.value(QLatin1String("error")).toString(), QStringLiteral("invalid"));
    QVERIFY2(o.value(QLatin1String("key")).toString().endsWith(key), r.body.constData());
    QVERIFY2(o.value(QLatin1String("message")).toString().contains(says), r.body.constData());
}

void TestPreviewApi::oversizedSampleIsRefused()
{
    const auto r = preview({{QStringLiteral("sample"), sample(QString(1024 * 1024 + 1, QLatin1Char('a')))}});
    QCOMPARE(r.status, 413);
    QCOMPARE(r.json().object().value(QLatin1String("error")).toString(), QStringLiteral("too_large"));
    // The daemon goes on answering.
    QCOMPARE(preview({{QStringLiteral("sample"), sample(QStringLiteral("ok"))}}).status, 200);
}

void TestPreviewApi::aFullSizeSampleIsPreviewed()
{
    // 1 MiB of text with an address every 64 bytes: every one is found and located.
    const QString line = QStringLiteral("user%1@example.com wrote some words here, more words..........\n");
    QString body;
    int n = 0;
    while (body.size() + 64 <= 1024 * 1024)
        body += line.arg(n++, 4, 10, QLatin1Char('0'));
    QElapsedTimer t;
    t.start();
    const auto r = preview({{QStringLiteral("sample"), sample(body)}});
    const qint64 ms = t.elapsed();
    QCOMPARE(r.status, 200);
    const QJsonArray matches = r.json().object().value(QLatin1String("matches")).toArray();
    QCOMPARE(matches.size(), n);
    const QJsonObject last = matches.last().toObject();
    const int start = last.value(QLatin1String("start")).toInt();
    QCOMPARE(body.mid(start, last.value(QLatin1String("end")).toInt() - start),
             QStringLiteral("user%1@example.com").arg(n - 1, 4, 10, QLatin1Char('0')));
    qInfo("preview of a %lld-byte sample with %d matches: %lld ms (request to parsed answer)", qint64(body.size()), n, ms);

    // What one keystroke in the editor costs: a short sample, the stored rules and a draft.
    const QJsonObject draft{{QStringLiteral("name"), QStringLiteral("typing")},
                            {QStringLiteral("kind"), QStringLiteral("mask")},
                            {QStringLiteral("pattern"), QStringLiteral("wrote [a-z]+")}};
    QList<qint64> times;
    for (int i = 0; i < 21; ++i) {
        t.restart();
        QCOMPARE(preview({{QStringLiteral("rule"), draft}, {QStringLiteral("sample"), sample(body.left(300))}}).status, 200);
        times << t.nsecsElapsed() / 1000;
    }
    std::sort(times.begin(), times.end());
    qInfo("preview of a 300-byte sample with a draft rule: median %lld us over 21 requests", times.at(10));
}

void TestPreviewApi::previewNeedsTheAdminRole()
{
    const auto issued = m_daemon.ctl({QStringLiteral("token"), QStringLiteral("issue"), QStringLiteral("--subject"),
                                      QStringLiteral("eve"), QStringLiteral("--groups"), QStringLiteral("ml-eng")});
    QCOMPARE(issued.exitCode, 0);
    const QByteArray body = QJsonDocument(QJsonObject{{QStringLiteral("sample"), sample(QStringLiteral("x"))}}).toJson();
    QCOMPARE(m_daemon.request("POST", QStringLiteral("/api/v1/preview"), issued.out.trimmed(), body).status, 403);
    QCOMPARE(m_daemon.request("POST", QStringLiteral("/api/v1/connections/test"), issued.out.trimmed(),
                              QByteArrayLiteral("{\"type\":\"http\",\"upstream\":\"http://127.0.0.1:1\"}"))
                 .status,
             403);
}

void TestPreviewApi::testReachesALiveUpstream()
{
    const auto r = testConnection({{QStringLiteral("type"), QStringLiteral("http")},
                                   {QStringLiteral("upstream"), QString::fromLatin1(m_upstream.url())}});
    QCOMPARE(r.status, 200);
    const QJsonObject o = r.json().object();
    QVERIFY2(o.value(QLatin1String("ok")).toBool(), r.body.constData());
    QVERIFY(o.value(QLatin1String("reachable")).toBool());
    QVERIFY(o.value(QLatin1String("status")).toInt() >= 200);
    QVERIFY(o.value(QLatin1String("latency_ms")).toDouble() >= 0);
    QCOMPARE(o.value(QLatin1String("credential")).toString(), QStringLiteral("none"));
}

void TestPreviewApi::testReportsAClosedPort()
{
    QTcpServer reserve;   // a port nothing listens on: bound, then closed
    QVERIFY(reserve.listen(QHostAddress::LocalHost));
    const quint16 port = reserve.serverPort();
    reserve.close();
    const auto r = testConnection({{QStringLiteral("type"), QStringLiteral("http")},
                                   {QStringLiteral("upstream"), QStringLiteral("http://127.0.0.1:%1").arg(port)}});
    QCOMPARE(r.status, 200);
    const QJsonObject o = r.json().object();
    QVERIFY(!o.value(QLatin1String("ok")).toBool());
    QVERIFY(!o.value(QLatin1String("reachable")).toBool());
    QVERIFY2(o.value(QLatin1String("message")).toString().contains(QLatin1String("refused"), Qt::CaseInsensitive),
             r.body.constData());
}

void TestPreviewApi::testChecksCredentialReferencesWithoutRevealingThem()
{
    QJsonObject c{{QStringLiteral("type"), QStringLiteral("http")}, {QStringLiteral("upstream"), QString::fromLatin1(m_upstream.url())},
                  {QStringLiteral("credential"), QJsonObject{{QStringLiteral("header"), QStringLiteral("Authorization")},
                                                             {QStringLiteral("value"), QStringLiteral("Bearer ${env:GH_TEST_KEY}")}}}};
    auto r = testConnection(c);
    QCOMPARE(r.json().object().value(QLatin1String("credential")).toString(), QStringLiteral("resolved"));
    QVERIFY(!r.body.contains("s3cr3t"));
    c.insert(QStringLiteral("credential"), QJsonObject{{QStringLiteral("header"), QStringLiteral("Authorization")},
                                                       {QStringLiteral("value"), QStringLiteral("${env:GH_NOT_SET_ANYWHERE}")}});
    r = testConnection(c);
    const QJsonObject o = r.json().object();
    QVERIFY(o.value(QLatin1String("credential")).toString().startsWith(QLatin1String("missing: ")));
    QVERIFY(o.value(QLatin1String("credential")).toString().contains(QLatin1String("GH_NOT_SET_ANYWHERE")));
    QVERIFY(!o.value(QLatin1String("ok")).toBool());
    QVERIFY(o.value(QLatin1String("reachable")).toBool());
    QVERIFY(!m_daemon.stderrText().contains("s3cr3t"));
}

void TestPreviewApi::testOfAStoredConnectionByName()
{
    const auto r = m_daemon.request("POST", QStringLiteral("/api/v1/connections/llm/test"), m_token);
    QCOMPARE(r.status, 200);
    QVERIFY2(r.json().object().value(QLatin1String("ok")).toBool(), r.body.constData());
    QCOMPARE(r.json().object().value(QLatin1String("credential")).toString(), QStringLiteral("resolved"));
    QCOMPARE(m_daemon.request("POST", QStringLiteral("/api/v1/connections/none-such/test"), m_token).status, 404);
}

void TestPreviewApi::testDoesNotBlockTheDaemon()
{
    // An upstream that accepts and never answers: the test waits for its timeout, and meanwhile
    // the admin API answers at once.
    QTcpServer silent;
    QVERIFY(silent.listen(QHostAddress::LocalHost));
    const QByteArray body = QJsonDocument(QJsonObject{{QStringLiteral("type"), QStringLiteral("http")},
                                                      {QStringLiteral("upstream"), QStringLiteral("http://127.0.0.1:%1").arg(silent.serverPort())}})
                                .toJson();
    QProcess slow;
    slow.start(QStringLiteral("curl"), {QStringLiteral("-sS"), QStringLiteral("-X"), QStringLiteral("POST"), QStringLiteral("-H"),
                                        QStringLiteral("Authorization: Bearer ") + QString::fromLatin1(m_token),
                                        QStringLiteral("--data-binary"), QString::fromUtf8(body),
                                        m_daemon.adminUrl() + QStringLiteral("/api/v1/connections/test")});
    QVERIFY(slow.waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT(silent.hasPendingConnections() || silent.waitForNewConnection(50), 5000);
    QElapsedTimer t;
    t.start();
    QCOMPARE(m_daemon.request("GET", QStringLiteral("/api/v1/whoami"), m_token).status, 200);
    QVERIFY2(t.elapsed() < 1000, qPrintable(QString::number(t.elapsed())));
    QVERIFY(gh::test::waitFinished(slow, 15000));
    const QJsonObject o = QJsonDocument::fromJson(slow.readAllStandardOutput()).object();
    QVERIFY(o.value(QLatin1String("reachable")).toBool());
    QVERIFY(!o.value(QLatin1String("ok")).toBool());
    QVERIFY(o.value(QLatin1String("message")).toString().contains(QLatin1String("did not answer")));
}

void TestPreviewApi::testSpeaksPostgresSslRequest()
{
    // A stand-in server that answers the SSLRequest as a PostgreSQL without TLS does: 'N'.
    QTcpServer pg;
    QVERIFY(pg.listen(QHostAddress::LocalHost));
    const QByteArray body = QJsonDocument(QJsonObject{{QStringLiteral("type"), QStringLiteral("postgres")},
                                                      {QStringLiteral("upstream"), QStringLiteral("postgres://127.0.0.1:%1").arg(pg.serverPort())},
                                                      {QStringLiteral("database"), QStringLiteral("app")}})
                                .toJson();
    QProcess probe;
    probe.start(QStringLiteral("curl"), {QStringLiteral("-sS"), QStringLiteral("-X"), QStringLiteral("POST"), QStringLiteral("-H"),
                                         QStringLiteral("Authorization: Bearer ") + QString::fromLatin1(m_token),
                                         QStringLiteral("--data-binary"), QString::fromUtf8(body),
                                         m_daemon.adminUrl() + QStringLiteral("/api/v1/connections/test")});
    QVERIFY(probe.waitForStarted());
    QVERIFY(pg.waitForNewConnection(5000));
    QTcpSocket *s = pg.nextPendingConnection();
    QByteArray got;
    QDeadlineTimer deadline(5000);
    while (got.size() < 8 && !deadline.hasExpired()) {
        s->waitForReadyRead(50);
        got += s->readAll();
    }
    QCOMPARE(got.toHex(), QByteArrayLiteral("0000000804d2162f"));
    s->write("N");
    s->flush();
    QVERIFY(gh::test::waitFinished(probe, 10000));
    const QJsonObject o = QJsonDocument::fromJson(probe.readAllStandardOutput()).object();
    QVERIFY(o.value(QLatin1String("ok")).toBool());
    QCOMPARE(o.value(QLatin1String("message")).toString(), QStringLiteral("PostgreSQL answered; it does not offer TLS"));
    QVERIFY(o.value(QLatin1String("status")).isNull());
}

QTEST_GUILESS_MAIN(TestPreviewApi)
#include "tst_previewapi.moc"
