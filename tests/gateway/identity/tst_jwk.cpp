#include "identity/Jwk.h"
#include "identity/JwkSet.h"

#include "RfcVectors.h"
#include "TestJwt.h"

#include <QTest>

using namespace gh;
using namespace gh::test;

namespace {

QJsonObject rsaJwk(const char *kid, const char *n, const char *e)
{
    return {{QStringLiteral("kty"), QStringLiteral("RSA")},
            {QStringLiteral("kid"), QLatin1String(kid)},
            {QStringLiteral("n"), QLatin1String(n)},
            {QStringLiteral("e"), QLatin1String(e)}};
}

QJsonObject a3Jwk()
{
    return {{QStringLiteral("kty"), QStringLiteral("EC")},
            {QStringLiteral("kid"), QStringLiteral("a3")},
            {QStringLiteral("crv"), QStringLiteral("P-256")},
            {QStringLiteral("x"), QLatin1String(rfc::kA3X)},
            {QStringLiteral("y"), QLatin1String(rfc::kA3Y)}};
}

QJsonObject edJwk()
{
    return {{QStringLiteral("kty"), QStringLiteral("OKP")},
            {QStringLiteral("crv"), QStringLiteral("Ed25519")},
            {QStringLiteral("x"), QLatin1String(rfc::kEdX)}};
}

QJsonObject with(QJsonObject o, const char *key, const QJsonValue &value)
{
    if (value.isUndefined())
        o.remove(QLatin1String(key));
    else
        o.insert(QLatin1String(key), value);
    return o;
}

} // namespace

class tst_Jwk : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void parsesSupportedKeys_data();
    void parsesSupportedKeys();
    void thumbprintMatchesPublishedVectors_data();
    void thumbprintMatchesPublishedVectors();
    void refusesMalformedKeysNamingTheKid_data();
    void refusesMalformedKeysNamingTheKid();
    void setSkipsEncryptionAndUnknownKeys();
    void setRefusesBadDocuments_data();
    void setRefusesBadDocuments();
    void setErrorNamesKeyIndexAndKid();
    void setRoundTripsThroughJson();

private:
    TestKey m_rsa1024;
    TestKey m_p384;
    TestKey m_p521;
};

void tst_Jwk::initTestCase()
{
    m_rsa1024 = makeRsaKey(QStringLiteral("weak"), 1024);
    m_p384 = makeEcKey(QStringLiteral("p384"), QStringLiteral("P-384"));
    m_p521 = makeEcKey(QStringLiteral("p521"), QStringLiteral("P-521"));
}

void tst_Jwk::parsesSupportedKeys_data()
{
    QTest::addColumn<QJsonObject>("json");
    QTest::addColumn<int>("type");
    QTest::addColumn<QString>("crv");
    QTest::addColumn<int>("bits");
    QTest::newRow("RSA 2048 (RFC 7515 A.2)") << rsaJwk("a2", rfc::kA2N, rfc::kA2E) << int(Jwk::Type::Rsa) << QString() << 2048;
    QTest::newRow("EC P-256 (RFC 7515 A.3)") << a3Jwk() << int(Jwk::Type::Ec) << QStringLiteral("P-256") << 256;
    QTest::newRow("EC P-384") << m_p384.jwk << int(Jwk::Type::Ec) << QStringLiteral("P-384") << 384;
    QTest::newRow("EC P-521") << m_p521.jwk << int(Jwk::Type::Ec) << QStringLiteral("P-521") << 521;
    QTest::newRow("OKP Ed25519 (RFC 8037)") << edJwk() << int(Jwk::Type::Okp) << QStringLiteral("Ed25519") << 256;
}

void tst_Jwk::parsesSupportedKeys()
{
    QFETCH(QJsonObject, json);
    QFETCH(int, type);
    QFETCH(QString, crv);
    QFETCH(int, bits);
    json.insert(QStringLiteral("alg"), QStringLiteral("X-test"));
    const auto jwk = Jwk::fromJson(json);
    QVERIFY2(jwk.ok(), qPrintable(jwk.ok() ? QString() : jwk.error().toString()));
    QCOMPARE(int(jwk->type()), type);
    QCOMPARE(jwk->kty(), json.value(QLatin1String("kty")).toString());
    QCOMPARE(jwk->kid(), json.value(QLatin1String("kid")).toString());
    QCOMPARE(jwk->crv(), crv);
    QCOMPARE(jwk->alg(), QStringLiteral("X-test"));
    QCOMPARE(jwk->bits(), bits);
    QVERIFY(jwk->pkey() != nullptr);
}

void tst_Jwk::thumbprintMatchesPublishedVectors_data()
{
    QTest::addColumn<QJsonObject>("json");
    QTest::addColumn<QByteArray>("thumbprint");
    QJsonObject rsa = rsaJwk("2011-04-29", rfc::kThumbN, "AQAB");
    rsa.insert(QStringLiteral("alg"), QStringLiteral("RS256"));
    QTest::newRow("RFC 7638 RSA") << rsa << QByteArray(rfc::kThumbRsa);
    QTest::newRow("RFC 8037 Ed25519") << edJwk() << QByteArray(rfc::kEdThumbprint);
}

void tst_Jwk::thumbprintMatchesPublishedVectors()
{
    QFETCH(QJsonObject, json);
    QFETCH(QByteArray, thumbprint);
    const auto jwk = Jwk::fromJson(json);
    QVERIFY(jwk.ok());
    QCOMPARE(jwk->thumbprint(), thumbprint);
}

void tst_Jwk::refusesMalformedKeysNamingTheKid_data()
{
    QTest::addColumn<QJsonObject>("json");
    QTest::addColumn<QString>("mentions");

    const QJsonObject a3 = a3Jwk();
    // Flipping y's last character moves the point off the curve.
    QString offCurveY = QLatin1String(rfc::kA3Y);
    offCurveY[offCurveY.size() - 2] = offCurveY.at(offCurveY.size() - 2) == QLatin1Char('A') ? QLatin1Char('B')
                                                                                             : QLatin1Char('A');
    QTest::newRow("RSA below 2048 bits") << m_rsa1024.jwk << QStringLiteral("2048");
    QTest::newRow("RSA without e") << with(rsaJwk("a2", rfc::kA2N, "AQAB"), "e", QJsonValue(QJsonValue::Undefined)) << QStringLiteral("\"e\"");
    QTest::newRow("RSA n not base64url") << rsaJwk("a2", "not*base64", "AQAB") << QStringLiteral("\"n\"");
    QTest::newRow("RSA even exponent") << rsaJwk("a2", rfc::kA2N, "AQAA") << QStringLiteral("exponent");
    QTest::newRow("EC point not on curve") << with(a3, "y", offCurveY) << QStringLiteral("curve");
    QTest::newRow("EC short coordinate") << with(a3, "x", QStringLiteral("AQAB")) << QStringLiteral("bytes");
    QTest::newRow("EC unknown curve") << with(a3, "crv", QStringLiteral("secp256k1")) << QStringLiteral("curve");
    QTest::newRow("EC without y") << with(a3, "y", QJsonValue(QJsonValue::Undefined)) << QStringLiteral("\"y\"");
    QTest::newRow("OKP X25519 (not a signing curve)")
        << with(with(edJwk(), "crv", QStringLiteral("X25519")), "kid", QStringLiteral("a3")) << QStringLiteral("curve");
    QTest::newRow("OKP wrong length") << with(with(edJwk(), "x", QStringLiteral("AQAB")), "kid", QStringLiteral("a3"))
                                      << QStringLiteral("32 bytes");
    QTest::newRow("private key material") << with(a3, "d", QStringLiteral("jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"))
                                          << QStringLiteral("private");
}

void tst_Jwk::refusesMalformedKeysNamingTheKid()
{
    QFETCH(QJsonObject, json);
    QFETCH(QString, mentions);
    const auto jwk = Jwk::fromJson(json);
    QVERIFY(!jwk.ok());
    const QString kid = json.value(QLatin1String("kid")).toString();
    QVERIFY2(jwk.error().message.contains(QLatin1Char('"') + kid + QLatin1Char('"')), qPrintable(jwk.error().message));
    QVERIFY2(jwk.error().message.contains(mentions), qPrintable(jwk.error().message));
}

void tst_Jwk::setSkipsEncryptionAndUnknownKeys()
{
    const QJsonObject encKey = with(rsaJwk("enc", rfc::kA2N, "AQAB"), "use", QStringLiteral("enc"));
    const QJsonObject octKey{{QStringLiteral("kty"), QStringLiteral("oct")},
                             {QStringLiteral("kid"), QStringLiteral("hmac")},
                             {QStringLiteral("k"), QStringLiteral("c2VjcmV0")}};
    const QJsonObject futureKey{{QStringLiteral("kty"), QStringLiteral("PQC")}, {QStringLiteral("kid"), QStringLiteral("pq")}};
    const auto set = JwkSet::fromJson(jwksJson({encKey, octKey, a3Jwk(), futureKey, edJwk()}));
    QVERIFY2(set.ok(), qPrintable(set.ok() ? QString() : set.error().toString()));
    QCOMPARE(set->size(), 2);
    QCOMPARE(set->skippedCount(), 3);
    QVERIFY(set->containsKid(QStringLiteral("a3")));
    QVERIFY(!set->containsKid(QStringLiteral("enc")));
    QVERIFY(!set->containsKid(QStringLiteral("hmac")));
}

void tst_Jwk::setRefusesBadDocuments_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::newRow("not JSON") << QByteArray("{\"keys\": [");
    QTest::newRow("array at top level") << QByteArray("[]");
    QTest::newRow("no keys member") << QByteArray("{\"jwks\": []}");
    QTest::newRow("keys not an array") << QByteArray("{\"keys\": {}}");
    QTest::newRow("key not an object") << QByteArray("{\"keys\": [42]}");
    QTest::newRow("empty input") << QByteArray();
}

void tst_Jwk::setRefusesBadDocuments()
{
    QFETCH(QByteArray, json);
    const auto set = JwkSet::fromJson(json);
    QVERIFY(!set.ok());
    QVERIFY(!set.error().toString().isEmpty());
}

void tst_Jwk::setErrorNamesKeyIndexAndKid()
{
    const auto set = JwkSet::fromJson(jwksJson({a3Jwk(), m_rsa1024.jwk}));
    QVERIFY(!set.ok());
    QCOMPARE(set.error().key, QStringLiteral("keys[1]"));
    QVERIFY2(set.error().toString().contains(QStringLiteral("\"weak\"")), qPrintable(set.error().toString()));
}

void tst_Jwk::setRoundTripsThroughJson()
{
    const auto set = JwkSet::fromJson(jwksJson({a3Jwk(), edJwk(), m_p384.jwk}));
    QVERIFY(set.ok());
    const auto again = JwkSet::fromJsonObject(set->toJson());
    QVERIFY(again.ok());
    QCOMPARE(again->size(), 3);
    for (qsizetype i = 0; i < 3; ++i) {
        QCOMPARE(again->keys().at(i).thumbprint(), set->keys().at(i).thumbprint());
        QCOMPARE(again->keys().at(i).kid(), set->keys().at(i).kid());
    }
}

QTEST_GUILESS_MAIN(tst_Jwk)
#include "tst_jwk.moc"
