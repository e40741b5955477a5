// JsonFieldMasker: whole fields by path and detectors inside strings, on complete JSON bodies.
#include "MaskRules.h"
#include "masking/JsonFieldMasker.h"

#include <QJsonDocument>
#include <QJsonArray>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTest>

using gh::JsonFieldMasker;
using gh::Rule;
using namespace masktest;

class TestJsonFieldMasker final : public QObject {
    Q_OBJECT

private slots:
    void masks_data();
    void masks();
    void outputIsValidJson();
    void hitsNameRuleAndRange();
    void invalidJsonIsAnError_data();
    void invalidJsonIsAnError();
    void boundAndDepth();
    void parsePath_data();
    void parsePath();
    void badPathFailsClosed();
    void detectorModeEqualsMaskingDecodedStrings();
    void customPatternAcrossSyntax();
};

void TestJsonFieldMasker::masks_data()
{
    QTest::addColumn<QStringList>("fields");
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("expected");
    auto row = [](const char *name, const QStringList &f, const QByteArray &in, const QByteArray &out) {
        QTest::newRow(name) << f << in << out;
    };
    const QStringList none;
    const QStringList ssn{QStringLiteral("$.user.ssn")};
    row("nested field, formatting kept", ssn, "{ \"user\" : { \"name\": \"Ann\", \"ssn\" : \"not-an-ssn\" }, \"n\": 1.50 }",
        "{ \"user\" : { \"name\": \"Ann\", \"ssn\" : \"[EMAIL]\" }, \"n\": 1.50 }");
    row("field that is a number", ssn, "{\"user\":{\"ssn\":123456789}}", "{\"user\":{\"ssn\":\"[EMAIL]\"}}");
    row("field that is an object", ssn, "{\"user\":{\"ssn\":{\"a\":[1,2,{\"b\":null}]}}}", "{\"user\":{\"ssn\":\"[EMAIL]\"}}");
    row("same key elsewhere untouched", ssn, "{\"ssn\":\"x\",\"user\":{\"x\":{\"ssn\":\"y\"}}}", "{\"ssn\":\"x\",\"user\":{\"x\":{\"ssn\":\"y\"}}}");
    row("every array element", {QStringLiteral("$.items[*].card")},
        "{\"items\":[{\"card\":\"a\",\"k\":1},{\"k\":2},{\"card\":true}]}",
        "{\"items\":[{\"card\":\"[EMAIL]\",\"k\":1},{\"k\":2},{\"card\":\"[EMAIL]\"}]}");
    row("one array index", {QStringLiteral("$.list[1]")}, "{\"list\":[\"a\",\"b\",\"c\"]}", "{\"list\":[\"a\",\"[EMAIL]\",\"c\"]}");
    row("top-level array", {QStringLiteral("$[0].id")}, "[{\"id\":7},{\"id\":8}]", "[{\"id\":\"[EMAIL]\"},{\"id\":8}]");
    row("key with dash and underscore", {QStringLiteral("$.x-y.a_b")}, "{\"x-y\":{\"a_b\":0}}", "{\"x-y\":{\"a_b\":\"[EMAIL]\"}}");
    row("escaped key matches its path", ssn, "{\"us\\u0065r\":{\"ssn\":\"1\"}}", "{\"us\\u0065r\":{\"ssn\":\"[EMAIL]\"}}");
    row("detector in a string", none, "{\"note\":\"write to ann@example.org today\"}", "{\"note\":\"write to [EMAIL] today\"}");
    row("detector behind an escape", none, "{\"m\":\"ann\\u0040example.org\"}", "{\"m\":\"[EMAIL]\"}");
    row("escapes around a match are re-encoded", none, "{\"m\":\"line1\\nann@example.org\\t\\\"q\\\" \\/\"}",
        "{\"m\":\"line1\\n[EMAIL]\\t\\\"q\\\" /\"}");
    row("escapes without a match stay byte for byte", none, "{\"m\":\"caf\\u00e9 \\/ \\\"x\\\"\"}", "{\"m\":\"caf\\u00e9 \\/ \\\"x\\\"\"}");
    row("unicode content", none, "{\"m\":\"Grüße 日本 ann@example.org ✓\"}", "{\"m\":\"Grüße 日本 [EMAIL] ✓\"}");
    row("surrogate pair", none, "{\"m\":\"\\ud83d\\ude00 ann@example.org\"}", "{\"m\":\"😀 [EMAIL]\"}");
    row("email as a key", none, "{\"ann@example.org\":1}", "{\"[EMAIL]\":1}");
    row("card as a number", none, "{\"card\":4111111111111111}", "{\"card\":\"[CREDIT_CARD]\"}");
    row("private key with JSON newlines", none,
        "{\"k\":\"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg\\n-----END PRIVATE KEY-----\\n\"}",
        "{\"k\":\"[PRIVATE_KEY]\\n\"}");
    row("scalars and whitespace", none, " \r\n[true, false, null, -0.5e+3, \"\"] \n", " \r\n[true, false, null, -0.5e+3, \"\"] \n");
}

void TestJsonFieldMasker::masks()
{
    QFETCH(QStringList, fields);
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, expected);
    auto plan = compileOrFail({detectorRule(QStringLiteral("email"), {}, fields), detectorRule(QStringLiteral("credit_card")),
                               detectorRule(QStringLiteral("private_key"))});
    QVERIFY(plan);
    const auto r = JsonFieldMasker(plan).mask(input);
    QVERIFY2(r.ok(), r.ok() ? "" : qPrintable(r.error().toString()));
    QCOMPARE(QString::fromUtf8(r->data), QString::fromUtf8(expected));
}

void TestJsonFieldMasker::outputIsValidJson()
{
    auto plan = compileOrFail({detectorRule(QStringLiteral("email"), QStringLiteral("<\"mail\"\\>"), {QStringLiteral("$.a")})});
    QVERIFY(plan);
    const auto r = JsonFieldMasker(plan).mask("{\"a\":[1],\"b\":\"x@y.io and z@w.io\"}");
    QVERIFY(r.ok());
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(r->data, &err);
    QCOMPARE(err.error, QJsonParseError::NoError);
    QCOMPARE(doc.object().value(u"a"_qs).toString(), u"<\"mail\"\\>"_qs);
    QCOMPARE(doc.object().value(u"b"_qs).toString(), u"<\"mail\"\\> and <\"mail\"\\>"_qs);
}

void TestJsonFieldMasker::hitsNameRuleAndRange()
{
    auto plan = compileOrFail({detectorRule(QStringLiteral("us_ssn"), {}, {QStringLiteral("$.ssn")}), detectorRule(QStringLiteral("email"))});
    QVERIFY(plan);
    const QByteArray in = "{\"ssn\": 5, \"m\": \"a@b.io c@d.io\"}";
    const auto r = JsonFieldMasker(plan).mask(in);
    QVERIFY(r.ok());
    QCOMPARE(r->data, QByteArray("{\"ssn\": \"[US_SSN]\", \"m\": \"[EMAIL] [EMAIL]\"}"));
    QCOMPARE(r->hits.size(), 3);
    QCOMPARE(r->hits[0].rule, QStringLiteral("mask-us-ssn"));
    QCOMPARE(r->hits[0].detector, QStringLiteral("json_field"));
    QCOMPARE(r->data.mid(r->hits[0].offset, r->hits[0].length), QByteArray("\"[US_SSN]\""));
    QCOMPARE(in.mid(r->hits[0].inputOffset, r->hits[0].inputLength), QByteArray("5"));
    // A detector's hit is its replacement inside the re-escaped string, the input range the string.
    QCOMPARE(r->hits[1].detector, QStringLiteral("email"));
    QCOMPARE(r->hits[2].detector, QStringLiteral("email"));
    QCOMPARE(r->hits[1].offset, r->data.indexOf("[EMAIL]"));
    QCOMPARE(r->hits[2].offset, r->data.lastIndexOf("[EMAIL]"));
    QCOMPARE(r->hits[2].length, 7);
    QCOMPARE(in.mid(r->hits[2].inputOffset, r->hits[2].inputLength), QByteArray("\"a@b.io c@d.io\""));
    // Escaped on the way out, the range covers the escaped spelling.
    auto quoting = compileOrFail({detectorRule(QStringLiteral("email"), QStringLiteral("<\"@\">"))});
    QVERIFY(quoting);
    const auto q = JsonFieldMasker(quoting).mask("[\"x\\ta@b.io\"]");
    QVERIFY(q.ok());
    QCOMPARE(q->data, QByteArray("[\"x\\t<\\\"@\\\">\"]"));
    QCOMPARE(q->data.mid(q->hits[0].offset, q->hits[0].length), QByteArray("<\\\"@\\\">"));
}

void TestJsonFieldMasker::invalidJsonIsAnError_data()
{
    QTest::addColumn<QByteArray>("input");
    QTest::newRow("empty") << QByteArray("");
    QTest::newRow("truncated object") << QByteArray("{\"a\":1");
    QTest::newRow("trailing comma") << QByteArray("[1,]");
    QTest::newRow("single quotes") << QByteArray("{'a':1}");
    QTest::newRow("unterminated string") << QByteArray("\"abc");
    QTest::newRow("raw newline in string") << QByteArray("\"a\nb\"");
    QTest::newRow("bad escape") << QByteArray("\"\\x41\"");
    QTest::newRow("lone surrogate") << QByteArray("\"\\ud83d x\"");
    QTest::newRow("two values") << QByteArray("{} {}");
    QTest::newRow("leading zero") << QByteArray("[01]");
    QTest::newRow("bare word") << QByteArray("[nope]");
    QTest::newRow("missing colon") << QByteArray("{\"a\" 1}");
}

void TestJsonFieldMasker::invalidJsonIsAnError()
{
    QFETCH(QByteArray, input);
    auto plan = compileOrFail({detectorRule(QStringLiteral("email"))});
    QVERIFY(plan);
    const auto r = JsonFieldMasker(plan).mask(input);
    QVERIFY(!r.ok());
    QVERIFY2(r.error().message.startsWith(u"invalid JSON at byte"_qs), qPrintable(r.error().message));
}

void TestJsonFieldMasker::boundAndDepth()
{
    auto plan = compileOrFail({detectorRule(QStringLiteral("email"))});
    QVERIFY(plan);
    const QByteArray body = "{\"a\":\"" + QByteArray(100, 'x') + "\"}";
    QVERIFY(JsonFieldMasker(plan, body.size()).mask(body).ok());
    const auto over = JsonFieldMasker(plan, body.size() - 1).mask(body);
    QVERIFY(!over.ok());
    QVERIFY(over.error().message.contains(u"exceeds the masking bound"_qs));
    const QByteArray deep = QByteArray(JsonFieldMasker::kMaxDepth + 2, '[') + QByteArray(JsonFieldMasker::kMaxDepth + 2, ']');
    const auto tooDeep = JsonFieldMasker(plan).mask(deep);
    QVERIFY(!tooDeep.ok());
    QVERIFY(tooDeep.error().message.contains(u"nested too deeply"_qs));
    const QByteArray ok = QByteArray(100, '[') + QByteArray(100, ']');
    QVERIFY(JsonFieldMasker(plan).mask(ok).ok());
}

void TestJsonFieldMasker::parsePath_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<int>("segments"); // -1: rejected
    QTest::newRow("$.a") << u"$.a"_qs << 1;
    QTest::newRow("$.user.ssn") << u"$.user.ssn"_qs << 2;
    QTest::newRow("$.items[*].ssn") << u"$.items[*].ssn"_qs << 3;
    QTest::newRow("$.list[12]") << u"$.list[12]"_qs << 2;
    QTest::newRow("$[0]") << u"$[0]"_qs << 1;
    QTest::newRow("$") << u"$"_qs << -1;
    QTest::newRow("no $") << u"user.ssn"_qs << -1;
    QTest::newRow("recursive descent") << u"$..ssn"_qs << -1;
    QTest::newRow("quoted key") << u"$['a']"_qs << -1;
    QTest::newRow("negative index") << u"$.a[-1]"_qs << -1;
    QTest::newRow("unclosed") << u"$.a[1"_qs << -1;
    QTest::newRow("space") << u"$.a b"_qs << -1;
}

void TestJsonFieldMasker::parsePath()
{
    QFETCH(QString, path);
    QFETCH(int, segments);
    const auto p = JsonFieldMasker::parsePath(path);
    QCOMPARE(p.ok(), segments >= 0);
    if (p.ok())
        QCOMPARE(p->size(), segments);
    // Exactly what the resource parser accepts.
    Rule r = detectorRule(QStringLiteral("email"), {}, {path});
    QCOMPARE(gh::validate(r).ok(), segments >= 0);
}

void TestJsonFieldMasker::badPathFailsClosed()
{
    auto plan = compileOrFail({detectorRule(QStringLiteral("email"), {}, {u"$..x"_qs})});
    QVERIFY(plan);
    const auto r = JsonFieldMasker(plan).mask("{}");
    QVERIFY(!r.ok());
    QCOMPARE(r.error().key, u"rule \"mask-email\": json_fields"_qs);
}

namespace {

// `s` as a JSON string, each character spelled at random as itself, a short escape or \uXXXX.
QByteArray spell(const QString &s, QRandomGenerator &r)
{
    QByteArray out = "\"";
    for (qsizetype i = 0; i < s.size(); ++i) {
        const char16_t u = s[i].unicode();
        const int how = r.bounded(4);
        if (s[i].isHighSurrogate()) { // a surrogate pair: both halves escaped, or the character as UTF-8
            const char16_t lo = s[++i].unicode();
            out += how == 0 ? "\\u" + QByteArray::number(u, 16) + "\\u" + QByteArray::number(lo, 16)
                            : QString(QList<QChar>{QChar(u), QChar(lo)}.constData(), 2).toUtf8();
        } else if (u == '"' || u == '\\' || u < 0x20 || how == 0) {
            if (how == 1 && u == '\n')
                out += "\\n";
            else if (how == 1 && u == '"')
                out += "\\\"";
            else if (how == 1 && u == '\\')
                out += "\\\\";
            else
                out += "\\u" + QByteArray::number(u, 16).rightJustified(4, '0');
        } else if (u == '/' && how == 1) {
            out += "\\/";
        } else {
            out += QString(s[i]).toUtf8();
        }
    }
    return out + '"';
}

// A random JSON value of strings made of pieces that are (or touch) values, and numbers.
QByteArray randomJson(QRandomGenerator &r, int depth, QJsonValue &decoded, const gh::MaskPlan &plan)
{
    static const QStringList pieces{u"ada@example.org"_qs, u"\n"_qs, u"\t"_qs, u"\""_qs, u"\\"_qs, u"/"_qs,
                                    u" "_qs, u"Contact:"_qs, u"a"_qs, u"@"_qs, u"example.org"_qs, u"é"_qs,
                                    u"😀"_qs, u"123-45-6789"_qs, u"4111 1111 1111 1111"_qs, u"x"_qs};
    auto text = [&] {
        QString s;
        for (int i = r.bounded(0, 6); i > 0; --i)
            s += pieces.at(r.bounded(int(pieces.size())));
        return s;
    };
    auto masked = [&](const QString &s) { return QString::fromUtf8(plan.maskBuffer(QByteArrayView(s.toUtf8())).data); };
    const int kind = depth > 3 ? r.bounded(2) : r.bounded(4);
    if (kind == 0) {
        const QString s = text();
        decoded = masked(s);
        return spell(s, r);
    }
    if (kind == 1) {
        const QByteArray n = r.bounded(2) ? QByteArray("4111111111111111") : QByteArray::number(r.bounded(1000));
        const QString m = masked(QString::fromLatin1(n));
        decoded = m == QString::fromLatin1(n) ? QJsonValue(n.toDouble()) : QJsonValue(m);
        return n;
    }
    QByteArray out = kind == 2 ? "[" : "{";
    QJsonArray array;
    QJsonObject object;
    for (int i = r.bounded(0, 4); i > 0; --i) {
        if (out.size() > 1)
            out += r.bounded(2) ? "," : " ,\n ";
        QJsonValue v;
        if (kind == 3) {
            const QString key = text() + QString::number(i); // keys stay distinct once masked
            out += spell(key, r) + ":";
            const QByteArray value = randomJson(r, depth + 1, v, plan);
            out += value;
            object.insert(masked(key), v);
        } else {
            out += randomJson(r, depth + 1, v, plan);
            array.append(v);
        }
    }
    out += kind == 2 ? "]" : "}";
    decoded = kind == 2 ? QJsonValue(array) : QJsonValue(object);
    return out;
}

} // namespace

// The output is valid JSON (strictly: JsonFieldMasker's own parser, not only Qt's lenient one) and
// says what the input says with each decoded string and number masked on its own. With and without
// a custom pattern in the plan (which turns the raw pre-scan off), the same.
void TestJsonFieldMasker::detectorModeEqualsMaskingDecodedStrings()
{
    auto builtins = compileOrFail(allDetectorRules());
    QList<gh::Rule> withCustom = allDetectorRules();
    withCustom.append(patternRule(u"never"_qs, u"zzzq{9}"_qs));
    auto custom = compileOrFail(withCustom);
    auto strict = compileOrFail({});
    QVERIFY(builtins && custom && strict);
    QRandomGenerator r(4711);
    for (int round = 0; round < 1500; ++round) {
        QJsonValue expected;
        const QByteArray in = randomJson(r, 0, expected, *builtins);
        const auto out = JsonFieldMasker(builtins).mask(in);
        QVERIFY2(out.ok(), in.constData());
        QVERIFY2(JsonFieldMasker(strict).mask(out->data).ok(), out->data.constData());
        QJsonParseError err;
        const QJsonDocument doc = QJsonDocument::fromJson("[" + out->data + "]", &err);
        QVERIFY2(err.error == QJsonParseError::NoError, out->data.constData());
        if (doc.array().at(0) != expected)
            QFAIL(qPrintable(u"in:  %1\nout: %2"_qs.arg(QString::fromUtf8(in), QString::fromUtf8(out->data))));
        const auto viaCustom = JsonFieldMasker(custom).maskBody(in);
        QVERIFY(viaCustom.ok());
        QCOMPARE(viaCustom->data, out->data);
        for (const gh::MaskHit &h : out->hits)
            QVERIFY(out->data.mid(h.offset, h.length).startsWith('['));
    }
}

// maskBody(): a custom pattern that spans JSON syntax is applied to the raw text, as raw masking did;
// inside strings only the decoded pass counts.
void TestJsonFieldMasker::customPatternAcrossSyntax()
{
    auto plan = compileOrFail({detectorRule(QStringLiteral("email")),
                               patternRule(u"password"_qs, u"\"password\":\\s*\"[^\"]*\""_qs, u"\"password\":\"***\""_qs)});
    QVERIFY(plan);
    const QByteArray in = R"({"m":"x\nada@example.org","password": "hunter2","n":"b@c.io"})";
    const auto r = JsonFieldMasker(plan).maskBody(in);
    QVERIFY(r.ok());
    QCOMPARE(r->data, QByteArray(R"({"m":"x\n[EMAIL]","password":"***","n":"[EMAIL]"})"));
    QCOMPARE(r->hits.size(), 3);
    for (const gh::MaskHit &h : r->hits)
        QCOMPARE(r->data.mid(h.offset, h.length), h.rule == u"password" ? QByteArray(R"("password":"***")") : QByteArray("[EMAIL]"));
    // mask() (json_fields mode) reads strings only.
    QCOMPARE(JsonFieldMasker(plan).mask(in)->data, QByteArray(R"({"m":"x\n[EMAIL]","password": "hunter2","n":"[EMAIL]"})"));
}

QTEST_GUILESS_MAIN(TestJsonFieldMasker)
#include "tst_jsonfieldmasker.moc"
