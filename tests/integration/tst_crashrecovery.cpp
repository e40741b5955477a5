// Contract §6's promise under the worst ending: gatehoused killed with SIGKILL in the middle of a
// load, then started again on the same data dir. Every request the upstream received must have its
// request event in the store, and every session must still verify. The real gatehoused, the test
// upstream (tests/support/upstream.py, which logs each request's headers) and curl as the clients.
#include "support/DaemonProcess.h"
#include "support/TestTools.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QScopeGuard>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>


class TestCrashRecovery : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void everyForwardedRequestIsRecordedAfterAKill();
    void requestsTheDatabaseCouldNotCommitAreRecoveredAtTheNextStart();

private:
    QSet<QString> upstreamRequestIds();
    QSet<QString> recordedRequestIds();
    int get(const QString &path);

    QTemporaryDir m_tmp;
    gh::test::TestUpstream m_upstream;
    QString m_upstreamLog;
    gh::test::DaemonProcess m_daemon;
    QByteArray m_token;
};

void TestCrashRecovery::initTestCase()
{
    QVERIFY(m_tmp.isValid());
    // Children inherit an ignored SIGXFSZ: a file size limit then fails the daemon's writes (as a
    // full disk would) instead of killing it.
    std::signal(SIGXFSZ, SIG_IGN);
    m_upstreamLog = m_tmp.filePath(QStringLiteral("upstream.log"));
    QVERIFY(m_upstream.start(m_upstreamLog));
    const QByteArray port = QByteArray::number(m_upstream.port());

    QVERIFY2(m_daemon.start(), qPrintable(m_daemon.error()));
    const QString applied = m_daemon.applyResources("[[connection]]\nname = \"echo\"\ntype = \"http\"\n"
                                                    "upstream = \"http://127.0.0.1:" + port + "\"\n"
                                                    "allow_groups = [\"load\"]\n"
                                                    "credential = { header = \"X-Api-Key\", value = \"k\" }\n");
    QVERIFY2(applied.isEmpty(), qPrintable(applied));
    m_token = m_daemon.issueToken(QStringLiteral("loader"), QStringLiteral("load"));
    QVERIFY(!m_token.isEmpty());
}

void TestCrashRecovery::cleanupTestCase()
{
    m_daemon.stop();
}

// Whatever the upstream got, by the id the gateway gave each request.
QSet<QString> TestCrashRecovery::upstreamRequestIds()
{
    QFile log(m_upstreamLog);
    if (!log.open(QIODevice::ReadOnly))
        return {};
    QSet<QString> received;
    for (const QByteArray &entry : log.readAll().split('\n')) {
        if (entry.trimmed().isEmpty())
            continue;
        const QJsonObject o = QJsonDocument::fromJson(entry).object();
        for (const QJsonValue &h : o.value(QStringLiteral("headers")).toArray())
            if (h.toArray().at(0).toString().compare(QLatin1String("X-Request-Id"), Qt::CaseInsensitive) == 0)
                received.insert(h.toArray().at(1).toString());
    }
    return received;
}

// The request ids of every http.request event of every session, exported with gatehousectl; each
// session must verify (a session cut off by a kill is open, and intact up to where it stopped).
QSet<QString> TestCrashRecovery::recordedRequestIds()
{
    QSet<QString> recorded;
    const auto listed = m_daemon.request("GET", QStringLiteral("/api/v1/sessions?limit=10000"), m_daemon.adminToken());
    if (listed.status != 200) {
        qWarning("sessions: %d %s", listed.status, listed.body.constData());
        return {};
    }
    for (const QJsonValue &s : listed.json().array()) {
        const QString id = s.toObject().value(QStringLiteral("id")).toString();
        const auto exported = m_daemon.ctl({QStringLiteral("sessions"), QStringLiteral("export"), id});
        if (exported.exitCode != 0)
            qWarning("export %s: %s", qPrintable(id), exported.err.constData());
        for (const QByteArray &line : exported.out.split('\n')) {
            const QJsonObject e = QJsonDocument::fromJson(line).object();
            if (e.value(QStringLiteral("kind")).toString() == u"http.request")
                recorded.insert(e.value(QStringLiteral("data")).toObject().value(QStringLiteral("request_id")).toString());
        }
        const auto verified = m_daemon.ctl({QStringLiteral("sessions"), QStringLiteral("verify"), id});
        if (verified.exitCode != 0) {
            qWarning("verify %s: %s%s", qPrintable(id), verified.out.constData(), verified.err.constData());
            recorded.insert(QStringLiteral("verify failed: ") + id);
        }
    }
    return recorded;
}

int TestCrashRecovery::get(const QString &path)
{
    const auto r = gh::test::curl({QStringLiteral("-o"), QStringLiteral("/dev/null"), QStringLiteral("-w"),
                                   QStringLiteral("%{http_code}"), QStringLiteral("-H"),
                                   QStringLiteral("Authorization: Bearer ") + QString::fromLatin1(m_token),
                                   QStringLiteral("-H"), QStringLiteral("X-Pad: ") + QString(2000, u'p'),
                                   m_daemon.proxyUrl() + path},
                                  15000);
    return r.out.toInt();
}

void TestCrashRecovery::everyForwardedRequestIsRecordedAfterAKill()
{
    // Four keep-alive clients, each with thousands of requests queued, some with a body.
    QList<QProcess *> clients;
    for (int c = 0; c < 4; ++c) {
        const QString config = m_tmp.filePath(QStringLiteral("client-%1.curlrc").arg(c));
        QFile f(config);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("silent\nheader = \"Authorization: Bearer " + m_token + "\"\n");
        for (int i = 0; i < 5000; ++i) {
            f.write("url = \"" + m_daemon.proxyUrl().toUtf8() + "/echo/load/" + QByteArray::number(c) + "/"
                    + QByteArray::number(i) + "\"\noutput = \"/dev/null\"\n");
        }
        f.close();
        auto *p = new QProcess(this);
        p->setStandardOutputFile(QProcess::nullDevice());
        p->setStandardErrorFile(QProcess::nullDevice());
        p->start(QStringLiteral("curl"), {QStringLiteral("-K"), config});
        QVERIFY(p->waitForStarted(5000));
        clients << p;
    }
    auto stopClients = qScopeGuard([&clients] {
        for (QProcess *p : std::as_const(clients)) {
            p->kill();
            p->waitForFinished(5000);
            delete p;
        }
    });

    // In the middle of the load: no SIGTERM, no drain, no chance to commit anything more.
    QTRY_VERIFY_WITH_TIMEOUT(m_upstream.requests() >= 400, 60000);
    QVERIFY(m_daemon.kill());
    stopClients.dismiss();
    for (QProcess *p : std::as_const(clients)) {
        p->kill();
        p->waitForFinished(5000);
        delete p;
    }

    const QSet<QString> received = upstreamRequestIds();
    QVERIFY(received.size() >= 400);

    QVERIFY2(m_daemon.start(), qPrintable(m_daemon.error()));
    // The events stay in the recording segments the proxy threads wrote them to.
    QVERIFY(!QDir(m_daemon.dataDir() + QStringLiteral("/gatehouse.db.recordings")).entryList({QStringLiteral("*.seg")}, QDir::Files).isEmpty());
    const QSet<QString> recorded = recordedRequestIds();
    QStringList missing;
    for (const QString &id : std::as_const(received))
        if (!recorded.contains(id))
            missing << id;
    qInfo("upstream received %lld requests before the kill; %lld request events recorded; %lld missing",
          static_cast<long long>(received.size()), static_cast<long long>(recorded.size()),
          static_cast<long long>(missing.size()));
    QVERIFY2(missing.isEmpty(), qPrintable(missing.mid(0, 5).join(u' ')));
    for (const QString &r : recorded)
        QVERIFY2(!r.startsWith(QLatin1String("verify failed")), qPrintable(r));
    QCOMPARE(m_daemon.stop(), 0);
}

// The database stops taking writes (a file size limit, as a full disk) while requests flow: the
// requests forwarded before the store noticed are in the recording segments only. A kill -9 then,
// and the next start indexes them.
void TestCrashRecovery::requestsTheDatabaseCouldNotCommitAreRecoveredAtTheNextStart()
{
    QVERIFY2(m_daemon.start(), qPrintable(m_daemon.error()));
    for (int i = 0; i < 20; ++i)   // the proxy threads have their recording segments now
        QCOMPARE(get(QStringLiteral("/echo/warm/%1").arg(i)), 200);
    // Nothing of the warm-up may still be on its way to the database when the limit comes (its
    // failure would make the store unhealthy before the first request below): let the closed
    // connections' session ends be queued, then a session read waits for the writer.
    QTest::qWait(300);
    QCOMPARE(m_daemon.request("GET", QStringLiteral("/api/v1/sessions?limit=1"), m_daemon.adminToken()).status, 200);
    // No write(2) may reach past the first 4 KiB of any file: the database's next commit fails.
    // The segments are allocated already and written through memory, not write(2).
    const QString db = m_daemon.dataDir() + QStringLiteral("/gatehouse.db");
    QProcess prlimit;
    prlimit.start(QStringLiteral("prlimit"), {QStringLiteral("--pid"), QString::number(m_daemon.pid()),
                                              QStringLiteral("--fsize=4096:")});
    if (!prlimit.waitForFinished(5000) || prlimit.exitCode() != 0)
        QSKIP("prlimit cannot limit the daemon's file size here");
    int status = 200;
    int forwarded = 0;
    for (int i = 0; i < 400 && status == 200; ++i) {
        status = get(QStringLiteral("/echo/fill/%1").arg(i));
        forwarded += status == 200;
    }
    QCOMPARE(status, 503);   // the store noticed, and refuses from then on
    QVERIFY(forwarded > 0);
    QVERIFY(m_daemon.kill());

    // What the database has indexed, read behind the gateway's back: fewer requests than went
    // upstream (the rest are in the segments only).
    const QSet<QString> received = upstreamRequestIds();
    QProcess sqlite;
    sqlite.start(QStringLiteral("sqlite3"), {db, QStringLiteral("SELECT coalesce(sum(n), 0) FROM event_counts WHERE kind = 'http.request'")});
    if (sqlite.waitForFinished(10000) && sqlite.exitCode() == 0) {
        const int inDatabase = sqlite.readAllStandardOutput().trimmed().toInt();
        QVERIFY2(inDatabase < received.size(),
                 qPrintable(QStringLiteral("%1 in the database, %2 received").arg(inDatabase).arg(received.size())));
    }

    QVERIFY2(m_daemon.start(), qPrintable(m_daemon.error()));   // a new process: no file size limit
    const QSet<QString> recorded = recordedRequestIds();
    QStringList missing;
    for (const QString &id : received)
        if (!recorded.contains(id))
            missing << id;
    QVERIFY2(missing.isEmpty(), qPrintable(missing.mid(0, 5).join(u' ')));
    for (const QString &r : recorded)
        QVERIFY2(!r.startsWith(QLatin1String("verify failed")), qPrintable(r));
}

QTEST_GUILESS_MAIN(TestCrashRecovery)
#include "tst_crashrecovery.moc"
