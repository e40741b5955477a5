#include "identity/OidcProvider.h"

#include "JwksServer.h"
#include "TestJwt.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace gh;
using namespace gh::test;
using namespace std::chrono_literals;

namespace {

bool writeFile(const QString &path, const QByteArray &content)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    return f.write(content) == content.size();
}

OidcProviderConfig fileConfig(const QString &path)
{
    OidcProviderConfig c;
    c.issuer = QStringLiteral("https://idp.test");
    c.audience = QStringLiteral("gatehouse");
    c.jwksFile = path;
    return c;
}

OidcProviderConfig urlConfig(const QString &url)
{
    OidcProviderConfig c;
    c.issuer = QStringLiteral("https://idp.test");
    c.audience = QStringLiteral("gatehouse");
    c.jwksUrl = url;
    return c;
}

} // namespace

class tst_OidcProvider : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void readsJwksFileAtStart();
    void refusesBadConfig_data();
    void refusesBadConfig();
    void fileErrorsAreReported_data();
    void fileErrorsAreReported();
    void fileIsRereadOnlyWhenChanged();
    void brokenRewriteKeepsOldKeys();
    void policyComesFromConfig();
    void fetchesJwksUrl();
    void unknownKidRefetchesAtMostEvery30s();
    void urlFailuresAreReported_data();
    void urlFailuresAreReported();

private:
    TestKey m_a;
    TestKey m_b;
};

void tst_OidcProvider::initTestCase()
{
    m_a = makeEd25519Key(QStringLiteral("a"));
    m_b = makeEcKey(QStringLiteral("b"), QStringLiteral("P-256"));
}

void tst_OidcProvider::readsJwksFileAtStart()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("jwks.json"));
    QVERIFY(writeFile(path, jwksJson({m_a.jwk, m_b.jwk})));
    OidcProvider provider(fileConfig(path));
    const Status st = provider.start();
    QVERIFY2(st.ok(), qPrintable(st.ok() ? QString() : st.error().toString()));
    QCOMPARE(provider.keys().size(), 2);
    QVERIFY(provider.keys().containsKid(QStringLiteral("b")));
}

void tst_OidcProvider::refusesBadConfig_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("url");
    QTest::addColumn<QString>("mentions");
    QTest::newRow("neither source") << QString() << QString() << QStringLiteral("exactly one");
    QTest::newRow("both sources") << QStringLiteral("/nonexistent") << QStringLiteral("https://idp.test/jwks")
                                  << QStringLiteral("exactly one");
    QTest::newRow("plain http to a remote host") << QString() << QStringLiteral("http://idp.test/jwks")
                                                 << QStringLiteral("https");
    QTest::newRow("not http") << QString() << QStringLiteral("ftp://idp.test/jwks") << QStringLiteral("jwks_url");
    QTest::newRow("not a URL") << QString() << QStringLiteral("::::") << QStringLiteral("jwks_url");
}

void tst_OidcProvider::refusesBadConfig()
{
    QFETCH(QString, file);
    QFETCH(QString, url);
    QFETCH(QString, mentions);
    OidcProviderConfig c = urlConfig(url);
    c.jwksFile = file;
    OidcProvider provider(c);
    const Status st = provider.start();
    QVERIFY(!st.ok());
    QVERIFY2(st.error().toString().contains(mentions), qPrintable(st.error().toString()));
}

void tst_OidcProvider::fileErrorsAreReported_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<bool>("create");
    QTest::newRow("missing file") << QByteArray() << false;
    QTest::newRow("not JSON") << QByteArray("keys: []") << true;
    QTest::newRow("malformed key") << QByteArray("{\"keys\":[{\"kty\":\"EC\",\"kid\":\"x\",\"crv\":\"P-256\"}]}") << true;
}

void tst_OidcProvider::fileErrorsAreReported()
{
    QFETCH(QByteArray, content);
    QFETCH(bool, create);
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("jwks.json"));
    if (create)
        QVERIFY(writeFile(path, content));
    OidcProvider provider(fileConfig(path));
    const Status st = provider.start();
    QVERIFY(!st.ok());
    QCOMPARE(st.error().file, path);
}

void tst_OidcProvider::fileIsRereadOnlyWhenChanged()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("jwks.json"));
    QVERIFY(writeFile(path, jwksJson({m_a.jwk})));
    OidcProvider provider(fileConfig(path));
    QVERIFY(provider.start().ok());
    QSignalSpy spy(&provider, &OidcProvider::refreshFinished);

    provider.refreshForUnknownKey();
    QCOMPARE(spy.count(), 1);                       // answered at once
    QCOMPARE(spy.at(0).at(0).toBool(), false);      // nothing changed

    QVERIFY(writeFile(path, jwksJson({m_a.jwk, m_b.jwk})));
    provider.refreshForUnknownKey();
    QCOMPARE(spy.count(), 2);
    QCOMPARE(spy.at(1).at(0).toBool(), true);
    QVERIFY(provider.keys().containsKid(QStringLiteral("b")));
}

void tst_OidcProvider::brokenRewriteKeepsOldKeys()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("jwks.json"));
    QVERIFY(writeFile(path, jwksJson({m_a.jwk})));
    OidcProvider provider(fileConfig(path));
    QVERIFY(provider.start().ok());
    QVERIFY(writeFile(path, QByteArray("{\"keys\": [ truncated")));
    QSignalSpy spy(&provider, &OidcProvider::refreshFinished);
    provider.refreshForUnknownKey();
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).toBool(), false);
    QVERIFY(provider.keys().containsKid(QStringLiteral("a")));
    QVERIFY(provider.lastError().contains(path));
}

void tst_OidcProvider::policyComesFromConfig()
{
    OidcProviderConfig c = fileConfig(QStringLiteral("/nonexistent"));
    c.groupsClaim = QStringLiteral("roles");
    const OidcProvider provider(c);
    QCOMPARE(provider.policy().issuer, QStringLiteral("https://idp.test"));
    QCOMPARE(provider.policy().audience, QStringLiteral("gatehouse"));
    QCOMPARE(provider.policy().groupsClaim, QStringLiteral("roles"));
}

void tst_OidcProvider::fetchesJwksUrl()
{
    JwksServer server;
    QVERIFY(server.listen());
    server.setBody(jwksJson({m_a.jwk}));
    OidcProvider provider(urlConfig(server.url()));
    QSignalSpy spy(&provider, &OidcProvider::refreshFinished);
    QVERIFY(provider.start().ok());
    QVERIFY(provider.keys().isEmpty());   // the fetch is asynchronous
    QVERIFY(spy.wait(5000));
    QCOMPARE(spy.at(0).at(0).toBool(), true);
    QVERIFY(provider.keys().containsKid(QStringLiteral("a")));
    QCOMPARE(server.requests(), 1);
}

void tst_OidcProvider::unknownKidRefetchesAtMostEvery30s()
{
    JwksServer server;
    QVERIFY(server.listen());
    server.setBody(jwksJson({m_a.jwk}));
    FakeClock clock;
    OidcProvider provider(urlConfig(server.url()), clock);
    QSignalSpy spy(&provider, &OidcProvider::refreshFinished);
    QVERIFY(provider.start().ok());
    QVERIFY(spy.wait(5000));

    // The IdP rotates; a token with the new kid arrives 5 s after the first fetch: too soon.
    server.setBody(jwksJson({m_a.jwk, m_b.jwk}));
    clock.advance(5s);
    provider.refreshForUnknownKey();
    QCOMPARE(spy.count(), 2);                  // answered at once, without fetching
    QCOMPARE(spy.at(1).at(0).toBool(), false);
    QCOMPARE(server.requests(), 1);
    QVERIFY(!provider.keys().containsKid(QStringLiteral("b")));

    clock.advance(26s);
    provider.refreshForUnknownKey();
    provider.refreshForUnknownKey();           // joins the fetch in flight
    QVERIFY(spy.wait(5000));
    QCOMPARE(spy.count(), 3);
    QCOMPARE(server.requests(), 2);
    QVERIFY(provider.keys().containsKid(QStringLiteral("b")));
}

void tst_OidcProvider::urlFailuresAreReported_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("mentions");
    QTest::newRow("HTTP 500") << QByteArray("oops") << 500 << QStringLiteral("500");
    QTest::newRow("not a JWKS") << QByteArray("<html>") << 200 << QStringLiteral("invalid");
    QTest::newRow("over 1 MiB") << QByteArray(2 * 1024 * 1024, ' ') << 200 << QStringLiteral("1 MiB");
}

void tst_OidcProvider::urlFailuresAreReported()
{
    QFETCH(QByteArray, body);
    QFETCH(int, status);
    QFETCH(QString, mentions);
    JwksServer server;
    QVERIFY(server.listen());
    server.setBody(body, status);
    OidcProvider provider(urlConfig(server.url()));
    QSignalSpy spy(&provider, &OidcProvider::refreshFinished);
    QVERIFY(provider.start().ok());
    QVERIFY(spy.wait(5000));
    QCOMPARE(spy.at(0).at(0).toBool(), false);
    QVERIFY(provider.keys().isEmpty());
    QVERIFY2(provider.lastError().contains(mentions), qPrintable(provider.lastError()));
}

QTEST_GUILESS_MAIN(tst_OidcProvider)
#include "tst_oidcprovider.moc"
