#include "admin/HttpServer.h"
#include "RawHttpClient.h"
#include "TestCertificate.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QSslSocket>
#include <QTemporaryDir>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>

#include <algorithm>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace gh;
using gh::test::RawHttpClient;

class tst_HttpServer : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void keepAliveServesTwoRequestsOnOneConnection();
    void pipelinedRequestWaitsForTheFirstAnswer();
    void bodyWithContentLength();
    void chunkedBody();
    void queryAndHeadersAreParsed();
    void oversizedHeaderBlockGets431();
    void bodyOverLimitGets413_data();
    void bodyOverLimitGets413();
    void malformedRequestGets400AndClose_data();
    void malformedRequestGets400AndClose();
    void streamingResponseArrivesIncrementally();
    void slowHeadersAreCutAfterTimeout();
    void idleKeepAliveIsClosed();
    void clientGoneIsReportedAndLateAnswerIsHarmless();
    void closeFinishesInFlightAndDrains();
    void listenRejectsBadHost();
    void closeEndsOpenStreams();
    void unsafeResponseHeadersAreDropped();
    void connectionsBeyondTheLimitGet503();
    void tlsOnEveryConnection();
    void upgradeRequestIsAnsweredThenClosed();
    void garbageNeverTakesTheServerDown();
    void streamToAClientThatDoesNotReadShowsPendingBytes();
    void onWritableWaitsUntilTheClientHasReadEnough();
    void onWritableFiresWhenTheClientGoes();

private:
    quint16 start(HttpServerLimits limits = {});

    std::unique_ptr<HttpServer> m_server;
    QList<HttpRequest> m_seen;
    QList<HttpResponder> m_held;    // requests a test answers later
};

void tst_HttpServer::init()
{
    m_seen.clear();
    m_held.clear();
    m_server = std::make_unique<HttpServer>();
    m_server->setHandler([this](const HttpRequest &req, HttpResponder res) {
        m_seen.append(req);
        if (req.path == "/hold") {
            m_held.append(res);
        } else if (req.path == "/echo") {
            res.send(200, QByteArrayLiteral("application/octet-stream"), req.body);
        } else if (req.path == "/inject") {
            res.send(200, QByteArrayLiteral("text/plain"), QByteArrayLiteral("ok"),
                     {{"X-Good", "yes"}, {"X-Evil", "a\r\nSet-Cookie: session=stolen"}, {"Content-Length", "999"}});
        } else if (req.path == "/stream") {
            res.beginStream(200, QByteArrayLiteral("text/event-stream"));
            res.write(QByteArrayLiteral("data: first\n\n"));
            m_held.append(res);
        } else {
            res.sendJson(200, QJsonObject{{QStringLiteral("path"), QString::fromUtf8(req.path)}});
        }
    });
}

void tst_HttpServer::cleanup()
{
    m_held.clear();
    m_server.reset();
}

quint16 tst_HttpServer::start(HttpServerLimits limits)
{
    m_server->setLimits(limits);
    auto port = m_server->listen(ListenAddress{QStringLiteral("127.0.0.1"), 0});
    if (!port.ok())
        qFatal("listen failed: %s", qPrintable(port.error().message));
    return *port;
}

void tst_HttpServer::keepAliveServesTwoRequestsOnOneConnection()
{
    RawHttpClient client;
    QVERIFY(client.connectTo(start()));
    client.write("GET /one HTTP/1.1\r\nHost: x\r\n\r\n");
    QVERIFY(client.waitForResponses(1));
    client.write("GET /two HTTP/1.1\r\nHost: x\r\n\r\n");
    QVERIFY(client.waitForResponses(2));

    QVERIFY(client.connected());
    QCOMPARE(m_server->connectionCount(), 1);
    const auto &r = client.responses();
    QCOMPARE(r[0].status, 200);
    QCOMPARE(QJsonDocument::fromJson(r[0].body).object().value(QStringLiteral("path")).toString(), QStringLiteral("/one"));
    QCOMPARE(QJsonDocument::fromJson(r[1].body).object().value(QStringLiteral("path")).toString(), QStringLiteral("/two"));
    QCOMPARE(r[1].header("Content-Type"), QByteArray("application/json"));
    QCOMPARE(r[1].header("Cache-Control"), QByteArray("no-store"));
    QCOMPARE(m_seen.size(), 2);
    QCOMPARE(m_seen[0].peer, QHostAddress(QHostAddress::LocalHost));
}

void tst_HttpServer::pipelinedRequestWaitsForTheFirstAnswer()
{
    RawHttpClient client;
    QVERIFY(client.connectTo(start()));
    client.write("GET /hold HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\n\r\n");
    QTRY_COMPARE(m_held.size(), 1);
    QTest::qWait(50);
    QCOMPARE(m_seen.size(), 1);   // the second request is not handed out while the first is open

    m_held.first().send(202, QByteArrayLiteral("text/plain"), QByteArrayLiteral("held"));
    QVERIFY(client.waitForResponses(2));
    QCOMPARE(client.responses()[0].status, 202);
    QCOMPARE(client.responses()[0].body, QByteArray("held"));
    QCOMPARE(client.responses()[1].status, 200);
    QCOMPARE(m_seen[1].path, QByteArray("/after"));
}

void tst_HttpServer::bodyWithContentLength()
{
    RawHttpClient client;
    QVERIFY(client.connectTo(start()));
    client.write("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello");
    QTest::qWait(30);
    client.write(" world");
    QVERIFY(client.waitForResponses(1));
    QCOMPARE(client.responses()[0].body, QByteArray("hello world"));
    QCOMPARE(client.responses()[0].header("content-length"), QByteArray("11"));
}

void tst_HttpServer::chunkedBody()
{
    RawHttpClient client;
    QVERIFY(client.connectTo(start()));
    client.write("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
    QVERIFY(client.waitForResponses(1));
    QCOMPARE(client.responses()[0].body, QByteArray("hello world"));
    QVERIFY(client.connected());
}

void tst_HttpServer::queryAndHeadersAreParsed()
{
    RawHttpClient client;
    QVERIFY(client.connectTo(start()));
    client.write("GET /api/v1/sessions%2Fx?subject=ann+lee&since=1h HTTP/1.1\r\nHost: x\r\n"
                 "X-Gatehouse-Source: rules.toml\r\nx-empty:\r\nAuthorization:  Bearer abc \r\n\r\n");
    QVERIFY(client.waitForResponses(1));
    QCOMPARE(m_seen.size(), 1);
    const HttpRequest &req = m_seen.first();
    QCOMPARE(req.method, QByteArray("GET"));
    QCOMPARE(req.path, QByteArray("/api/v1/sessions%2Fx"));
    QCOMPARE(req.query.queryItemValue(QStringLiteral("subject"), QUrl::FullyDecoded), QStringLiteral("ann lee"));
    QCOMPARE(req.query.queryItemValue(QStringLiteral("since")), QStringLiteral("1h"));
    QCOMPARE(req.header("x-gatehouse-source"), QByteArray("rules.toml"));
    QCOMPARE(req.header("AUTHORIZATION"), QByteArray("Bearer abc"));
    QVERIFY(req.hasHeader("X-Empty"));
    QCOMPARE(req.header("X-Empty"), QByteArray());
}

void tst_HttpServer::oversizedHeaderBlockGets431()
{
    RawHttpClient client;
    QVERIFY(client.connectTo(start()));
    QByteArray request = "GET / HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 70; ++i)
        request += "X-Filler-" + QByteArray::number(i) + ": " + QByteArray(1000, 'a') + "\r\n";
    request += "\r\n";
    client.write(request);
    QVERIFY(client.waitForResponses(1));
    QCOMPARE(client.responses()[0].status, 431);
    QVERIFY(client.waitForDisconnected());
    QVERIFY(m_seen.isEmpty());
}

void tst_HttpServer::bodyOverLimitGets413_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::newRow("content-length above the limit")
        << QByteArray("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2048\r\n\r\n") + QByteArray(100, 'x');
    QTest::newRow("chunked past the limit")
        << QByteArray("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "400\r\n") + QByteArray(1024, 'x') + "\r\n400\r\n" + QByteArray(1024, 'y') + "\r\n0\r\n\r\n";
}

void tst_HttpServer::bodyOverLimitGets413()
{
    QFETCH(QByteArray, request);
    HttpServerLimits limits;
    limits.maxBodyBytes = 1500;
    RawHttpClient client;
    QVERIFY(client.connectTo(start(limits)));
    client.write(request);
    QVERIFY(client.waitForResponses(1));
    QCOMPARE(client.responses()[0].status, 413);
    QCOMPARE(QJsonDocument::fromJson(client.responses()[0].body).object().value(QStringLiteral("error")).toString(),
             QStringLiteral("body_too_large"));
    QVERIFY(client.waitForDisconnected());
    QVERIFY(m_seen.isEmpty());
}

void tst_HttpServer::malformedRequestGets400AndClose_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::newRow("garbage request line") << QByteArray("HELLO THERE\r\n\r\n");
    QTest::newRow("bad version") << QByteArray("GET / HTTP/x.y\r\nHost: x\r\n\r\n");
    QTest::newRow("space in header name") << QByteArray("GET / HTTP/1.1\r\nBad Header: 1\r\n\r\n");
    QTest::newRow("content-length and transfer-encoding")
        << QByteArray("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                      "5\r\nhello\r\n0\r\n\r\n");
    QTest::newRow("duplicate differing content-length")
        << QByteArray("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!");
    QTest::newRow("transfer-encoding other than chunked")
        << QByteArray("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n");
    QTest::newRow("bad chunk size")
        << QByteArray("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
}

void tst_HttpServer::malformedRequestGets400AndClose()
{
    QFETCH(QByteArray, request);
    RawHttpClient client;
    QVERIFY(client.connectTo(start()));
    client.write(request);
    QVERIFY(client.waitForResponses(1));
    const auto &r = client.responses()[0];
    QCOMPARE(r.status, 400);
    QCOMPARE(r.header("Content-Type"), QByteArray("application/json"));
    QCOMPARE(r.header("Connection"), QByteArray("close"));
    const QJsonObject body = QJsonDocument::fromJson(r.body).object();
    QCOMPARE(body.value(QStringLiteral("error")).toString(), QStringLiteral("bad_request"));
    QVERIFY(!body.value(QStringLiteral("message")).toString().isEmpty());
    QVERIFY(client.waitForDisconnected());
    QVERIFY(m_seen.isEmpty());   // nothing of a refused request reaches the handler
}

void tst_HttpServer::streamingResponseArrivesIncrementally()
{
    RawHttpClient client;
    QVERIFY(client.connectTo(start()));
    client.write("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
    QTRY_COMPARE(client.responses().size(), 1);
    QTRY_COMPARE(client.responses()[0].body, QByteArray("data: first\n\n"));
    QVERIFY(!client.responses()[0].complete);
    QCOMPARE(client.responses()[0].header("Transfer-Encoding"), QByteArray("chunked"));
    QCOMPARE(client.responses()[0].header("Content-Type"), QByteArray("text/event-stream"));
    QCOMPARE(m_held.size(), 1);
    QVERIFY(m_held.first().isOpen());

    m_held.first().write(QByteArrayLiteral("data: second\n\n"));
    QTRY_COMPARE(client.responses()[0].body, QByteArray("data: first\n\ndata: second\n\n"));
    m_held.first().end();
    QVERIFY(client.waitForResponses(1));
    QVERIFY(!m_held.first().isOpen());

    // The connection is still good for the next request.
    client.write("GET /next HTTP/1.1\r\nHost: x\r\n\r\n");
    QVERIFY(client.waitForResponses(2));
    QCOMPARE(client.responses()[1].status, 200);
}

void tst_HttpServer::slowHeadersAreCutAfterTimeout()
{
    HttpServerLimits limits;
    limits.headerTimeout = std::chrono::milliseconds(200);
    RawHttpClient client;
    QVERIFY(client.connectTo(start(limits)));
    client.write("GET / HTTP/1.1\r\nHost: x\r\n");   // never finished
    QVERIFY(client.waitForDisconnected(3000));
    QCOMPARE(client.completeCount(), 1);
    QCOMPARE(client.responses()[0].status, 408);
    QVERIFY(m_seen.isEmpty());
}

void tst_HttpServer::idleKeepAliveIsClosed()
{
    HttpServerLimits limits;
    limits.idleTimeout = std::chrono::milliseconds(200);
    RawHttpClient client;
    QVERIFY(client.connectTo(start(limits)));
    client.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    QVERIFY(client.waitForResponses(1));
    QVERIFY(client.waitForDisconnected(3000));
    QCOMPARE(client.completeCount(), 1);
    QTRY_COMPARE(m_server->connectionCount(), 0);
}

void tst_HttpServer::clientGoneIsReportedAndLateAnswerIsHarmless()
{
    QObject context;
    bool gone = false;
    {
        RawHttpClient client;
        QVERIFY(client.connectTo(start()));
        client.write("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n");
        QTRY_COMPARE(m_held.size(), 1);
        m_held.first().onClientGone(&context, [&gone] { gone = true; });
        QVERIFY(m_held.first().isOpen());
    }
    QTRY_VERIFY(gone);
    QVERIFY(!m_held.first().isOpen());
    m_held.first().send(200, QByteArrayLiteral("text/plain"), QByteArrayLiteral("too late"));
    m_held.first().write(QByteArrayLiteral("x"));
    m_held.first().end();
    QTRY_COMPARE(m_server->connectionCount(), 0);
    QTest::qWait(20);   // the connection object is gone now: answering must still be a no-op
    m_held.first().send(200, QByteArrayLiteral("text/plain"), QByteArrayLiteral("later still"));
    QVERIFY(!m_held.first().isOpen());
}

void tst_HttpServer::closeFinishesInFlightAndDrains()
{
    const quint16 port = start();
    RawHttpClient busy, idle;
    QVERIFY(busy.connectTo(port));
    QVERIFY(idle.connectTo(port));
    idle.write("GET /x HTTP/1.1\r\nHost: x\r\n\r\n");
    QVERIFY(idle.waitForResponses(1));
    busy.write("GET /hold HTTP/1.1\r\nHost: x\r\n\r\n");
    QTRY_COMPARE(m_held.size(), 1);

    QSignalSpy drained(m_server.get(), &HttpServer::drained);
    m_server->close();
    QVERIFY(idle.waitForDisconnected());
    QVERIFY(busy.connected());
    QCOMPARE(drained.size(), 0);

    RawHttpClient late;
    late.socket().connectToHost(QHostAddress::LocalHost, port);
    QVERIFY(!late.socket().waitForConnected(1000) || late.waitForDisconnected(1000));

    m_held.first().send(200, QByteArrayLiteral("text/plain"), QByteArrayLiteral("done"));
    QVERIFY(busy.waitForResponses(1));
    QCOMPARE(busy.responses()[0].body, QByteArray("done"));
    QCOMPARE(busy.responses()[0].header("Connection"), QByteArray("close"));
    QVERIFY(busy.waitForDisconnected());
    QTRY_COMPARE(drained.size(), 1);
}

void tst_HttpServer::listenRejectsBadHost()
{
    const auto result = m_server->listen(ListenAddress{QStringLiteral("not-an-address"), 0});
    QVERIFY(!result.ok());
    QVERIFY(result.error().message.contains(QStringLiteral("not-an-address")));
    QVERIFY(!m_server->isListening());
}

void tst_HttpServer::closeEndsOpenStreams()
{
    RawHttpClient client;
    QVERIFY(client.connectTo(start()));
    client.write("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
    QTRY_COMPARE(m_held.size(), 1);
    QSignalSpy drained(m_server.get(), &HttpServer::drained);
    m_server->close();
    // A live event stream never finishes by itself: draining ends it cleanly.
    QVERIFY(client.waitForResponses(1));
    QCOMPARE(client.responses()[0].body, QByteArray("data: first\n\n"));
    QVERIFY(client.waitForDisconnected());
    QTRY_COMPARE(drained.size(), 1);
    QVERIFY(!m_held.first().isOpen());
}

void tst_HttpServer::unsafeResponseHeadersAreDropped()
{
    RawHttpClient client;
    QVERIFY(client.connectTo(start()));
    QTest::ignoreMessage(QtWarningMsg, "gatehoused: dropped an unsafe or reserved response header");
    QTest::ignoreMessage(QtWarningMsg, "gatehoused: dropped an unsafe or reserved response header");
    client.write("GET /inject HTTP/1.1\r\nHost: x\r\n\r\n");
    QVERIFY(client.waitForResponses(1));
    const auto &r = client.responses()[0];
    QCOMPARE(r.header("X-Good"), QByteArray("yes"));
    QVERIFY(r.header("Set-Cookie").isEmpty());
    QVERIFY(r.header("X-Evil").isEmpty());
    QCOMPARE(r.header("Content-Length"), QByteArray("2"));
    QCOMPARE(r.body, QByteArray("ok"));
}

void tst_HttpServer::connectionsBeyondTheLimitGet503()
{
    HttpServerLimits limits;
    limits.maxConnections = 1;
    const quint16 port = start(limits);
    RawHttpClient first, second;
    QVERIFY(first.connectTo(port));
    QTRY_COMPARE(m_server->connectionCount(), 1);
    QVERIFY(second.connectTo(port));
    QVERIFY(second.waitForResponses(1));
    QCOMPARE(second.responses()[0].status, 503);
    QVERIFY(second.waitForDisconnected());
    first.write("GET /still-fine HTTP/1.1\r\nHost: x\r\n\r\n");
    QVERIFY(first.waitForResponses(1));
    QCOMPARE(first.responses()[0].status, 200);
}

void tst_HttpServer::tlsOnEveryConnection()
{
    if (!QSslSocket::supportsSsl())
        QSKIP("no TLS backend");
    QTemporaryDir dir;
    gh::test::TestCertificate tlsCert;
    if (!tlsCert.create(dir))
        QSKIP("the openssl command could not make a test certificate");
    const QSslCertificate cert = tlsCert.certificate;
    const QSslConfiguration config = tlsCert.serverConfiguration();
    m_server->setTlsConfiguration(config);
    const quint16 port = start();

    QSslSocket tls;
    QSslConfiguration clientConfig = QSslConfiguration::defaultConfiguration();
    clientConfig.setCaCertificates({cert});
    tls.setSslConfiguration(clientConfig);
    tls.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
    QTRY_VERIFY_WITH_TIMEOUT(tls.isEncrypted(), 10000);
    tls.write("GET /secure HTTP/1.1\r\nHost: x\r\n\r\n");
    QByteArray answer;
    QTRY_VERIFY_WITH_TIMEOUT((answer += tls.readAll()).contains("\"/secure\""), 10000);
    QVERIFY(answer.startsWith("HTTP/1.1 200 "));

    // Plain HTTP to a TLS listener gets no HTTP answer.
    RawHttpClient plain;
    QVERIFY(plain.connectTo(port));
    plain.write("GET /plain HTTP/1.1\r\nHost: x\r\n\r\n");
    QVERIFY(plain.waitForDisconnected(10000));
    QCOMPARE(plain.completeCount(), 0);
    QCOMPARE(m_seen.size(), 1);
}

void tst_HttpServer::upgradeRequestIsAnsweredThenClosed()
{
    RawHttpClient client;
    QVERIFY(client.connectTo(start()));
    client.write("GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
                 "\x81\x85not-http");
    QVERIFY(client.waitForResponses(1));
    QCOMPARE(client.responses()[0].status, 200);
    QCOMPARE(client.responses()[0].header("Connection"), QByteArray("close"));
    QVERIFY(client.waitForDisconnected());
    QCOMPARE(m_seen.size(), 1);
}

void tst_HttpServer::garbageNeverTakesTheServerDown()
{
    HttpServerLimits limits;
    limits.headerTimeout = std::chrono::milliseconds(150);
    limits.maxBodyBytes = 4096;
    const quint16 port = start(limits);
    QRandomGenerator random(20260101);   // fixed seed: a failure can be replayed
    const QList<QByteArray> prefixes{"", "GET / HTTP/1.1\r\n", "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
                                     "POST /echo HTTP/1.1\r\nContent-Length: 10\r\n\r\n"};
    for (int round = 0; round < 40; ++round) {
        QByteArray bytes = prefixes[round % prefixes.size()];
        const int n = 1 + int(random.bounded(3000));
        for (int i = 0; i < n; ++i)
            bytes += char(random.bounded(256));
        RawHttpClient client;
        QVERIFY(client.connectTo(port));
        client.write(bytes);
        // Whatever it was, the server answers something or hangs up, within the timeout.
        QDeadlineTimer deadline(3000);
        while (client.connected() && client.responses().isEmpty() && !deadline.hasExpired())
            QTest::qWait(5);
        QVERIFY2(!deadline.hasExpired(), qPrintable(QStringLiteral("round %1").arg(round)));
    }
    RawHttpClient good;
    QVERIFY(good.connectTo(port));
    good.write("GET /after-the-storm HTTP/1.1\r\nHost: x\r\n\r\n");
    QVERIFY(good.waitForResponses(1));
    QCOMPARE(good.responses()[0].status, 200);
}

void tst_HttpServer::streamToAClientThatDoesNotReadShowsPendingBytes()
{
    QTcpSocket lazy;
    lazy.setReadBufferSize(1024);   // takes 1 KiB and then stops reading
    lazy.connectToHost(QHostAddress::LocalHost, start());
    QVERIFY(lazy.waitForConnected(5000));
    lazy.write("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
    QTRY_COMPARE(m_held.size(), 1);
    const QByteArray event = "data: " + QByteArray(64 * 1024, 'e') + "\n\n";
    for (int i = 0; i < 256; ++i)   // 16 MiB: more than any kernel buffer takes
        m_held.first().write(event);
    QTest::qWait(200);
    QVERIFY2(m_held.first().pendingBytes() > 1024 * 1024, QByteArray::number(m_held.first().pendingBytes()).constData());
    lazy.abort();
    QTRY_VERIFY(!m_held.first().isOpen());
    QCOMPARE(m_held.first().pendingBytes(), 0);
}

namespace {

// The most a loopback connection can hold between the server's write buffer and what the client
// has read: the server's send buffer at its autotuned maximum, the client's fixed receive buffer
// (the kernel doubles what is asked) and what Qt reads ahead for the client.
qint64 bytesTheKernelCanHold(int clientReceiveBuffer, qint64 clientReadAhead)
{
    qint64 sendMax = 4 * 1024 * 1024;   // Linux's default tcp_wmem maximum
    QFile wmem(QStringLiteral("/proc/sys/net/ipv4/tcp_wmem"));
    if (wmem.open(QIODevice::ReadOnly)) {
        const auto fields = wmem.readAll().simplified().split(' ');
        if (fields.size() == 3)
            sendMax = std::max(sendMax, fields[2].toLongLong());
    }
    return sendMax + 2 * qint64(clientReceiveBuffer) + clientReadAhead;
}

} // namespace

// A long stream writes its next part only once the client has taken the last one.
void tst_HttpServer::onWritableWaitsUntilTheClientHasReadEnough()
{
    // A fixed receive buffer on the client, set before connecting: without it the kernel may grow
    // it to tcp_rmem's maximum (32 MiB on some machines) and swallow everything the server writes.
    const int receiveBuffer = 64 * 1024;
    const qint64 readAhead = 64 * 1024;
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    QVERIFY(fd >= 0);
    QCOMPARE(::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receiveBuffer, sizeof receiveBuffer), 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(start());
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<const sockaddr *>(&to), sizeof to) != 0) {
        ::close(fd);
        QFAIL("connect to the server failed");
    }
    QTcpSocket reader;
    QVERIFY(reader.setSocketDescriptor(fd));
    reader.setReadBufferSize(readAhead);
    reader.write("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
    QTRY_COMPARE(m_held.size(), 1);
    const HttpResponder res = m_held.first();

    // Nothing waits yet: ready at once (queued, not inside the call).
    int ready = 0;
    res.onWritable(this, 0, [&] { ++ready; });
    QCOMPARE(ready, 0);
    QTRY_COMPARE(ready, 1);

    // Write 4 MiB more than the connection can hold, so most of it must wait in the server.
    const qint64 inFlightMax = bytesTheKernelCanHold(receiveBuffer, readAhead);
    const qint64 piece = 64 * 1024;
    const qint64 written = (inFlightMax + 4 * 1024 * 1024 + piece - 1) / piece * piece;
    for (qint64 sent = 0; sent < written; sent += piece)
        res.write(QByteArray(piece, 'w'));
    QTest::qWait(100);
    const qint64 lowWater = 256 * 1024;
    QVERIFY(res.pendingBytes() > lowWater);
    qint64 received = 0;
    qint64 receivedWhenReady = -1;
    qint64 pendingWhenReady = -1;
    res.onWritable(this, lowWater, [&] {
        ++ready;
        receivedWhenReady = received;
        pendingWhenReady = res.pendingBytes();
    });
    QTest::qWait(300);
    QCOMPARE(ready, 1);   // the client reads nothing: still waiting

    QElapsedTimer t;
    t.start();
    while (ready == 1 && t.elapsed() < 20000) {   // one event loop: both ends make progress
        QTest::qWait(1);
        received += reader.readAll().size();
    }
    QCOMPARE(ready, 2);
    QVERIFY2(pendingWhenReady <= lowWater, qPrintable(QString::number(pendingWhenReady)));
    // It fired after the client took what the connection could not hold, not before.
    QVERIFY2(receivedWhenReady >= written - lowWater - inFlightMax,
             qPrintable(QStringLiteral("received %1 of %2, at most %3 in flight")
                            .arg(receivedWhenReady).arg(written).arg(inFlightMax)));
    res.end();
}

void tst_HttpServer::onWritableFiresWhenTheClientGoes()
{
    QTcpSocket lazy;
    lazy.setReadBufferSize(1024);
    lazy.connectToHost(QHostAddress::LocalHost, start());
    QVERIFY(lazy.waitForConnected(5000));
    lazy.write("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
    QTRY_COMPARE(m_held.size(), 1);
    const HttpResponder res = m_held.first();
    for (int i = 0; i < 128; ++i)
        res.write(QByteArray(64 * 1024, 'w'));
    QTest::qWait(100);
    int ready = 0;
    res.onWritable(this, 0, [&] { ++ready; });
    QTest::qWait(100);
    QCOMPARE(ready, 0);
    lazy.abort();
    QTRY_COMPARE(ready, 1);   // woken, so the writer sees the client is gone and stops
    QVERIFY(!res.isOpen());
    QTest::qWait(100);
    QCOMPARE(ready, 1);       // once
}

QTEST_GUILESS_MAIN(tst_HttpServer)
#include "tst_httpserver.moc"
