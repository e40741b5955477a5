// ResponseMasker: which way a response body is masked, decided from its head, and what comes out.
#include "../masking/MaskRules.h"
#include "proxy/ResponseMasker.h"
#include "proxy/UpstreamConnection.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using gh::MaskSummary;
using gh::ResponseMasker;
using gh::UpstreamResponseHead;
using namespace masktest;

namespace {

UpstreamResponseHead head(const QByteArray &contentType, qint64 contentLength)
{
    UpstreamResponseHead h;
    h.status = 200;
    h.headers.append({QByteArray("Content-Type"), contentType});
    if (contentLength >= 0) {
        h.hasContentLength = true;
        h.contentLength = quint64(contentLength);
    } else {
        h.chunked = true;
    }
    return h;
}

struct Masked {
    bool ok = false;
    bool whole = false;
    QByteArray body;
    QList<MaskSummary> summary;
};

// Feeds `body` in reads of `step` bytes, as the proxy does.
Masked run(const std::shared_ptr<const gh::MaskPlan> &plan, const QByteArray &contentType, const QByteArray &body,
           qint64 bound = 8 << 20, bool framed = true, qsizetype step = 7)
{
    Masked m;
    auto masker = ResponseMasker::create(plan, head(contentType, framed ? body.size() : -1), bound);
    if (!masker)
        return m;
    m.whole = (*masker)->wholeBody();
    for (qsizetype i = 0; i < body.size(); i += step) {
        auto out = (*masker)->feed(QByteArrayView(body).sliced(i, std::min(step, body.size() - i)));
        if (!out)
            return m;
        m.body += *out;
    }
    auto rest = (*masker)->finish();
    if (!rest)
        return m;
    m.body += *rest;
    m.summary = (*masker)->summary();
    m.ok = true;
    return m;
}

QJsonObject parsed(const QByteArray &json)
{
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &err);
    if (err.error != QJsonParseError::NoError)
        qWarning("not valid JSON (%s): %s", qPrintable(err.errorString()), json.constData());
    return doc.object();
}

std::shared_ptr<const gh::MaskPlan> builtins()
{
    return compileOrFail(allDetectorRules());
}

} // namespace

class TestResponseMasker final : public QObject {
    Q_OBJECT

private slots:
    void jsonValueAfterAnEscape();
    void jsonValueSpelledWithEscapes();
    void jsonNextToEveryEscape_data();
    void jsonNextToEveryEscape();
    void summaryPointsAtReplacements();
    void invalidJsonFallsBackToRawMasking();
    void jsonOfUnknownSizeIsReadWholeWithinTheBound();
    void aJsonStreamGoesOutValueByValue();
    void jsonOfUnknownSizeIsTheSameWhateverTheReads();
    void otherTypesAreNotParsed();
    void jsonTypesAreKnownWhateverTheirSpelling();
};

// The e-mail detector, run over the raw bytes, starts at the `n` of `\n`: "Contact:\[EMAIL]" is an
// invalid escape, and the client's parser fails.
void TestResponseMasker::jsonValueAfterAnEscape()
{
    auto plan = builtins();
    QVERIFY(plan);
    const QByteArray body = R"({"note":"Contact:\nada@example.org"})";
    const Masked m = run(plan, "application/json", body);
    QVERIFY(m.ok);
    QCOMPARE(m.body, QByteArray(R"({"note":"Contact:\n[EMAIL]"})"));
    QCOMPARE(parsed(m.body).value(u"note").toString(), u"Contact:\n[EMAIL]"_qs);
}

// "a\u0040example.org" is an address once decoded; raw bytes hide it.
void TestResponseMasker::jsonValueSpelledWithEscapes()
{
    auto plan = builtins();
    QVERIFY(plan);
    const Masked m = run(plan, "application/json; charset=utf-8", R"({"note":"mail a\u0040example.org"})");
    QVERIFY(m.ok);
    QCOMPARE(parsed(m.body).value(u"note").toString(), u"mail [EMAIL]"_qs);
}

void TestResponseMasker::jsonNextToEveryEscape_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("expected");
    auto row = [](const char *name, const QByteArray &in, const QByteArray &out) { QTest::newRow(name) << in << out; };
    row("\\n before", R"({"a":"x\nada@example.org"})", R"({"a":"x\n[EMAIL]"})");
    row("\\t before, \\r after", R"({"a":"\tada@example.org\r"})", R"({"a":"\t[EMAIL]\r"})");
    row("\\\" around", R"({"a":"\"ada@example.org\""})", R"({"a":"\"[EMAIL]\""})");
    row("\\\\ before", R"({"a":"C:\\ada@example.org"})", R"({"a":"C:\\[EMAIL]"})");
    row("\\/ inside", R"({"a":"ada@example.org\/x"})", R"({"a":"[EMAIL]/x"})");
    row("\\u inside", R"({"a":"ada\u0040ex\u0061mple.org"})", R"({"a":"[EMAIL]"})");
    row("\\u before", R"({"a":"\u00e9 ada@example.org"})", R"({"a":"é [EMAIL]"})");
    row("surrogate pair before", R"({"a":"\ud83d\ude00ada@example.org"})", R"({"a":"😀[EMAIL]"})");
    row("key", R"({"ada@example.org":{"k\nada@example.org":1}})", R"({"[EMAIL]":{"k\n[EMAIL]":1}})");
    row("card as a number", R"({"card":4111111111111111,"n":4111111111111112})",
        R"({"card":"[CREDIT_CARD]","n":4111111111111112})");
    row("nested arrays and objects", R"([[{"a":["x\nada@example.org",{"b":"123-45-6789"}]}],[]])",
        R"([[{"a":["x\n[EMAIL]",{"b":"[US_SSN]"}]}],[]])");
    row("nothing to mask, escapes kept", R"({ "a" : "caf\u00e9 \/ \"q\"" , "b": [1.5e3, true, null] })",
        R"({ "a" : "caf\u00e9 \/ \"q\"" , "b": [1.5e3, true, null] })");
}

void TestResponseMasker::jsonNextToEveryEscape()
{
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, expected);
    auto plan = builtins();
    QVERIFY(plan);
    const Masked m = run(plan, "application/problem+json", body);
    QVERIFY(m.ok);
    QVERIFY(m.whole);
    QCOMPARE(QString::fromUtf8(m.body), QString::fromUtf8(expected));
    // Valid JSON: Qt's parser (lenient about escapes) and the gateway's own (strict).
    QJsonParseError err;
    QJsonDocument::fromJson(m.body, &err);
    QCOMPARE(err.error, QJsonParseError::NoError);
    auto strict = compileOrFail({});
    QVERIFY(gh::JsonFieldMasker(strict).mask(m.body).ok());
}

void TestResponseMasker::summaryPointsAtReplacements()
{
    auto plan = builtins();
    QVERIFY(plan);
    const QByteArray body = R"({"a":"x\nada@example.org and b\u0040c.io","ssn":"123-45-6789"})";
    const Masked m = run(plan, "application/json", body);
    QVERIFY(m.ok);
    qint64 count = 0;
    for (const MaskSummary &s : m.summary) {
        count += s.count;
        for (const auto &[offset, length] : s.ranges)
            QCOMPARE(m.body.mid(offset, length), s.detector == u"email" ? QByteArray("[EMAIL]") : QByteArray("[US_SSN]"));
    }
    QCOMPARE(count, 3);
}

// Declared JSON but not: masked as raw bytes, never passed unmasked and never refused.
void TestResponseMasker::invalidJsonFallsBackToRawMasking()
{
    auto plan = builtins();
    QVERIFY(plan);
    const QByteArray body = R"({"a":"mail ada@example.org",} trailing b@c.io)";
    const Masked m = run(plan, "application/json", body);
    QVERIFY(m.ok);
    QCOMPARE(m.body, QByteArray(R"({"a":"mail [EMAIL]",} trailing [EMAIL])"));
    QCOMPARE(m.summary.size(), 1);
    QCOMPARE(m.summary[0].count, 2);
}

// JSON declared over mask_body_limit streams and is masked raw. Without a Content-Length (chunked,
// or compressed) it is read whole as long as it stays within the bound, its strings masked decoded
// (an escaped "@" is no way around the mask), and streams masked raw from where it outgrows it.
void TestResponseMasker::jsonOfUnknownSizeIsReadWholeWithinTheBound()
{
    auto plan = builtins();
    QVERIFY(plan);
    const QByteArray body = R"({"a":"mail ada@example.org","b":"ada\u0040example.org","pad":")" + QByteArray(2000, 'x') + "\"}";
    const Masked over = run(plan, "application/json", body, 1024);
    QVERIFY(over.ok);
    QVERIFY(over.body.contains(R"("mail [EMAIL]")"));
    QVERIFY(!over.body.contains("ada@"));
    QVERIFY(over.body.contains(R"(ada\u0040example.org)"));   // raw masking cannot see it: why JSON is read whole

    const Masked chunked = run(plan, "application/json", body, 8 << 20, false);
    QVERIFY(chunked.ok);
    QVERIFY(!chunked.whole);   // it streams, value by value
    QVERIFY(!chunked.body.contains("example.org"));
    const QJsonObject o = parsed(chunked.body);
    QCOMPARE(o.value(QStringLiteral("a")).toString(), QStringLiteral("mail [EMAIL]"));
    QCOMPARE(o.value(QStringLiteral("b")).toString(), QStringLiteral("[EMAIL]"));
    QCOMPARE(chunked.summary.size(), 1);
    QCOMPARE(chunked.summary[0].count, 2);

    // Chunked and larger than the bound: read whole up to it, then streamed raw, as one framed over it.
    const Masked outgrown = run(plan, "application/json", body, 1024, false);
    QVERIFY(outgrown.ok);
    QCOMPARE(outgrown.body, over.body);
    QCOMPARE(outgrown.summary.size(), 1);
    QCOMPARE(outgrown.summary[0].count, 1);
    QCOMPARE(outgrown.body.mid(qsizetype(outgrown.summary[0].ranges[0].first), 7), QByteArray("[EMAIL]"));

    // Declared within the bound it is read whole.
    const Masked framed = run(plan, "application/json", body, body.size());
    QVERIFY(framed.whole);
    QCOMPARE(framed.body, chunked.body);
}

// A JSON body of unknown size goes out value by value: a watch stream's event is sent, masked
// decoded, as soon as it is whole, not when the body ends.
void TestResponseMasker::aJsonStreamGoesOutValueByValue()
{
    auto plan = builtins();
    QVERIFY(plan);
    auto masker = ResponseMasker::create(plan, head("application/json", -1), 8 << 20);
    QVERIFY(masker);
    ResponseMasker &m = **masker;
    QVERIFY(!m.wholeBody());
    const QByteArray first = R"({"type":"ADDED","object":{"owner":"ada\u0040example.org","note":"} ]"}})";
    QByteArray out;
    // In two reads: nothing goes out before the value is whole.
    auto part = m.feed(first.left(30));
    QVERIFY(part);
    QVERIFY(part->isEmpty());
    part = m.feed(QByteArray(first.mid(30) + "\n" + R"({"type":"MODIFIED","object":{"owner":"bo)"));
    QVERIFY(part);
    out += *part;
    QVERIFY(out.endsWith("}\n"));   // the line's end with it, for a line-by-line reader
    QCOMPARE(parsed(out).value(QStringLiteral("object")).toObject().value(QStringLiteral("owner")).toString(),
             QStringLiteral("[EMAIL]"));
    QCOMPARE(parsed(out).value(QStringLiteral("object")).toObject().value(QStringLiteral("note")).toString(),
             QStringLiteral("} ]"));
    part = m.feed(R"(b@example.org"}} 42 "text c@d.io")");
    QVERIFY(part);
    out += *part;
    auto rest = m.finish();
    QVERIFY(rest);
    out += *rest;
    const QList<QByteArray> lines = out.split('\n');
    QCOMPARE(lines.size(), 2);
    QCOMPARE(lines[1], QByteArray(R"({"type":"MODIFIED","object":{"owner":"[EMAIL]"}} 42 "text [EMAIL]")"));
    QCOMPARE(m.summary().value(0).count, 3);
    for (const auto &[offset, length] : m.summary().value(0).ranges)
        QCOMPARE(out.mid(qsizetype(offset), qsizetype(length)), QByteArray("[EMAIL]"));

    // Not JSON after all: from where it stops being JSON, masked raw.
    auto broken = ResponseMasker::create(plan, head("application/json", -1), 8 << 20);
    QVERIFY(broken);
    auto b = (*broken)->feed(R"({"a":"x@y.io"}] then z@y.io and more)");
    QVERIFY(b);
    QByteArray bout = *b;
    auto btail = (*broken)->finish();
    QVERIFY(btail);
    bout += *btail;
    QCOMPARE(bout, QByteArray(R"({"a":"[EMAIL]"}] then [EMAIL] and more)"));
    QCOMPARE((*broken)->summary().value(0).count, 2);
    for (const auto &[offset, length] : (*broken)->summary().value(0).ranges)
        QCOMPARE(bout.mid(qsizetype(offset), qsizetype(length)), QByteArray("[EMAIL]"));
}

// However a JSON body of unknown size is cut into reads, the client gets the same bytes, and no
// address in them, escaped or not.
void TestResponseMasker::jsonOfUnknownSizeIsTheSameWhateverTheReads()
{
    auto plan = builtins();
    QVERIFY(plan);
    const QList<QByteArray> bodies = {
        R"({"a":"ada@example.org","b":["x\"y","c\u0040d.io"],"n":4111111111111111})",
        "  {\"k\":\"v\"}\n{\"owner\":\"e\\u0040f.io\"}\n\n[1,2,\"g@h.io\"] 42 true \"i@j.io\"\n",
        R"({"a":"b@c.io"}} not json k@l.io)",
        R"("top@level.io")",
        R"({"deep":[[[[{"x":"m@n.io"}]]]]})",
        R"({"unterminated":"o@p.io)",
    };
    for (const QByteArray &body : bodies) {
        const Masked whole = run(plan, "application/json", body, 8 << 20, false, body.size());
        QVERIFY(whole.ok);
        QVERIFY2(!whole.body.contains('@') && !whole.body.contains("u0040"), whole.body.constData());
        int wholeCount = 0;
        for (const MaskSummary &sum : whole.summary)
            wholeCount += sum.count;
        for (qsizetype step = 1; step <= 13; ++step) {
            const Masked m = run(plan, "application/json", body, 8 << 20, false, step);
            QVERIFY(m.ok);
            QCOMPARE(m.body, whole.body);
            int count = 0;
            for (const MaskSummary &sum : m.summary) {
                count += sum.count;
                for (const auto &[offset, length] : sum.ranges)
                    QVERIFY(m.body.mid(qsizetype(offset), qsizetype(length)).startsWith('['));
            }
            QCOMPARE(count, wholeCount);
        }
    }
}

// Only JSON is parsed: another type is masked raw, whatever it looks like.
void TestResponseMasker::otherTypesAreNotParsed()
{
    auto plan = builtins();
    QVERIFY(plan);
    const QByteArray body = R"({"a":"b\u0040c.io"} ada@example.org)";
    for (const QByteArray &type : {QByteArray("application/octet-stream"), QByteArray("text/plain"), QByteArray("application/jsonx")}) {
        const Masked m = run(plan, type, body);
        QVERIFY(m.ok);
        QCOMPARE(m.body, QByteArray(R"({"a":"b\u0040c.io"} [EMAIL])"));
    }
}

// A media type is compared without its parameters, the whitespace around it or its case.
void TestResponseMasker::jsonTypesAreKnownWhateverTheirSpelling()
{
    auto plan = builtins();
    QVERIFY(plan);
    const QByteArray body = R"({"note":"mail a\u0040example.org"})";
    for (const QByteArray &type : {QByteArray("Application/JSON"), QByteArray(" application/json ;charset=utf-8"),
                                   QByteArray("application/vnd.api+JSON; q=1"), QByteArray("APPLICATION/PROBLEM+json")}) {
        const Masked m = run(plan, type, body);
        QVERIFY2(m.ok, type.constData());
        QCOMPARE(parsed(m.body).value(u"note").toString(), u"mail [EMAIL]"_qs);
    }
    // Not JSON: masked raw, the escape left as it is.
    for (const QByteArray &type : {QByteArray("text/json+plain"), QByteArray("json"), QByteArray("application/jsonp")}) {
        const Masked m = run(plan, type, body);
        QVERIFY(m.ok);
        QCOMPARE(m.body, body);
    }
}

QTEST_GUILESS_MAIN(TestResponseMasker)
#include "tst_responsemasker.moc"
