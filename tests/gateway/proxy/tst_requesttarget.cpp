// How a request target "/<connection>/<rest>?<query>" maps onto the upstream.
#include "proxy/RequestTarget.h"

#include <QTest>

using gh::RequestTarget;

class TestRequestTarget final : public QObject {
    Q_OBJECT

private slots:
    void parse_data();
    void parse();
    void refused_data();
    void refused();
    void partsOutliveTheBufferParsedFrom();
};

void TestRequestTarget::parse_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("base");
    QTest::addColumn<QByteArray>("connection");
    QTest::addColumn<QByteArray>("upstream");

    QTest::newRow("plain") << QByteArray("/llm/v1/chat/completions") << QByteArray() << QByteArray("llm")
                           << QByteArray("/v1/chat/completions");
    QTest::newRow("query kept as sent") << QByteArray("/llm/v1/models?limit=5&after=a%20b&x=+") << QByteArray()
                                        << QByteArray("llm") << QByteArray("/v1/models?limit=5&after=a%20b&x=+");
    QTest::newRow("base path") << QByteArray("/api/users/7") << QByteArray("/internal/v2") << QByteArray("api")
                               << QByteArray("/internal/v2/users/7");
    QTest::newRow("base path with slash") << QByteArray("/api/users") << QByteArray("/v2/") << QByteArray("api")
                                          << QByteArray("/v2/users");
    QTest::newRow("connection only") << QByteArray("/llm") << QByteArray() << QByteArray("llm") << QByteArray("/");
    QTest::newRow("connection and query") << QByteArray("/llm?x=1") << QByteArray() << QByteArray("llm")
                                          << QByteArray("/?x=1");
    QTest::newRow("trailing slash") << QByteArray("/llm/") << QByteArray("/b") << QByteArray("llm") << QByteArray("/b/");
    QTest::newRow("empty query") << QByteArray("/llm/x?") << QByteArray() << QByteArray("llm") << QByteArray("/x?");
    QTest::newRow("encoded slash stays") << QByteArray("/llm/a%2Fb") << QByteArray() << QByteArray("llm")
                                         << QByteArray("/a%2Fb");
    QTest::newRow("dots inside a name") << QByteArray("/llm/v1/file.tar.gz") << QByteArray() << QByteArray("llm")
                                        << QByteArray("/v1/file.tar.gz");
    QTest::newRow("three dots") << QByteArray("/llm/.../x") << QByteArray() << QByteArray("llm") << QByteArray("/.../x");
    QTest::newRow("unknown-looking name still parses") << QByteArray("/No_Such/x") << QByteArray()
                                                       << QByteArray("No_Such") << QByteArray("/x");
}

void TestRequestTarget::parse()
{
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, base);
    QFETCH(QByteArray, connection);
    QFETCH(QByteArray, upstream);
    const auto t = RequestTarget::parse(target);
    QVERIFY(t);
    QCOMPARE(t->connection.toByteArray(), connection);
    QCOMPARE(t->upstreamTarget(base), upstream);
}

// The parts are views into the target's bytes, which the parsed target keeps: the buffer it came
// from may be reused for the next request (as the proxy's is) and the parts still read the same.
void TestRequestTarget::partsOutliveTheBufferParsedFrom()
{
    QByteArray buffer("/llm/v1/models?limit=5");
    std::optional<RequestTarget> t = RequestTarget::parse(buffer);
    QVERIFY(t);
    buffer.clear();
    buffer.append("/other/thing-that-is-longer-than-before?x=y");
    const RequestTarget copy = *t;
    t.reset();
    QCOMPARE(copy.connection.toByteArray(), QByteArray("llm"));
    QCOMPARE(copy.path.toByteArray(), QByteArray("/v1/models"));
    QCOMPARE(copy.query.toByteArray(), QByteArray("limit=5"));
    QCOMPARE(copy.upstreamTarget("/base/"), QByteArray("/base/v1/models?limit=5"));
}

void TestRequestTarget::refused_data()
{
    QTest::addColumn<QByteArray>("target");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("asterisk") << QByteArray("*");
    QTest::newRow("absolute form") << QByteArray("http://evil.example/llm/x");
    QTest::newRow("dot-dot") << QByteArray("/llm/../admin");
    QTest::newRow("dot-dot at end") << QByteArray("/llm/v1/..");
    QTest::newRow("single dot") << QByteArray("/llm/./x");
    QTest::newRow("encoded dot-dot") << QByteArray("/llm/%2e%2E/x");
    QTest::newRow("half-encoded dot-dot") << QByteArray("/llm/.%2e/x");
    QTest::newRow("fragment") << QByteArray("/llm/x#frag");
}

void TestRequestTarget::refused()
{
    QFETCH(QByteArray, target);
    QVERIFY(!RequestTarget::parse(target));
}

QTEST_GUILESS_MAIN(TestRequestTarget)
#include "tst_requesttarget.moc"
