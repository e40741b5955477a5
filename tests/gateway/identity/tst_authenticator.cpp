#include "identity/Authenticator.h"

#include "identity/OidcProvider.h"
#include "identity/TokenIssuer.h"

#include "JwksServer.h"
#include "TestJwt.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

using namespace gh;
using namespace gh::test;
using namespace std::chrono_literals;

namespace {

const QString kIdp = QStringLiteral("https://idp.test");
const QByteArray kAdminToken("adm_4f1c2e9a7b3d5f60a8c1e2d3b4a59687");

bool writeFile(const QString &path, const QByteArray &content)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(content) == content.size();
}

// Collects one asynchronous answer.
struct Answer {
    std::optional<Result<Principal>> result;
    std::function<void(Result<Principal>)> callback()
    {
        return [this](Result<Principal> r) { result.emplace(std::move(r)); };
    }
};

} // namespace

class tst_Authenticator : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void init();
    void adminToken_data();
    void adminToken();
    void noAdminTokenConfiguredAcceptsNone();
    void gatewayTokenBecomesPrincipal();
    void tokenFromAnotherDataDirIsRefused();
    void oidcTokenBecomesPrincipal();
    void untrustedIssuerIsRefused();
    void refusalsNameTheReasonButNotTheToken_data();
    void refusalsNameTheReasonButNotTheToken();
    void revokedTokenIsRefusedEvenWhenCached();
    void revocationListFromStoreApplies();
    void cacheDoesNotOutliveTheToken();
    void cacheIsBounded();
    void unknownKidRereadsFileAndRetries();
    void authenticateNowNeverWaits();
    void unknownKidWaitsForUrlRefresh();
    void secondUnknownKidWithin30sFailsAtOnce();
    void destroyedContextDropsTheCallback();
    void concurrentCallersSeeRevocation();

private:
    QJsonObject oidcClaims(qint64 expOffset = 600) const;
    std::unique_ptr<Authenticator> makeAuthenticator(const QByteArray &admin = kAdminToken);

    QTemporaryDir m_dirA;
    QTemporaryDir m_dirB;
    std::unique_ptr<TokenIssuer> m_issuer;
    std::unique_ptr<TokenIssuer> m_otherIssuer;
    TestKey m_rsa;
    TestKey m_rotated;
    QString m_jwksPath;
    std::unique_ptr<OidcProvider> m_provider;
    FakeClock m_clock;
};

void tst_Authenticator::initTestCase()
{
    auto a = TokenIssuer::loadOrCreate(m_dirA.path());
    auto b = TokenIssuer::loadOrCreate(m_dirB.path());
    QVERIFY(a.ok() && b.ok());
    m_issuer = std::move(a).value();
    m_otherIssuer = std::move(b).value();
    m_rsa = makeRsaKey(QStringLiteral("rsa1"));
    m_rotated = makeEcKey(QStringLiteral("ec-next"), QStringLiteral("P-256"));
}

void tst_Authenticator::init()
{
    m_clock = FakeClock();
    m_jwksPath = m_dirA.filePath(QStringLiteral("idp-jwks.json"));
    QVERIFY(writeFile(m_jwksPath, jwksJson({m_rsa.jwk})));
    OidcProviderConfig config;
    config.issuer = kIdp;
    config.audience = QStringLiteral("gatehouse");
    config.jwksFile = m_jwksPath;
    config.groupsClaim = QStringLiteral("roles");
    m_provider = std::make_unique<OidcProvider>(config, m_clock);
    QVERIFY(m_provider->start().ok());
}

QJsonObject tst_Authenticator::oidcClaims(qint64 expOffset) const
{
    const qint64 now = m_clock.now().toSecsSinceEpoch();
    return {{QStringLiteral("iss"), kIdp},
            {QStringLiteral("aud"), QStringLiteral("gatehouse")},
            {QStringLiteral("sub"), QStringLiteral("carol@example.com")},
            {QStringLiteral("roles"), QJsonArray{QStringLiteral("security")}},
            {QStringLiteral("exp"), now + expOffset},
            {QStringLiteral("jti"), QStringLiteral("oidc-1")}};
}

std::unique_ptr<Authenticator> tst_Authenticator::makeAuthenticator(const QByteArray &admin)
{
    return std::make_unique<Authenticator>(admin, m_issuer.get(), QList<OidcProvider *>{m_provider.get()}, m_clock);
}

void tst_Authenticator::adminToken_data()
{
    QTest::addColumn<QByteArray>("bearer");
    QTest::addColumn<bool>("accepted");
    QTest::newRow("exact") << kAdminToken << true;
    QTest::newRow("one char off") << QByteArray(kAdminToken).replace(5, 1, "0") << false;
    QTest::newRow("prefix") << kAdminToken.left(kAdminToken.size() - 1) << false;
    QTest::newRow("longer") << kAdminToken + "x" << false;
    QTest::newRow("empty") << QByteArray() << false;
}

void tst_Authenticator::adminToken()
{
    QFETCH(QByteArray, bearer);
    QFETCH(bool, accepted);
    const auto auth = makeAuthenticator();
    const auto result = auth->authenticateNow(bearer);
    QCOMPARE(result.ok(), accepted);
    if (accepted) {
        QVERIFY(result->isAdminToken());
        QCOMPARE(result->subject, QStringLiteral("admin"));
        QVERIFY(!result->expiresAt.isValid());
    }
}

void tst_Authenticator::noAdminTokenConfiguredAcceptsNone()
{
    const auto auth = makeAuthenticator(QByteArray());
    const auto result = auth->authenticateNow(QByteArray());
    QVERIFY(!result.ok());
    QVERIFY(!auth->authenticateNow(kAdminToken).ok());
}

void tst_Authenticator::gatewayTokenBecomesPrincipal()
{
    const auto auth = makeAuthenticator();
    const auto issued = m_issuer->issue(QStringLiteral("ci-runner"), {QStringLiteral("ci-bots")}, 15min, 1h, m_clock.now());
    QVERIFY(issued.ok());
    const auto result = auth->authenticateNow(issued->token);
    QVERIFY2(result.ok(), qPrintable(result.ok() ? QString() : result.error().message));
    QCOMPARE(result->kind, Principal::Kind::Gateway);
    QCOMPARE(result->subject, QStringLiteral("ci-runner"));
    QCOMPARE(result->groups, QStringList{QStringLiteral("ci-bots")});
    QCOMPARE(result->issuer, m_issuer->issuer());
    QCOMPARE(result->tokenId, issued->jti);
    QCOMPARE(result->expiresAt, issued->expiresAt);
}

void tst_Authenticator::tokenFromAnotherDataDirIsRefused()
{
    const auto auth = makeAuthenticator();
    const auto foreign = m_otherIssuer->issue(QStringLiteral("ci-runner"), {}, 15min, 1h, m_clock.now());
    QVERIFY(foreign.ok());
    const auto result = auth->authenticateNow(foreign->token);
    QVERIFY(!result.ok());
    QVERIFY2(result.error().message.contains(QStringLiteral("not trusted")), qPrintable(result.error().message));

    // Even when a forger copies our issuer name into a token signed by the other key.
    QJsonObject claims = QJsonDocument::fromJson(Base64Url::decode(foreign->token.split('.').at(1)).value()).object();
    claims.insert(QStringLiteral("iss"), m_issuer->issuer());
    const QList<QByteArray> parts = foreign->token.split('.');
    const QByteArray input = parts.at(0) + '.' + Base64Url::encode(QJsonDocument(claims).toJson(QJsonDocument::Compact));
    const QByteArray forged = input + '.' + Base64Url::encode(m_otherIssuer->sign(input));
    const auto forgedResult = auth->authenticateNow(forged);
    QVERIFY(!forgedResult.ok());
}

void tst_Authenticator::oidcTokenBecomesPrincipal()
{
    const auto auth = makeAuthenticator();
    const auto result = auth->authenticateNow(signJwt(m_rsa, QStringLiteral("RS256"), oidcClaims()));
    QVERIFY2(result.ok(), qPrintable(result.ok() ? QString() : result.error().message));
    QCOMPARE(result->kind, Principal::Kind::Oidc);
    QCOMPARE(result->subject, QStringLiteral("carol@example.com"));
    QCOMPARE(result->groups, QStringList{QStringLiteral("security")});   // from the configured claim
    QCOMPARE(result->issuer, kIdp);
    QCOMPARE(result->tokenId, QStringLiteral("oidc-1"));
}

void tst_Authenticator::untrustedIssuerIsRefused()
{
    const auto auth = makeAuthenticator();
    QJsonObject claims = oidcClaims();
    claims.insert(QStringLiteral("iss"), QStringLiteral("https://evil.test"));
    const auto result = auth->authenticateNow(signJwt(m_rsa, QStringLiteral("RS256"), claims));
    QVERIFY(!result.ok());
    QVERIFY(result.error().message.contains(QStringLiteral("not trusted")));
}

void tst_Authenticator::refusalsNameTheReasonButNotTheToken_data()
{
    QTest::addColumn<QByteArray>("bearer");
    QTest::addColumn<QString>("reason");
    QTest::newRow("expired") << signJwt(m_rsa, QStringLiteral("RS256"), oidcClaims(-3600)) << QStringLiteral("expired");
    QJsonObject aud = oidcClaims();
    aud.insert(QStringLiteral("aud"), QStringLiteral("billing"));
    QTest::newRow("wrong audience") << signJwt(m_rsa, QStringLiteral("RS256"), aud) << QStringLiteral("audience");
    QTest::newRow("garbage") << QByteArray("not-a-jwt-at-all") << QStringLiteral("compact JWS");
    QTest::newRow("1 MiB") << QByteArray(1024 * 1024, 'a') << QStringLiteral("too large");
    QTest::newRow("alg none")
        << encodeParts(QJsonObject{{QStringLiteral("alg"), QStringLiteral("none")}}, oidcClaims()) + '.'
        << QStringLiteral("algorithm");
}

void tst_Authenticator::refusalsNameTheReasonButNotTheToken()
{
    QFETCH(QByteArray, bearer);
    QFETCH(QString, reason);
    const auto auth = makeAuthenticator();
    const auto result = auth->authenticateNow(bearer);
    QVERIFY(!result.ok());
    QVERIFY2(result.error().message.contains(reason), qPrintable(result.error().message));
    QVERIFY(!result.error().message.contains(QString::fromLatin1(bearer.left(12))));
}

void tst_Authenticator::revokedTokenIsRefusedEvenWhenCached()
{
    const auto auth = makeAuthenticator();
    const auto issued = m_issuer->issue(QStringLiteral("alice"), {}, 15min, 1h, m_clock.now());
    QVERIFY(auth->authenticateNow(issued->token).ok());
    QCOMPARE(auth->cachedCount(), 1);
    QVERIFY(auth->authenticateNow(issued->token).ok());   // a cache hit

    // What lets a connection skip isRevoked() for the token it proved: it moves with each one.
    const quint64 before = auth->revocations();
    auth->revoke(issued->jti, issued->expiresAt);
    QVERIFY(auth->revocations() > before);
    const auto result = auth->authenticateNow(issued->token);
    QVERIFY(!result.ok());
    QVERIFY(result.error().message.contains(QStringLiteral("revoked")));
    // Other tokens of the same subject are unaffected.
    const auto other = m_issuer->issue(QStringLiteral("alice"), {}, 15min, 1h, m_clock.now());
    QVERIFY(auth->authenticateNow(other->token).ok());
}

void tst_Authenticator::revocationListFromStoreApplies()
{
    const auto auth = makeAuthenticator();
    const auto issued = m_issuer->issue(QStringLiteral("alice"), {}, 15min, 1h, m_clock.now());
    const quint64 before = auth->revocations();
    auth->setRevoked({{issued->jti, issued->expiresAt}, {QStringLiteral("oidc-1"), QDateTime()}});
    QVERIFY(auth->revocations() > before);
    QVERIFY(!auth->authenticateNow(issued->token).ok());
    QVERIFY(!auth->authenticateNow(signJwt(m_rsa, QStringLiteral("RS256"), oidcClaims())).ok());
    QVERIFY(auth->isRevoked(issued->jti));
}

void tst_Authenticator::cacheDoesNotOutliveTheToken()
{
    const auto auth = makeAuthenticator();
    const auto issued = m_issuer->issue(QStringLiteral("alice"), {}, 5min, 1h, m_clock.now());
    QVERIFY(auth->authenticateNow(issued->token).ok());
    m_clock.advance(5min + 30s);   // past exp, within leeway: still accepted, by re-verification
    QVERIFY(auth->authenticateNow(issued->token).ok());
    m_clock.advance(1min);         // past exp + leeway
    const auto result = auth->authenticateNow(issued->token);
    QVERIFY(!result.ok());
    QVERIFY(result.error().message.contains(QStringLiteral("expired")));
}

void tst_Authenticator::cacheIsBounded()
{
    const auto auth = makeAuthenticator();
    const int total = int(Authenticator::kMaxCacheEntries) + 50;
    QByteArray first;
    for (int i = 0; i < total; ++i) {
        const auto issued = m_issuer->issue(QStringLiteral("u%1").arg(i), {}, 15min, 1h, m_clock.now());
        if (i == 0)
            first = issued->token;
        QVERIFY(auth->authenticateNow(issued->token).ok());
    }
    QCOMPARE(auth->cachedCount(), Authenticator::kMaxCacheEntries);
    // The evicted oldest token still authenticates: eviction only costs a signature check.
    const auto again = auth->authenticateNow(first);
    QVERIFY(again.ok());
    QCOMPARE(again->subject, QStringLiteral("u0"));
}

void tst_Authenticator::unknownKidRereadsFileAndRetries()
{
    const auto auth = makeAuthenticator();
    const QByteArray token = signJwt(m_rotated, QStringLiteral("ES256"), oidcClaims());
    QVERIFY(writeFile(m_jwksPath, jwksJson({m_rsa.jwk, m_rotated.jwk})));   // the IdP rotated
    QObject context;
    Answer answer;
    auth->authenticate(token, &context, answer.callback());
    // A file re-read decides at once, in this thread.
    QVERIFY(answer.result.has_value());
    QVERIFY2(answer.result->ok(), qPrintable(answer.result->ok() ? QString() : answer.result->error().message));
    QCOMPARE((*answer.result)->subject, QStringLiteral("carol@example.com"));
}

void tst_Authenticator::authenticateNowNeverWaits()
{
    const auto auth = makeAuthenticator();
    const QByteArray token = signJwt(m_rotated, QStringLiteral("ES256"), oidcClaims());
    QVERIFY(writeFile(m_jwksPath, jwksJson({m_rsa.jwk, m_rotated.jwk})));
    const auto now = auth->authenticateNow(token);
    QVERIFY(!now.ok());
    QVERIFY(now.error().message.contains(QStringLiteral("key")));
    // It asked for a refresh in the background, so the next caller succeeds.
    QSignalSpy spy(m_provider.get(), &OidcProvider::refreshFinished);
    QVERIFY(spy.wait(2000));
    QVERIFY(auth->authenticateNow(token).ok());
}

void tst_Authenticator::unknownKidWaitsForUrlRefresh()
{
    JwksServer server;
    QVERIFY(server.listen());
    server.setBody(jwksJson({m_rsa.jwk}));
    OidcProviderConfig config;
    config.issuer = kIdp;
    config.audience = QStringLiteral("gatehouse");
    config.jwksUrl = server.url();
    OidcProvider provider(config, m_clock);
    QSignalSpy spy(&provider, &OidcProvider::refreshFinished);
    QVERIFY(provider.start().ok());
    QVERIFY(spy.wait(5000));
    Authenticator auth(kAdminToken, m_issuer.get(), {&provider}, m_clock);

    server.setBody(jwksJson({m_rsa.jwk, m_rotated.jwk}));
    m_clock.advance(31s);
    QObject context;
    Answer answer;
    auth.authenticate(signJwt(m_rotated, QStringLiteral("ES256"), oidcClaims()), &context, answer.callback());
    QVERIFY(!answer.result.has_value());   // waiting for the fetch
    QTRY_VERIFY_WITH_TIMEOUT(answer.result.has_value(), 5000);
    QVERIFY2(answer.result->ok(), qPrintable(answer.result->ok() ? QString() : answer.result->error().message));
    QCOMPARE(server.requests(), 2);
}

void tst_Authenticator::secondUnknownKidWithin30sFailsAtOnce()
{
    JwksServer server;
    QVERIFY(server.listen());
    server.setBody(jwksJson({m_rsa.jwk}));
    OidcProviderConfig config;
    config.issuer = kIdp;
    config.audience = QStringLiteral("gatehouse");
    config.jwksUrl = server.url();
    OidcProvider provider(config, m_clock);
    QSignalSpy spy(&provider, &OidcProvider::refreshFinished);
    QVERIFY(provider.start().ok());
    QVERIFY(spy.wait(5000));
    Authenticator auth(kAdminToken, m_issuer.get(), {&provider}, m_clock);

    // A forged kid right after the start: no extra fetch, a prompt refusal.
    m_clock.advance(3s);
    QObject context;
    Answer answer;
    auth.authenticate(signJwt(m_rotated, QStringLiteral("ES256"), oidcClaims()), &context, answer.callback());
    QVERIFY(answer.result.has_value());
    QVERIFY(!answer.result->ok());
    QCOMPARE(server.requests(), 1);
}

void tst_Authenticator::destroyedContextDropsTheCallback()
{
    JwksServer server;
    QVERIFY(server.listen());
    server.setBody(jwksJson({m_rsa.jwk}));
    OidcProviderConfig config;
    config.issuer = kIdp;
    config.audience = QStringLiteral("gatehouse");
    config.jwksUrl = server.url();
    OidcProvider provider(config, m_clock);
    QSignalSpy spy(&provider, &OidcProvider::refreshFinished);
    QVERIFY(provider.start().ok());
    QVERIFY(spy.wait(5000));
    Authenticator auth(kAdminToken, m_issuer.get(), {&provider}, m_clock);

    m_clock.advance(31s);
    bool called = false;
    auto context = std::make_unique<QObject>();
    auth.authenticate(signJwt(m_rotated, QStringLiteral("ES256"), oidcClaims()), context.get(),
                      [&called](Result<Principal>) { called = true; });
    context.reset();   // the client went away
    QVERIFY(spy.wait(5000));
    QCoreApplication::processEvents();
    QVERIFY(!called);
    QCOMPARE(server.requests(), 2);
}

void tst_Authenticator::concurrentCallersSeeRevocation()
{
    const auto auth = makeAuthenticator();
    QList<TokenIssuer::Issued> tokens;
    for (int i = 0; i < 8; ++i)
        tokens.append(m_issuer->issue(QStringLiteral("u%1").arg(i), {}, 15min, 1h, m_clock.now()).value());
    std::atomic<int> failures{0};
    std::atomic<bool> revoked{false};
    std::atomic<int> refusedAfterRevoke{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 400; ++i) {
                const auto &issued = tokens.at((t + i) % tokens.size());
                const bool wasRevoked = revoked.load();
                const auto result = auth->authenticateNow(issued.token);
                if (issued.jti == tokens.at(0).jti && wasRevoked) {
                    if (!result.ok())
                        ++refusedAfterRevoke;
                    else
                        ++failures;   // revocation must be visible at once
                } else if (issued.jti != tokens.at(0).jti && !result.ok()) {
                    ++failures;
                }
            }
        });
    }
    QThread::msleep(5);
    auth->revoke(tokens.at(0).jti, tokens.at(0).expiresAt);
    revoked.store(true);
    for (auto &t : threads)
        t.join();
    QCOMPARE(failures.load(), 0);
    QVERIFY(!auth->authenticateNow(tokens.at(0).token).ok());
}

QTEST_GUILESS_MAIN(tst_Authenticator)
#include "tst_authenticator.moc"
