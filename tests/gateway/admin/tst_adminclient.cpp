#include "admin/AdminClient.h"
#include "admin/HttpServer.h"

#include <QElapsedTimer>
#include <QThread>
#include <QTimer>
#include <QJsonArray>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>

using namespace gh;

class tst_AdminClient : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void jsonReplyAndBearerToken();
    void serverErrorMessageIsExtracted_data();
    void serverErrorMessageIsExtracted();
    void unreachableServerIsANetworkError();
    void callSyncTimesOut();
    void baseUrlPathAndExtraHeaders();
    void eventStreamDeliversEvents();
    void downloadHandsTheBodyOverAsItArrives();
    void downloadWaitsOutASlowConsumer();
    void downloadGivesUpOnASilentServer();
    void downloadSeesAnAnswerBrokenOff();

private:
    QUrl url() const { return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_port)); }

    std::unique_ptr<HttpServer> m_server;
    quint16 m_port = 0;
    QList<HttpRequest> m_seen;
    QList<HttpResponder> m_held;
};

void tst_AdminClient::init()
{
    m_seen.clear();
    m_held.clear();
    m_server = std::make_unique<HttpServer>();
    m_server->setHandler([this](const HttpRequest &req, HttpResponder res) {
        m_seen.append(req);
        const QByteArray p = req.path;
        if (p.endsWith("/whoami")) {
            res.sendJson(200, QJsonObject{{QStringLiteral("subject"), QStringLiteral("admin")},
                                          {QStringLiteral("groups"), QJsonArray{QStringLiteral("gatehouse-admins")}}});
        } else if (p == "/api/v1/missing") {
            res.sendError(404, "not_found", QStringLiteral("no connection named \"x\""));
        } else if (p == "/api/v1/broken") {
            res.send(500, "text/plain", "oops");
        } else if (p == "/api/v1/refused") {
            res.sendError(401, "unauthenticated", QStringLiteral("the token was not accepted"));
        } else if (p == "/hold") {
            m_held.append(res);
        } else if (p == "/stream" || p == "/stream-then-silence" || p == "/stream-then-break") {
            // 16 or 1 pieces of 256 KiB, then the end, nothing more, or a break once sent.
            res.beginStream(200, "application/x-ndjson", {{"X-Gatehouse-Lines", "16"}});
            const int pieces = p == "/stream" ? 16 : 1;
            for (int i = 0; i < pieces; ++i)
                res.write(QByteArray(256 * 1024 - 1, char('a' + i)) + '\n');
            if (p == "/stream")
                res.end();
            else if (p == "/stream-then-break")
                QTimer::singleShot(200, m_server.get(), [res] { res.abortStream(); });
            else
                m_held.append(res);
        } else if (p == "/api/v1/events") {
            res.beginStream(200, "text/event-stream");
            res.write(": keep-alive\n\n");
            res.write("event: approval.requested\nid: 7\ndata: {\"id\":\"a1\",");
            res.write("\"rule\":\"r\"}\n\n");
            res.write("data: line one\r\ndata: line two\r\n\r\n");
            m_held.append(res);
        } else {
            res.sendJson(200, QJsonObject{{QStringLiteral("path"), QString::fromUtf8(req.path)}});
        }
    });
    auto port = m_server->listen(ListenAddress{QStringLiteral("127.0.0.1"), 0});
    QVERIFY(port.ok());
    m_port = *port;
}

void tst_AdminClient::cleanup()
{
    m_held.clear();
    m_server.reset();
}

void tst_AdminClient::jsonReplyAndBearerToken()
{
    AdminClient client(url(), QStringLiteral("s3cret"));
    std::optional<AdminReply> reply;
    client.call("GET", QStringLiteral("/api/v1/whoami"), {}, {}, [&reply](AdminReply r) { reply = std::move(r); });
    QTRY_VERIFY(reply.has_value());
    QVERIFY(reply->ok());
    QCOMPARE(reply->status, 200);
    QVERIFY(reply->errorText.isEmpty());
    QCOMPARE(reply->json.object().value(QStringLiteral("subject")).toString(), QStringLiteral("admin"));
    QCOMPARE(m_seen.size(), 1);
    QCOMPARE(m_seen.first().header("Authorization"), QByteArray("Bearer s3cret"));
}

void tst_AdminClient::serverErrorMessageIsExtracted_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("errorCode");
    QTest::addColumn<QString>("errorText");
    QTest::newRow("json error") << QStringLiteral("/api/v1/missing") << 404 << QStringLiteral("not_found")
                                << QStringLiteral("no connection named \"x\"");
    QTest::newRow("token refused") << QStringLiteral("/api/v1/refused") << 401 << QStringLiteral("unauthenticated")
                                   << QStringLiteral("the token was not accepted");
    QTest::newRow("plain text error") << QStringLiteral("/api/v1/broken") << 500 << QString()
                                      << QStringLiteral("HTTP 500 Internal Server Error");
}

void tst_AdminClient::serverErrorMessageIsExtracted()
{
    QFETCH(QString, path);
    QFETCH(int, status);
    QFETCH(QString, errorCode);
    QFETCH(QString, errorText);
    AdminClient client(url(), QStringLiteral("t"));
    const AdminReply reply = client.callSync("GET", path);
    QVERIFY(!reply.ok());
    QCOMPARE(reply.status, status);
    QCOMPARE(reply.errorCode, errorCode);
    QCOMPARE(reply.errorText, errorText);
}

void tst_AdminClient::unreachableServerIsANetworkError()
{
    m_server.reset();   // nothing listens on the port any more
    AdminClient client(url(), QStringLiteral("t"));
    const AdminReply reply = client.callSync("GET", QStringLiteral("/healthz"), {}, {}, std::chrono::milliseconds(5000));
    QCOMPARE(reply.status, 0);
    QVERIFY(!reply.ok());
    QVERIFY2(reply.errorText.contains(QStringLiteral("refused"), Qt::CaseInsensitive), qPrintable(reply.errorText));
}

void tst_AdminClient::callSyncTimesOut()
{
    AdminClient client(url(), QStringLiteral("t"));
    QElapsedTimer timer;
    timer.start();
    const AdminReply reply = client.callSync("GET", QStringLiteral("/hold"), {}, {}, std::chrono::milliseconds(300));
    QCOMPARE(reply.status, 0);
    QVERIFY(reply.errorText.contains(QStringLiteral("no answer within")));
    QVERIFY(timer.elapsed() < 5000);
}

void tst_AdminClient::baseUrlPathAndExtraHeaders()
{
    AdminClient client(QUrl(QStringLiteral("http://127.0.0.1:%1/gate/").arg(m_port)), QString());
    const AdminReply reply = client.callSync("POST", QStringLiteral("/api/v1/apply?dry_run=1&who=a%20b"), "[[rule]]\n",
                                             "application/toml", std::chrono::milliseconds(5000),
                                             {{"X-Gatehouse-Source", "rules.toml"}});
    QVERIFY2(reply.ok(), qPrintable(reply.errorText));
    QCOMPARE(m_seen.size(), 1);
    const HttpRequest &req = m_seen.first();
    QCOMPARE(req.method, QByteArray("POST"));
    QCOMPARE(req.path, QByteArray("/gate/api/v1/apply"));
    QCOMPARE(req.query.queryItemValue(QStringLiteral("who"), QUrl::FullyDecoded), QStringLiteral("a b"));
    QCOMPARE(req.body, QByteArray("[[rule]]\n"));
    QCOMPARE(req.header("Content-Type"), QByteArray("application/toml"));
    QCOMPARE(req.header("X-Gatehouse-Source"), QByteArray("rules.toml"));
    QVERIFY(!req.hasHeader("Authorization"));   // no token: no header at all
}

void tst_AdminClient::eventStreamDeliversEvents()
{
    AdminClient client(url(), QStringLiteral("t"));
    QList<AdminEvent> events;
    AdminEventStream *stream = client.subscribeEvents(QStringLiteral("/api/v1/events"),
                                                      [&events](const AdminEvent &e) { events.append(e); });
    QSignalSpy connected(stream, &AdminEventStream::connected);
    QTRY_COMPARE(events.size(), 2);
    QCOMPARE(connected.size(), 1);
    QCOMPARE(events[0].type, QByteArray("approval.requested"));
    QCOMPARE(events[0].id, QByteArray("7"));
    QCOMPARE(events[0].json.object().value(QStringLiteral("id")).toString(), QStringLiteral("a1"));
    QCOMPARE(events[1].type, QByteArray("message"));
    QCOMPARE(events[1].data, QByteArray("line one\nline two"));
    QCOMPARE(m_seen.first().header("Accept"), QByteArray("text/event-stream"));

    m_held.first().write("event: session.ended\ndata: {}\n\n");
    QTRY_COMPARE(events.size(), 3);
    QCOMPARE(events[2].type, QByteArray("session.ended"));

    // The server ends the stream: the client reconnects and says which event it saw last.
    QSignalSpy disconnected(stream, &AdminEventStream::disconnected);
    m_held.first().end();
    QTRY_COMPARE(disconnected.size(), 1);
    QTRY_COMPARE_WITH_TIMEOUT(m_seen.size(), 2, 10000);
    QCOMPARE(m_seen[1].header("Last-Event-ID"), QByteArray("7"));
    stream->close();
}

void tst_AdminClient::downloadHandsTheBodyOverAsItArrives()
{
    AdminClient client(url(), QStringLiteral("s3cret"));
    qint64 total = 0;
    int calls = 0;
    qint64 largest = 0;
    const AdminReply r = client.downloadSync(QStringLiteral("/stream"), [&](const QByteArray &data) {
        total += data.size();
        largest = std::max<qint64>(largest, data.size());
        ++calls;
        return true;
    });
    QVERIFY2(r.ok(), qPrintable(r.errorText));
    QCOMPARE(r.status, 200);
    QVERIFY(r.body.isEmpty());   // handed over, not kept
    QCOMPARE(r.header("x-gatehouse-lines"), QByteArray("16"));   // any case
    QCOMPARE(total, qint64(16 * 256 * 1024));
    QVERIFY(calls > 1);
    QVERIFY(largest <= AdminDownload::kReadBuffer);

    const AdminReply missing = client.downloadSync(QStringLiteral("/api/v1/missing"), [](const QByteArray &) {
        return true;
    });
    QCOMPARE(missing.status, 404);
    QCOMPARE(missing.errorCode, QStringLiteral("not_found"));
    QVERIFY(!missing.ok() && !missing.broken);

    // onData says stop: the download ends there, broken, and says why.
    const AdminReply stopped = client.downloadSync(QStringLiteral("/stream"), [](const QByteArray &) { return false; });
    QVERIFY(stopped.broken);
    QCOMPARE(stopped.errorText, QStringLiteral("stopped"));
}

// A consumer slower than the inactivity limit (a paused pipe, a replay waiting out a recorded pause)
// is not a silent server.
void tst_AdminClient::downloadWaitsOutASlowConsumer()
{
    AdminClient client(url(), QStringLiteral("s3cret"));
    qint64 total = 0;
    int naps = 0;
    const AdminReply r = client.downloadSync(
        QStringLiteral("/stream"),
        [&](const QByteArray &data) {
            total += data.size();
            if (naps < 3) {
                ++naps;
                QThread::msleep(400);
            }
            return true;
        },
        std::chrono::milliseconds(300));
    QVERIFY2(r.ok(), qPrintable(r.errorText));
    QCOMPARE(total, qint64(16 * 256 * 1024));
    QCOMPARE(naps, 3);
}

void tst_AdminClient::downloadGivesUpOnASilentServer()
{
    AdminClient client(url(), QStringLiteral("s3cret"));
    qint64 total = 0;
    QElapsedTimer t;
    t.start();
    const AdminReply r = client.downloadSync(
        QStringLiteral("/stream-then-silence"), [&](const QByteArray &data) {
            total += data.size();
            return true;
        },
        std::chrono::milliseconds(300));
    QVERIFY(r.broken);
    QVERIFY(!r.ok());
    QVERIFY2(r.errorText.contains(QLatin1String("nothing came")), qPrintable(r.errorText));
    QCOMPARE(total, qint64(256 * 1024));
    QVERIFY(t.elapsed() < 5000);
}

// Qt does not always report a chunked answer that stops short (a reset after the last byte can end
// it as if whole), so the count the server announced is what tells.
void tst_AdminClient::downloadSeesAnAnswerBrokenOff()
{
    AdminClient client(url(), QStringLiteral("s3cret"));
    for (int i = 0; i < 5; ++i) {
        qint64 lines = 0;
        const AdminReply r = client.downloadSync(QStringLiteral("/stream-then-break"), [&](const QByteArray &d) {
            lines += d.count('\n');
            return true;
        });
        QCOMPARE(r.status, 200);
        QCOMPARE(lines, 1);
        QVERIFY(r.broken);
        QVERIFY(!r.ok());
    }
}

QTEST_GUILESS_MAIN(tst_AdminClient)
#include "tst_adminclient.moc"
