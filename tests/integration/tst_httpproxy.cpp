// The HTTP proxy as clients use it: the real gatehoused in front of tests/support/upstream.py,
// driven by curl, QNetworkAccessManager and a raw socket, on 127.0.0.1 only.
#include <QSslConfiguration>   // TestCertificate.h uses it without including it

#include "gateway/admin/TestCertificate.h"
#include "support/DaemonProcess.h"
#include "support/TestTools.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QTcpServer>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using gh::test::CurlResult;
using gh::test::DaemonProcess;
using gh::test::curl;

namespace {

const QByteArray kUpstreamSecret = "sk-upstream-secret-7f3a";

struct Reply {
    int status = 0;
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;
    QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
    QByteArray header(const QByteArray &name) const
    {
        for (const auto &h : headers)
            if (h.first.compare(name, Qt::CaseInsensitive) == 0)
                return h.second;
        return {};
    }
};

// Every header the upstream saw with that name (names compared case-insensitively).
QStringList seenHeader(const QJsonObject &echo, const QString &name)
{
    QStringList values;
    for (const QJsonValue &h : echo.value(QStringLiteral("headers")).toArray()) {
        const QJsonArray pair = h.toArray();
        if (pair.at(0).toString().compare(name, Qt::CaseInsensitive) == 0)
            values << pair.at(1).toString();
    }
    return values;
}

// The raw response bytes a server sends before it closes (or the timeout).
QByteArray rawExchange(quint16 port, const QByteArray &request, bool *closedByServer)
{
    QTcpSocket s;
    s.connectToHost(QHostAddress::LocalHost, port);
    if (!s.waitForConnected(5000))
        return {};
    s.write(request);
    QByteArray out;
    QElapsedTimer t;
    t.start();
    *closedByServer = false;
    while (t.elapsed() < 10000) {
        if (s.bytesAvailable() == 0 && !s.waitForReadyRead(200)) {
            if (s.state() != QAbstractSocket::ConnectedState) {
                *closedByServer = true;
                break;
            }
            continue;
        }
        out += s.readAll();
    }
    out += s.readAll();
    return out;
}

int statusOf(const QByteArray &response)
{
    if (!response.startsWith("HTTP/1.1 "))
        return 0;
    return response.mid(9, 3).toInt();
}

QJsonObject bodyOf(const QByteArray &response)
{
    const qsizetype end = response.indexOf("\r\n\r\n");
    return end < 0 ? QJsonObject() : QJsonDocument::fromJson(response.mid(end + 4)).object();
}

} // namespace

class TestHttpProxy final : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void credentialInjectedAndClientTokenRemoved();
    void credentialFromFileReplacesClientAuthorization();
    void refusalsAsTheContractSays_data();
    void refusalsAsTheContractSays();
    void upstreamGarbageAndDeadUpstreamAre502();
    void keepAliveBothWays();
    void pipelinedRequestsAnsweredInOrder();
    void sseEventsArriveOneByOne_data();
    void sseEventsArriveOneByOne();
    void chunkedResponseAndUploadStream();
    void expectContinueUpload();
    void largeResponseStreamsInBoundedMemory();
    void upstreamClosingMidBodyCutsTheClientShort();
    void badInputRefusedWith400AndClosed_data();
    void badInputRefusedWith400AndClosed();
    void metricsCountProxyTraffic();
    void requestsAndRefusalsAreRecordedWithoutSecrets();
    void revokedTokenIsRefusedOnAnOpenConnection();
    void aChangedCredentialReachesAnOpenConnection();
    void httpsUpstreamVerifiedAgainstItsCaFile();

private:
    Reply get(const QString &path, const QByteArray &token, const QList<QPair<QByteArray, QByteArray>> &headers = {});
    QString url(const QString &path) const { return m_daemon.proxyUrl() + path; }
    QByteArray bearer(const QByteArray &token) const { return "Authorization: Bearer " + token; }
    int upstreamRequests() const;
    void assertDaemonStillServes();

    QTemporaryDir m_tmp;
    QProcess m_upstream;
    QProcess m_tlsUpstream;
    quint16 m_upstreamPort = 0;
    quint16 m_deadPort = 0;
    QString m_upstreamLog;
    QString m_keyFile;
    DaemonProcess m_daemon;
    QByteArray m_alice;   // groups ml-eng: may use "echo"
    QByteArray m_bob;     // groups finance: may not
};

void TestHttpProxy::initTestCase()
{
    QVERIFY(m_tmp.isValid());
    m_upstreamLog = m_tmp.filePath(QStringLiteral("upstream.log"));
    const QString script = qEnvironmentVariable("GATEHOUSE_SOURCE_DIR") + QStringLiteral("/tests/support/upstream.py");
    QVERIFY2(QFile::exists(script), qPrintable(script));
    m_upstream.start(QStringLiteral("python3"), {script, QStringLiteral("--log"), m_upstreamLog});
    QVERIFY(m_upstream.waitForStarted(5000));
    QByteArray line;
    QElapsedTimer t;
    t.start();
    while (!line.contains('\n') && t.elapsed() < 10000) {
        m_upstream.waitForReadyRead(200);
        line += m_upstream.readAllStandardOutput();
    }
    QVERIFY2(line.startsWith("PORT "), line.constData());
    m_upstreamPort = quint16(line.mid(5).trimmed().toUInt());
    QVERIFY(m_upstreamPort != 0);

    // A port nobody listens on: bind one, note it, let it go.
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        m_deadPort = probe.serverPort();
    }

    m_keyFile = m_tmp.filePath(QStringLiteral("upstream.key"));
    QFile key(m_keyFile);
    QVERIFY(key.open(QIODevice::WriteOnly));
    key.write("file-secret-42\n");
    key.close();

    m_daemon.setEnvironment(QStringLiteral("GH_PROXY_TEST_KEY"), QString::fromLatin1(kUpstreamSecret));
    QVERIFY2(m_daemon.start(), qPrintable(m_daemon.error()));
    QVERIFY2(m_daemon.proxyUrl().startsWith(QStringLiteral("http://127.0.0.1:")), qPrintable(m_daemon.proxyUrl()));

    const QByteArray up = "http://127.0.0.1:" + QByteArray::number(m_upstreamPort);
    const QByteArray resources =
        "[[connection]]\n"
        "name = \"echo\"\ntype = \"http\"\nupstream = \"" + up + "/base\"\n"
        "allow_groups = [\"ml-*\"]\n"
        "credential = { header = \"X-Api-Key\", value = \"${env:GH_PROXY_TEST_KEY}\" }\n\n"
        "[[connection]]\n"
        "name = \"bearer\"\ntype = \"http\"\nupstream = \"" + up + "\"\n"
        "allow_groups = [\"*\"]\n"
        "credential = { header = \"Authorization\", value = \"Bearer ${file:" + m_keyFile.toUtf8() + "}\" }\n\n"
        "[[connection]]\n"
        "name = \"down\"\ntype = \"http\"\nupstream = \"http://127.0.0.1:" + QByteArray::number(m_deadPort) + "\"\n"
        "allow_groups = [\"*\"]\n";
    const QString file = m_tmp.filePath(QStringLiteral("resources.toml"));
    QFile f(file);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(resources);
    f.close();
    auto applied = m_daemon.ctl({QStringLiteral("apply"), QStringLiteral("-f"), file});
    QVERIFY2(applied.exitCode == 0, applied.err.constData());

    auto issue = [this](const char *subject, const char *groups) {
        auto r = m_daemon.ctl({QStringLiteral("token"), QStringLiteral("issue"), QStringLiteral("--subject"),
                               QLatin1String(subject), QStringLiteral("--groups"), QLatin1String(groups)});
        return r.exitCode == 0 ? r.out.trimmed() : QByteArray();
    };
    m_alice = issue("alice", "ml-eng");
    m_bob = issue("bob", "finance");
    QVERIFY(!m_alice.isEmpty());
    QVERIFY(!m_bob.isEmpty());
}

void TestHttpProxy::cleanupTestCase()
{
    // SIGTERM drains the proxy with everything else and exits 0; nothing secret was logged.
    QCOMPARE(m_daemon.stop(), 0);
    QVERIFY(!m_daemon.stderrText().contains(kUpstreamSecret));
    QVERIFY(!m_daemon.stderrText().contains("file-secret-42"));
    QVERIFY(!m_daemon.stderrText().contains(m_alice));
    m_upstream.kill();
    m_upstream.waitForFinished(5000);
    if (m_tlsUpstream.state() != QProcess::NotRunning) {
        m_tlsUpstream.kill();
        m_tlsUpstream.waitForFinished(5000);
    }
}

Reply TestHttpProxy::get(const QString &path, const QByteArray &token, const QList<QPair<QByteArray, QByteArray>> &headers)
{
    QNetworkAccessManager nam;
    QNetworkRequest req{QUrl(url(path))};
    if (!token.isEmpty())
        req.setRawHeader("Authorization", "Bearer " + token);
    for (const auto &h : headers)
        req.setRawHeader(h.first, h.second);
    req.setTransferTimeout(15000);
    QNetworkReply *reply = nam.get(req);
    QEventLoop loop;
    connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    loop.exec();
    Reply r;
    r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    for (const auto &h : reply->rawHeaderPairs())
        r.headers.append({h.first, h.second});
    r.body = reply->readAll();
    reply->deleteLater();
    return r;
}

int TestHttpProxy::upstreamRequests() const
{
    QFile f(m_upstreamLog);
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    return int(f.readAll().count('\n'));
}

void TestHttpProxy::assertDaemonStillServes()
{
    const Reply r = get(QStringLiteral("/echo/alive"), m_alice);
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(QStringLiteral("path")).toString(), QStringLiteral("/base/alive"));
}

void TestHttpProxy::credentialInjectedAndClientTokenRemoved()
{
    const Reply r = get(QStringLiteral("/echo/v1/models?limit=5&q=a%20b&x=+"), m_alice,
                        {{"X-Api-Key", "client-supplied"}, {"X-Forwarded-For", "6.6.6.6"}, {"Accept", "application/json"}});
    QCOMPARE(r.status, 200);
    const QJsonObject echo = r.json();
    QCOMPARE(echo.value(QStringLiteral("method")).toString(), QStringLiteral("GET"));
    QCOMPARE(echo.value(QStringLiteral("path")).toString(), QStringLiteral("/base/v1/models"));
    QCOMPARE(echo.value(QStringLiteral("query")).toString(), QStringLiteral("limit=5&q=a%20b&x=+"));
    QCOMPARE(seenHeader(echo, QStringLiteral("X-Api-Key")), QStringList{QString::fromLatin1(kUpstreamSecret)});
    QVERIFY(seenHeader(echo, QStringLiteral("Authorization")).isEmpty());
    QVERIFY(!r.body.contains(m_alice));
    QCOMPARE(seenHeader(echo, QStringLiteral("Accept")), QStringList{QStringLiteral("application/json")});
    QCOMPARE(seenHeader(echo, QStringLiteral("X-Forwarded-For")), QStringList{QStringLiteral("127.0.0.1")});
    QCOMPARE(seenHeader(echo, QStringLiteral("X-Forwarded-Proto")), QStringList{QStringLiteral("http")});
    QCOMPARE(seenHeader(echo, QStringLiteral("Host")),
             QStringList{QStringLiteral("127.0.0.1:%1").arg(m_upstreamPort)});
    const QStringList ids = seenHeader(echo, QStringLiteral("X-Request-Id"));
    QCOMPARE(ids.size(), 1);
    QVERIFY(!ids.constFirst().isEmpty());
    // The client sees the same request id the upstream got.
    QCOMPARE(QString::fromLatin1(r.header("X-Request-Id")), ids.constFirst());
    // The gateway's ids: its prefix, then a count in hex, new for every request.
    const QRegularExpression shape(QStringLiteral("^[0-9a-f]{9,}-[0-9a-f]+$"));
    QVERIFY2(shape.match(ids.constFirst()).hasMatch(), qPrintable(ids.constFirst()));
    const QString next = QString::fromLatin1(get(QStringLiteral("/echo/v1/models"), m_alice).header("X-Request-Id"));
    QVERIFY2(shape.match(next).hasMatch(), qPrintable(next));
    QVERIFY(next != ids.constFirst());
}

void TestHttpProxy::credentialFromFileReplacesClientAuthorization()
{
    const Reply r = get(QStringLiteral("/bearer/anything"), m_bob);
    QCOMPARE(r.status, 200);
    QCOMPARE(seenHeader(r.json(), QStringLiteral("Authorization")), QStringList{QStringLiteral("Bearer file-secret-42")});

    // A rotated file is picked up without touching the gateway.
    QFile key(m_keyFile);
    QVERIFY(key.open(QIODevice::WriteOnly | QIODevice::Truncate));
    key.write("file-secret-43\n");
    key.close();
    QTRY_COMPARE_WITH_TIMEOUT(seenHeader(get(QStringLiteral("/bearer/anything"), m_bob).json(), QStringLiteral("Authorization")),
                              QStringList{QStringLiteral("Bearer file-secret-43")}, 5000);
}

void TestHttpProxy::refusalsAsTheContractSays_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QByteArray>("authorization");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("error");

    QTest::newRow("no token") << QStringLiteral("/echo/x") << QByteArray() << 401 << QStringLiteral("unauthenticated");
    QTest::newRow("basic auth") << QStringLiteral("/echo/x") << QByteArray("Basic YWxpY2U6cHc=") << 401
                                << QStringLiteral("unauthenticated");
    QTest::newRow("bad token") << QStringLiteral("/echo/x") << QByteArray("Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")
                               << 401 << QStringLiteral("unauthenticated");
    QTest::newRow("wrong group") << QStringLiteral("/echo/x") << QByteArray("bob") << 403 << QStringLiteral("forbidden");
    QTest::newRow("unknown connection") << QStringLiteral("/nope/x") << QByteArray("alice") << 404
                                        << QStringLiteral("not_found");
    QTest::newRow("unknown connection, no token") << QStringLiteral("/nope/x") << QByteArray() << 401
                                                  << QStringLiteral("unauthenticated");
    QTest::newRow("root") << QStringLiteral("/") << QByteArray("alice") << 404 << QStringLiteral("not_found");
}

void TestHttpProxy::refusalsAsTheContractSays()
{
    QFETCH(QString, path);
    QFETCH(QByteArray, authorization);
    QFETCH(int, status);
    QFETCH(QString, error);
    const int before = upstreamRequests();
    QList<QPair<QByteArray, QByteArray>> headers;
    if (authorization == "alice")
        authorization = "Bearer " + m_alice;
    else if (authorization == "bob")
        authorization = "Bearer " + m_bob;
    if (!authorization.isEmpty())
        headers.append({"Authorization", authorization});
    const Reply r = get(path, {}, headers);
    QCOMPARE(r.status, status);
    QCOMPARE(r.header("Content-Type"), QByteArray("application/json"));
    QCOMPARE(r.json().value(QStringLiteral("error")).toString(), error);
    QVERIFY(!r.json().value(QStringLiteral("message")).toString().isEmpty());
    QCOMPARE(upstreamRequests(), before);   // nothing reached the upstream
}

void TestHttpProxy::upstreamGarbageAndDeadUpstreamAre502()
{
    Reply r = get(QStringLiteral("/down/x"), m_alice);
    QCOMPARE(r.status, 502);
    QCOMPARE(r.json().value(QStringLiteral("error")).toString(), QStringLiteral("upstream_unavailable"));

    r = get(QStringLiteral("/echo/garbage"), m_alice);
    QCOMPARE(r.status, 502);
    QCOMPARE(r.json().value(QStringLiteral("error")).toString(), QStringLiteral("upstream_unavailable"));
    assertDaemonStillServes();
}

void TestHttpProxy::keepAliveBothWays()
{
    // One client connection for three requests; the gateway reuses one upstream connection.
    const QString base = url(QStringLiteral("/echo/ka"));
    const CurlResult c = curl({QStringLiteral("-v"), QStringLiteral("-H"), QString::fromLatin1(bearer(m_alice)),
                               base + QStringLiteral("1"), base + QStringLiteral("2"), base + QStringLiteral("3")});
    QCOMPARE(c.exitCode, 0);
    QCOMPARE(c.err.count("Re-using existing connection"), 2);
    QList<int> ports;
    for (QByteArray doc : c.out.split('}')) {
        doc = doc.trimmed();
        if (doc.isEmpty())
            continue;
        ports << QJsonDocument::fromJson(doc + '}').object().value(QStringLiteral("peer_port")).toInt();
    }
    QCOMPARE(ports.size(), 3);
    QVERIFY(ports.at(0) != 0);
    QCOMPARE(ports.at(1), ports.at(0));
    QCOMPARE(ports.at(2), ports.at(0));
}

void TestHttpProxy::pipelinedRequestsAnsweredInOrder()
{
    // HTTP/1.1 lets a client send its next requests before the first answer: they are answered
    // one by one, in order, whether they arrived in the same read as the first or while it was
    // still at the upstream.
    const quint16 port = quint16(QUrl(m_daemon.proxyUrl()).port());
    auto get = [&](const QByteArray &path, bool close) -> QByteArray {
        return "GET /echo" + path + " HTTP/1.1\r\nHost: gw\r\n" + bearer(m_alice) + "\r\n"
            + (close ? "Connection: close\r\n" : "") + "\r\n";
    };
    auto paths = [](const QByteArray &responses) {
        QStringList seen;
        for (qsizetype at = responses.indexOf("HTTP/1.1 "); at >= 0; at = responses.indexOf("HTTP/1.1 ", at + 1)) {
            const qsizetype body = responses.indexOf("\r\n\r\n", at);
            const qsizetype end = responses.indexOf("}", body);
            if (body < 0 || end < 0)
                break;
            if (responses.mid(at + 9, 3) != "200")
                seen << QString::fromLatin1(responses.mid(at, 12));
            else
                seen << QJsonDocument::fromJson(responses.mid(body + 4, end - body - 3)).object().value(QStringLiteral("path")).toString();
        }
        return seen;
    };

    bool closed = false;
    const QByteArray together = rawExchange(port, get("/p1", false) + get("/p2", false) + get("/p3", true), &closed);
    QVERIFY2(closed, together.constData());
    QCOMPARE(paths(together), (QStringList{u"/base/p1"_qs, u"/base/p2"_qs, u"/base/p3"_qs}));

    QTcpSocket s;
    s.connectToHost(QHostAddress::LocalHost, port);
    QVERIFY(s.waitForConnected(5000));
    s.write("GET /echo/slow?delay=0.5 HTTP/1.1\r\nHost: gw\r\n" + bearer(m_alice) + "\r\n\r\n");
    QVERIFY(s.waitForBytesWritten(5000));
    QTest::qWait(150);   // the first is at the upstream now
    s.write(get("/later", true));
    QByteArray out;
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < 10000 && s.state() == QAbstractSocket::ConnectedState) {
        if (s.waitForReadyRead(200))
            out += s.readAll();
    }
    out += s.readAll();
    QCOMPARE(paths(out), (QStringList{u"/base/slow"_qs, u"/base/later"_qs}));
    assertDaemonStillServes();
}

void TestHttpProxy::sseEventsArriveOneByOne_data()
{
    QTest::addColumn<QString>("path");
    QTest::newRow("chunked upstream") << QStringLiteral("/echo/sse?n=4&pause=0.4");
    QTest::newRow("close-delimited upstream") << QStringLiteral("/echo/sse?n=4&pause=0.4&close=1");
}

void TestHttpProxy::sseEventsArriveOneByOne()
{
    QFETCH(QString, path);
    QNetworkAccessManager nam;
    QNetworkRequest req{QUrl(url(path))};
    req.setRawHeader("Authorization", "Bearer " + m_alice);
    req.setRawHeader("Accept", "text/event-stream");
    QElapsedTimer clock;
    clock.start();
    QNetworkReply *reply = nam.get(req);
    QByteArray received;
    QList<qint64> arrivals;   // ms at which each event was complete
    connect(reply, &QNetworkReply::readyRead, this, [&] {
        received += reply->readAll();
        while (arrivals.size() < received.count("\n\n"))
            arrivals << clock.elapsed();
    });
    QEventLoop loop;
    connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(15000, &loop, &QEventLoop::quit);
    loop.exec();
    const qint64 finishedAt = clock.elapsed();
    received += reply->readAll();
    QCOMPARE(reply->error(), QNetworkReply::NoError);
    QCOMPARE(reply->rawHeader("Content-Type"), QByteArray("text/event-stream"));
    reply->deleteLater();

    QCOMPARE(received, QByteArray("data: event 0\n\ndata: event 1\n\ndata: event 2\n\ndata: event 3\n\n"));
    QCOMPARE(arrivals.size(), 4);
    // The upstream pauses 0.4 s between events: each must reach the client when it is sent,
    // so the first arrives more than a second before the stream ends.
    QVERIFY2(finishedAt - arrivals.at(0) >= 1000, qPrintable(QStringLiteral("first at %1 ms, end at %2 ms").arg(arrivals.at(0)).arg(finishedAt)));
    for (int i = 1; i < arrivals.size(); ++i)
        QVERIFY2(arrivals.at(i) - arrivals.at(i - 1) >= 250, qPrintable(QStringLiteral("event %1 after %2 ms").arg(i).arg(arrivals.at(i) - arrivals.at(i - 1))));
}

void TestHttpProxy::chunkedResponseAndUploadStream()
{
    CurlResult c = curl({QStringLiteral("-i"), QStringLiteral("-H"), QString::fromLatin1(bearer(m_alice)),
                         url(QStringLiteral("/echo/chunked?n=5&size=1000"))});
    QCOMPARE(c.exitCode, 0);
    QVERIFY2(c.out.contains("Transfer-Encoding: chunked\r\n"), c.out.left(400).constData());
    const QByteArray body = c.out.mid(c.out.indexOf("\r\n\r\n") + 4);
    QCOMPARE(body, QByteArray(1000, 'a') + QByteArray(1000, 'b') + QByteArray(1000, 'c') + QByteArray(1000, 'd')
                       + QByteArray(1000, 'e'));

    // A chunked upload (curl streams stdin that way) arrives whole and still chunked.
    const QString file = m_tmp.filePath(QStringLiteral("upload.bin"));
    QFile f(file);
    QVERIFY(f.open(QIODevice::WriteOnly));
    QByteArray payload;
    for (int i = 0; i < 300000; ++i)
        payload += char('A' + i % 26);
    f.write(payload);
    f.close();
    c = curl({QStringLiteral("-X"), QStringLiteral("POST"), QStringLiteral("-H"), QString::fromLatin1(bearer(m_alice)),
              QStringLiteral("-H"), QStringLiteral("Transfer-Encoding: chunked"), QStringLiteral("-H"),
              QStringLiteral("Content-Type: application/octet-stream"), QStringLiteral("--data-binary"),
              QLatin1Char('@') + file, url(QStringLiteral("/echo/upload"))});
    QCOMPARE(c.exitCode, 0);
    const QJsonObject echo = QJsonDocument::fromJson(c.out).object();
    QCOMPARE(echo.value(QStringLiteral("method")).toString(), QStringLiteral("POST"));
    QCOMPARE(echo.value(QStringLiteral("body_size")).toInt(), payload.size());
    QCOMPARE(echo.value(QStringLiteral("body")).toString().toLatin1(), payload);
    QCOMPARE(seenHeader(echo, QStringLiteral("Transfer-Encoding")), QStringList{QStringLiteral("chunked")});
}

void TestHttpProxy::expectContinueUpload()
{
    const QString file = m_tmp.filePath(QStringLiteral("big-upload.bin"));
    QFile f(file);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(QByteArray(3 * 1024 * 1024, 'z'));
    f.close();
    const CurlResult c = curl({QStringLiteral("-v"), QStringLiteral("-H"), QString::fromLatin1(bearer(m_alice)),
                               QStringLiteral("-H"), QStringLiteral("Expect: 100-continue"), QStringLiteral("--data-binary"),
                               QLatin1Char('@') + file, url(QStringLiteral("/echo/big"))});
    QCOMPARE(c.exitCode, 0);
    QVERIFY2(c.err.contains("HTTP/1.1 100 Continue"), c.err.right(600).constData());
    const QJsonObject echo = QJsonDocument::fromJson(c.out).object();
    QCOMPARE(echo.value(QStringLiteral("body_size")).toInt(), 3 * 1024 * 1024);
    QVERIFY(seenHeader(echo, QStringLiteral("Expect")).isEmpty());   // answered here, not upstream
}

void TestHttpProxy::largeResponseStreamsInBoundedMemory()
{
    const qint64 size = 200LL * 1024 * 1024;
    const CurlResult c = curl({QStringLiteral("-o"), QStringLiteral("/dev/null"), QStringLiteral("-w"),
                               QStringLiteral("%{http_code} %{size_download}"), QStringLiteral("-H"),
                               QString::fromLatin1(bearer(m_alice)),
                               url(QStringLiteral("/echo/large?bytes=%1").arg(size))},
                              120000);
    QCOMPARE(c.exitCode, 0);
    QCOMPARE(c.out, "200 " + QByteArray::number(size));
#ifdef GATEHOUSE_SANITIZE
    // The response streamed whole (checked above); its memory bound is checked by the normal build,
    // since ASan's quarantine keeps hundreds of MiB of freed memory resident by design.
    QSKIP("peak RSS is not meaningful under AddressSanitizer");
#endif
    const qint64 hwm = gh::test::processMemoryBytes(m_daemon.pid(), "VmHWM") / 1024;
    qInfo("gatehoused VmHWM after a 200 MiB response: %lld KiB", hwm);
    QVERIFY(hwm > 0);
    QVERIFY2(hwm < 64 * 1024, qPrintable(QStringLiteral("VmHWM %1 KiB").arg(hwm)));
}

void TestHttpProxy::upstreamClosingMidBodyCutsTheClientShort()
{
    const CurlResult c = curl({QStringLiteral("-o"), QStringLiteral("/dev/null"), QStringLiteral("-H"),
                               QString::fromLatin1(bearer(m_alice)), url(QStringLiteral("/echo/close-mid-body"))});
    QCOMPARE(c.exitCode, 18);   // CURLE_PARTIAL_FILE: the client can tell the body is incomplete
    assertDaemonStillServes();
}

void TestHttpProxy::badInputRefusedWith400AndClosed_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<int>("status");

    const QByteArray auth = "Authorization: Bearer @ALICE@\r\n";
    QTest::newRow("Content-Length and Transfer-Encoding")
        << QByteArray("POST /echo/x HTTP/1.1\r\nHost: g\r\n" + auth + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /echo/smuggled HTTP/1.1\r\nHost: g\r\n\r\n")
        << 400;
    QTest::newRow("Transfer-Encoding then Content-Length")
        << QByteArray("POST /echo/x HTTP/1.1\r\nHost: g\r\n" + auth + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n")
        << 400;
    QTest::newRow("duplicate differing Content-Length")
        << QByteArray("POST /echo/x HTTP/1.1\r\nHost: g\r\n" + auth + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!")
        << 400;
    QTest::newRow("Transfer-Encoding other than chunked")
        << QByteArray("POST /echo/x HTTP/1.1\r\nHost: g\r\n" + auth + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n")
        << 400;
    QTest::newRow("obs-fold")
        << QByteArray("GET /echo/x HTTP/1.1\r\nHost: g\r\n" + auth + "X-Folded: a\r\n b\r\n\r\n") << 400;
    QTest::newRow("malformed request line") << QByteArray("GARBAGE / HTTP/1.1\r\n\r\n") << 400;
    QTest::newRow("not HTTP at all") << QByteArray("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11) << 400;
    QTest::newRow("dot segments") << QByteArray("GET /echo/../admin HTTP/1.1\r\nHost: g\r\n" + auth + "\r\n") << 400;
    QTest::newRow("absolute-form target")
        << QByteArray("GET http://127.0.0.1/echo/x HTTP/1.1\r\nHost: g\r\n" + auth + "\r\n") << 400;
    QTest::newRow("bad chunk size")
        << QByteArray("POST /echo/x HTTP/1.1\r\nHost: g\r\n" + auth + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n")
        << 0;   // the request was forwarded already: the connection is cut, nothing more is said
    QTest::newRow("header block over 64 KiB")
        << QByteArray("GET /echo/x HTTP/1.1\r\nHost: g\r\n" + auth + "X-Big: " + QByteArray(70 * 1024, 'a') + "\r\n\r\n")
        << 431;
}

void TestHttpProxy::badInputRefusedWith400AndClosed()
{
    QFETCH(QByteArray, request);
    QFETCH(int, status);
    request.replace("@ALICE@", m_alice);
    const quint16 port = quint16(QUrl(m_daemon.proxyUrl()).port());
    QFile log(m_upstreamLog);
    QVERIFY(log.open(QIODevice::ReadOnly));
    const QByteArray logBefore = log.readAll();
    log.close();

    bool closed = false;
    const QByteArray response = rawExchange(port, request, &closed);
    QVERIFY2(closed, response.constData());   // the connection is closed, whatever came first
    if (status != 0) {
        QCOMPARE(statusOf(response), status);
        QVERIFY(response.contains("\r\nConnection: close\r\n"));
        QVERIFY(!bodyOf(response).value(QStringLiteral("error")).toString().isEmpty());
    } else {
        QVERIFY2(statusOf(response) == 0 || statusOf(response) == 400, response.constData());
    }
    QVERIFY(log.open(QIODevice::ReadOnly));
    const QByteArray logAfter = log.readAll();
    QVERIFY2(!logAfter.contains("smuggled"), logAfter.constData());
    if (status != 0)
        QCOMPARE(logAfter.size(), logBefore.size());   // nothing refused reached the upstream
    assertDaemonStillServes();
}

void TestHttpProxy::metricsCountProxyTraffic()
{
    const auto metrics = m_daemon.request("GET", QStringLiteral("/metrics"), {});
    QCOMPARE(metrics.status, 200);
    const QByteArray text = metrics.body;
    auto value = [&text](const QByteArray &series) {
        for (const QByteArray &line : text.split('\n'))
            if (line.startsWith(QByteArray(series + ' ')))
                return line.mid(series.size() + 1).toDouble();
        return -1.0;
    };
    QVERIFY2(value("gatehouse_proxy_requests_total") >= 10, text.constData());
    QVERIFY(value("gatehouse_proxy_refusals_total{reason=\"unauthenticated\"}") >= 3);
    QVERIFY(value("gatehouse_proxy_refusals_total{reason=\"forbidden\"}") >= 1);
    QVERIFY(value("gatehouse_proxy_refusals_total{reason=\"not_found\"}") >= 2);
    QVERIFY(value("gatehouse_proxy_upstream_errors_total") >= 2);
    QVERIFY(value("gatehouse_proxy_upstream_body_bytes_total") >= 200.0 * 1024 * 1024);
    QVERIFY(text.contains("gatehouse_proxy_upstream_latency_seconds_bucket"));
}

void TestHttpProxy::requestsAndRefusalsAreRecordedWithoutSecrets()
{
    const QString marker = QStringLiteral("recorded-%1").arg(QDateTime::currentMSecsSinceEpoch());
    Reply r = get(QStringLiteral("/echo/%1?q=1").arg(marker), m_alice, {{"X-Api-Key", "client-supplied"}, {"Cookie", "sid=abc"}});
    QCOMPARE(r.status, 200);
    const QByteArray requestId = r.header("X-Request-Id");
    // A small request body is recorded with its request event.
    const CurlResult posted = curl({QStringLiteral("-H"), QString::fromLatin1(bearer(m_alice)), QStringLiteral("-H"),
                                    QStringLiteral("Content-Type: application/json"), QStringLiteral("--data-binary"),
                                    QStringLiteral("{\"prompt\":\"%1\"}").arg(marker), url(QStringLiteral("/echo/%1-post").arg(marker))});
    QCOMPARE(posted.exitCode, 0);
    r = get(QStringLiteral("/echo/%1-denied").arg(marker), m_bob);
    QCOMPARE(r.status, 403);

    // Every session of this daemon, with its events: the ones we look for are among them.
    auto sessionsOf = [this](const QString &subject) {
        const auto list = m_daemon.ctl({QStringLiteral("get"), QStringLiteral("sessions"), QStringLiteral("--subject"),
                                        subject, QStringLiteral("-o"), QStringLiteral("json")});
        return QJsonDocument::fromJson(list.out).array();
    };
    auto eventsOf = [this](const QString &id) {
        return m_daemon.request("GET", QStringLiteral("/api/v1/sessions/%1/events").arg(id), m_daemon.adminToken()).body;
    };

    QString aliceSession;
    QByteArray aliceEvents;
    for (const QJsonValue &v : sessionsOf(QStringLiteral("alice"))) {
        const QString id = v.toObject().value(QStringLiteral("id")).toString();
        const QByteArray events = eventsOf(id);
        if (events.contains(marker.toUtf8())) {
            aliceSession = id;
            aliceEvents = events;
            QCOMPARE(v.toObject().value(QStringLiteral("connection")).toString(), QStringLiteral("echo"));
        }
    }
    QVERIFY2(!aliceSession.isEmpty(), "no session of alice holds the request");
    bool sawRequest = false;
    bool sawResponse = false;
    for (const QByteArray &line : aliceEvents.split('\n')) {
        const QJsonObject e = QJsonDocument::fromJson(line).object();
        const QJsonObject data = e.value(QStringLiteral("data")).toObject();
        if (data.value(QStringLiteral("request_id")).toString().toLatin1() != requestId)
            continue;
        if (e.value(QStringLiteral("kind")).toString() == u"http.request") {
            sawRequest = true;
            QVERIFY(!line.contains(kUpstreamSecret));
            QVERIFY(!line.contains("client-supplied"));
            QCOMPARE(data.value(QStringLiteral("method")).toString(), QStringLiteral("GET"));
            QCOMPARE(data.value(QStringLiteral("path")).toString(), QStringLiteral("/%1?q=1").arg(marker));
            const QJsonObject headers = data.value(QStringLiteral("headers")).toObject();
            QVERIFY(!headers.contains(QStringLiteral("authorization")));
            QVERIFY(!headers.contains(QStringLiteral("x-api-key")));
            QVERIFY(!headers.contains(QStringLiteral("cookie")));
        } else if (e.value(QStringLiteral("kind")).toString() == u"http.response") {
            sawResponse = true;
            QCOMPARE(data.value(QStringLiteral("status")).toInt(), 200);
        }
    }
    QVERIFY(sawRequest);
    QVERIFY(sawResponse);
    bool sawPostBody = false;
    for (const QJsonValue &v : sessionsOf(QStringLiteral("alice"))) {
        for (const QByteArray &line : eventsOf(v.toObject().value(QStringLiteral("id")).toString()).split('\n')) {
            const QJsonObject data = QJsonDocument::fromJson(line).object().value(QStringLiteral("data")).toObject();
            if (data.value(QStringLiteral("path")).toString() == QStringLiteral("/%1-post").arg(marker)) {
                QCOMPARE(data.value(QStringLiteral("body")).toString(), QStringLiteral("{\"prompt\":\"%1\"}").arg(marker));
                sawPostBody = true;
            }
        }
    }
    QVERIFY(sawPostBody);
    // The client's token never reaches the store. (The upstream's credential does appear in the
    // recorded response body here, because this test upstream echoes it back to the client.)
    QVERIFY(!aliceEvents.contains(m_alice));

    // The refused attempt is recorded under the caller who made it.
    bool sawRefusal = false;
    for (const QJsonValue &v : sessionsOf(QStringLiteral("bob"))) {
        const QByteArray events = eventsOf(v.toObject().value(QStringLiteral("id")).toString());
        if (events.contains("policy.refused") && events.contains(QByteArray(marker.toUtf8() + "-denied")))
            sawRefusal = true;
    }
    QVERIFY(sawRefusal);

    // The client connection has ended, so has its session: signed and intact.
    QTRY_COMPARE_WITH_TIMEOUT(m_daemon.ctl({QStringLiteral("sessions"), QStringLiteral("verify"), aliceSession}).exitCode, 0, 10000);
}

void TestHttpProxy::revokedTokenIsRefusedOnAnOpenConnection()
{
    const QByteArray carol = [this] {
        auto r = m_daemon.ctl({QStringLiteral("token"), QStringLiteral("issue"), QStringLiteral("--subject"),
                               QStringLiteral("carol"), QStringLiteral("--groups"), QStringLiteral("ml-eng")});
        return r.out.trimmed();
    }();
    const QJsonObject claims = QJsonDocument::fromJson(QByteArray::fromBase64(
        carol.split('.').value(1), QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals)).object();
    const QString jti = claims.value(QStringLiteral("jti")).toString();
    QVERIFY(!jti.isEmpty());

    QTcpSocket s;
    s.connectToHost(QHostAddress::LocalHost, quint16(QUrl(m_daemon.proxyUrl()).port()));
    QVERIFY(s.waitForConnected(5000));
    const QByteArray request = "GET /echo/keepalive HTTP/1.1\r\nHost: g\r\nAuthorization: Bearer " + carol + "\r\n\r\n";
    auto exchange = [&s](const QByteArray &req) {
        s.write(req);
        QByteArray got;
        while (!got.contains("\r\n\r\n") || got.size() < got.indexOf("\r\n\r\n") + 4
                   + got.mid(got.indexOf("Content-Length: ") + 16, 12).split('\r').value(0).toInt()) {
            if (!s.waitForReadyRead(5000))
                break;
            got += s.readAll();
        }
        return got;
    };
    QCOMPARE(statusOf(exchange(request)), 200);
    QCOMPARE(statusOf(exchange(request)), 200);
    // Someone else's token revoked: carol's connection checks hers again and goes on.
    const QByteArray dave = m_daemon.ctl({QStringLiteral("token"), QStringLiteral("issue"), QStringLiteral("--subject"),
                                          QStringLiteral("dave")}).out.trimmed();
    const QString daveJti = QJsonDocument::fromJson(QByteArray::fromBase64(
        dave.split('.').value(1), QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals)).object()
        .value(QStringLiteral("jti")).toString();
    QCOMPARE(m_daemon.ctl({QStringLiteral("token"), QStringLiteral("revoke"), daveJti}).exitCode, 0);
    QCOMPARE(statusOf(exchange(request)), 200);
    QCOMPARE(statusOf(exchange(request)), 200);
    QCOMPARE(m_daemon.ctl({QStringLiteral("token"), QStringLiteral("revoke"), jti}).exitCode, 0);
    // Same connection, same token: refused from the next request on.
    const QByteArray refused = exchange(request);
    QCOMPARE(statusOf(refused), 401);
    QVERIFY(refused.contains("revoked"));
}

// A connection keeps the credential it sent for its next requests: a new one applied meanwhile must
// still go out with the very next request on it.
void TestHttpProxy::aChangedCredentialReachesAnOpenConnection()
{
    const QByteArray up = "http://127.0.0.1:" + QByteArray::number(m_upstreamPort);
    auto apply = [&](const QByteArray &key) {
        const QString file = m_tmp.filePath(QStringLiteral("swap.toml"));
        QFile f(file);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
            return false;
        f.write("[[connection]]\nname = \"swap\"\ntype = \"http\"\nupstream = \"" + up + "\"\nallow_groups = [\"*\"]\n"
                "credential = { header = \"X-Api-Key\", value = \"" + key + "\" }\n");
        f.close();
        return m_daemon.ctl({QStringLiteral("apply"), QStringLiteral("-f"), file}).exitCode == 0;
    };
    QVERIFY(apply("key-one"));

    QTcpSocket s;
    s.connectToHost(QHostAddress::LocalHost, quint16(QUrl(m_daemon.proxyUrl()).port()));
    QVERIFY(s.waitForConnected(5000));
    const QByteArray request = "GET /swap/k HTTP/1.1\r\nHost: g\r\nAuthorization: Bearer " + m_alice + "\r\n\r\n";
    auto sentKey = [&s, &request]() {
        s.write(request);
        QByteArray got;
        for (;;) {
            const qsizetype end = got.indexOf("\r\n\r\n");
            const qsizetype length = end < 0 ? -1 : got.mid(got.indexOf("Content-Length: ") + 16, 12).split('\r').value(0).toInt();
            if (end >= 0 && got.size() >= end + 4 + length)
                return seenHeader(QJsonDocument::fromJson(got.mid(end + 4, length)).object(), QStringLiteral("X-Api-Key"));
            if (!s.waitForReadyRead(5000))
                return QStringList{QStringLiteral("(no answer)")};
            got += s.readAll();
        }
    };
    QCOMPARE(sentKey(), QStringList{QStringLiteral("key-one")});
    QCOMPARE(sentKey(), QStringList{QStringLiteral("key-one")});
    QVERIFY(apply("key-two"));
    QCOMPARE(sentKey(), QStringList{QStringLiteral("key-two")});
    QCOMPARE(s.state(), QAbstractSocket::ConnectedState);   // the same connection all along
}

void TestHttpProxy::httpsUpstreamVerifiedAgainstItsCaFile()
{
    gh::test::TestCertificate cert;
    if (!cert.create(m_tmp))
        QSKIP("no openssl command to make a test certificate");
    const QString script = qEnvironmentVariable("GATEHOUSE_SOURCE_DIR") + QStringLiteral("/tests/support/upstream.py");
    m_tlsUpstream.start(QStringLiteral("python3"), {script, QStringLiteral("--tls-cert"), cert.certificatePath,
                                                    QStringLiteral("--tls-key"), m_tmp.filePath(QStringLiteral("key.pem"))});
    QVERIFY(m_tlsUpstream.waitForStarted(5000));
    QByteArray line;
    QElapsedTimer t;
    t.start();
    while (!line.contains('\n') && t.elapsed() < 10000) {
        m_tlsUpstream.waitForReadyRead(200);
        line += m_tlsUpstream.readAllStandardOutput();
    }
    QVERIFY2(line.startsWith("PORT "), line.constData());
    const QByteArray up = "https://127.0.0.1:" + line.mid(5).trimmed();
    const QByteArray resources =
        "[[connection]]\nname = \"secure\"\ntype = \"http\"\nupstream = \"" + up + "\"\nallow_groups = [\"*\"]\n"
        "ca_file = \"" + cert.certificatePath.toUtf8() + "\"\n"
        "credential = { header = \"X-Api-Key\", value = \"${env:GH_PROXY_TEST_KEY}\" }\n\n"
        "[[connection]]\nname = \"unverified\"\ntype = \"http\"\nupstream = \"" + up + "\"\nallow_groups = [\"*\"]\n";
    const QString file = m_tmp.filePath(QStringLiteral("tls.toml"));
    QFile f(file);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(resources);
    f.close();
    const auto applied = m_daemon.ctl({QStringLiteral("apply"), QStringLiteral("-f"), file});
    QVERIFY2(applied.exitCode == 0, applied.err.constData());

    Reply r = get(QStringLiteral("/secure/over-tls?x=1"), m_alice);
    QCOMPARE(r.status, 200);
    QCOMPARE(r.json().value(QStringLiteral("path")).toString(), QStringLiteral("/over-tls"));
    QCOMPARE(seenHeader(r.json(), QStringLiteral("X-Api-Key")), QStringList{QString::fromLatin1(kUpstreamSecret)});
    // Twice: the second goes over the pooled TLS connection.
    QCOMPARE(get(QStringLiteral("/secure/again"), m_alice).status, 200);

    // A certificate nobody vouches for is refused, never used unverified.
    r = get(QStringLiteral("/unverified/x"), m_alice);
    QCOMPARE(r.status, 502);
    QCOMPARE(r.json().value(QStringLiteral("error")).toString(), QStringLiteral("upstream_unavailable"));
}

QTEST_GUILESS_MAIN(TestHttpProxy)
#include "tst_httpproxy.moc"
