#include "core/NodeConfig.h"

#include <QTest>

#include <limits>

class tst_Size final : public QObject {
    Q_OBJECT

private slots:
    void parsesGood_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("bytes");
        QTest::newRow("zero") << u"0"_qs << qint64(0);
        QTest::newRow("plain") << u"1048576"_qs << qint64(1048576);
        QTest::newRow("bytes") << u"512B"_qs << qint64(512);
        QTest::newRow("zero bytes") << u"0B"_qs << qint64(0);
        QTest::newRow("KiB") << u"64KiB"_qs << qint64(64 * 1024);
        QTest::newRow("MiB") << u"1MiB"_qs << qint64(1 << 20);
        QTest::newRow("GiB") << u"1GiB"_qs << qint64(1) * 1024 * 1024 * 1024;
        QTest::newRow("zero MiB") << u"0MiB"_qs << qint64(0);
        QTest::newRow("many GiB") << u"1024GiB"_qs << (qint64(1) << 40);
        QTest::newRow("leading zeros") << u"007KiB"_qs << qint64(7 * 1024);
        QTest::newRow("int64 max") << u"9223372036854775807"_qs << std::numeric_limits<qint64>::max();
        QTest::newRow("largest GiB") << u"8589934591GiB"_qs << qint64(8589934591) * (qint64(1) << 30);
    }
    void parsesGood()
    {
        QFETCH(QString, text);
        QFETCH(qint64, bytes);
        const auto s = gh::parseSize(text);
        QVERIFY2(s.ok(), qPrintable(s.ok() ? QString() : s.error().message));
        QCOMPARE(*s, bytes);
    }

    void rejectsBad_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("messagePart");
        QTest::newRow("empty") << QString() << u"empty"_qs;
        QTest::newRow("negative") << u"-1"_qs << u"negative"_qs;
        QTest::newRow("negative unit") << u"-5MiB"_qs << u"negative"_qs;
        QTest::newRow("no number") << u"MiB"_qs << u"expected a number"_qs;
        QTest::newRow("plus sign") << u"+5"_qs << u"expected a number"_qs;
        QTest::newRow("fraction") << u"1.5MiB"_qs << u"fractions are not supported"_qs;
        QTest::newRow("comma") << u"1,5MiB"_qs << u"fractions are not supported"_qs;
        QTest::newRow("space") << u"64 MiB"_qs << u"unknown unit \" MiB\""_qs;
        QTest::newRow("leading space") << u" 64"_qs << u"expected a number"_qs;
        QTest::newRow("decimal unit") << u"64MB"_qs << u"unknown unit \"MB\""_qs;
        QTest::newRow("short unit") << u"64K"_qs << u"unknown unit \"K\""_qs;
        QTest::newRow("lowercase unit") << u"64kib"_qs << u"unknown unit \"kib\""_qs;
        QTest::newRow("unknown unit") << u"1TiB"_qs << u"unknown unit \"TiB\""_qs;
        QTest::newRow("two units") << u"1MiB512KiB"_qs << u"unknown unit"_qs;
        QTest::newRow("number overflow") << u"9223372036854775808"_qs << u"too large"_qs;
        QTest::newRow("unit overflow") << u"8589934592GiB"_qs << u"too large"_qs;
    }
    void rejectsBad()
    {
        QFETCH(QString, text);
        QFETCH(QString, messagePart);
        const auto s = gh::parseSize(text);
        QVERIFY(!s.ok());
        QVERIFY2(s.error().message.contains(u"invalid size"_qs), qPrintable(s.error().message));
        QVERIFY2(s.error().message.contains(messagePart), qPrintable(s.error().message));
    }
};

QTEST_GUILESS_MAIN(tst_Size)
#include "tst_size.moc"
