// MaskPlan: what each built-in detector masks and, as much, what it leaves alone.
#include "MaskRules.h"
#include "masking/Detectors.h"
#include "masking/MaskPlan.h"

#include <QRandomGenerator>
#include <QTest>

#include <re2/re2.h>

#include <thread>

using gh::MaskPlan;
using gh::Rule;
using namespace masktest;

class TestMaskPlan final : public QObject {
    Q_OBJECT

private slots:
    void detector_data();
    void detector();
    void allDetectorsTogether();
    void defaultAndCustomReplacement_data();
    void defaultAndCustomReplacement();
    void hitsGiveInputAndOutputOffsets();
    void failedChecksumLetsALaterRuleMatch();
    void failedLuhnIsNotMaskedPiecemeal();
    void firstRuleWinsForTheSameText();
    void utf8AroundMatchesIsUntouched();
    void emptyPlanPassesThrough();
    void cleanBodyIsShared();
    void compileErrorsNameRuleAndKey_data();
    void compileErrorsNameRuleAndKey();
    void sharedAcrossThreads();
    void checksums_data();
    void checksums();
    void detectorShapesHoldForEveryMatch();
    void attributionIsTheFirstRuleMatchingThere();
    void sharedFirstByteGoesToTheRightRule_data();
    void sharedFirstByteGoesToTheRightRule();
    void prefilterNeverHidesAMatch();
    void prefilterPassesOverCleanText();
};

namespace {

// Random text from fragments of every detector's matches and near misses: many candidates, with
// first bytes shared between detectors, for checking the attribution shortcuts against RE2.
QByteArray fragmentSoup(int fragments, quint32 seed)
{
    static const char *const kFragments[] = {
        "4111111111111111", "4111 1111 1111 1111", "5500-0000-0000-0004", "123", "45", "6789", "555", "2024", "0", "7",
        " ", " ", "-", ".", "(", ")", "+", "+1 ", "+44 ", "@", "a", "Bob", "example", "com", "io", "x_y", "%", "GB82",
        "WEST", "1234", "DE89", "eyJhbGciOiJIUzI1NiJ9", "eyJ", "AKIAIOSFODNN7EXAMPLE", "ASIA", "A3TX", "ABCD",
        "Bearer ", "bearer\t", "BEARER  ", "abcdefghijkl0123", "=", "~", "/", "-----BEGIN RSA PRIVATE KEY-----",
        "-----END RSA PRIVATE KEY-----", "\n", "MIIB", "\\n", ":", ",", "10.0.0.1", "192.168.1.254", "256.1",
        "\"", "{", "}", "123-45-6789", "(555) 123-4567", "a.b@c.de", "DE89370400440532013000", "\t"};
    QRandomGenerator rng(seed);
    QByteArray out;
    for (int i = 0; i < fragments; ++i)
        out += kFragments[rng.bounded(int(std::size(kFragments)))];
    return out;
}

re2::StringPiece piece(QByteArrayView v) { return re2::StringPiece(v.data(), size_t(v.size())); }

} // namespace

// MaskPlan tells which detector produced a candidate from its first byte, a byte every match
// contains and its length, and StreamingMasker skips held-back bytes up to one no match contains:
// every match RE2 finds must fit the shape its detector declares.
void TestMaskPlan::detectorShapesHoldForEveryMatch()
{
    const QByteArray text = fragmentSoup(200000, 11);
    for (const gh::Detector *d : gh::allDetectors()) {
        const re2::RE2 re(d->pattern);
        const re2::RE2 first(QByteArray("[" + QByteArray(d->first) + "]").constData());
        const re2::RE2 needs(QByteArray("[" + QByteArray(d->needs) + "]").constData());
        const re2::RE2 alphabet(QByteArray("[" + QByteArray(d->alphabet) + "]*").constData());
        QVERIFY(re.ok() && first.ok() && alphabet.ok());
        int matches = 0;
        re2::StringPiece m;
        for (size_t at = 0; re.Match(piece(text), at, size_t(text.size()), re2::RE2::UNANCHORED, &m, 1); ++matches) {
            const QByteArray found(m.data(), qsizetype(m.size()));
            const QByteArray why = QByteArray(d->name) + " matched \"" + found + '"';
            QVERIFY2(re2::RE2::FullMatch(piece(found.first(1)), first), why.constData());
            if (*d->needs)
                QVERIFY2(re2::RE2::PartialMatch(piece(found), needs), why.constData());
            QVERIFY2(re2::RE2::FullMatch(piece(found), alphabet), why.constData());
            QVERIFY2(found.size() >= d->minLength && (d->maxLength == 0 || found.size() <= d->maxLength),
                     why.constData());
            at = size_t(m.data() + m.size() - text.constData());
        }
        QVERIFY2(matches >= 50, d->name); // the soup must exercise every detector
    }
}

// Each hit's rule is the first rule, in rule order, whose pattern matches where the hit starts
// (in context), unless an earlier one matched there and failed its checksum.
void TestMaskPlan::attributionIsTheFirstRuleMatchingThere()
{
    const QList<Rule> rules = allDetectorRules();
    auto plan = compileOrFail(rules);
    QVERIFY(plan);
    const QByteArray text = fragmentSoup(100000, 12);
    const gh::MaskResult r = plan->maskBuffer(text);
    QVERIFY(r.hits.size() > 1000);
    const re2::StringPiece all = piece(text);
    for (const gh::MaskHit &h : r.hits) {
        if (h.detector == QLatin1String("bearer_token")) // the hit starts after "Bearer "
            continue;
        int i = 0;
        while (rules[i].name != h.rule)
            ++i;
        re2::StringPiece m;
        QVERIFY(plan->entry(i).single->Match(all, size_t(h.inputOffset), all.size(), re2::RE2::ANCHOR_START, &m, 1));
        QCOMPARE(qint64(m.size()), h.inputLength);
        for (int j = 0; j < i; ++j)
            if (plan->entry(j).single->Match(all, size_t(h.inputOffset), all.size(), re2::RE2::ANCHOR_START, nullptr, 0))
                QVERIFY2(plan->entry(j).builtin->check != gh::Detector::Check::None,
                         qPrintable(h.rule + QStringLiteral(" at %1, but ").arg(h.inputOffset) + rules[j].name + QStringLiteral(" matches there")));
    }
}

void TestMaskPlan::sharedFirstByteGoesToTheRightRule_data()
{
    QTest::addColumn<QList<Rule>>("rules");
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("expected");
    const QList<Rule> all = allDetectorRules();
    auto row = [&](const char *name, const QList<Rule> &rules, const char *in, const char *out) {
        QTest::newRow(name) << rules << QByteArray(in) << QByteArray(out);
    };
    row("digit: card", all, "n 4111111111111111 x", "n [CREDIT_CARD] x");
    row("digit: spaced card, also phone-shaped", all, "n 4111 1111 1111 1111 x", "n [CREDIT_CARD] x");
    row("digit: ssn, also card and phone-shaped", all, "ssn 123-45-6789.", "ssn [US_SSN].");
    row("digit: phone", all, "tel 555-123-4567.", "tel [PHONE].");
    row("digit: ipv4", all, "ip 10.1.2.3.", "ip [IPV4].");
    row("digit: e-mail starting with digits", all, "x 4111111111111111@example.com", "x [EMAIL]");
    row("A: aws key, also iban- and email-shaped", all, "k AKIAIOSFODNN7EXAMPLE.", "k [AWS_ACCESS_KEY].");
    row("G: iban", all, "GB82WEST12345698765432", "[IBAN]");
    row("e: jwt", all, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln", "[JWT]");
    row("e: e-mail", all, "eyJ.x@example.com", "[EMAIL]");
    row("B: bearer", all, "Authorization: Bearer abcdefghijkl0123", "Authorization: Bearer [BEARER_TOKEN]");
    row("(: phone", all, "(555) 123-4567", "[PHONE]");
    const Rule custom = patternRule(QStringLiteral("custom-ssn"), QStringLiteral("\\d{3}-\\d{2}-\\d{4}"), QStringLiteral("[CUSTOM]"));
    row("custom pattern listed first wins", {custom, detectorRule(QStringLiteral("us_ssn"))}, "a 123-45-6789 b", "a [CUSTOM] b");
    row("built-in listed first wins", {detectorRule(QStringLiteral("us_ssn")), custom}, "a 123-45-6789 b", "a [US_SSN] b");
    row("custom after all built-ins", QList<Rule>(all) << custom, "a 123-45-6789 b 900-12-3456", "a [US_SSN] b [CUSTOM]");
}

void TestMaskPlan::sharedFirstByteGoesToTheRightRule()
{
    QFETCH(QList<Rule>, rules);
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, expected);
    auto plan = compileOrFail(rules);
    QVERIFY(plan);
    QCOMPARE(plan->maskBuffer(input).data, expected);
}

void TestMaskPlan::detector_data()
{
    QTest::addColumn<QString>("detector");
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("expected");

    auto row = [](const char *name, const char *det, const QByteArray &in, const QByteArray &out) {
        QTest::newRow(name) << QString::fromLatin1(det) << in << out;
    };
    row("email", "email", "mail john.doe+tag@example.co.uk now", "mail [EMAIL] now");
    row("email in JSON", "email", "{\"to\":\"a.b@corp.example\"}", "{\"to\":\"[EMAIL]\"}");
    row("email: mailto prefix stays", "email", "mailto:x@y.io", "mailto:[EMAIL]");
    row("email: no TLD", "email", "user@localhost", "user@localhost");
    row("email: no local part", "email", "see @example.com", "see @example.com");

    row("card visa spaced", "credit_card", "card 4111 1111 1111 1111.", "card [CREDIT_CARD].");
    row("card mastercard dashed", "credit_card", "5500-0000-0000-0004", "[CREDIT_CARD]");
    row("card amex 15", "credit_card", "amex 378282246310005 ok", "amex [CREDIT_CARD] ok");
    row("card discover", "credit_card", "6011111111111117", "[CREDIT_CARD]");
    row("card failing Luhn", "credit_card", "4111 1111 1111 1112", "4111 1111 1111 1112");
    row("card: ISBN-13", "credit_card", "ISBN 978-0-306-40615-7", "ISBN 978-0-306-40615-7");
    row("card: ISBN-13 passing Luhn", "credit_card", "ISBN 9780306406164", "ISBN 9780306406164");
    row("card: inside a 25-digit id", "credit_card", "id 4111111111111111000000000", "id 4111111111111111000000000");
    row("card: 12 digits", "credit_card", "411111111111", "411111111111");
    row("card: glued to letters", "credit_card", "x4111111111111111", "x4111111111111111");

    row("ssn", "us_ssn", "ssn 123-45-6789.", "ssn [US_SSN].");
    row("ssn: date", "us_ssn", "on 2024-01-15 at", "on 2024-01-15 at");
    row("ssn: area 000", "us_ssn", "000-12-3456", "000-12-3456");
    row("ssn: area 666", "us_ssn", "666-12-3456", "666-12-3456");
    row("ssn: area 9xx", "us_ssn", "912-34-5678", "912-34-5678");
    row("ssn: group 00", "us_ssn", "123-00-4567", "123-00-4567");
    row("ssn: serial 0000", "us_ssn", "123-45-0000", "123-45-0000");
    row("ssn: undelimited", "us_ssn", "123456789", "123456789");

    row("phone parenthesised", "phone", "call (555) 123-4567 now", "call [PHONE] now");
    row("phone dashed", "phone", "555-123-4567", "[PHONE]");
    row("phone dotted", "phone", "555.123.4567", "[PHONE]");
    row("phone +1", "phone", "tel +1 555 123 4567.", "tel [PHONE].");
    row("phone UK", "phone", "ring +44 20 7946 0958", "ring [PHONE]");
    row("phone: bare digits", "phone", "5551234567", "5551234567");
    row("phone: area code 1xx", "phone", "123-456-7890", "123-456-7890");
    row("phone: date", "phone", "2024-01-15", "2024-01-15");

    row("iban DE spaced", "iban", "IBAN DE89 3704 0044 0532 0130 00 ok", "IBAN [IBAN] ok");
    row("iban GB", "iban", "GB82 WEST 1234 5698 7654 32", "[IBAN]");
    row("iban compact", "iban", "NL91ABNA0417164300", "[IBAN]");
    row("iban FR with letter", "iban", "FR14 2004 1010 0505 0001 3M02 606", "[IBAN]");
    row("iban wrong check digit", "iban", "DE88 3704 0044 0532 0130 00", "DE88 3704 0044 0532 0130 00");
    row("iban: too short", "iban", "DE89 3704 0044", "DE89 3704 0044");

    row("ipv4", "ipv4", "from 192.168.1.10:8080", "from [IPV4]:8080");
    row("ipv4 255", "ipv4", "10.0.0.255", "[IPV4]");
    row("ipv4: octet 256", "ipv4", "256.1.1.1", "256.1.1.1");
    row("ipv4: octet 999", "ipv4", "1.999.1.1", "1.999.1.1");
    row("ipv4: OID", "ipv4", "oid 1.3.6.1.4.1.311", "oid 1.3.6.1.4.1.311");
    row("ipv4: three parts", "ipv4", "version 1.2.3", "version 1.2.3");

    row("jwt", "jwt",
        "t=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U;",
        "t=[JWT];");
    row("jwt alg none", "jwt", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "[JWT]");
    row("jwt: one segment", "jwt", "eyJhbGciOiJIUzI1NiJ9", "eyJhbGciOiJIUzI1NiJ9");

    row("aws key", "aws_access_key", "key=AKIAIOSFODNN7EXAMPLE&x", "key=[AWS_ACCESS_KEY]&x");
    row("aws temporary key", "aws_access_key", "ASIAY34FZKBOKMUTVV7A", "[AWS_ACCESS_KEY]");
    row("aws: 19 characters", "aws_access_key", "AKIAIOSFODNN7EXAMPL", "AKIAIOSFODNN7EXAMPL");
    row("aws: glued", "aws_access_key", "XAKIAIOSFODNN7EXAMPLE", "XAKIAIOSFODNN7EXAMPLE");

    row("private key", "private_key", "k:\n" + kPem + "\nend", "k:\n[PRIVATE_KEY]\nend");
    row("private key in JSON", "private_key",
        "{\"k\":\"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg\\n-----END PRIVATE KEY-----\\n\"}",
        "{\"k\":\"[PRIVATE_KEY]\\n\"}");
    row("private key: public key", "private_key", "-----BEGIN PUBLIC KEY-----\nMFww\n-----END PUBLIC KEY-----",
        "-----BEGIN PUBLIC KEY-----\nMFww\n-----END PUBLIC KEY-----");
    row("private key: no END", "private_key", "-----BEGIN PRIVATE KEY-----\nMIIE and then prose",
        "-----BEGIN PRIVATE KEY-----\nMIIE and then prose");

    row("bearer", "bearer_token", "Authorization: Bearer abcdef0123456789xyz\r\n",
        "Authorization: Bearer [BEARER_TOKEN]\r\n");
    row("bearer base64 padding", "bearer_token", "bearer dGhpcyBpcyBhIHRva2Vu==", "bearer [BEARER_TOKEN]");
    row("bearer: prose", "bearer_token", "the bearer of bad news", "the bearer of bad news");
    row("bearer: short", "bearer_token", "Bearer short", "Bearer short");
}

void TestMaskPlan::detector()
{
    QFETCH(QString, detector);
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, expected);
    auto plan = compileOrFail({detectorRule(detector)});
    QVERIFY(plan);
    const gh::MaskResult r = plan->maskBuffer(input);
    QCOMPARE(r.data, expected);
    QCOMPARE(r.hits.isEmpty(), input == expected);
    for (const gh::MaskHit &h : r.hits)
        QCOMPARE(h.detector, detector);
}

void TestMaskPlan::allDetectorsTogether()
{
    auto plan = compileOrFail(allDetectorRules());
    QVERIFY(plan);
    const QByteArray in = "Mail a@b.io, card 4111-1111-1111-1111, ssn 123-45-6789, tel (555) 123-4567, "
                          "iban DE89370400440532013000, host 10.1.2.3, key AKIAIOSFODNN7EXAMPLE, "
                          "Bearer abcdefghijklmnop1234 on 2024-01-15, ISBN 978-0-306-40615-7, 256.1.1.1.";
    const QByteArray out = "Mail [EMAIL], card [CREDIT_CARD], ssn [US_SSN], tel [PHONE], "
                           "iban [IBAN], host [IPV4], key [AWS_ACCESS_KEY], "
                           "Bearer [BEARER_TOKEN] on 2024-01-15, ISBN 978-0-306-40615-7, 256.1.1.1.";
    const gh::MaskResult r = plan->maskBuffer(in);
    QCOMPARE(r.data, out);
    QCOMPARE(r.hits.size(), 8);
    QCOMPARE(r.hits[1].rule, QStringLiteral("mask-credit-card"));
}

void TestMaskPlan::defaultAndCustomReplacement_data()
{
    QTest::addColumn<Rule>("rule");
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QByteArray>("expected");
    QTest::newRow("custom pattern, default replace")
        << patternRule(QStringLiteral("orders"), QStringLiteral("ord-[0-9]{6}")) << QByteArray("see ord-123456.")
        << QByteArray("see [MASKED].");
    QTest::newRow("custom pattern, custom replace")
        << patternRule(QStringLiteral("orders"), QStringLiteral("ord-[0-9]{6}"), QStringLiteral("<order>"))
        << QByteArray("ord-000001 ord-000002") << QByteArray("<order> <order>");
    QTest::newRow("custom pattern with groups and unicode")
        << patternRule(QStringLiteral("pw"), QStringLiteral("(Passwort|Kennwort): (\\S+)"), QStringLiteral("Passwort: ***"))
        << QByteArray("Grüße! Kennwort: geheimß ok") << QByteArray("Grüße! Passwort: *** ok");
    QTest::newRow("builtin with custom replace")
        << detectorRule(QStringLiteral("email"), QStringLiteral("***")) << QByteArray("x a@b.io y") << QByteArray("x *** y");
    QTest::newRow("replace with non-ASCII")
        << detectorRule(QStringLiteral("us_ssn"), QStringLiteral("«SSN»")) << QByteArray("123-45-6789")
        << QStringLiteral("«SSN»").toUtf8();
}

void TestMaskPlan::defaultAndCustomReplacement()
{
    QFETCH(Rule, rule);
    QFETCH(QByteArray, input);
    QFETCH(QByteArray, expected);
    auto plan = compileOrFail({rule});
    QVERIFY(plan);
    QCOMPARE(plan->maskBuffer(input).data, expected);
}

void TestMaskPlan::hitsGiveInputAndOutputOffsets()
{
    auto plan = compileOrFail({detectorRule(QStringLiteral("us_ssn")), detectorRule(QStringLiteral("bearer_token"), QStringLiteral("T"))});
    QVERIFY(plan);
    const QByteArray in = "a 123-45-6789 b Bearer 0123456789abcdef c";
    const gh::MaskResult r = plan->maskBuffer(in);
    QCOMPARE(r.data, QByteArray("a [US_SSN] b Bearer T c"));
    QCOMPARE(r.hits.size(), 2);
    QCOMPARE(r.hits[0], (gh::MaskHit{QStringLiteral("mask-us-ssn"), QStringLiteral("us_ssn"), 2, 8, 2, 11}));
    QCOMPARE(r.hits[1], (gh::MaskHit{QStringLiteral("mask-bearer-token"), QStringLiteral("bearer_token"), 20, 1, 23, 16}));
    QCOMPARE(r.data.mid(r.hits[1].offset, r.hits[1].length), QByteArray("T"));
    QCOMPARE(in.mid(r.hits[1].inputOffset, r.hits[1].inputLength), QByteArray("0123456789abcdef"));
}

void TestMaskPlan::failedChecksumLetsALaterRuleMatch()
{
    // The card rule comes first; its candidate fails Luhn, so the order-number rule gets the text.
    auto plan = compileOrFail({detectorRule(QStringLiteral("credit_card")),
                               patternRule(QStringLiteral("sixteen"), QStringLiteral("\\d{4} \\d{4} \\d{4} \\d{4}"))});
    QVERIFY(plan);
    QCOMPARE(plan->maskBuffer(QByteArray("n 4111 1111 1111 1112 / 4111 1111 1111 1111")).data,
             QByteArray("n [MASKED] / [CREDIT_CARD]"));
}

void TestMaskPlan::failedLuhnIsNotMaskedPiecemeal()
{
    // 19 digits failing Luhn whose last 15 ("4163 4776 4980 705") would pass on their own.
    QVERIFY(!gh::luhnValid("4065 4163 4776 4980 705"));
    QVERIFY(gh::luhnValid("4163 4776 4980 705"));
    auto plan = compileOrFail({detectorRule(QStringLiteral("credit_card"))});
    QVERIFY(plan);
    QCOMPARE(plan->maskBuffer(QByteArray("4065 4163 4776 4980 705")).data, QByteArray("4065 4163 4776 4980 705"));
}

void TestMaskPlan::firstRuleWinsForTheSameText()
{
    Rule a = detectorRule(QStringLiteral("email"), QStringLiteral("[A]"));
    a.name = QStringLiteral("first");
    Rule b = patternRule(QStringLiteral("second"), QStringLiteral("[a-z]+@[a-z]+\\.io"), QStringLiteral("[B]"));
    auto plan = compileOrFail({a, b});
    QVERIFY(plan);
    const gh::MaskResult r = plan->maskBuffer(QByteArray("x@y.io"));
    QCOMPARE(r.data, QByteArray("[A]"));
    QCOMPARE(r.hits.constFirst().rule, QStringLiteral("first"));
}

void TestMaskPlan::utf8AroundMatchesIsUntouched()
{
    auto plan = compileOrFail(allDetectorRules());
    QVERIFY(plan);
    const QByteArray in = QStringLiteral("Čeština 日本語 ✓ jan@example.cz – ☃ 4111111111111111 ünd").toUtf8();
    const QByteArray out = QStringLiteral("Čeština 日本語 ✓ [EMAIL] – ☃ [CREDIT_CARD] ünd").toUtf8();
    QCOMPARE(plan->maskBuffer(in).data, out);
    QCOMPARE(plan->maskBuffer(QByteArray("\xff\xfe binary \x00 123-45-6789", 23)).data, QByteArray("\xff\xfe binary \x00 [US_SSN]", 20));
}

void TestMaskPlan::emptyPlanPassesThrough()
{
    auto plan = compileOrFail({});
    QVERIFY(plan);
    QVERIFY(plan->empty());
    QCOMPARE(plan->maskBuffer(QByteArray("a@b.io 123-45-6789")).data, QByteArray("a@b.io 123-45-6789"));
}

void TestMaskPlan::cleanBodyIsShared()
{
    auto plan = compileOrFail(allDetectorRules());
    QVERIFY(plan);
    const QByteArray in = QByteArray("nothing to see here. ").repeated(100);
    const gh::MaskResult r = plan->maskBuffer(in);
    QCOMPARE(r.data, in);
    QCOMPARE(r.data.constData(), in.constData());
}

void TestMaskPlan::compileErrorsNameRuleAndKey_data()
{
    QTest::addColumn<Rule>("rule");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("message");
    Rule deny;
    deny.name = QStringLiteral("no-delete");
    deny.kind = QStringLiteral("deny");
    QTest::newRow("not a mask rule") << deny << QStringLiteral("rule \"no-delete\": kind") << QStringLiteral("only mask rules");
    QTest::newRow("unknown detector") << detectorRule(QStringLiteral("passport")) << QStringLiteral("rule \"mask-passport\": detector")
                                      << QStringLiteral("not a built-in detector");
    QTest::newRow("bad RE2") << patternRule(QStringLiteral("bad"), QStringLiteral("a(b")) << QStringLiteral("rule \"bad\": pattern")
                             << QStringLiteral("invalid RE2 pattern: missing )");
    QTest::newRow("lookahead (not RE2)") << patternRule(QStringLiteral("perl"), QStringLiteral("a(?=b)"))
                                         << QStringLiteral("rule \"perl\": pattern") << QStringLiteral("invalid RE2 pattern");
    QTest::newRow("matches empty") << patternRule(QStringLiteral("all"), QStringLiteral("x*")) << QStringLiteral("rule \"all\": pattern")
                                   << QStringLiteral("matches the empty string");
    Rule neither = detectorRule(QString());
    neither.name = QStringLiteral("neither");
    QTest::newRow("neither detector nor pattern") << neither << QStringLiteral("rule \"neither\": detector")
                                                  << QStringLiteral("exactly one of detector and pattern");
}

void TestMaskPlan::compileErrorsNameRuleAndKey()
{
    QFETCH(Rule, rule);
    QFETCH(QString, key);
    QFETCH(QString, message);
    const auto plan = MaskPlan::compile({detectorRule(QStringLiteral("email")), rule});
    QVERIFY(!plan.ok());
    QCOMPARE(plan.error().key, key);
    QVERIFY2(plan.error().message.contains(message), qPrintable(plan.error().message));
}

void TestMaskPlan::sharedAcrossThreads()
{
    auto plan = compileOrFail(allDetectorRules());
    QVERIFY(plan);
    const QByteArray in = QByteArray("user a@b.io paid with 4111 1111 1111 1111 from 10.0.0.1\n").repeated(2000);
    const QByteArray expected = plan->maskBuffer(in).data;
    QByteArray results[4];
    std::vector<std::thread> threads;
    for (QByteArray &out : results)
        threads.emplace_back([&plan, &in, &out] { out = plan->maskBuffer(QByteArrayView(in)).data; });
    for (std::thread &t : threads)
        t.join();
    for (const QByteArray &out : results)
        QCOMPARE(out, expected);
    QCOMPARE(expected.count("[CREDIT_CARD]"), 2000);
}

void TestMaskPlan::checksums_data()
{
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<bool>("luhn");
    QTest::addColumn<bool>("iban");
    QTest::newRow("visa") << QByteArray("4111 1111 1111 1111") << true << false;
    QTest::newRow("visa off by one") << QByteArray("4111 1111 1111 1112") << false << false;
    QTest::newRow("12 digits") << QByteArray("000000000000") << false << false;
    QTest::newRow("DE iban") << QByteArray("DE89 3704 0044 0532 0130 00") << false << true;
    QTest::newRow("DE iban wrong check") << QByteArray("DE88 3704 0044 0532 0130 00") << false << false;
    QTest::newRow("iban lowercase") << QByteArray("de89370400440532013000") << false << false;
    QTest::newRow("iban 35 chars") << QByteArray("DE89370400440532013000000000000000000") << false << false;
}

void TestMaskPlan::checksums()
{
    QFETCH(QByteArray, value);
    QFETCH(bool, luhn);
    QFETCH(bool, iban);
    QCOMPARE(gh::luhnValid(value), luhn);
    QCOMPARE(gh::ibanValid(value), iban);
}

QTEST_GUILESS_MAIN(TestMaskPlan)
#include "tst_maskplan.moc"

// mayMatch() decides whether the finder runs at all: wherever RE2 finds a match of any built-in
// pattern, in any slice of text, mayMatch() must say so, for every detector alone and all together.
void TestMaskPlan::prefilterNeverHidesAMatch()
{
    const QByteArray text = fragmentSoup(40000, 23);
    QList<QList<Rule>> plans{allDetectorRules()};
    for (const QString &d : gh::builtinDetectorNames())
        plans.append(QList<Rule>{detectorRule(d)});
    QRandomGenerator rng(5);
    for (const QList<Rule> &rules : plans) {
        auto plan = compileOrFail(rules);
        QVERIFY(plan);
        QByteArray alternation;
        for (const Rule &r : rules)
            alternation += (alternation.isEmpty() ? "(?:" : "|(?:") + QByteArray(gh::findDetector(r.detector)->pattern) + ')';
        const re2::RE2 finder(alternation.constData());
        QVERIFY(finder.ok());
        int withMatch = 0;
        for (int i = 0; i < 4000; ++i) {
            const qsizetype at = rng.bounded(int(text.size()));
            const int longest = i % 2 ? 120 : 800;   // a PEM block in the soup is some 60-300 bytes
            const QByteArrayView slice = QByteArrayView(text).sliced(at).first(qMin<qsizetype>(1 + rng.bounded(longest), text.size() - at));
            if (!re2::RE2::PartialMatch(piece(slice), finder))
                continue;
            ++withMatch;
            const QByteArray why = rules.first().detector.toUtf8() + ": " + slice.toByteArray();
            QVERIFY2(plan->mayMatch(slice), why.constData());
        }
        QVERIFY2(withMatch >= 20, qPrintable(rules.first().detector));   // the slices must exercise the rule
    }
}

// What the prefilter is for: text with no run shaped like a match skips the finder's DFA, and is
// passed through as it is.
void TestMaskPlan::prefilterPassesOverCleanText()
{
    auto plan = compileOrFail({detectorRule(u"email"_qs), detectorRule(u"credit_card"_qs), detectorRule(u"us_ssn"_qs),
                               detectorRule(u"phone"_qs), detectorRule(u"ipv4"_qs)});
    QVERIFY(plan);
    QRandomGenerator rng(9);
    QByteArray random(4096, Qt::Uninitialized);
    for (char &c : random)
        c = char(rng.bounded(256));
    const QByteArray base64 = random.toBase64();
    const QByteArray prose = "The gateway holds the credential, so callers never see it; every session is recorded "
                             "and can be replayed later, at any speed, by an auditor with the right role.";
    for (const QByteArray &clean : {base64, prose}) {
        QVERIFY2(!plan->mayMatch(clean), clean.left(80).constData());
        const gh::MaskResult r = plan->maskBuffer(clean);
        QCOMPARE(r.data, clean);
        QVERIFY(r.hits.isEmpty());
    }
    // A card number (which needs no particular byte: found by the length of its run of digits)
    // at every offset across the 64-byte blocks the run check reads, and an SSN (found around its
    // dashes) likewise: each is seen and masked ('|' keeps base64 digits from lengthening them).
    for (qsizetype at = 100; at < 300; ++at) {
        for (const auto &[pii, masked] : {std::pair<QByteArray, QByteArray>{"|4111 1111 1111 1111|", "|[CREDIT_CARD]|"},
                                          std::pair<QByteArray, QByteArray>{"|123-45-6789|", "|[US_SSN]|"}}) {
            const QByteArray text = base64.left(at) + pii + base64.mid(at);
            QVERIFY2(plan->mayMatch(text), qPrintable(QString::number(at)));
            const QByteArray out = plan->maskBuffer(text).data;
            QVERIFY2(out.contains(masked), out.mid(at - 20, 60).constData());
        }
    }
    // The same for a card rule alone, which only the run check can see.
    auto cards = compileOrFail({detectorRule(u"credit_card"_qs)});
    QVERIFY(cards);
    QVERIFY(!cards->mayMatch(base64));
    for (qsizetype at = 100; at < 300; ++at)
        QVERIFY2(cards->mayMatch(QByteArray(base64.left(at) + "|4111 1111 1111 1111|" + base64.mid(at))), qPrintable(QString::number(at)));
    // One match anywhere, even at the very end, and the finder runs and masks it.
    const QByteArray dirty = base64 + " call (555) 123-4567";
    QVERIFY(plan->mayMatch(dirty));
    QVERIFY(plan->maskBuffer(dirty).data.endsWith(" call [PHONE]"));
    // A custom pattern may match anything: the finder always runs.
    auto custom = compileOrFail({detectorRule(u"email"_qs), patternRule(u"ids"_qs, u"id-[0-9]+"_qs)});
    QVERIFY(custom);
    QVERIFY(custom->mayMatch(base64));
}
