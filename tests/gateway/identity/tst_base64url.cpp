#include "identity/Base64Url.h"

#include <QRandomGenerator>
#include <QTest>

using namespace gh;

class tst_Base64Url : public QObject {
    Q_OBJECT
private slots:
    void encode_data();
    void encode();
    void decodeAccepts_data();
    void decodeAccepts();
    void decodeRefuses_data();
    void decodeRefuses();
    void roundTrip();
};

void tst_Base64Url::encode_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<QByteArray>("encoded");
    // RFC 4648 §10 vectors, without padding as JOSE writes them.
    QTest::newRow("empty") << QByteArray() << QByteArray();
    QTest::newRow("f") << QByteArray("f") << QByteArray("Zg");
    QTest::newRow("fo") << QByteArray("fo") << QByteArray("Zm8");
    QTest::newRow("foo") << QByteArray("foo") << QByteArray("Zm9v");
    QTest::newRow("foob") << QByteArray("foob") << QByteArray("Zm9vYg");
    QTest::newRow("fooba") << QByteArray("fooba") << QByteArray("Zm9vYmE");
    QTest::newRow("foobar") << QByteArray("foobar") << QByteArray("Zm9vYmFy");
    // The URL-safe alphabet: 62 and 63 are '-' and '_', never '+' and '/'.
    QTest::newRow("url alphabet") << QByteArray("\xfb\xff\xbf", 3) << QByteArray("-_-_");
    QTest::newRow("jose header") << QByteArray("{\"alg\":\"EdDSA\"}") << QByteArray("eyJhbGciOiJFZERTQSJ9");
}

void tst_Base64Url::encode()
{
    QFETCH(QByteArray, raw);
    QFETCH(QByteArray, encoded);
    QCOMPARE(Base64Url::encode(raw), encoded);
}

void tst_Base64Url::decodeAccepts_data()
{
    QTest::addColumn<QByteArray>("encoded");
    QTest::addColumn<QByteArray>("raw");
    QTest::newRow("unpadded 1") << QByteArray("Zg") << QByteArray("f");
    QTest::newRow("padded 1") << QByteArray("Zg==") << QByteArray("f");
    QTest::newRow("unpadded 2") << QByteArray("Zm8") << QByteArray("fo");
    QTest::newRow("padded 2") << QByteArray("Zm8=") << QByteArray("fo");
    QTest::newRow("full quantum") << QByteArray("Zm9vYmFy") << QByteArray("foobar");
    QTest::newRow("url alphabet") << QByteArray("-_-_") << QByteArray("\xfb\xff\xbf", 3);
    QTest::newRow("empty") << QByteArray() << QByteArray();
}

void tst_Base64Url::decodeAccepts()
{
    QFETCH(QByteArray, encoded);
    QFETCH(QByteArray, raw);
    const auto decoded = Base64Url::decode(encoded);
    QVERIFY2(decoded.ok(), qPrintable(decoded.ok() ? QString() : decoded.error().message));
    QCOMPARE(decoded.value(), raw);
}

void tst_Base64Url::decodeRefuses_data()
{
    QTest::addColumn<QByteArray>("encoded");
    QTest::newRow("plus (standard alphabet)") << QByteArray("Zm9v+w");
    QTest::newRow("slash (standard alphabet)") << QByteArray("Zm9v/w");
    QTest::newRow("space") << QByteArray("Zm9 v");
    QTest::newRow("newline") << QByteArray("Zm9v\nYg");
    QTest::newRow("dot") << QByteArray("Zm9v.Yg");
    QTest::newRow("nul byte") << QByteArray("Zm9v\0Yg", 7);
    QTest::newRow("non-ascii") << QByteArray("Zm9v\xc3\xa9");
    QTest::newRow("impossible length") << QByteArray("Zm9vY");
    QTest::newRow("single char") << QByteArray("Z");
    QTest::newRow("short padding") << QByteArray("Zg=");
    QTest::newRow("too much padding") << QByteArray("Zg===");
    QTest::newRow("padding in the middle") << QByteArray("Zg==Zg==");
    QTest::newRow("padding only") << QByteArray("====");
    QTest::newRow("padding on a full quantum") << QByteArray("Zm9v=");
    QTest::newRow("non-zero trailing bits") << QByteArray("Zh");
}

void tst_Base64Url::decodeRefuses()
{
    QFETCH(QByteArray, encoded);
    const auto decoded = Base64Url::decode(encoded);
    QVERIFY(!decoded.ok());
    QVERIFY(!decoded.error().message.isEmpty());
}

void tst_Base64Url::roundTrip()
{
    // Every length modulo 3 and every byte value, so no quantum boundary is left untested.
    auto *rng = QRandomGenerator::global();
    for (int len = 0; len < 300; ++len) {
        QByteArray raw(len, Qt::Uninitialized);
        for (char &c : raw)
            c = char(rng->bounded(256));
        const QByteArray encoded = Base64Url::encode(raw);
        QVERIFY(!encoded.contains('=') && !encoded.contains('+') && !encoded.contains('/'));
        const auto decoded = Base64Url::decode(encoded);
        QVERIFY(decoded.ok());
        QCOMPARE(decoded.value(), raw);
    }
}

QTEST_GUILESS_MAIN(tst_Base64Url)
#include "tst_base64url.moc"
