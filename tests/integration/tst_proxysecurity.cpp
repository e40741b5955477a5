// The proxy's security edges as clients meet them: an OIDC provider rotating its keys, the proxy
// speaking TLS, and failing closed when the recording store cannot write. The real gatehoused,
// tests/support/upstream.py, curl; 127.0.0.1 only.
#include <QSslConfiguration>   // TestCertificate.h uses it without including it

#include "gateway/admin/TestCertificate.h"
#include "gateway/identity/TestJwt.h"
#include "support/DaemonProcess.h"
#include "support/TestTools.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using gh::test::DaemonProcess;
using gh::test::TestUpstream;
using gh::test::curl;

namespace {

const QString kIssuer = QStringLiteral("https://idp.gatehouse.test");

int statusOf(const gh::test::CurlResult &r)
{
    return r.exitCode == 0 ? r.out.trimmed().right(3).toInt() : -1;
}

} // namespace

class TestProxySecurity final : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void rotatedOidcKeyIsFetchedInsteadOfRefused();
    void failsClosedWhileTheStoreCannotWrite();
    void proxyAndAdminSpeakTls();

private:
    QByteArray oidcToken(const gh::test::TestKey &key, const QString &subject) const;
    void writeJwks(const QList<QJsonObject> &keys);
    int get(const QByteArray &token, const QString &path, const QStringList &extra = {}) const;

    QTemporaryDir m_tmp;
    TestUpstream m_upstream;
    DaemonProcess m_daemon;
    QString m_jwksPath;
    gh::test::TestKey m_keyA;
    gh::test::TestKey m_keyB;
    QByteArray m_gatewayToken;
};

void TestProxySecurity::initTestCase()
{
    QVERIFY(m_tmp.isValid());
    QVERIFY(m_upstream.start(m_tmp.filePath(QStringLiteral("upstream.log"))));
    m_keyA = gh::test::makeEcKey(QStringLiteral("key-a"), QStringLiteral("P-256"));
    m_keyB = gh::test::makeEcKey(QStringLiteral("key-b"), QStringLiteral("P-256"));
    m_jwksPath = m_tmp.filePath(QStringLiteral("jwks.json"));
    writeJwks({m_keyA.jwk});
    m_daemon.setExtraConfig("[[identity.oidc]]\nissuer = \"" + kIssuer.toUtf8() + "\"\naudience = \"gatehouse\"\n"
                            "jwks_file = \"" + m_jwksPath.toUtf8() + "\"\n");
    QVERIFY2(m_daemon.start(), qPrintable(m_daemon.error()));
    const QString file = m_tmp.filePath(QStringLiteral("resources.toml"));
    QFile f(file);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("[[connection]]\nname = \"api\"\ntype = \"http\"\nupstream = \"" + m_upstream.url()
            + "\"\nallow_groups = [\"ml-eng\"]\n");
    f.close();
    QCOMPARE(m_daemon.ctl({QStringLiteral("apply"), QStringLiteral("-f"), file}).exitCode, 0);
    const auto issued = m_daemon.ctl({QStringLiteral("token"), QStringLiteral("issue"), QStringLiteral("--subject"),
                                      QStringLiteral("ci"), QStringLiteral("--groups"), QStringLiteral("ml-eng")});
    QCOMPARE(issued.exitCode, 0);
    m_gatewayToken = issued.out.trimmed();
}

void TestProxySecurity::cleanupTestCase()
{
    QCOMPARE(m_daemon.stop(), 0);
}

QByteArray TestProxySecurity::oidcToken(const gh::test::TestKey &key, const QString &subject) const
{
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    return gh::test::signJwt(key, QStringLiteral("ES256"),
                             QJsonObject{{QStringLiteral("iss"), kIssuer},
                                         {QStringLiteral("aud"), QStringLiteral("gatehouse")},
                                         {QStringLiteral("sub"), subject},
                                         {QStringLiteral("groups"), QJsonArray{QStringLiteral("ml-eng")}},
                                         {QStringLiteral("iat"), double(now)},
                                         {QStringLiteral("exp"), double(now + 600)}});
}

void TestProxySecurity::writeJwks(const QList<QJsonObject> &keys)
{
    // Written aside and renamed, as a provider's sync job would: never a half-written file.
    const QString tmp = m_jwksPath + QStringLiteral(".new");
    QFile f(tmp);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(gh::test::jwksJson(keys));
    f.close();
    QFile::remove(m_jwksPath);
    QVERIFY(QFile::rename(tmp, m_jwksPath));
}

int TestProxySecurity::get(const QByteArray &token, const QString &path, const QStringList &extra) const
{
    return statusOf(curl(QStringList{QStringLiteral("-o"), QStringLiteral("/dev/null"), QStringLiteral("-w"),
                                     QStringLiteral("%{http_code}"), QStringLiteral("-H"),
                                     QStringLiteral("Authorization: Bearer ") + QString::fromLatin1(token)}
                         + extra + QStringList{m_daemon.proxyUrl() + path}));
}

void TestProxySecurity::rotatedOidcKeyIsFetchedInsteadOfRefused()
{
    QCOMPARE(get(oidcToken(m_keyA, QStringLiteral("ana")), QStringLiteral("/api/v1/x")), 200);
    // The provider rotates: key B in, key A out. The first request signed with B is not refused
    // while the gateway catches up: it waits for the refresh.
    QTest::qWait(1100);   // a new mtime, whatever the file system's resolution
    writeJwks({m_keyB.jwk});
    QCOMPARE(get(oidcToken(m_keyB, QStringLiteral("ben")), QStringLiteral("/api/v1/x")), 200);
    // A key that was rotated out, and one nobody published, are refused.
    QCOMPARE(get(oidcToken(m_keyA, QStringLiteral("ana")), QStringLiteral("/api/v1/x")), 401);
    const auto stranger = gh::test::makeEcKey(QStringLiteral("key-x"), QStringLiteral("P-256"));
    QCOMPARE(get(oidcToken(stranger, QStringLiteral("eve")), QStringLiteral("/api/v1/x")), 401);
}

void TestProxySecurity::failsClosedWhileTheStoreCannotWrite()
{
    // A file size limit on the running daemon makes the store's writes fail with EFBIG, as a full
    // disk would (SIGXFSZ is ignored by the test, and the daemon inherits that).
    QCOMPARE(get(m_gatewayToken, QStringLiteral("/api/before")), 200);
    const QString pid = QString::number(m_daemon.pid());
    QFileInfo wal(m_daemon.dataDir() + QStringLiteral("/gatehouse.db-wal"));
    const qint64 limit = qMax<qint64>(wal.size(), QFileInfo(m_daemon.dataDir() + QStringLiteral("/gatehouse.db")).size()) + 4096;
    QProcess prlimit;
    prlimit.start(QStringLiteral("prlimit"), {QStringLiteral("--pid"), pid, QStringLiteral("--fsize=%1:").arg(limit)});
    if (!prlimit.waitForFinished(5000) || prlimit.exitCode() != 0)
        QSKIP("prlimit cannot limit the daemon's file size here");

    // Requests go on until the store notices; from then on every one is refused, none forwarded.
    int status = 200;
    for (int i = 0; i < 400 && status == 200; ++i)
        status = get(m_gatewayToken, QStringLiteral("/api/fill-%1").arg(i), {QStringLiteral("-H"), QStringLiteral("X-Pad: ") + QString(2000, u'p')});
    QCOMPARE(status, 503);
    const int forwarded = m_upstream.requests();
    QTRY_COMPARE_WITH_TIMEOUT(m_daemon.request("GET", QStringLiteral("/healthz"), {}).status, 503, 5000);
    const QJsonObject health = m_daemon.request("GET", QStringLiteral("/healthz"), {}).json().object();
    QCOMPARE(health.value(QStringLiteral("status")).toString(), QStringLiteral("failing"));
    QVERIFY2(health.value(QStringLiteral("reason")).toString().startsWith(QLatin1String("store")),
             qPrintable(health.value(QStringLiteral("reason")).toString()));
    const auto refused = curl({QStringLiteral("-H"), QStringLiteral("Authorization: Bearer ") + QString::fromLatin1(m_gatewayToken),
                               m_daemon.proxyUrl() + QStringLiteral("/api/while-failing")});
    QCOMPARE(QJsonDocument::fromJson(refused.out).object().value(QStringLiteral("error")).toString(),
             QStringLiteral("recording_unavailable"));
    QCOMPARE(m_upstream.requests(), forwarded);   // nothing unrecorded went upstream

    // Space again: the store's probe finds it can write, and traffic flows without a restart.
    prlimit.start(QStringLiteral("prlimit"), {QStringLiteral("--pid"), pid, QStringLiteral("--fsize=unlimited:")});
    QVERIFY(prlimit.waitForFinished(5000));
    QCOMPARE(prlimit.exitCode(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(m_daemon.request("GET", QStringLiteral("/healthz"), {}).status, 200, 15000);
    QCOMPARE(get(m_gatewayToken, QStringLiteral("/api/after")), 200);
}

void TestProxySecurity::proxyAndAdminSpeakTls()
{
    gh::test::TestCertificate cert;
    if (!cert.create(m_tmp))
        QSKIP("no openssl command to make a test certificate");
    QCOMPARE(m_daemon.stop(), 0);
    const QString keyPath = m_tmp.filePath(QStringLiteral("key.pem"));
    // DaemonProcess writes its [gateway] table first; these keys continue it.
    m_daemon.setExtraConfig("tls_cert = \"" + cert.certificatePath.toUtf8() + "\"\ntls_key = \"" + keyPath.toUtf8() + "\"\n");
    m_daemon.setCaCertificate(cert.certificatePath);
    QVERIFY2(m_daemon.start(), qPrintable(m_daemon.error()));
    QVERIFY2(m_daemon.proxyUrl().startsWith(QLatin1String("https://127.0.0.1:")), qPrintable(m_daemon.proxyUrl()));
    QVERIFY2(m_daemon.adminUrl().startsWith(QLatin1String("https://")), qPrintable(m_daemon.adminUrl()));

    // A client that trusts the certificate gets through, the token verified as ever.
    const auto ok = curl({QStringLiteral("--cacert"), cert.certificatePath, QStringLiteral("-H"),
                          QStringLiteral("Authorization: Bearer ") + QString::fromLatin1(m_gatewayToken),
                          m_daemon.proxyUrl() + QStringLiteral("/api/over-tls")});
    QCOMPARE(ok.exitCode, 0);
    const QJsonObject echo = QJsonDocument::fromJson(ok.out).object();
    QCOMPARE(echo.value(QStringLiteral("path")).toString(), QStringLiteral("/over-tls"));
    bool proto = false;
    for (const QJsonValue &h : echo.value(QStringLiteral("headers")).toArray())
        proto = proto || (h.toArray().at(0).toString().compare(QLatin1String("X-Forwarded-Proto"), Qt::CaseInsensitive) == 0
                          && h.toArray().at(1).toString() == u"https");
    QVERIFY(proto);
    // One that does not trust it fails the handshake; plain HTTP on the TLS port gets nothing useful.
    const auto untrusted = curl({m_daemon.proxyUrl() + QStringLiteral("/api/x")});
    QVERIFY(untrusted.exitCode != 0);
    QString plain = m_daemon.proxyUrl();
    plain.replace(QLatin1String("https://"), QLatin1String("http://"));
    const auto cleartext = curl({QStringLiteral("-m"), QStringLiteral("5"), QStringLiteral("-H"),
                                 QStringLiteral("Authorization: Bearer ") + QString::fromLatin1(m_gatewayToken),
                                 plain + QStringLiteral("/api/x")});
    QVERIFY(!cleartext.out.contains("\"path\""));
    // The admin API over TLS answers too.
    QCOMPARE(m_daemon.request("GET", QStringLiteral("/healthz"), {}).status, 200);
}

int main(int argc, char **argv)
{
    // Children inherit an ignored SIGXFSZ: the file-size limit then fails writes instead of
    // killing the daemon, as a full disk would.
    std::signal(SIGXFSZ, SIG_IGN);
    QCoreApplication app(argc, argv);
    TestProxySecurity test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_proxysecurity.moc"
