#include "recording/SessionChain.h"

#include <QCryptographicHash>
#include <QTest>
#include <QtEndian>

using namespace gh;

namespace {

template <typename T>
QByteArray be(T v)
{
    QByteArray out(sizeof(T), Qt::Uninitialized);
    qToBigEndian(v, out.data());
    return out;
}

// The layout documented in SessionChain.h, written out by hand the way an auditor's own tool
// would: if this and the class disagree, exports can no longer be checked outside Gatehouse.
QByteArray referenceHash(const QByteArray &prev, qint64 seq, qint64 ts, const QByteArray &kind,
                         const QByteArray &data)
{
    const QByteArray input = prev + be(quint64(seq)) + be(quint64(ts)) + be(quint32(kind.size())) + kind
        + be(quint64(data.size())) + data;
    return QCryptographicHash::hash(input, QCryptographicHash::Sha256);
}

} // namespace

class tst_SessionChain : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void startsAtTheZeroHash();
    void hashesFollowTheDocumentedLayout();
    void differentEventsNeverShareAHash_data();
    void differentEventsNeverShareAHash();
    void signedHeadFollowsTheDocumentedLayout();
    void signedHeadBindsIdCountAndHead();
};

void tst_SessionChain::startsAtTheZeroHash()
{
    SessionChain chain;
    QCOMPARE(chain.count(), 0);
    QCOMPARE(chain.head(), QByteArray(32, '\0'));
    QCOMPARE(SessionChain::genesis(), QByteArray(32, '\0'));
}

void tst_SessionChain::hashesFollowTheDocumentedLayout()
{
    SessionChain chain;
    const QByteArray d0 = QByteArrayLiteral("{\"method\":\"GET\",\"path\":\"/v1/models\"}");
    const QByteArray d1 = QByteArrayLiteral("{\"status\":200,\"body\":\"caf\xc3\xa9\"}");
    const QByteArray h0 = chain.append(0, 1767225600000001, QStringLiteral("http.request"), d0);
    const QByteArray h1 = chain.append(1, 1767225600000002, QStringLiteral("http.response"), d1);

    const QByteArray r0 = referenceHash(QByteArray(32, '\0'), 0, 1767225600000001, "http.request", d0);
    QCOMPARE(h0.toHex(), r0.toHex());
    QCOMPARE(h1.toHex(), referenceHash(r0, 1, 1767225600000002, "http.response", d1).toHex());
    QCOMPARE(chain.head(), h1);
    QCOMPARE(chain.count(), 2);

    // A kind outside ASCII is hashed as its UTF-8 bytes, as the layout says.
    const QString odd = QStringLiteral("x.caf\u00e9.\u20ac");
    const QByteArray h2 = chain.append(2, 1767225600000003, odd, d0);
    QCOMPARE(h2.toHex(), referenceHash(h1, 2, 1767225600000003, odd.toUtf8(), d0).toHex());
}

void tst_SessionChain::differentEventsNeverShareAHash_data()
{
    QTest::addColumn<qint64>("seqB");
    QTest::addColumn<qint64>("tsB");
    QTest::addColumn<QString>("kindA");
    QTest::addColumn<QByteArray>("dataA");
    QTest::addColumn<QString>("kindB");
    QTest::addColumn<QByteArray>("dataB");

    // Event A is always (seq 0, ts 100); each row is an event B that a naive concatenation, or a
    // hash that ignored a field, would confuse with it.
    QTest::newRow("kind/data boundary moved") << qint64(0) << qint64(100) << QStringLiteral("http.req")
                                              << QByteArray("uest{}") << QStringLiteral("http.request")
                                              << QByteArray("{}");
    QTest::newRow("other seq") << qint64(1) << qint64(100) << QStringLiteral("k") << QByteArray("{}")
                               << QStringLiteral("k") << QByteArray("{}");
    QTest::newRow("other time") << qint64(0) << qint64(101) << QStringLiteral("k") << QByteArray("{}")
                                << QStringLiteral("k") << QByteArray("{}");
    QTest::newRow("one byte of data") << qint64(0) << qint64(100) << QStringLiteral("k")
                                      << QByteArray("{\"a\":1}") << QStringLiteral("k") << QByteArray("{\"a\":2}");
    QTest::newRow("empty kind vs empty data") << qint64(0) << qint64(100) << QString() << QByteArray("x")
                                              << QStringLiteral("x") << QByteArray();
}

void tst_SessionChain::differentEventsNeverShareAHash()
{
    QFETCH(qint64, seqB);
    QFETCH(qint64, tsB);
    QFETCH(QString, kindA);
    QFETCH(QByteArray, dataA);
    QFETCH(QString, kindB);
    QFETCH(QByteArray, dataB);

    SessionChain a;
    SessionChain b;
    QVERIFY(a.append(0, 100, kindA, dataA) != b.append(seqB, tsB, kindB, dataB));
}

void tst_SessionChain::signedHeadFollowsTheDocumentedLayout()
{
    const QByteArray head(32, '\x5a');
    const QByteArray id = "7f1c2a9e-0000-4000-8000-000000000001";
    const QByteArray expected = QByteArray("gatehouse-session-v1") + be(quint32(id.size())) + id + be(quint64(42)) + head;
    QCOMPARE(SessionChain::headMessage(QString::fromLatin1(id), 42, head), expected);
}

void tst_SessionChain::signedHeadBindsIdCountAndHead()
{
    const QByteArray head(32, '\x01');
    const QByteArray base = SessionChain::headMessage(QStringLiteral("s1"), 3, head);
    QVERIFY(base != SessionChain::headMessage(QStringLiteral("s2"), 3, head));
    QVERIFY(base != SessionChain::headMessage(QStringLiteral("s1"), 2, head));
    QVERIFY(base != SessionChain::headMessage(QStringLiteral("s1"), 3, QByteArray(32, '\x02')));
}

QTEST_GUILESS_MAIN(tst_SessionChain)
#include "tst_sessionchain.moc"
