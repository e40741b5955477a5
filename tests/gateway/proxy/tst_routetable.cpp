// The route table the proxy threads share: which connections route where.
#include "proxy/RouteTable.h"

#include <QTemporaryDir>
#include <QTest>

using gh::Connection;
using gh::RouteTable;
using gh::UpstreamEndpoint;

namespace {

Connection http(const QString &name, const QString &upstream)
{
    Connection c;
    c.name = name;
    c.type = QStringLiteral("http");
    c.upstream = upstream;
    c.allowGroups = {QStringLiteral("*")};
    return c;
}

} // namespace

class TestRouteTable final : public QObject {
    Q_OBJECT

private slots:
    void endpoint_data();
    void endpoint();
    void buildsOnlyHttpConnections();
    void credentialHeaderAndCaFile();
};

void TestRouteTable::endpoint_data()
{
    QTest::addColumn<QString>("url");
    QTest::addColumn<bool>("tls");
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<QByteArray>("basePath");
    QTest::addColumn<QByteArray>("hostHeader");

    QTest::newRow("http with port") << QStringLiteral("http://127.0.0.1:9000") << false << QStringLiteral("127.0.0.1")
                                    << 9000 << QByteArray() << QByteArray("127.0.0.1:9000");
    QTest::newRow("https default port") << QStringLiteral("https://api.example.com/v1/") << true
                                        << QStringLiteral("api.example.com") << 443 << QByteArray("/v1")
                                        << QByteArray("api.example.com");
    QTest::newRow("http default port") << QStringLiteral("http://svc.internal/base") << false
                                       << QStringLiteral("svc.internal") << 80 << QByteArray("/base")
                                       << QByteArray("svc.internal");
    QTest::newRow("ipv6") << QStringLiteral("http://[::1]:8080") << false << QStringLiteral("::1") << 8080 << QByteArray()
                          << QByteArray("[::1]:8080");
}

void TestRouteTable::endpoint()
{
    QFETCH(QString, url);
    QFETCH(bool, tls);
    QFETCH(QString, host);
    QFETCH(int, port);
    QFETCH(QByteArray, basePath);
    QFETCH(QByteArray, hostHeader);
    auto e = UpstreamEndpoint::parse(url);
    QVERIFY(e);
    QCOMPARE(e->tls, tls);
    QCOMPARE(e->host, host);
    QCOMPARE(int(e->port), port);
    QCOMPARE(e->basePath, basePath);
    QCOMPARE(e->hostHeader, hostHeader);
}

void TestRouteTable::buildsOnlyHttpConnections()
{
    Connection pg = http(QStringLiteral("db"), QStringLiteral("postgres://127.0.0.1:5432"));
    pg.type = QStringLiteral("postgres");
    const auto table = RouteTable::build({http(QStringLiteral("llm"), QStringLiteral("http://127.0.0.1:9000")), pg}, nullptr);
    QCOMPARE(table->size(), 1);
    QVERIFY(table->find("llm"));
    QVERIFY(!table->find("db"));
    QVERIFY(!table->find("LLM"));
    QVERIFY(!table->find(""));
    QCOMPARE(table->find("llm")->upstream.poolKey, QByteArray("http://127.0.0.1:9000"));
    QVERIFY(!table->find("llm")->credential);
}

void TestRouteTable::credentialHeaderAndCaFile()
{
    Connection c = http(QStringLiteral("api"), QStringLiteral("https://127.0.0.1:9443"));
    c.credential.header = QStringLiteral("X-Api-Key");
    c.credential.value = QStringLiteral("literal");
    c.caFile = QStringLiteral("/nonexistent/ca.pem");
    const auto table = RouteTable::build({c}, nullptr);
    const gh::Route *r = table->find("api");
    QVERIFY(r);
    QCOMPARE(r->credentialHeader, QByteArray("X-Api-Key"));
    QVERIFY(r->credential);
    QCOMPARE(*r->credential->value(), QByteArray("literal"));
    QVERIFY(r->tls);
    // An unreadable CA file makes the route unusable (502 naming it), never unverified.
    QVERIFY(r->problem.contains(QStringLiteral("/nonexistent/ca.pem")));
}

QTEST_GUILESS_MAIN(TestRouteTable)
#include "tst_routetable.moc"
