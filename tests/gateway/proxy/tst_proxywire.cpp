#include "proxy/ProxyWire.h"

#include <QTest>

using namespace gh;
using namespace gh::proxywire;

class tst_ProxyWire : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void knownNamesAreFoundAsSpelled()
    {
        QCOMPARE(knownHeaderName("Content-Type"), QByteArray("Content-Type"));
        QCOMPARE(knownHeaderName("content-length"), QByteArray("content-length"));
        QCOMPARE(knownHeaderName("X-Forwarded-Proto"), QByteArray("X-Forwarded-Proto"));
        // Only the spellings listed: any other case is made as it came.
        QVERIFY(knownHeaderName("CONTENT-TYPE").isNull());
        QVERIFY(knownHeaderName("Content-Typ").isNull());
        QVERIFY(knownHeaderName("X-Custom").isNull());
        QVERIFY(knownHeaderName("").isNull());
        QVERIFY(knownHeaderName(QByteArray(100, 'a')).isNull());
    }

    void namesArriveWholeOrInPieces()
    {
        HttpHeaders headers;
        addHeaderName(headers, true, "Content-", 8);
        addHeaderName(headers, false, "Type", 4);   // the rest of the same name
        addHeaderValue(headers.last().second, "text/", 5);
        addHeaderValue(headers.last().second, "plain", 5);
        addHeaderName(headers, true, "Host", 4);
        addHeaderValue(headers.last().second, "example", 7);
        // A known name extended by a later piece becomes a name of its own; the table is untouched.
        addHeaderName(headers, true, "Date", 4);
        addHeaderName(headers, false, "-Of-Birth", 9);
        QCOMPARE(headers.size(), 3);
        QCOMPARE(headers.at(0).first, QByteArray("Content-Type"));
        QCOMPARE(headers.at(0).second, QByteArray("text/plain"));
        QCOMPARE(headers.at(1).first, QByteArray("Host"));
        QCOMPARE(headers.at(1).second, QByteArray("example"));
        QCOMPARE(headers.at(2).first, QByteArray("Date-Of-Birth"));
        QCOMPARE(knownHeaderName("Date"), QByteArray("Date"));
        // Changing a name in place changes that header only.
        headers[1].first.data()[0] = 'h';
        QCOMPARE(headers.at(1).first, QByteArray("host"));
        QCOMPARE(knownHeaderName("Host"), QByteArray("Host"));
    }
};

QTEST_APPLESS_MAIN(tst_ProxyWire)
#include "tst_proxywire.moc"
