// ContentDecoder: gzip/deflate bodies come out whole however they arrive; anything else fails.
#include "masking/ContentDecoder.h"

#include <QRandomGenerator>
#include <QTest>

#include <zlib.h>

using gh::ContentDecoder;
using Encoding = gh::ContentDecoder::Encoding;

namespace {

// windowBits: 16+15 gzip, 15 zlib, -15 raw deflate.
QByteArray compress(const QByteArray &in, int windowBits)
{
    z_stream z{};
    if (deflateInit2(&z, 6, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return {};
    QByteArray out(qsizetype(deflateBound(&z, uLong(in.size()))) + 64, Qt::Uninitialized);
    z.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(in.constData()));
    z.avail_in = uInt(in.size());
    z.next_out = reinterpret_cast<Bytef *>(out.data());
    z.avail_out = uInt(out.size());
    const int rc = deflate(&z, Z_FINISH);
    out.truncate(qsizetype(z.total_out));
    deflateEnd(&z);
    return rc == Z_STREAM_END ? out : QByteArray();
}

QByteArray sampleBody()
{
    QByteArray body;
    QRandomGenerator rng(3);
    for (int i = 0; i < 4000; ++i)
        body += "{\"id\":" + QByteArray::number(rng.bounded(1000000)) + ",\"mail\":\"user" + QByteArray::number(i) + "@example.com\"}\n";
    return body;
}

// Feeds `in` in pieces of `piece` bytes and drains everything; the error message if any.
QString decodeAll(ContentDecoder &d, const QByteArray &in, qsizetype piece, QByteArray &out, qsizetype maxPerCall = 1 << 30)
{
    for (qsizetype at = 0; at < in.size(); at += piece) {
        auto r = d.feed(QByteArrayView(in).sliced(at, qMin(piece, in.size() - at)));
        for (;;) {
            if (!r)
                return r.error().message;
            if (r->size() > maxPerCall)
                return QStringLiteral("a call returned %1 bytes").arg(r->size());
            out += *r;
            if (!d.hasPending())
                break;
            r = d.feed({});
        }
    }
    for (;;) {
        auto r = d.finish();
        if (!r)
            return r.error().message;
        out += *r;
        if (!d.hasPending())
            return {};
    }
}

} // namespace

class TestContentDecoder final : public QObject {
    Q_OBJECT

private slots:
    void encodingFor_data();
    void encodingFor();
    void roundTrip_data();
    void roundTrip();
    void multiMemberGzip();
    void outputIsBoundedPerCall();
    void totalBoundStopsABomb();
    void corruptInputIsAnError_data();
    void corruptInputIsAnError();
    void errorsStick();
};

void TestContentDecoder::encodingFor_data()
{
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<int>("encoding"); // -1: unsupported
    QTest::newRow("absent") << QByteArray() << int(Encoding::Identity);
    QTest::newRow("identity") << QByteArray("identity") << int(Encoding::Identity);
    QTest::newRow("gzip") << QByteArray("gzip") << int(Encoding::Gzip);
    QTest::newRow("GZip padded") << QByteArray("  GZip ") << int(Encoding::Gzip);
    QTest::newRow("x-gzip") << QByteArray("x-gzip") << int(Encoding::Gzip);
    QTest::newRow("deflate") << QByteArray("deflate") << int(Encoding::Deflate);
    QTest::newRow("br") << QByteArray("br") << -1;
    QTest::newRow("zstd") << QByteArray("zstd") << -1;
    QTest::newRow("compress") << QByteArray("compress") << -1;
    QTest::newRow("two codings") << QByteArray("gzip, br") << -1;
    QTest::newRow("unknown") << QByteArray("snappy") << -1;
}

void TestContentDecoder::encodingFor()
{
    QFETCH(QByteArray, header);
    QFETCH(int, encoding);
    const auto r = ContentDecoder::encodingFor(header);
    QCOMPARE(r.ok(), encoding >= 0);
    if (r.ok())
        QCOMPARE(int(*r), encoding);
    else
        QVERIFY2(r.error().message.contains(u"unsupported content encoding"_qs), qPrintable(r.error().message));
}

void TestContentDecoder::roundTrip_data()
{
    QTest::addColumn<int>("encoding");
    QTest::addColumn<int>("windowBits");
    QTest::addColumn<qsizetype>("piece");
    for (qsizetype piece : {qsizetype(1), qsizetype(7), qsizetype(1000), qsizetype(1) << 20}) {
        QTest::addRow("gzip, %lld-byte reads", qlonglong(piece)) << int(Encoding::Gzip) << 16 + 15 << piece;
        QTest::addRow("deflate (zlib), %lld-byte reads", qlonglong(piece)) << int(Encoding::Deflate) << 15 << piece;
        QTest::addRow("deflate (raw), %lld-byte reads", qlonglong(piece)) << int(Encoding::Deflate) << -15 << piece;
    }
}

void TestContentDecoder::roundTrip()
{
    QFETCH(int, encoding);
    QFETCH(int, windowBits);
    QFETCH(qsizetype, piece);
    const QByteArray body = sampleBody();
    const QByteArray packed = compress(body, windowBits);
    QVERIFY(!packed.isEmpty() && packed.size() < body.size() / 2);
    for (qsizetype bound : {qsizetype(1000), qsizetype(16 * 1024)}) {
        ContentDecoder d(Encoding(encoding), bound);
        QByteArray out;
        QCOMPARE(decodeAll(d, packed, piece, out, bound), QString());
        QCOMPARE(out.size(), body.size());
        QVERIFY(out == body);
        QCOMPARE(d.totalOut(), body.size());
    }
}

void TestContentDecoder::multiMemberGzip()
{
    const QByteArray packed = compress("first part, ", 31) + compress("second part", 31);
    ContentDecoder d(Encoding::Gzip);
    QByteArray out;
    QCOMPARE(decodeAll(d, packed, 5, out), QString());
    QCOMPARE(out, QByteArray("first part, second part"));
}

void TestContentDecoder::outputIsBoundedPerCall()
{
    const QByteArray zeros(4 << 20, '\0');
    const QByteArray packed = compress(zeros, 31);
    QVERIFY(packed.size() < 16 * 1024);
    ContentDecoder d(Encoding::Gzip, 64 * 1024);
    auto r = d.feed(packed); // the whole 4 MiB is decodable from this one small read
    QVERIFY(r.ok());
    QCOMPARE(r->size(), 64 * 1024);
    QVERIFY(d.hasPending());
    qsizetype total = r->size();
    int calls = 1;
    while (d.hasPending()) {
        r = d.feed({});
        QVERIFY(r.ok());
        QVERIFY(r->size() <= 64 * 1024);
        total += r->size();
        ++calls;
    }
    QVERIFY(d.finish().ok());
    QCOMPARE(total, zeros.size());
    QVERIFY(calls >= 64);
}

void TestContentDecoder::totalBoundStopsABomb()
{
    const QByteArray packed = compress(QByteArray(8 << 20, 'a'), 31);
    ContentDecoder d(Encoding::Gzip, 1 << 20, 2 << 20);
    QByteArray out;
    const QString err = decodeAll(d, packed, 4096, out);
    QVERIFY2(err.contains(u"exceeds 2097152 bytes"_qs), qPrintable(err));
    QVERIFY(out.size() <= 2 << 20);
}

void TestContentDecoder::corruptInputIsAnError_data()
{
    QTest::addColumn<int>("encoding");
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QString>("message");
    const QByteArray gz = compress(sampleBody(), 31);
    QByteArray flipped = gz;
    flipped[gz.size() / 2] = char(flipped[gz.size() / 2] ^ 0x55);
    QByteArray badCrc = gz;
    badCrc[gz.size() - 6] = char(badCrc[gz.size() - 6] ^ 0x01);
    QTest::newRow("not gzip at all") << int(Encoding::Gzip) << QByteArray("plain text, not compressed") << u"corrupt gzip data"_qs;
    QTest::newRow("flipped byte") << int(Encoding::Gzip) << flipped << u"corrupt gzip data"_qs;
    QTest::newRow("bad CRC") << int(Encoding::Gzip) << badCrc << u"corrupt gzip data: incorrect data check"_qs;
    QTest::newRow("truncated gzip") << int(Encoding::Gzip) << gz.first(gz.size() - 10) << u"ended early"_qs;
    QTest::newRow("empty gzip body") << int(Encoding::Gzip) << QByteArray() << u"ended early"_qs;
    QTest::newRow("trailing garbage") << int(Encoding::Gzip) << QByteArray(gz + "junk") << u"data after the end"_qs;
    const QByteArray zl = compress("hello", 15);
    QTest::newRow("truncated deflate") << int(Encoding::Deflate) << zl.first(zl.size() - 2) << u"ended early"_qs;
    QTest::newRow("deflate garbage") << int(Encoding::Deflate) << QByteArray("\xff\xff\xff\xff", 4) << u"corrupt deflate data"_qs;
}

void TestContentDecoder::corruptInputIsAnError()
{
    QFETCH(int, encoding);
    QFETCH(QByteArray, input);
    QFETCH(QString, message);
    for (qsizetype piece : {qsizetype(3), qsizetype(1) << 20}) {
        ContentDecoder d{Encoding(encoding)};
        QByteArray out;
        const QString err = decodeAll(d, input, piece, out);
        QVERIFY2(err.contains(message), qPrintable(err));
    }
}

void TestContentDecoder::errorsStick()
{
    ContentDecoder d(Encoding::Gzip);
    QVERIFY(!d.feed("nope, not gzip").ok());
    const QByteArray good = compress("fine", 31);
    QVERIFY(!d.feed(good).ok());
    QVERIFY(!d.finish().ok());
}

QTEST_GUILESS_MAIN(TestContentDecoder)
#include "tst_contentdecoder.moc"
