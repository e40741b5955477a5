#include "core/NodeConfig.h"

#include <QTest>

using namespace std::chrono_literals;

class tst_Duration final : public QObject {
    Q_OBJECT

private slots:
    void parsesGood_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("ms");
        QTest::addColumn<QString>("canonical");
        QTest::newRow("ms") << u"250ms"_qs << qint64(250) << u"250ms"_qs;
        QTest::newRow("s") << u"30s"_qs << qint64(30000) << u"30s"_qs;
        QTest::newRow("m") << u"15m"_qs << qint64(900000) << u"15m"_qs;
        QTest::newRow("h") << u"1h"_qs << qint64(3600000) << u"1h"_qs;
        QTest::newRow("d") << u"7d"_qs << qint64(7 * 86400000LL) << u"7d"_qs;
        QTest::newRow("h+m") << u"1h30m"_qs << qint64(5400000) << u"1h30m"_qs;
        QTest::newRow("all units") << u"1d2h3m4s5ms"_qs << qint64(93784005) << u"1d2h3m4s5ms"_qs;
        QTest::newRow("90m normalises") << u"90m"_qs << qint64(5400000) << u"1h30m"_qs;
        QTest::newRow("1500ms normalises") << u"1500ms"_qs << qint64(1500) << u"1s500ms"_qs;
        QTest::newRow("leading zeros") << u"007s"_qs << qint64(7000) << u"7s"_qs;
    }
    void parsesGood()
    {
        QFETCH(QString, text);
        QFETCH(qint64, ms);
        QFETCH(QString, canonical);
        const auto d = gh::parseDuration(text);
        QVERIFY2(d.ok(), qPrintable(d.ok() ? QString() : d.error().message));
        QCOMPARE(d->count(), ms);
        QCOMPARE(gh::formatDuration(*d), canonical);
        // What formatDuration writes must read back to the same value.
        const auto again = gh::parseDuration(canonical);
        QVERIFY(again.ok());
        QCOMPARE(again->count(), ms);
    }

    void rejectsBad_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("messagePart");
        QTest::newRow("empty") << QString() << u"empty"_qs;
        QTest::newRow("zero") << u"0s"_qs << u"greater than zero"_qs;
        QTest::newRow("zero sum") << u"0h0m"_qs << u"greater than zero"_qs;
        QTest::newRow("negative") << u"-5m"_qs << u"negative"_qs;
        QTest::newRow("no unit") << u"30"_qs << u"missing unit"_qs;
        QTest::newRow("unknown unit") << u"3w"_qs << u"unknown unit \"w\""_qs;
        QTest::newRow("uppercase unit") << u"5M"_qs << u"unknown unit"_qs;
        QTest::newRow("no number") << u"h"_qs << u"expected a number"_qs;
        QTest::newRow("fraction") << u"1.5h"_qs << u"fractions are not supported"_qs;
        QTest::newRow("space") << u"1h 30m"_qs << u"expected a number"_qs;
        QTest::newRow("ascending units") << u"30m1h"_qs << u"largest to smallest"_qs;
        QTest::newRow("repeated unit") << u"1m1m"_qs << u"largest to smallest"_qs;
        QTest::newRow("number overflow") << u"99999999999999999999s"_qs << u"too large"_qs;
        QTest::newRow("unit overflow") << u"9999999999999d"_qs << u"too large"_qs;
        QTest::newRow("sum overflow") << u"106751991167d23h47m16s854ms"_qs << u"too large"_qs;
    }
    void rejectsBad()
    {
        QFETCH(QString, text);
        QFETCH(QString, messagePart);
        const auto d = gh::parseDuration(text);
        QVERIFY(!d.ok());
        QVERIFY2(d.error().message.contains(messagePart), qPrintable(d.error().message));
    }

    void largestValueStillParses()
    {
        // INT64_MAX ms is the edge: one more millisecond overflows (the row above).
        const auto d = gh::parseDuration(u"106751991167d7h12m55s807ms");
        QVERIFY(d.ok());
        QCOMPARE(d->count(), std::numeric_limits<qint64>::max());
    }
};

QTEST_GUILESS_MAIN(tst_Duration)
#include "tst_duration.moc"
