#include "identity/JwtVerifier.h"

#include "core/Clock.h"

#include "RfcVectors.h"
#include "TestJwt.h"

#include <QTest>

#include <openssl/x509.h>

using namespace gh;
using namespace gh::test;

Q_DECLARE_METATYPE(gh::JwtError)

namespace {

const QString kIssuer = QStringLiteral("https://idp.test");
const QString kAudience = QStringLiteral("gatehouse");

QJsonObject with(QJsonObject o, const char *key, const QJsonValue &value)
{
    if (value.isUndefined())
        o.remove(QLatin1String(key));
    else
        o.insert(QLatin1String(key), value);
    return o;
}

QByteArray spkiDer(EVP_PKEY *key)
{
    unsigned char *der = nullptr;
    const int len = i2d_PUBKEY(key, &der);
    QByteArray out(reinterpret_cast<const char *>(der), len);
    OPENSSL_free(der);
    return out;
}

QByteArray withPart(const QByteArray &token, int index, const QByteArray &part)
{
    QList<QByteArray> parts = token.split('.');
    parts[index] = part;
    return parts.join('.');
}

} // namespace

class tst_JwtVerifier : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void publishedVectorsVerify_data();
    void publishedVectorsVerify();
    void publishedVectorsFailWhenAltered();
    void publishedVectorsDoNotPassTheClaimPolicy();
    void acceptsEachAlgorithm_data();
    void acceptsEachAlgorithm();
    void refuses_data();
    void refuses();
    void acceptsWithinLeeway_data();
    void acceptsWithinLeeway();
    void audienceMayBeAnArray();
    void groupsClaimShapes_data();
    void groupsClaimShapes();
    void keySelectionWithoutKid();
    void hugeTokenIsRefusedBeforeDecoding();
    void reasonNeverEchoesTheToken();

private:
    QJsonObject claims(qint64 expOffset = 600) const;
    QByteArray jwks(const QList<QJsonObject> &keys) const { return jwksJson(keys); }

    FakeClock m_clock;
    qint64 m_now = 0;
    TestKey m_rsa;
    TestKey m_ec256;
    TestKey m_ec384;
    TestKey m_ed;
    QByteArray m_allKeys;
};

void tst_JwtVerifier::initTestCase()
{
    m_now = m_clock.now().toSecsSinceEpoch();
    m_rsa = makeRsaKey(QStringLiteral("rsa1"));
    m_ec256 = makeEcKey(QStringLiteral("ec256"), QStringLiteral("P-256"));
    m_ec384 = makeEcKey(QStringLiteral("ec384"), QStringLiteral("P-384"));
    m_ed = makeEd25519Key(QStringLiteral("ed1"));
    m_allKeys = jwks({m_rsa.jwk, m_ec256.jwk, m_ec384.jwk, m_ed.jwk});
}

QJsonObject tst_JwtVerifier::claims(qint64 expOffset) const
{
    return {{QStringLiteral("iss"), kIssuer},
            {QStringLiteral("aud"), kAudience},
            {QStringLiteral("sub"), QStringLiteral("alice")},
            {QStringLiteral("groups"), QJsonArray{QStringLiteral("ml-eng"), QStringLiteral("ci-bots")}},
            {QStringLiteral("iat"), m_now - 10},
            {QStringLiteral("exp"), m_now + expOffset},
            {QStringLiteral("jti"), QStringLiteral("id-1")}};
}

void tst_JwtVerifier::publishedVectorsVerify_data()
{
    QTest::addColumn<QByteArray>("token");
    QTest::addColumn<QJsonObject>("jwk");
    QTest::newRow("RFC 7515 A.2 RS256")
        << QByteArray(rfc::kA2Token)
        << QJsonObject{{QStringLiteral("kty"), QStringLiteral("RSA")},
                       {QStringLiteral("n"), QLatin1String(rfc::kA2N)},
                       {QStringLiteral("e"), QLatin1String(rfc::kA2E)}};
    QTest::newRow("RFC 7515 A.3 ES256")
        << QByteArray(rfc::kA3Token)
        << QJsonObject{{QStringLiteral("kty"), QStringLiteral("EC")},
                       {QStringLiteral("crv"), QStringLiteral("P-256")},
                       {QStringLiteral("x"), QLatin1String(rfc::kA3X)},
                       {QStringLiteral("y"), QLatin1String(rfc::kA3Y)}};
    QTest::newRow("RFC 8037 A.4 EdDSA")
        << QByteArray(rfc::kEdToken)
        << QJsonObject{{QStringLiteral("kty"), QStringLiteral("OKP")},
                       {QStringLiteral("crv"), QStringLiteral("Ed25519")},
                       {QStringLiteral("x"), QLatin1String(rfc::kEdX)}};
}

void tst_JwtVerifier::publishedVectorsVerify()
{
    QFETCH(QByteArray, token);
    QFETCH(QJsonObject, jwk);
    const auto keys = JwkSet::fromJson(jwks({jwk}));
    QVERIFY(keys.ok());
    const auto verified = JwtVerifier::verifySignatureOnly(token, *keys);
    QVERIFY2(verified.ok(), qPrintable(verified.ok() ? QString() : verified.failure().reason));
}

void tst_JwtVerifier::publishedVectorsFailWhenAltered()
{
    // The same vectors with one signature byte changed must not verify: proves the check is real.
    const auto keys = JwkSet::fromJson(jwks({QJsonObject{{QStringLiteral("kty"), QStringLiteral("OKP")},
                                                         {QStringLiteral("crv"), QStringLiteral("Ed25519")},
                                                         {QStringLiteral("x"), QLatin1String(rfc::kEdX)}}}));
    QVERIFY(keys.ok());
    QByteArray token(rfc::kEdToken);
    token[token.size() - 5] = token.at(token.size() - 5) == 'A' ? 'B' : 'A';
    const auto verified = JwtVerifier::verifySignatureOnly(token, *keys);
    QVERIFY(!verified.ok());
    QCOMPARE(verified.code(), JwtError::BadSignature);
}

void tst_JwtVerifier::publishedVectorsDoNotPassTheClaimPolicy()
{
    // A.2's claims have no aud or sub and expired in 2011: the real verifier refuses them.
    const auto keys = JwkSet::fromJson(jwks({QJsonObject{{QStringLiteral("kty"), QStringLiteral("RSA")},
                                                         {QStringLiteral("n"), QLatin1String(rfc::kA2N)},
                                                         {QStringLiteral("e"), QLatin1String(rfc::kA2E)}}}));
    QVERIFY(keys.ok());
    const JwtVerifier verifier(JwtPolicy{QStringLiteral("joe"), kAudience});
    const auto verified = verifier.verify(QByteArrayView(rfc::kA2Token), *keys, m_clock.now());
    QVERIFY(!verified.ok());
    QCOMPARE(verified.code(), JwtError::MissingClaim);
}

void tst_JwtVerifier::acceptsEachAlgorithm_data()
{
    QTest::addColumn<QString>("alg");
    QTest::addColumn<QString>("which");
    for (const char *alg : {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
        QTest::newRow(alg) << QString::fromLatin1(alg) << QStringLiteral("rsa");
    QTest::newRow("ES256") << QStringLiteral("ES256") << QStringLiteral("ec256");
    QTest::newRow("ES384") << QStringLiteral("ES384") << QStringLiteral("ec384");
    QTest::newRow("EdDSA") << QStringLiteral("EdDSA") << QStringLiteral("ed");
}

void tst_JwtVerifier::acceptsEachAlgorithm()
{
    QFETCH(QString, alg);
    QFETCH(QString, which);
    const TestKey &key = which == QLatin1String("rsa") ? m_rsa
                         : which == QLatin1String("ec256") ? m_ec256
                         : which == QLatin1String("ec384") ? m_ec384
                                                           : m_ed;
    const auto keys = JwkSet::fromJson(m_allKeys);
    QVERIFY(keys.ok());
    const JwtVerifier verifier(JwtPolicy{kIssuer, kAudience});
    const auto verified = verifier.verify(signJwt(key, alg, claims()), *keys, m_clock.now());
    QVERIFY2(verified.ok(), qPrintable(verified.ok() ? QString() : verified.failure().reason));
    QCOMPARE(verified->subject, QStringLiteral("alice"));
    QCOMPARE(verified->issuer, kIssuer);
    QCOMPARE(verified->groups, (QStringList{QStringLiteral("ml-eng"), QStringLiteral("ci-bots")}));
    QCOMPARE(verified->tokenId, QStringLiteral("id-1"));
    QCOMPARE(verified->algorithm, alg);
    QCOMPARE(verified->keyId, key.jwk.value(QLatin1String("kid")).toString());
    QCOMPARE(verified->expiresAt, QDateTime::fromSecsSinceEpoch(m_now + 600, Qt::UTC));
}

void tst_JwtVerifier::refuses_data()
{
    QTest::addColumn<QByteArray>("token");
    QTest::addColumn<QByteArray>("jwks");
    QTest::addColumn<gh::JwtError>("code");

    const QJsonObject good = claims();
    const QByteArray valid = signJwt(m_rsa, QStringLiteral("RS256"), good);

    // Algorithms that must never verify.
    QTest::newRow("alg none, empty signature")
        << encodeParts(QJsonObject{{QStringLiteral("alg"), QStringLiteral("none")}}, good) + '.' << m_allKeys
        << JwtError::UnsupportedAlgorithm;
    QTest::newRow("alg none, some signature")
        << encodeParts(QJsonObject{{QStringLiteral("alg"), QStringLiteral("none")}}, good) + ".AAAA" << m_allKeys
        << JwtError::UnsupportedAlgorithm;
    const QJsonObject hsHeader{{QStringLiteral("alg"), QStringLiteral("HS256")}, {QStringLiteral("kid"), QStringLiteral("rsa1")}};
    QTest::newRow("HS256 keyed with the RSA public key (DER)")
        << signHs256(spkiDer(m_rsa.pkey.get()), hsHeader, good) << m_allKeys << JwtError::UnsupportedAlgorithm;
    QTest::newRow("HS256 keyed with the JWK n")
        << signHs256(m_rsa.jwk.value(QLatin1String("n")).toString().toLatin1(), hsHeader, good) << m_allKeys
        << JwtError::UnsupportedAlgorithm;
    QTest::newRow("unknown algorithm name")
        << signJwt(m_rsa, QStringLiteral("RS256"), good, QJsonObject{{QStringLiteral("alg"), QStringLiteral("rs256")}})
        << m_allKeys << JwtError::UnsupportedAlgorithm;

    // Keys.
    QTest::newRow("unknown kid")
        << signJwt(m_rsa, QStringLiteral("RS256"), good, QJsonObject{{QStringLiteral("kid"), QStringLiteral("nobody")}})
        << m_allKeys << JwtError::UnknownKey;
    QTest::newRow("RS256 token, JWKS key is EC")
        << valid << jwks({with(m_ec256.jwk, "kid", QStringLiteral("rsa1"))}) << JwtError::KeyMismatch;
    QTest::newRow("RS256 token without kid, JWKS holds only EC")
        << signJwt(TestKey{m_rsa.pkey, {}}, QStringLiteral("RS256"), good) << jwks({m_ec256.jwk}) << JwtError::KeyMismatch;
    QTest::newRow("ES384 token, key is P-256")
        << signJwt(m_ec384, QStringLiteral("ES384"), good) << jwks({with(m_ec256.jwk, "kid", QStringLiteral("ec384"))})
        << JwtError::KeyMismatch;
    QTest::newRow("EdDSA token, key is RSA")
        << signJwt(m_ed, QStringLiteral("EdDSA"), good) << jwks({with(m_rsa.jwk, "kid", QStringLiteral("ed1"))})
        << JwtError::KeyMismatch;
    QTest::newRow("RS256 token, JWK pinned to RS512")
        << valid << jwks({with(m_rsa.jwk, "alg", QStringLiteral("RS512"))}) << JwtError::KeyMismatch;
    QTest::newRow("PS256 token, JWK pinned to RS256")
        << signJwt(m_rsa, QStringLiteral("PS256"), good) << jwks({with(m_rsa.jwk, "alg", QStringLiteral("RS256"))})
        << JwtError::KeyMismatch;
    QTest::newRow("no keys at all") << signJwt(TestKey{m_rsa.pkey, {}}, QStringLiteral("RS256"), good) << jwks({})
                                    << JwtError::UnknownKey;

    // Signatures.
    QJsonObject tamperedClaims = good;
    tamperedClaims.insert(QStringLiteral("sub"), QStringLiteral("root"));
    QTest::newRow("tampered payload")
        << withPart(valid, 1, Base64Url::encode(QJsonDocument(tamperedClaims).toJson(QJsonDocument::Compact)))
        << m_allKeys << JwtError::BadSignature;
    QTest::newRow("signature from another key")
        << signJwt(TestKey{makeRsaKey(QString()).pkey, m_rsa.jwk}, QStringLiteral("RS256"), good)
        << m_allKeys << JwtError::BadSignature;
    const QByteArray rsaSig = Base64Url::decode(valid.split('.').at(2)).value();
    QTest::newRow("signature truncated") << withPart(valid, 2, Base64Url::encode(rsaSig.left(rsaSig.size() - 3)))
                                         << m_allKeys << JwtError::BadSignature;
    QTest::newRow("signature cut mid-character") << valid.left(valid.size() - 1) << m_allKeys << JwtError::Malformed;
    const QByteArray es = signJwt(m_ec256, QStringLiteral("ES256"), good);
    const QByteArray esSig = Base64Url::decode(es.split('.').at(2)).value();
    QTest::newRow("ES256 signature too long")
        << withPart(es, 2, Base64Url::encode(QByteArray(esSig + QByteArray(1, '\0')))) << m_allKeys << JwtError::BadSignature;
    QTest::newRow("ES256 signature too short")
        << withPart(es, 2, Base64Url::encode(esSig.left(63))) << m_allKeys << JwtError::BadSignature;

    // Structure.
    QTest::newRow("token cut in half") << valid.left(valid.indexOf('.') + 10) << m_allKeys << JwtError::Malformed;
    QTest::newRow("empty") << QByteArray() << m_allKeys << JwtError::Malformed;
    QTest::newRow("four parts") << valid + ".AAAA" << m_allKeys << JwtError::Malformed;
    QTest::newRow("JWE-shaped (five parts)") << QByteArray("eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d") << m_allKeys
                                             << JwtError::Malformed;
    QTest::newRow("standard base64 in signature") << valid.left(valid.size() - 2) + "+/" << m_allKeys
                                                  << JwtError::Malformed;
    QTest::newRow("header not an object")
        << withPart(valid, 0, Base64Url::encode("[\"RS256\"]")) << m_allKeys << JwtError::Malformed;
    QTest::newRow("header not JSON") << withPart(valid, 0, Base64Url::encode("alg=RS256")) << m_allKeys
                                     << JwtError::Malformed;
    QTest::newRow("crit header")
        << signJwt(m_rsa, QStringLiteral("RS256"), good,
                   QJsonObject{{QStringLiteral("crit"), QJsonArray{QStringLiteral("exp")}}})
        << m_allKeys << JwtError::Malformed;
    QTest::newRow("b64=false via crit")
        << signJwt(m_rsa, QStringLiteral("RS256"), good,
                   QJsonObject{{QStringLiteral("b64"), false}, {QStringLiteral("crit"), QJsonArray{QStringLiteral("b64")}}})
        << m_allKeys << JwtError::Malformed;
    {
        const QByteArray input = Base64Url::encode("{\"alg\":\"RS256\",\"kid\":\"rsa1\"}") + '.' + Base64Url::encode("[1,2]");
        QTest::newRow("payload not an object")
            << input + '.' + Base64Url::encode(signRaw(m_rsa.pkey.get(), QStringLiteral("RS256"), input)) << m_allKeys
            << JwtError::Malformed;
    }

    // Claims.
    QTest::newRow("expired beyond leeway") << signJwt(m_rsa, QStringLiteral("RS256"), claims(-61)) << m_allKeys
                                           << JwtError::Expired;
    QTest::newRow("expired long ago") << signJwt(m_rsa, QStringLiteral("RS256"), claims(-86400)) << m_allKeys
                                      << JwtError::Expired;
    QTest::newRow("not yet valid (nbf)")
        << signJwt(m_rsa, QStringLiteral("RS256"), with(good, "nbf", m_now + 120)) << m_allKeys << JwtError::NotYetValid;
    QTest::newRow("issued in the future (iat)")
        << signJwt(m_rsa, QStringLiteral("RS256"), with(good, "iat", m_now + 3600)) << m_allKeys
        << JwtError::NotYetValid;
    QTest::newRow("wrong issuer")
        << signJwt(m_rsa, QStringLiteral("RS256"), with(good, "iss", QStringLiteral("https://evil.test")))
        << m_allKeys << JwtError::WrongIssuer;
    QTest::newRow("issuer differing by a trailing slash")
        << signJwt(m_rsa, QStringLiteral("RS256"), with(good, "iss", QString(kIssuer + QLatin1Char('/')))) << m_allKeys
        << JwtError::WrongIssuer;
    QTest::newRow("wrong audience")
        << signJwt(m_rsa, QStringLiteral("RS256"), with(good, "aud", QStringLiteral("billing"))) << m_allKeys
        << JwtError::WrongAudience;
    QTest::newRow("audience array without us")
        << signJwt(m_rsa, QStringLiteral("RS256"),
                   with(good, "aud", QJsonArray{QStringLiteral("billing"), QStringLiteral("gatehouse-dev")}))
        << m_allKeys << JwtError::WrongAudience;
    QTest::newRow("no exp") << signJwt(m_rsa, QStringLiteral("RS256"), with(good, "exp", QJsonValue(QJsonValue::Undefined))) << m_allKeys
                            << JwtError::MissingClaim;
    QTest::newRow("no sub") << signJwt(m_rsa, QStringLiteral("RS256"), with(good, "sub", QJsonValue(QJsonValue::Undefined))) << m_allKeys
                            << JwtError::MissingClaim;
    QTest::newRow("empty sub") << signJwt(m_rsa, QStringLiteral("RS256"), with(good, "sub", QString())) << m_allKeys
                               << JwtError::MissingClaim;
    QTest::newRow("no aud") << signJwt(m_rsa, QStringLiteral("RS256"), with(good, "aud", QJsonValue(QJsonValue::Undefined))) << m_allKeys
                            << JwtError::MissingClaim;
    QTest::newRow("exp as string")
        << signJwt(m_rsa, QStringLiteral("RS256"), with(good, "exp", QString::number(m_now + 600))) << m_allKeys
        << JwtError::Malformed;
    QTest::newRow("exp absurdly large") << signJwt(m_rsa, QStringLiteral("RS256"), with(good, "exp", 1e300))
                                        << m_allKeys << JwtError::Malformed;
    QTest::newRow("groups not strings")
        << signJwt(m_rsa, QStringLiteral("RS256"), with(good, "groups", QJsonArray{1, 2})) << m_allKeys
        << JwtError::Malformed;
}

void tst_JwtVerifier::refuses()
{
    QFETCH(QByteArray, token);
    QFETCH(QByteArray, jwks);
    QFETCH(gh::JwtError, code);
    const auto keys = JwkSet::fromJson(jwks);
    QVERIFY2(keys.ok(), qPrintable(keys.ok() ? QString() : keys.error().toString()));
    const JwtVerifier verifier(JwtPolicy{kIssuer, kAudience});
    const auto verified = verifier.verify(token, *keys, m_clock.now());
    QVERIFY(!verified.ok());
    QVERIFY2(verified.code() == code, qPrintable(jwtErrorName(verified.code()) + QStringLiteral(": ")
                                                 + verified.failure().reason));
    QVERIFY(!verified.failure().reason.isEmpty());
}

void tst_JwtVerifier::acceptsWithinLeeway_data()
{
    QTest::addColumn<QString>("claim");
    QTest::addColumn<qint64>("offset");
    QTest::newRow("expired 30 s ago") << QStringLiteral("exp") << qint64(-30);
    QTest::newRow("expired 59 s ago") << QStringLiteral("exp") << qint64(-59);
    QTest::newRow("nbf 30 s ahead") << QStringLiteral("nbf") << qint64(30);
    QTest::newRow("iat 60 s ahead") << QStringLiteral("iat") << qint64(60);
}

void tst_JwtVerifier::acceptsWithinLeeway()
{
    QFETCH(QString, claim);
    QFETCH(qint64, offset);
    QJsonObject c = claims();
    c.insert(claim, m_now + offset);
    const auto keys = JwkSet::fromJson(m_allKeys);
    const JwtVerifier verifier(JwtPolicy{kIssuer, kAudience});
    const auto verified = verifier.verify(signJwt(m_ed, QStringLiteral("EdDSA"), c), *keys, m_clock.now());
    QVERIFY2(verified.ok(), qPrintable(verified.ok() ? QString() : verified.failure().reason));

    // A zero leeway refuses the same token.
    JwtPolicy strict{kIssuer, kAudience};
    strict.leeway = std::chrono::seconds(0);
    const auto refused = JwtVerifier(strict).verify(signJwt(m_ed, QStringLiteral("EdDSA"), c), *keys, m_clock.now());
    QVERIFY(!refused.ok());
    QCOMPARE(refused.code(), claim == QLatin1String("exp") ? JwtError::Expired : JwtError::NotYetValid);
}

void tst_JwtVerifier::audienceMayBeAnArray()
{
    const auto keys = JwkSet::fromJson(m_allKeys);
    const JwtVerifier verifier(JwtPolicy{kIssuer, kAudience});
    const QJsonObject c = with(claims(), "aud", QJsonArray{QStringLiteral("billing"), kAudience});
    const auto verified = verifier.verify(signJwt(m_ec256, QStringLiteral("ES256"), c), *keys, m_clock.now());
    QVERIFY(verified.ok());
    QCOMPARE(verified->audience, (QStringList{QStringLiteral("billing"), kAudience}));
}

void tst_JwtVerifier::groupsClaimShapes_data()
{
    QTest::addColumn<QString>("groupsClaim");
    QTest::addColumn<QJsonValue>("value");
    QTest::addColumn<QStringList>("groups");
    QTest::newRow("array") << QStringLiteral("groups") << QJsonValue(QJsonArray{QStringLiteral("a"), QStringLiteral("b")})
                           << QStringList{QStringLiteral("a"), QStringLiteral("b")};
    QTest::newRow("single string") << QStringLiteral("groups") << QJsonValue(QStringLiteral("a"))
                                   << QStringList{QStringLiteral("a")};
    QTest::newRow("missing") << QStringLiteral("groups") << QJsonValue(QJsonValue::Undefined) << QStringList();
    QTest::newRow("configured claim name") << QStringLiteral("roles")
                                           << QJsonValue(QJsonArray{QStringLiteral("admin")})
                                           << QStringList{QStringLiteral("admin")};
}

void tst_JwtVerifier::groupsClaimShapes()
{
    QFETCH(QString, groupsClaim);
    QFETCH(QJsonValue, value);
    QFETCH(QStringList, groups);
    QJsonObject c = claims();
    c.remove(QStringLiteral("groups"));
    if (!value.isUndefined())
        c.insert(groupsClaim, value);
    JwtPolicy policy{kIssuer, kAudience};
    policy.groupsClaim = groupsClaim;
    const auto keys = JwkSet::fromJson(m_allKeys);
    const auto verified = JwtVerifier(policy).verify(signJwt(m_ed, QStringLiteral("EdDSA"), c), *keys, m_clock.now());
    QVERIFY(verified.ok());
    QCOMPARE(verified->groups, groups);
}

void tst_JwtVerifier::keySelectionWithoutKid()
{
    const JwtVerifier verifier(JwtPolicy{kIssuer, kAudience});
    const QByteArray noKid = signJwt(TestKey{m_ed.pkey, {}}, QStringLiteral("EdDSA"), claims());
    // Exactly one key fits EdDSA among RSA and EC keys: it is used.
    const auto one = JwkSet::fromJson(m_allKeys);
    QVERIFY(verifier.verify(noKid, *one, m_clock.now()).ok());
    // Two Ed25519 keys: the token does not say which, so it is refused rather than guessed.
    const TestKey other = makeEd25519Key(QStringLiteral("ed2"));
    const auto two = JwkSet::fromJson(jwks({m_ed.jwk, other.jwk}));
    const auto refused = verifier.verify(noKid, *two, m_clock.now());
    QVERIFY(!refused.ok());
    QCOMPARE(refused.code(), JwtError::UnknownKey);
}

void tst_JwtVerifier::hugeTokenIsRefusedBeforeDecoding()
{
    const QByteArray valid = signJwt(m_rsa, QStringLiteral("RS256"), claims());
    QByteArray huge = valid;
    huge.insert(valid.indexOf('.') + 1, QByteArray(1024 * 1024, 'A'));
    const auto keys = JwkSet::fromJson(m_allKeys);
    const JwtVerifier verifier(JwtPolicy{kIssuer, kAudience});
    const auto verified = verifier.verify(huge, *keys, m_clock.now());
    QVERIFY(!verified.ok());
    QCOMPARE(verified.code(), JwtError::TooLarge);
    // Just over the limit is refused too; the limit itself is not.
    QCOMPARE(JwtVerifier::decode(QByteArray(JwtVerifier::kMaxTokenSize + 1, 'A')).code(), JwtError::TooLarge);
    QCOMPARE(JwtVerifier::decode(QByteArray(JwtVerifier::kMaxTokenSize, 'A')).code(), JwtError::Malformed);
}

void tst_JwtVerifier::reasonNeverEchoesTheToken()
{
    const QByteArray token = signJwt(m_rsa, QStringLiteral("RS256"), claims(-3600));
    const auto keys = JwkSet::fromJson(m_allKeys);
    const auto verified = JwtVerifier(JwtPolicy{kIssuer, kAudience}).verify(token, *keys, m_clock.now());
    QVERIFY(!verified.ok());
    QCOMPARE(verified.code(), JwtError::Expired);
    const QString reason = verified.failure().reason;
    QVERIFY(reason.contains(QStringLiteral("expired")));
    for (const QByteArray &part : token.split('.'))
        QVERIFY(!reason.contains(QString::fromLatin1(part.left(16))));
}

QTEST_GUILESS_MAIN(tst_JwtVerifier)
#include "tst_jwtverifier.moc"
