#include "recording/BodyCodec.h"

#include <QTest>

using namespace gh;

// Stored bodies come back byte for byte, and a damaged or hostile blob is an error, never a
// crash or an unbounded allocation.
class tst_BodyCodec : public QObject {
    Q_OBJECT

private slots:
    void roundTrip_data()
    {
        QTest::addColumn<QByteArray>("raw");
        QTest::addColumn<bool>("compressed");
        QTest::newRow("empty") << QByteArray() << false;
        QTest::newRow("small json") << QByteArray(R"({"a":1})") << false;
        QTest::newRow("at threshold") << QByteArray(BodyCodec::defaultThreshold, 'x') << false;
        QTest::newRow("large repetitive") << QByteArray(100000, 'x') << true;
        QByteArray noise(4096, Qt::Uninitialized);
        quint32 state = 12345;
        for (char &c : noise) {
            state = state * 1103515245u + 12345u;
            c = char(state >> 24);
        }
        QTest::newRow("incompressible stays as is") << noise << false;
    }

    void roundTrip()
    {
        QFETCH(QByteArray, raw);
        QFETCH(bool, compressed);
        const BodyCodec::Encoded e = BodyCodec::encode(raw);
        QCOMPARE(e.encoding == BodyCodec::Encoding::Zstd, compressed);
        if (compressed)
            QVERIFY(e.bytes.size() < raw.size());
        Result<QByteArray> back = BodyCodec::decode(e.encoding, e.bytes);
        QVERIFY(back.ok());
        QCOMPARE(*back, raw);
    }

    void damagedFramesAreErrors_data()
    {
        QTest::addColumn<QByteArray>("stored");
        const QByteArray good = BodyCodec::encode(QByteArray(10000, 'y')).bytes;
        QTest::newRow("truncated") << good.left(good.size() / 2);
        // Every position: a flipped bit must never yield a different body (the frame carries a
        // checksum); the few header bits zstd ignores may decode to the original.
        for (qsizetype i = 0; i < good.size(); ++i) {
            QByteArray flipped = good;
            flipped[i] = char(flipped[i] ^ 0x10);
            QTest::addRow("bit flip at %lld", qlonglong(i)) << flipped;
        }
    }

    void damagedFramesAreErrors()
    {
        QFETCH(QByteArray, stored);
        const Result<QByteArray> r = BodyCodec::decode(BodyCodec::Encoding::Zstd, stored);
        if (r.ok())
            QCOMPARE(*r, QByteArray(10000, 'y'));
    }

    void notZstdIsAnError_data()
    {
        QTest::addColumn<QByteArray>("stored");
        QTest::newRow("plain text") << QByteArray("plain text");
        QTest::newRow("empty") << QByteArray();
        QTest::newRow("magic only") << QByteArray::fromHex("28b52ffd");
    }

    void notZstdIsAnError()
    {
        QFETCH(QByteArray, stored);
        QVERIFY(!BodyCodec::decode(BodyCodec::Encoding::Zstd, stored).ok());
    }

    void refusesToInflateBeyondTheBound()
    {
        const BodyCodec::Encoded e = BodyCodec::encode(QByteArray(1 << 20, 'z'));
        QCOMPARE(e.encoding, BodyCodec::Encoding::Zstd);
        QVERIFY(e.bytes.size() < 1000);   // a "zip bomb" in miniature
        const Result<QByteArray> r = BodyCodec::decode(e.encoding, e.bytes, 64 * 1024);
        QVERIFY(!r.ok());
        QVERIFY(r.error().message.contains(QLatin1String("allowed")));
        QVERIFY(BodyCodec::decode(e.encoding, e.bytes, 1 << 20).ok());
    }

    void encodingNames()
    {
        QCOMPARE(BodyCodec::encodingFromName(QStringLiteral("zstd")).value(), BodyCodec::Encoding::Zstd);
        QCOMPARE(BodyCodec::encodingName(BodyCodec::Encoding::Identity), QStringLiteral("identity"));
        QVERIFY(!BodyCodec::encodingFromName(QStringLiteral("gzip")).ok());
    }
};

QTEST_GUILESS_MAIN(tst_BodyCodec)
#include "tst_bodycodec.moc"
