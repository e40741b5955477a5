// Which request and response headers stop at the gateway (RFC 9110 §7.6.1).
#include "proxy/HopByHopFilter.h"

#include <QTest>

using gh::HopByHopFilter;
using gh::HttpHeaders;

class TestHopByHopFilter final : public QObject {
    Q_OBJECT

private slots:
    void fixedSet_data();
    void fixedSet();
    void namesFromConnectionAreDropped();
    void endToEndHeadersPass();
};

void TestHopByHopFilter::fixedSet_data()
{
    QTest::addColumn<QByteArray>("name");
    QTest::addColumn<bool>("dropped");
    QTest::newRow("Connection") << QByteArray("Connection") << true;
    QTest::newRow("keep-alive") << QByteArray("keep-alive") << true;
    QTest::newRow("TE") << QByteArray("TE") << true;
    QTest::newRow("Trailer") << QByteArray("Trailer") << true;
    QTest::newRow("Transfer-Encoding") << QByteArray("TRANSFER-ENCODING") << true;
    QTest::newRow("Upgrade") << QByteArray("Upgrade") << true;
    QTest::newRow("Proxy-Authorization") << QByteArray("Proxy-Authorization") << true;
    QTest::newRow("Proxy-Connection") << QByteArray("proxy-connection") << true;
    QTest::newRow("Content-Type") << QByteArray("Content-Type") << false;
    QTest::newRow("Content-Length") << QByteArray("Content-Length") << false;
    QTest::newRow("Tea (not TE)") << QByteArray("Tea") << false;
    QTest::newRow("Proxy (no dash)") << QByteArray("Proxy") << false;
}

void TestHopByHopFilter::fixedSet()
{
    QFETCH(QByteArray, name);
    QFETCH(bool, dropped);
    QCOMPARE(HopByHopFilter(HttpHeaders{}).drops(name), dropped);
    QCOMPARE(HopByHopFilter::isAlwaysHopByHop(name), dropped);
}

void TestHopByHopFilter::namesFromConnectionAreDropped()
{
    const HttpHeaders headers{{"Connection", "keep-alive, X-Session-Hop ,  x-other"},
                              {"connection", "close"},
                              {"X-Session-Hop", "1"}};
    const HopByHopFilter f(headers);
    QVERIFY(f.drops("X-Session-Hop"));
    QVERIFY(f.drops("x-session-hop"));
    QVERIFY(f.drops("X-Other"));
    QVERIFY(!f.drops("close"));        // an option of Connection, not a header name that would ever be sent
    QVERIFY(!f.drops("X-Session"));
    QVERIFY(!f.drops("Authorization-Extra"));
}

void TestHopByHopFilter::endToEndHeadersPass()
{
    const HttpHeaders headers{{"Connection", ""}, {"Accept", "text/event-stream"}};
    const HopByHopFilter f(headers);
    QVERIFY(!f.drops("Accept"));
    QVERIFY(!f.drops("Authorization"));   // removed by the proxy for its own reason, not as hop-by-hop
    QVERIFY(!f.drops("X-Request-Id"));
}

QTEST_GUILESS_MAIN(TestHopByHopFilter)
#include "tst_hopbyhopfilter.moc"
