// A long recorded session read back through the admin API, against the real daemon: the export
// (GET /api/v1/sessions/{id}/events, `gatehousectl sessions export`) streams page by page as fast
// as the client reads, so a slow or stalled reader costs the daemon neither memory in proportion
// to the session nor its admin thread; verification pages too. The test upstream serves the
// megabyte responses; curl makes them over one connection, hence one session.
#include "support/DaemonProcess.h"
#include "support/TestTools.h"

#include <QElapsedTimer>
#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>

namespace {

// ASan's quarantine keeps hundreds of MiB of freed memory resident by design: the memory bounds are
// checked by the normal build, everything else by both.
#ifdef GATEHOUSE_SANITIZE
constexpr bool kMemoryIsMeaningful = false;
#else
constexpr bool kMemoryIsMeaningful = true;
#endif

constexpr int kResponses = 48;
constexpr qint64 kBodyBytes = 1 << 20;

} // namespace

class TestSessionExport : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void aStalledReaderCostsNoMemoryAndHoldsNothingUp();
    void theExportIsWholeAndInOrder();
    void gatehousectlWritesTheExportAsItArrives();
    void verificationReadsTheLongSessionInPages();
    void theAnswerAnnouncesItsLines();
    void missingSessionsAndBadWindowsAreRefused();

private:
    gh::test::TestUpstream m_upstream;
    gh::test::DaemonProcess m_daemon;
    QString m_session;
    qint64 m_eventCount = 0;
};

void TestSessionExport::initTestCase()
{
    QVERIFY(m_upstream.start());
    QVERIFY2(m_daemon.start(), qPrintable(m_daemon.error()));
    const QString applied = m_daemon.applyResources("[[connection]]\nname = \"big\"\ntype = \"http\"\n"
                                                    "upstream = \"" + m_upstream.url() + "\"\n"
                                                    "allow_groups = [\"export\"]\n");
    QVERIFY2(applied.isEmpty(), qPrintable(applied));
    const QByteArray token = m_daemon.issueToken(QStringLiteral("exporter"), QStringLiteral("export"));
    QVERIFY(!token.isEmpty());

    // curl keeps one connection for all of them: one session of kResponses 1 MiB responses.
    QStringList args{QStringLiteral("-H"), QStringLiteral("Authorization: Bearer ") + QString::fromLatin1(token)};
    const QString url = m_daemon.proxyUrl() + QStringLiteral("/big/large?bytes=%1").arg(kBodyBytes);
    for (int i = 0; i < kResponses; ++i)
        args << QStringLiteral("-o") << QStringLiteral("/dev/null") << url;
    const gh::test::CurlResult r = gh::test::curl(args, 120000);
    QVERIFY2(r.exitCode == 0, r.err.constData());

    // The session ends when curl's connection closes; wait for it to be stored whole.
    QJsonObject session;
    QTRY_VERIFY_WITH_TIMEOUT(([&] {
                                 const auto list = m_daemon.request("GET", QStringLiteral("/api/v1/sessions?connection=big"),
                                                                    m_daemon.adminToken());
                                 const QJsonArray a = list.json().array();
                                 if (a.size() != 1)
                                     return false;
                                 session = a.at(0).toObject();
                                 return !session.value(QLatin1String("ended_at")).isNull();
                             }()),
                             10000);
    m_session = session.value(QLatin1String("id")).toString();
    m_eventCount = qint64(session.value(QLatin1String("event_count")).toDouble());
    QVERIFY2(m_eventCount >= 2 * kResponses, qPrintable(QString::number(m_eventCount)));
}

void TestSessionExport::cleanupTestCase()
{
    QCOMPARE(m_daemon.stop(), 0);
}

// A client that asks for the export and reads nothing. Before the export paged, the daemon built
// the whole answer (more than kResponses MiB here) in its write buffer at once, and its admin
// thread did nothing else meanwhile.
void TestSessionExport::aStalledReaderCostsNoMemoryAndHoldsNothingUp()
{
    const qint64 before = gh::test::processMemoryBytes(m_daemon.pid(), "VmRSS");
    QVERIFY(before > 0);

    QTcpSocket stalled;
    stalled.setReadBufferSize(64 * 1024);   // takes this much, then leaves the rest in the kernel
    const QUrl admin(m_daemon.adminUrl());
    stalled.connectToHost(admin.host(), quint16(admin.port()));
    QVERIFY(stalled.waitForConnected(5000));
    stalled.write("GET /api/v1/sessions/" + m_session.toLatin1() + "/events HTTP/1.1\r\nHost: gatehouse\r\n"
                  "Authorization: Bearer " + m_daemon.adminToken() + "\r\n\r\n");
    QVERIFY(stalled.waitForBytesWritten(5000));
    QVERIFY(stalled.waitForReadyRead(10000));   // the head and the first lines arrived

    // While it stalls, the admin API answers, and the daemon holds a bounded part of the export.
    qint64 peak = 0;
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < 1500) {
        QElapsedTimer answer;
        answer.start();
        const auto health = m_daemon.request("GET", QStringLiteral("/healthz"), {});
        QCOMPARE(health.status, 200);
        QVERIFY2(answer.elapsed() < 2000, qPrintable(QString::number(answer.elapsed())));
        const auto one = m_daemon.request("GET", QStringLiteral("/api/v1/sessions/") + m_session, m_daemon.adminToken());
        QCOMPARE(one.status, 200);
        peak = std::max(peak, gh::test::processMemoryBytes(m_daemon.pid(), "VmRSS"));
        QTest::qWait(100);
    }
    const qint64 grown = peak - before;
    qInfo("gatehoused grew by %lld MiB while the export stalled", grown >> 20);
    QVERIFY2(!kMemoryIsMeaningful || grown < 24 * kBodyBytes,
             qPrintable(QStringLiteral("the daemon grew by %1 MiB for a stalled export").arg(grown >> 20)));

    // The reader goes away mid-export: the daemon lets the stream go and carries on.
    stalled.abort();
    QTest::qWait(200);
    QCOMPARE(m_daemon.request("GET", QStringLiteral("/healthz"), {}).status, 200);
}

void TestSessionExport::theExportIsWholeAndInOrder()
{
    const auto exported = m_daemon.ctl({QStringLiteral("sessions"), QStringLiteral("export"), m_session});
    QVERIFY2(exported.exitCode == 0, exported.err.constData());
    QByteArray body = exported.out;
    QVERIFY(body.endsWith('\n'));
    body.chop(1);
    const QList<QByteArray> lines = body.split('\n');
    QCOMPARE(qint64(lines.size()), m_eventCount);
    int responses = 0;
    QHash<QString, qint64> bodyBytes;   // by request id: what the response's chunks recorded
    for (qsizetype i = 0; i < lines.size(); ++i) {
        const QJsonObject e = QJsonDocument::fromJson(lines.at(i)).object();
        QCOMPARE(qint64(e.value(QLatin1String("seq")).toDouble()), qint64(i));
        QCOMPARE(e.value(QLatin1String("session")).toString(), m_session);
        const QString kind = e.value(QLatin1String("kind")).toString();
        const QJsonObject data = e.value(QLatin1String("data")).toObject();
        if (kind == QLatin1String("http.response"))
            ++responses;
        if (kind == QLatin1String("http.chunk")) {
            const qint64 n = data.contains(QLatin1String("body_b64"))
                ? QByteArray::fromBase64(data.value(QLatin1String("body_b64")).toString().toLatin1()).size()
                : data.value(QLatin1String("body")).toString().toUtf8().size();
            bodyBytes[data.value(QLatin1String("request_id")).toString()] += n;
        }
    }
    QCOMPARE(responses, kResponses);
    QCOMPARE(bodyBytes.size(), kResponses);
    for (auto it = bodyBytes.cbegin(); it != bodyBytes.cend(); ++it)
        QCOMPARE(it.value(), kBodyBytes);   // every recorded megabyte came back whole

    // A window that spans page ends gives the same lines as the whole export.
    const auto window = m_daemon.request("GET", QStringLiteral("/api/v1/sessions/%1/events?from_seq=3&limit=%2")
                                                    .arg(m_session)
                                                    .arg(m_eventCount - 4),
                                         m_daemon.adminToken());
    QCOMPARE(window.status, 200);
    QByteArray windowBody = window.body;
    windowBody.chop(1);
    QCOMPARE(windowBody.split('\n'), lines.mid(3, lines.size() - 4));
}

// `sessions export -o FILE` and `play` hold a page of the session at a time, not all of it: the
// export here is larger than the whole gatehousectl process may grow to.
void TestSessionExport::gatehousectlWritesTheExportAsItArrives()
{
    QTemporaryDir tmp;
    QVERIFY(tmp.isValid());
    const QString file = tmp.filePath(QStringLiteral("session.jsonl"));
    auto run = [&](const QStringList &args, qint64 *peak) {
        QProcess p;
        p.setStandardOutputFile(QProcess::nullDevice());
        p.start(gh::test::builtProgram(QStringLiteral("gatehousectl")),
                QStringList{QStringLiteral("--server"), m_daemon.adminUrl(), QStringLiteral("--token"),
                            QString::fromLatin1(m_daemon.adminToken())}
                    + args);
        if (!p.waitForStarted(5000))
            return -1;
        while (!p.waitForFinished(10))
            *peak = std::max(*peak, gh::test::processMemoryBytes(p.processId(), "VmRSS"));
        return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    };
    qint64 exportPeak = 0;
    QCOMPARE(run({QStringLiteral("sessions"), QStringLiteral("export"), m_session, QStringLiteral("-o"), file},
                 &exportPeak),
             0);
    QFile written(file);
    QVERIFY(written.open(QIODevice::ReadOnly));
    QVERIFY2(written.size() > kResponses * kBodyBytes, qPrintable(QString::number(written.size())));
    const auto exported = m_daemon.ctl({QStringLiteral("sessions"), QStringLiteral("export"), m_session});
    QCOMPARE(exported.exitCode, 0);
    QVERIFY(written.readAll() == exported.out);   // the file is the export, byte for byte
    qInfo("gatehousectl peaked at %lld MiB exporting", exportPeak >> 20);
    QVERIFY2(!kMemoryIsMeaningful || exportPeak < 40 * kBodyBytes,
             qPrintable(QStringLiteral("gatehousectl grew to %1 MiB exporting").arg(exportPeak >> 20)));

    qint64 playPeak = 0;
    QCOMPARE(run({QStringLiteral("play"), m_session, QStringLiteral("--speed"), QStringLiteral("1000000")}, &playPeak), 0);
    qInfo("gatehousectl peaked at %lld MiB playing", playPeak >> 20);
    QVERIFY2(!kMemoryIsMeaningful || playPeak < 40 * kBodyBytes,
             qPrintable(QStringLiteral("gatehousectl grew to %1 MiB playing").arg(playPeak >> 20)));

    // A file it cannot write: refused before anything is read, nothing left behind.
    const QString blocked = tmp.filePath(QStringLiteral("no-such-dir/session.jsonl"));
    const auto refused = m_daemon.ctl({QStringLiteral("sessions"), QStringLiteral("export"), m_session,
                                       QStringLiteral("-o"), blocked});
    QCOMPARE(refused.exitCode, 1);
    QVERIFY2(refused.err.contains("cannot write"), refused.err.constData());
    QVERIFY(!QFile::exists(blocked));
}

void TestSessionExport::verificationReadsTheLongSessionInPages()
{
    const auto verified = m_daemon.ctl({QStringLiteral("sessions"), QStringLiteral("verify"), m_session});
    QVERIFY2(verified.exitCode == 0, QByteArray(verified.out + verified.err).constData());
    const auto api = m_daemon.request("POST", QStringLiteral("/api/v1/sessions/%1/verify").arg(m_session),
                                      m_daemon.adminToken());
    QCOMPARE(api.status, 405);   // read-only, as every session route
    const auto get = m_daemon.request("GET", QStringLiteral("/api/v1/sessions/%1/verify").arg(m_session),
                                      m_daemon.adminToken());
    QCOMPARE(get.status, 200);
    QCOMPARE(get.json().object().value(QLatin1String("intact")).toBool(), true);
    QCOMPARE(qint64(get.json().object().value(QLatin1String("events")).toDouble()), m_eventCount);
}

// An ended session's export says how many lines it has, so a client can tell a whole answer from
// one that stopped short; a window says how many it holds.
void TestSessionExport::theAnswerAnnouncesItsLines()
{
    auto announced = [&](const QString &query) {
        const gh::test::CurlResult r = gh::test::curl(
            {QStringLiteral("-D"), QStringLiteral("-"), QStringLiteral("-o"), QStringLiteral("/dev/null"), QStringLiteral("-H"),
             QStringLiteral("Authorization: Bearer ") + QString::fromLatin1(m_daemon.adminToken()),
             m_daemon.adminUrl() + QStringLiteral("/api/v1/sessions/%1/events").arg(m_session) + query});
        for (const QByteArray &line : r.out.split('\n')) {
            if (line.toLower().startsWith("x-gatehouse-lines:"))
                return line.mid(18).trimmed().toLongLong();
        }
        return qint64(-1);
    };
    QCOMPARE(announced(QString()), m_eventCount);
    QCOMPARE(announced(QStringLiteral("?from_seq=10&limit=5")), qint64(5));
    QCOMPARE(announced(QStringLiteral("?from_seq=%1").arg(m_eventCount - 3)), qint64(3));
    QCOMPARE(announced(QStringLiteral("?to_us=%1").arg(qint64(1) << 60)), qint64(-1));   // bounded by time: unknown
}

void TestSessionExport::missingSessionsAndBadWindowsAreRefused()
{
    const QByteArray token = m_daemon.adminToken();
    const auto missing = m_daemon.request("GET", QStringLiteral("/api/v1/sessions/no-such-session/events"), token);
    QCOMPARE(missing.status, 404);
    QCOMPARE(missing.json().object().value(QLatin1String("error")).toString(), QStringLiteral("not_found"));
    const auto bad = m_daemon.request("GET", QStringLiteral("/api/v1/sessions/%1/events?limit=0").arg(m_session), token);
    QCOMPARE(bad.status, 400);
    const auto both = m_daemon.request(
        "GET", QStringLiteral("/api/v1/sessions/%1/events?from_seq=1&from_us=5").arg(m_session), token);
    QCOMPARE(both.status, 400);
    // After the last event's time: an empty window, not an error.
    const auto late = m_daemon.request(
        "GET", QStringLiteral("/api/v1/sessions/%1/events?from_us=%2").arg(m_session).arg(qint64(1) << 60), token);
    QCOMPARE(late.status, 200);
    QVERIFY(late.body.isEmpty());
}

QTEST_GUILESS_MAIN(TestSessionExport)
#include "tst_sessionexport.moc"
