// StreamingMasker: a body masked read by read gives exactly what masking it whole gives.
#include "MaskRules.h"
#include "masking/StreamingMasker.h"

#include <QRandomGenerator>
#include <QTest>

using gh::MaskPlan;
using gh::StreamingMasker;
using namespace masktest;

namespace {

// Every detector once, plus near misses that must stay, each match shorter than 128 bytes.
const QByteArray kMixed =
    "Hello a.b@example.com, card 4111 1111 1111 1111 vs 4111 1111 1111 1112; ssn 123-45-6789 on 2024-01-15; "
    "call (555) 123-4567; DE89 3704 0044 0532 0130 00 / DE88 3704 0044 0532 0130 00; ip 192.168.10.1 not "
    "256.1.1.1; eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl; AKIAIOSFODNN7EXAMPLE; "
    "Authorization: Bearer abcdefghijklmnop0123; ISBN 978-0-306-40615-7. Done.";

QByteArray streamed(StreamingMasker &m, const QList<QByteArrayView> &chunks)
{
    QByteArray out;
    for (QByteArrayView c : chunks)
        out += m.feed(c);
    out += m.finish();
    return out;
}

StreamingMasker::Options window(qsizetype w, StreamingMasker::Mode mode = StreamingMasker::Mode::Bytes)
{
    StreamingMasker::Options o;
    o.mode = mode;
    o.window = w;
    return o;
}

} // namespace

class TestStreamingMasker final : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void splitAtEveryOffset_data();
    void splitAtEveryOffset();
    void byteByByte();
    void randomReadsOverALargeBody();
    void holdsBackOnlyTheWindow();
    void longPrivateKeyIsDroppedNotLeaked();
    void privateKeyLongerThanTheWindowIsHeld();
    void overlongMatchBeforeAnOpenKey();
    void summaryPointsAtReplacementsInTheOutput();
    void emptyPlanPassesThroughAtOnce();
    void sseEventsAreEmittedWhole_data();
    void sseEventsAreEmittedWhole();
    void sseEventSplitAtEveryOffset();
    void sseOverlongEventFallsBackToTheWindow();
    void denseJsonAcrossFeeds_data();
    void denseJsonAcrossFeeds();
    void releaseEarlyMatchesTheWholeBody_data();
    void releaseEarlyMatchesTheWholeBody();
    void releaseEarlyLetsWordsGo();
    void hitLogPlacesEveryReplacement();

private:
    std::shared_ptr<const MaskPlan> m_all;
};

void TestStreamingMasker::initTestCase()
{
    m_all = compileOrFail(allDetectorRules());
    QVERIFY(m_all);
}

void TestStreamingMasker::splitAtEveryOffset_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<qsizetype>("window");
    QTest::newRow("every detector, window 128") << kMixed << qsizetype(128);
    QTest::newRow("every detector x3, window 128") << kMixed.repeated(3) << qsizetype(128);
    QTest::newRow("private key in prose, window 64") << QByteArray("before\n" + kPem + "\nafter a@b.io " + QByteArray(300, 'x'))
                                                     << qsizetype(64);
    QTest::newRow("dotted numbers and failing cards across the cut, window 32")
        << QByteArray("oid 1.3.6.1.4.1.311.21.7, v 256.1.2.3.4, card 4111 1111 1111 1112 22, ip 10.1.2.3; ").repeated(4)
        << qsizetype(32);
    QTest::newRow("JSON lines, window 64")
        << QByteArray("{\"u\": \"a.b@example.com\", \"n\": [\"4111111111111111\", \"x\"]}\n{\"ip\": \"10.1.2.3\", "
                      "\"t\": \"Bearer abcdefghijkl0123\", \"s\": \"123-45-6789\"}\n").repeated(3)
        << qsizetype(64);
    QTest::newRow("private key in JSON, window 64")
        << QByteArray("{\"pad\":\"" + QByteArray(200, 'p') + "\",\"k\":\"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC"
                      "\\nBKcwggSjAgEAAoIBAQC7\\n-----END PRIVATE KEY-----\\n\"}")
        << qsizetype(64);
    QTest::newRow("default window, 10 KiB") << QByteArray(QByteArray(5000, 'z') + ' ' + kMixed + ' ' + QByteArray(5000, 'y'))
                                            << qsizetype(0);
}

void TestStreamingMasker::splitAtEveryOffset()
{
    QFETCH(QByteArray, body);
    QFETCH(qsizetype, window);
    const QByteArray expected = m_all->maskBuffer(body).data;
    QVERIFY(expected != body);
    const QByteArrayView v(body);
    for (qsizetype k = 0; k <= body.size(); ++k) {
        StreamingMasker m(m_all, ::window(window));
        const QByteArray out = streamed(m, {v.first(k), v.sliced(k)});
        if (out != expected)
            QFAIL(qPrintable(QStringLiteral("split at %1 of %2:\n%3").arg(k).arg(body.size()).arg(QString::fromUtf8(out))));
    }
}

void TestStreamingMasker::byteByByte()
{
    const QByteArray body = kMixed.repeated(2);
    StreamingMasker m(m_all, window(128));
    QList<QByteArrayView> chunks;
    for (qsizetype i = 0; i < body.size(); ++i)
        chunks.append(QByteArrayView(body).sliced(i, 1));
    QCOMPARE(streamed(m, chunks), m_all->maskBuffer(body).data);
}

void TestStreamingMasker::randomReadsOverALargeBody()
{
    QByteArray body;
    QRandomGenerator rng(7);
    while (body.size() < 600 * 1024) {
        body += "line " + QByteArray::number(rng.bounded(100000)) + " of clean text about nothing in particular; ";
        if (rng.bounded(5) == 0)
            body += kMixed;
        if (rng.bounded(40) == 0)
            body += kPem;
        body += '\n';
    }
    const QByteArray expected = m_all->maskBuffer(body).data;
    for (int round = 0; round < 5; ++round) {
        QList<QByteArrayView> chunks;
        for (qsizetype at = 0; at < body.size();) {
            const qsizetype n = std::min<qsizetype>(body.size() - at, 1 + rng.bounded(round % 2 ? 100 : 20000));
            chunks.append(QByteArrayView(body).sliced(at, n));
            at += n;
        }
        StreamingMasker m(m_all);
        QCOMPARE(streamed(m, chunks), expected);
    }
}

void TestStreamingMasker::holdsBackOnlyTheWindow()
{
    StreamingMasker m(m_all);
    QCOMPARE(m.window(), MaskPlan::kDefaultMaxMatchLength);
    const QByteArray clean = QByteArray("plain words and more words ").repeated(1000);
    const QByteArray first = m.feed(clean);
    QCOMPARE(first.size(), clean.size() - m.window() - 1);
    QCOMPARE(m.held(), m.window() + 1);
    QCOMPARE(first + m.finish(), clean);
}

void TestStreamingMasker::longPrivateKeyIsDroppedNotLeaked()
{
    // A 40 KiB key body against a 4 KiB private-key window: replaced at the bound, then dropped.
    QByteArray body = "head\n-----BEGIN ENCRYPTED PRIVATE KEY-----\n";
    for (int i = 0; i < 640; ++i)
        body += "MIIJrTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQIc2VjcmV0X2tleV9ib2R5" + QByteArray::number(i % 10) + '\n';
    body += "-----END ENCRYPTED PRIVATE KEY-----\ntail a@b.io\n";
    StreamingMasker::Options o;
    o.privateKeyWindow = 4096;
    for (qsizetype chunk : {qsizetype(7), qsizetype(1000), qsizetype(16384)}) {
        StreamingMasker m(m_all, o);
        QList<QByteArrayView> chunks;
        for (qsizetype at = 0; at < body.size(); at += chunk)
            chunks.append(QByteArrayView(body).sliced(at, std::min(chunk, body.size() - at)));
        const QByteArray out = streamed(m, chunks);
        QCOMPARE(out, QByteArray("head\n[PRIVATE_KEY]\ntail [EMAIL]\n"));
        QCOMPARE(out, m_all->maskBuffer(body).data);
        QCOMPARE(m.summary().size(), 2);
    }
}

void TestStreamingMasker::privateKeyLongerThanTheWindowIsHeld()
{
    StreamingMasker m(m_all, window(32));
    QByteArray out = m.feed(QByteArray(QByteArray("x\n") + kPem.first(150)));
    out += m.feed(kPem.sliced(150, 100));
    QVERIFY2(!out.contains("-----BEGIN"), out.constData()); // held, not sent half-masked
    out += m.feed(kPem.sliced(250));
    out += m.finish();
    QCOMPARE(out, QByteArray("x\n[PRIVATE_KEY]"));
}

void TestStreamingMasker::overlongMatchBeforeAnOpenKey()
{
    // A 5000-byte custom match still being held when an unfinished key arrives in the same read,
    // with a 4 KiB bound: the match is masked whole, the key replaced and dropped to its END.
    auto plan = compileOrFail({patternRule(QStringLiteral("xs"), QStringLiteral("X+")), detectorRule(QStringLiteral("private_key"))});
    QVERIFY(plan);
    StreamingMasker::Options o = window(64);
    o.privateKeyWindow = 4096;
    StreamingMasker m(plan, o);
    const QByteArray head = QByteArray(5000, 'X') + "\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n";
    const QByteArray tail = "BKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\nbye";
    QByteArray out = m.feed(head);
    QVERIFY2(!out.contains("MIIE") && !out.contains("XX"), out.constData());
    out += m.feed(tail);
    out += m.finish();
    QCOMPARE(out, QByteArray("[MASKED]\n[PRIVATE_KEY]\nbye"));
    QCOMPARE(out, plan->maskBuffer(head + tail).data);
}

void TestStreamingMasker::summaryPointsAtReplacementsInTheOutput()
{
    StreamingMasker m(m_all, window(128));
    const QByteArray body = kMixed.repeated(3);
    QByteArray out;
    for (qsizetype at = 0; at < body.size(); at += 50)
        out += m.feed(QByteArrayView(body).sliced(at, std::min<qsizetype>(50, body.size() - at)));
    out += m.finish();
    QCOMPARE(m.bytesOut(), out.size());
    const QList<gh::MaskSummary> summary = m.summary();
    QCOMPARE(summary.size(), 9); // every detector but private_key
    qint64 total = 0;
    for (const gh::MaskSummary &s : summary) {
        QCOMPARE(s.count, 3);
        QCOMPARE(s.ranges.size(), 3);
        const QByteArray replace = '[' + s.detector.toUpper().toLatin1() + ']';
        for (const auto &[offset, length] : s.ranges)
            QCOMPARE(out.mid(offset, length), replace);
        total += s.count;
    }
    QCOMPARE(total, m_all->maskBuffer(body).hits.size());
    QCOMPARE(summary.constFirst().rule, QStringLiteral("mask-email"));
}

void TestStreamingMasker::emptyPlanPassesThroughAtOnce()
{
    StreamingMasker m(compileOrFail({}));
    QCOMPARE(m.feed("a@b.io"), QByteArray("a@b.io"));
    QCOMPARE(m.finish(), QByteArray());
    QVERIFY(m.summary().isEmpty());
}

void TestStreamingMasker::sseEventsAreEmittedWhole_data()
{
    QTest::addColumn<QByteArray>("newline");
    QTest::newRow("LF") << QByteArray("\n");
    QTest::newRow("CRLF") << QByteArray("\r\n");
    QTest::newRow("CR") << QByteArray("\r");
}

void TestStreamingMasker::sseEventsAreEmittedWhole()
{
    QFETCH(QByteArray, newline);
    const QByteArray e1 = "event: delta" + newline + "data: {\"text\":\"mail a@b.io\"}" + newline + newline;
    const QByteArray e2 = "data: {\"text\":\"ssn 123-45-6789\"}" + newline + newline;
    StreamingMasker m(m_all, window(0, StreamingMasker::Mode::Sse));
    // A whole event comes out at once, masked; nothing is held back for a window.
    QCOMPARE(m.feed(e1), "event: delta" + newline + "data: {\"text\":\"mail [EMAIL]\"}" + newline + newline);
    // Half an event is held until its blank line.
    QCOMPARE(m.feed(QByteArrayView(e2).first(20)), QByteArray());
    QCOMPARE(m.feed(QByteArrayView(e2).sliced(20)), "data: {\"text\":\"ssn [US_SSN]\"}" + newline + newline);
    QCOMPARE(m.feed("data: 4111111111111111"), QByteArray());
    QCOMPARE(m.finish(), QByteArray("data: [CREDIT_CARD]"));
}

void TestStreamingMasker::sseEventSplitAtEveryOffset()
{
    QByteArray body;
    for (int i = 0; i < 4; ++i)
        body += "id: " + QByteArray::number(i) + "\ndata: " + kMixed.sliced(i * 60, 120) + "\n\n";
    body += "data: " + kPem.first(200).replace('\n', ' ') + "\n\n"; // an unterminated key stays as is
    const QByteArray expected = m_all->maskBuffer(body).data;
    QVERIFY(expected != body);
    for (qsizetype k = 0; k <= body.size(); ++k) {
        StreamingMasker m(m_all, window(0, StreamingMasker::Mode::Sse));
        const QByteArray out = streamed(m, {QByteArrayView(body).first(k), QByteArrayView(body).sliced(k)});
        if (out != expected)
            QFAIL(qPrintable(QStringLiteral("split at %1:\n%2").arg(k).arg(QString::fromUtf8(out))));
    }
}

void TestStreamingMasker::sseOverlongEventFallsBackToTheWindow()
{
    StreamingMasker::Options o = window(64, StreamingMasker::Mode::Sse);
    o.sseEventBound = 1024;
    StreamingMasker m(m_all, o);
    const QByteArray data = "data: " + QByteArray("x a@b.io y ").repeated(400) + "\n\n";
    QByteArray out;
    qsizetype emittedBeforeEnd = 0;
    for (qsizetype at = 0; at < data.size(); at += 100) {
        out += m.feed(QByteArrayView(data).sliced(at, std::min<qsizetype>(100, data.size() - at)));
        if (at + 100 < data.size())
            emittedBeforeEnd = out.size();
    }
    out += m.finish();
    QVERIFY(emittedBeforeEnd > 0); // bounded: the event did not wait whole
    QVERIFY(m.held() == 0);
    QCOMPARE(out, "data: " + QByteArray("x [EMAIL] y ").repeated(400) + "\n\n");
}


void TestStreamingMasker::denseJsonAcrossFeeds_data()
{
    QTest::addColumn<qsizetype>("window");
    QTest::addColumn<int>("maxRead");
    QTest::newRow("default window, 16 KiB reads") << qsizetype(0) << -16 * 1024;
    QTest::newRow("default window, random reads") << qsizetype(0) << 9000;
    QTest::newRow("window 128, random short reads") << qsizetype(128) << 300;
}

// JSON lines dense with PII, as the benchmark has them: the masker resumes scanning after the last
// byte no match can contain ('"', '{', ','...) instead of scanning its held-back bytes again.
// Output and summary must equal masking the whole body at once.
void TestStreamingMasker::denseJsonAcrossFeeds()
{
    QFETCH(qsizetype, window);
    QFETCH(int, maxRead);
    static const char *const kTokens[] = {
        "the", "gateway", "a.b@example.com", "4111111111111111", "4111 1111 1111 1112", "123-45-6789", "(555) 123-4567",
        "GB82WEST12345698765432", "10.1.2.3", "1.3.6.1.4.1", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
        "AKIAIOSFODNN7EXAMPLE", "Bearer abcdefghijkl0123", "words", "and", "more", "2024-01-15"};
    QRandomGenerator rng(21);
    QByteArray body;
    while (body.size() < 300 * 1024) {
        body += "{\"id\": " + QByteArray::number(rng.bounded(100000)) + ", \"note\": \"";
        for (int i = 0; i < 12; ++i)
            body += QByteArray(kTokens[rng.bounded(int(std::size(kTokens)))]) + ' ';
        body += "\", \"tags\": [\"" + QByteArray(kTokens[rng.bounded(int(std::size(kTokens)))]) + "\"]}\n";
    }
    const gh::MaskResult whole = m_all->maskBuffer(body);
    QList<QByteArrayView> chunks;
    for (qsizetype at = 0; at < body.size();) {
        const qsizetype n = std::min<qsizetype>(body.size() - at, maxRead < 0 ? -maxRead : 1 + rng.bounded(maxRead));
        chunks.append(QByteArrayView(body).sliced(at, n));
        at += n;
    }
    StreamingMasker m(m_all, window > 0 ? StreamingMasker::Options{StreamingMasker::Mode::Bytes, window} : StreamingMasker::Options{});
    QCOMPARE(streamed(m, chunks), whole.data);
    qint64 total = 0;
    for (const gh::MaskSummary &s : m.summary()) {
        QList<QPair<qint64, qint64>> ranges;
        for (const gh::MaskHit &h : whole.hits)
            if (h.rule == s.rule && ranges.size() < gh::MaskSummary::kMaxRanges)
                ranges.append({h.offset, h.length});
        QCOMPARE(s.ranges, ranges);
        total += s.count;
    }
    QCOMPARE(total, whole.hits.size());
}

QTEST_GUILESS_MAIN(TestStreamingMasker)
void TestStreamingMasker::releaseEarlyMatchesTheWholeBody_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::newRow("every detector") << kMixed;
    QTest::newRow("prose around matches")
        << QByteArray("Write to john.doe@example.com or call +44 20 7946 0958 and pay 4111 1111 1111 1111 2 "
                      "or 4111-1111-1111-1111. Server 10.0.0.1. and 1.3.6.1.4.1.311 ok");
    QTest::newRow("bearer shapes") << QByteArray("the bearer of news; Authorization: Bearer abcdefghijklmnop0123== and "
                                                 "xBEARER\t0123456789abcdef, bearer short");
    QTest::newRow("private key in prose") << QByteArray("key:\n" + kPem + "\nthat was it -----BEGIN nothing");
    QTest::newRow("JSON text") << QByteArray("{\"u\": \"a.b@example.com\", \"n\": [\"4111111111111111\"], "
                                             "\"ip\": \"10.1.2.3\", \"s\": \"123-45-6789\"}");
    QTest::newRow("ends inside a match") << QByteArray("mail me at ada.lovelace@example.co");
}

// Released word by word, the output is still exactly the whole body's, for every read boundary.
void TestStreamingMasker::releaseEarlyMatchesTheWholeBody()
{
    QFETCH(QByteArray, body);
    const QByteArray expected = m_all->maskBuffer(body).data;
    StreamingMasker::Options o;
    o.releaseEarly = true;
    const QByteArrayView v(body);
    for (qsizetype k = 0; k <= body.size(); ++k) {
        StreamingMasker m(m_all, o);
        const QByteArray out = streamed(m, {v.first(k), v.sliced(k)});
        if (out != expected)
            QFAIL(qPrintable(QStringLiteral("split at %1:\n%2").arg(k).arg(QString::fromUtf8(out))));
    }
    StreamingMasker m(m_all, o);
    QList<QByteArrayView> bytes;
    for (qsizetype i = 0; i < body.size(); ++i)
        bytes.append(v.sliced(i, 1));
    QCOMPARE(streamed(m, bytes), expected);
}

void TestStreamingMasker::releaseEarlyLetsWordsGo()
{
    StreamingMasker::Options o;
    o.releaseEarly = true;
    StreamingMasker m(m_all, o);
    // Only the last word could still become a match: the rest goes out at once.
    QCOMPARE(m.feed("Hello there, my address is john.doe"), QByteArray("Hello there, my address is "));
    QCOMPARE(m.feed("@example"), QByteArray());
    QCOMPARE(m.feed(".com and"), QByteArray("[EMAIL] "));
    QCOMPARE(m.finish(), QByteArray("and"));

    // A custom pattern may contain anything: the window applies as before.
    auto custom = compileOrFail({patternRule(QStringLiteral("emp"), QStringLiteral("EMP-[0-9]{6}"))});
    QVERIFY(custom);
    StreamingMasker c(custom, o);
    QCOMPARE(c.feed("Hello there, EMP-123456 and more"), QByteArray());
    QCOMPARE(c.finish(), QByteArray("Hello there, [MASKED] and more"));
}

void TestStreamingMasker::hitLogPlacesEveryReplacement()
{
    StreamingMasker m(m_all, window(64));
    std::vector<StreamingMasker::Hit> log;
    m.setHitLog(&log);
    QList<QByteArrayView> chunks;
    const QByteArray body = kMixed.repeated(2);
    for (qsizetype i = 0; i < body.size(); i += 7)
        chunks.append(QByteArrayView(body).sliced(i, std::min<qsizetype>(7, body.size() - i)));
    const QByteArray out = streamed(m, chunks);
    QCOMPARE(qsizetype(log.size()), m_all->maskBuffer(body).hits.size());
    for (const StreamingMasker::Hit &h : log)
        QCOMPARE(out.sliced(h.offset, h.length), m_all->entry(h.entry).replace);
}

#include "tst_streamingmasker.moc"
