#include "core/ByteWriter.h"

#include <QTest>

#include <limits>

class tst_ByteWriter final : public QObject {
    Q_OBJECT

private slots:
    void appendsAfterWhatIsThere()
    {
        QByteArray out("GET ");
        {
            gh::ByteWriter w(out);
            w.put("/v1/models");
            w.put(' ');
            w.literal("HTTP/1.1\r\n");
            QCOMPARE(w.size(), 25);
        }
        QCOMPARE(out, QByteArray("GET /v1/models HTTP/1.1\r\n"));
        QCOMPARE(out.constData()[out.size()], '\0');   // still a C string for Qt's own users
    }

    void growsPastAnyCapacity()
    {
        QByteArray out;
        QByteArray expected;
        {
            gh::ByteWriter w(out, 4);
            for (int i = 0; i < 5000; ++i) {
                const QByteArray piece = QByteArray::number(i) + (i % 7 ? "," : "\n");
                w.put(piece);
                expected += piece;
            }
            const QByteArray big(300000, 'x');   // more than doubling gives
            w.put(big);
            expected += big;
        }
        QCOMPARE(out.size(), expected.size());
        QCOMPARE(out, expected);
    }

    void numbersAreWrittenAsQtWritesThem_data()
    {
        QTest::addColumn<qint64>("value");
        QTest::newRow("zero") << qint64(0);
        QTest::newRow("one digit") << qint64(7);
        QTest::newRow("status") << qint64(200);
        QTest::newRow("negative") << qint64(-1);
        QTest::newRow("max") << std::numeric_limits<qint64>::max();
        QTest::newRow("min") << std::numeric_limits<qint64>::min();
    }
    void numbersAreWrittenAsQtWritesThem()
    {
        QFETCH(qint64, value);
        QByteArray out;
        gh::ByteWriter(out).number(value);
        QCOMPARE(out, QByteArray::number(value));
    }

    void unsignedNumbersPastQint64()
    {
        QByteArray out;
        gh::ByteWriter(out).unsignedNumber(std::numeric_limits<quint64>::max());
        QCOMPARE(out, QByteArray("18446744073709551615"));
    }

    void chopClaimAndAdvance()
    {
        QByteArray out("{}");
        {
            gh::ByteWriter w(out);
            w.chop(1);
            char *p = w.claim(4);
            std::memcpy(p, "\"a\":", 4);
            w.advance(4);
            w.number(1);
            w.put('}');
            w.chop(100);   // never before the start
            QCOMPARE(w.size(), 0);
            w.literal("{}");
        }
        QCOMPARE(out, QByteArray("{}"));
    }

    void finishCutsToWhatWasWritten()
    {
        QByteArray out;
        out.reserve(1024);
        gh::ByteWriter w(out, 10);
        w.put("abc");
        w.finish();
        QCOMPARE(out, QByteArray("abc"));
        QVERIFY(out.capacity() >= 1024);   // the room stays for the next writer
    }

    void aSharedCopyIsLeftAlone()
    {
        QByteArray out("shared");
        const QByteArray copy = out;   // implicitly shared: the writer detaches
        {
            gh::ByteWriter w(out);
            w.put(" and written");
        }
        QCOMPARE(out, QByteArray("shared and written"));
        QCOMPARE(copy, QByteArray("shared"));
    }
};

QTEST_GUILESS_MAIN(tst_ByteWriter)
#include "tst_bytewriter.moc"
