#include "core/Resources.h"

#include <QFile>
#include <QJsonDocument>
#include <QTest>

using namespace std::chrono_literals;

namespace {

QByteArray readRich()
{
    QFile f(QStringLiteral(GATEHOUSE_CORE_TESTDATA "/rich.toml"));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll();
}

// A valid connection the broken rows can put in front of their mistake.
const QByteArray kHttpConn = "[[connection]]\nname = 'a'\ntype = 'http'\nupstream = 'http://127.0.0.1:9000'\n";

} // namespace

class tst_Resources final : public QObject {
    Q_OBJECT

private slots:
    void richFileParses()
    {
        const auto set = gh::parseResources(readRich(), u"rich.toml"_qs);
        QVERIFY2(set.ok(), qPrintable(set.ok() ? QString() : set.error().toString()));
        QCOMPARE(set->connections.size(), 3);
        QCOMPARE(set->rules.size(), 5);

        const gh::Connection &llm = set->connections[0];
        QCOMPARE(llm.name, u"llm"_qs);
        QCOMPARE(llm.line, 2);
        QCOMPARE(llm.upstream, u"https://api.example.com:8443/v1"_qs);
        QCOMPARE(llm.allowGroups, (QStringList{u"ml-eng"_qs, u"ci-bots"_qs, u"team/ml:ops@corp"_qs}));
        QCOMPARE(llm.credential.header, u"Authorization"_qs);
        QCOMPARE(llm.credential.value, u"Bearer ${env:LLM_API_KEY}"_qs);
        QCOMPARE(llm.caFile, u"/etc/gatehouse/ca.pem"_qs);
        QCOMPARE(set->connections[1].credential.user, u"app"_qs);
        QCOMPARE(set->connections[1].database, u"appdb"_qs);
        QVERIFY(set->connections[2].credential.isEmpty());

        const gh::Rule &deny = set->rules[0];
        QCOMPARE(deny.kind, u"deny"_qs);
        QCOMPARE(deny.match.method, u"GET"_qs);
        QCOMPARE(deny.match.path, u"^/v1/models/.*/weights"_qs);
        QCOMPARE(deny.match.headers.size(), 2);
        QVERIFY(deny.match.headers.contains(qMakePair(u"X-Api-Version"_qs, u"^2\\."_qs)));
        QCOMPARE(set->rules[1].match.queryClass, u"ddl"_qs);
        QCOMPARE(set->rules[1].connections, QStringList{u"appdb"_qs});
        QCOMPARE(set->rules[1].groups, QStringList{u"*"_qs});   // default: everyone

        const gh::Rule &approve = set->rules[2];
        QCOMPARE(approve.approvers, (QStringList{u"security"_qs, u"data-owners"_qs}));
        QCOMPARE(approve.approvals, 2);
        QVERIFY(approve.justification);
        QCOMPARE(approve.timeout, std::chrono::milliseconds(90min));

        QCOMPARE(set->rules[3].detector, u"email"_qs);
        QCOMPARE(set->rules[3].connections, QStringList{u"*"_qs});
        const gh::Rule &mask = set->rules[4];
        QCOMPARE(mask.pattern, u"EMP-\\d{6}"_qs);
        QCOMPARE(mask.replace, QString::fromUtf8("tab\there \"quoted\" back\\slash ünïcødé 🔒 \x01 del\x7f"));
        QCOMPARE(mask.jsonFields.size(), 3);
        QCOMPARE(mask.columns, (QStringList{u"email"_qs, u"*.ssn"_qs}));
    }

    void tomlRoundTrip()
    {
        const auto set = gh::parseResources(readRich(), u"rich.toml"_qs);
        QVERIFY(set.ok());
        const QByteArray written = gh::toToml(*set);
        const auto again = gh::parseResources(written, u"export.toml"_qs);
        QVERIFY2(again.ok(), qPrintable(again.ok() ? QString() : again.error().toString() + u"\n"_qs + QString::fromUtf8(written)));
        QCOMPARE(again->connections, set->connections);
        QCOMPARE(again->rules, set->rules);
        QCOMPARE(gh::toToml(*again), written);   // export is stable
    }

    void tomlRoundTripOfAwkwardStrings()
    {
        gh::ResourceSet set;
        gh::Connection c;
        c.name = u"x"_qs;
        c.type = u"http"_qs;
        c.upstream = u"http://127.0.0.1:1"_qs;
        c.credential.header = u"X-Key"_qs;
        c.credential.value = QString::fromUtf8("\"'\\ \\u0041 ${env:A} \r\n\t\x1f 日本語 \xF0\x9F\x94\x91 '''\"\"\"");
        set.connections << c;
        gh::Rule r;
        r.name = u"m"_qs;
        r.kind = u"mask"_qs;
        r.pattern = u"\"[^\"]+\"\\s*\\\\"_qs;
        r.replace = u"#"_qs;
        set.rules << r;
        const auto again = gh::parseResources(gh::toToml(set), u"x.toml"_qs);
        QVERIFY2(again.ok(), qPrintable(again.ok() ? QString() : again.error().toString()));
        QCOMPARE(again->connections, set.connections);
        QCOMPARE(again->rules, set.rules);
    }

    void jsonRoundTrip()
    {
        const auto set = gh::parseResources(readRich(), u"rich.toml"_qs);
        QVERIFY(set.ok());
        for (const gh::Connection &c : set->connections) {
            // Through text as the admin API sends it, not just the in-memory object.
            const QByteArray text = QJsonDocument(gh::toJson(c)).toJson();
            const auto back = gh::connectionFromJson(QJsonDocument::fromJson(text).object());
            QVERIFY2(back.ok(), qPrintable(back.ok() ? QString() : back.error().toString()));
            QCOMPARE(*back, c);
        }
        for (const gh::Rule &r : set->rules) {
            const QByteArray text = QJsonDocument(gh::toJson(r)).toJson();
            const auto back = gh::ruleFromJson(QJsonDocument::fromJson(text).object());
            QVERIFY2(back.ok(), qPrintable(back.ok() ? QString() : back.error().toString()));
            QCOMPARE(*back, r);
        }
        QCOMPARE(gh::toJson(set->rules[2]).value(u"timeout"_qs).toString(), u"1h30m"_qs);
    }

    void jsonIsValidatedLikeToml_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("messagePart");
        QTest::newRow("unknown key") << QByteArray("{\"name\":\"r\",\"kind\":\"deny\",\"match\":{\"path\":\"x\"},\"severity\":\"high\"}")
                                     << u"rule \"r\": severity"_qs << u"unknown key"_qs;
        QTest::newRow("bad pattern") << QByteArray("{\"name\":\"r\",\"kind\":\"deny\",\"match\":{\"path\":\"(x\"}}")
                                     << u"rule \"r\": match.path"_qs << u"missing )"_qs;
        QTest::newRow("null value") << QByteArray("{\"name\":\"r\",\"kind\":\"deny\",\"match\":null}")
                                    << u"rule \"r\": match"_qs << u"null"_qs;
        QTest::newRow("approvals fraction") << QByteArray("{\"name\":\"r\",\"kind\":\"approve\",\"match\":{\"path\":\"x\"},\"approvers\":[\"s\"],\"approvals\":1.5}")
                                            << u"rule \"r\": approvals"_qs << u"expected an integer"_qs;
        QTest::newRow("approvals huge") << QByteArray("{\"name\":\"r\",\"kind\":\"approve\",\"match\":{\"path\":\"x\"},\"approvers\":[\"s\"],\"approvals\":1e300}")
                                        << u"rule \"r\": approvals"_qs << u"expected an integer"_qs;
        QTest::newRow("mask with approvers") << QByteArray("{\"name\":\"r\",\"kind\":\"mask\",\"detector\":\"email\",\"approvers\":[\"s\"]}")
                                             << u"rule \"r\": approvers"_qs << u"only approve rules"_qs;
    }
    void jsonIsValidatedLikeToml()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, key);
        QFETCH(QString, messagePart);
        const auto r = gh::ruleFromJson(QJsonDocument::fromJson(json).object());
        QVERIFY(!r.ok());
        QCOMPARE(r.error().key, key);
        QCOMPARE(r.error().line, 0);
        QVERIFY2(r.error().message.contains(messagePart), qPrintable(r.error().message));
    }

    void connectionJsonRejectsUnknownCredentialKey()
    {
        const auto c = gh::connectionFromJson(QJsonDocument::fromJson(
            "{\"name\":\"a\",\"type\":\"http\",\"upstream\":\"http://127.0.0.1:1\",\"credential\":{\"header\":\"A\",\"value\":\"b\",\"token\":\"c\"}}").object());
        QVERIFY(!c.ok());
        QCOMPARE(c.error().key, u"connection \"a\": credential.token"_qs);
    }

    void validateChecksProgrammaticRules()
    {
        gh::Rule r;
        r.name = u"m"_qs;
        r.kind = u"mask"_qs;
        r.detector = u"email"_qs;
        r.line = 7;
        QVERIFY(gh::validate(r).ok());
        r.approvals = 3;
        const gh::Status s = gh::validate(r);
        QVERIFY(!s.ok());
        QCOMPARE(s.error().key, u"rule \"m\": approvals"_qs);
        QCOMPARE(s.error().line, 7);
        r.approvals = 1;
        r.detector = u"e-mail"_qs;
        QVERIFY(!gh::validate(r).ok());
    }

    void emptyFileIsEmptySet()
    {
        const auto set = gh::parseResources("# nothing yet\n", u"e.toml"_qs);
        QVERIFY(set.ok());
        QVERIFY(set->connections.isEmpty());
        QVERIFY(set->rules.isEmpty());
    }

    void builtinDetectors()
    {
        const QStringList &names = gh::builtinDetectorNames();
        for (const char *n : {"email", "credit_card", "us_ssn", "phone", "iban", "ipv4", "jwt", "aws_access_key",
                              "private_key", "bearer_token"})
            QVERIFY2(names.contains(QLatin1String(n)), n);
    }

    void brokenFiles_data()
    {
        QTest::addColumn<QByteArray>("toml");
        QTest::addColumn<int>("line");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("messagePart");

        const QByteArray rule = "[[rule]]\nname = 'r'\n";   // lines 1-2
        const QByteArray deny = rule + "kind = 'deny'\n";     // lines 1-3
        const QByteArray approve = rule + "kind = 'approve'\nmatch = { path = 'x' }\n";   // lines 1-4
        const QByteArray mask = rule + "kind = 'mask'\n";     // lines 1-3

        QTest::newRow("syntax error") << QByteArray("[[rule]]\nname = 'r\n") << 2 << QString() << u"syntax"_qs;
        QTest::newRow("unknown table") << QByteArray("\n[[connections]]\nname = 'a'\n") << 2 << u"connections"_qs << u"unknown table"_qs;
        QTest::newRow("connection not array") << QByteArray("[connection]\nname = 'a'\n") << 1 << u"connection"_qs << u"[[connection]]"_qs;
        QTest::newRow("missing name") << QByteArray("[[rule]]\nkind = 'deny'\n") << 1 << u"rule #1: name"_qs << u"missing required key"_qs;
        QTest::newRow("name wrong type") << QByteArray("[[rule]]\nname = 3\n") << 2 << u"rule #1: name"_qs << u"expected a string"_qs;
        QTest::newRow("bad connection name") << QByteArray("[[connection]]\nname = 'LLM_1'\ntype = 'http'\nupstream = 'http://h'\n")
                                             << 2 << u"connection \"LLM_1\": name"_qs << u"a-z, 0-9 and -"_qs;
        QTest::newRow("name too long") << QByteArray("[[rule]]\nname = '" + QByteArray(64, 'a') + "'\nkind = 'mask'\ndetector = 'email'\n")
                                       << 2 << u"rule \""_qs + QString(64, u'a') + u"\": name"_qs << u"1 to 63"_qs;
        QTest::newRow("duplicate connection") << kHttpConn + "\n" + kHttpConn << 7 << u"connection \"a\": name"_qs << u"first defined on line 2"_qs;
        QTest::newRow("missing type") << QByteArray("[[connection]]\nname = 'a'\nupstream = 'http://h'\n")
                                      << 1 << u"connection \"a\": type"_qs << u"missing required key"_qs;
        QTest::newRow("bad type") << QByteArray("[[connection]]\nname = 'a'\ntype = 'grpc'\nupstream = 'http://h'\n")
                                  << 3 << u"connection \"a\": type"_qs << u"\"http\" or \"postgres\""_qs;
        QTest::newRow("postgres with http upstream") << QByteArray("[[connection]]\nname = 'a'\ntype = 'postgres'\nupstream = 'http://h'\n")
                                                     << 4 << u"connection \"a\": upstream"_qs << u"postgres://"_qs;
        QTest::newRow("http with ftp upstream") << QByteArray("[[connection]]\nname = 'a'\ntype = 'http'\nupstream = 'ftp://h'\n")
                                                << 4 << u"connection \"a\": upstream"_qs << u"http://"_qs;
        QTest::newRow("upstream without host") << QByteArray("[[connection]]\nname = 'a'\ntype = 'http'\nupstream = 'http:/just/a/path'\n")
                                               << 4 << u"connection \"a\": upstream"_qs << u"no host"_qs;
        QTest::newRow("upstream with password") << QByteArray("[[connection]]\nname = 'a'\ntype = 'http'\nupstream = 'http://u:pw@h'\n")
                                                << 4 << u"connection \"a\": upstream"_qs << u"use credential"_qs;
        QTest::newRow("unknown connection key") << kHttpConn + "timeout = '5s'\n" << 5 << u"connection \"a\": timeout"_qs << u"unknown key"_qs;
        QTest::newRow("credential unknown key") << kHttpConn + "credential = { header = 'A', value = 'b', token = 'c' }\n"
                                                << 5 << u"connection \"a\": credential.token"_qs << u"unknown key"_qs;
        QTest::newRow("credential user on http") << kHttpConn + "credential = { user = 'u', password = 'p' }\n"
                                                 << 5 << u"connection \"a\": credential.user"_qs << u"only postgres"_qs;
        QTest::newRow("credential without value") << kHttpConn + "credential = { header = 'Authorization' }\n"
                                                  << 5 << u"connection \"a\": credential.value"_qs << u"missing required key"_qs;
        QTest::newRow("credential bad header") << kHttpConn + "credential = { header = 'Bad Header', value = 'x' }\n"
                                               << 5 << u"connection \"a\": credential.header"_qs << u"not a valid HTTP header name"_qs;
        QTest::newRow("credential not a table") << kHttpConn + "credential = 'Bearer x'\n"
                                                << 5 << u"connection \"a\": credential"_qs << u"expected a table"_qs;
        QTest::newRow("allow_groups not array") << kHttpConn + "allow_groups = 'ml'\n"
                                                << 5 << u"connection \"a\": allow_groups"_qs << u"array of strings"_qs;
        QTest::newRow("allow_groups bad element") << kHttpConn + "allow_groups = [\n  'ok',\n  'not ok',\n]\n"
                                                  << 7 << u"connection \"a\": allow_groups"_qs << u"\"not ok\" is not a valid group"_qs;
        QTest::newRow("database on http") << kHttpConn + "database = 'x'\n" << 5 << u"connection \"a\": database"_qs << u"only postgres"_qs;
        QTest::newRow("ca_file on plain http") << kHttpConn + "ca_file = '/ca.pem'\n" << 5 << u"connection \"a\": ca_file"_qs << u"https"_qs;

        QTest::newRow("bad kind") << rule + "kind = 'block'\n" << 3 << u"rule \"r\": kind"_qs << u"\"deny\", \"approve\" or \"mask\""_qs;
        QTest::newRow("missing kind") << rule << 1 << u"rule \"r\": kind"_qs << u"missing required key"_qs;
        QTest::newRow("unknown rule key") << deny + "severity = 'high'\n" << 4 << u"rule \"r\": severity"_qs << u"unknown key"_qs;
        QTest::newRow("deny without match") << deny << 1 << u"rule \"r\": match"_qs << u"non-empty match"_qs;
        QTest::newRow("deny with empty match") << deny + "match = {}\n" << 4 << u"rule \"r\": match"_qs << u"non-empty match"_qs;
        QTest::newRow("bad path pattern") << deny + "\nmatch = { path = '^/v1/(models' }\n"
                                          << 5 << u"rule \"r\": match.path"_qs << u"invalid RE2 pattern: missing )"_qs;
        QTest::newRow("path on its own line") << deny + "[rule.match]\nmethod = 'GET'\npath = '[z-a]'\n"
                                              << 6 << u"rule \"r\": match.path"_qs << u"invalid RE2 pattern"_qs;
        QTest::newRow("bad header pattern") << deny + "match = { header = { 'X-Foo' = '*x' } }\n"
                                            << 4 << u"rule \"r\": match.header.X-Foo"_qs << u"invalid RE2 pattern"_qs;
        QTest::newRow("bad header name") << deny + "match = { header = { 'X Foo' = 'x' } }\n"
                                         << 4 << u"rule \"r\": match.header.X Foo"_qs << u"not a valid HTTP header name"_qs;
        QTest::newRow("unknown match key") << deny + "match = { url = 'x' }\n" << 4 << u"rule \"r\": match.url"_qs << u"unknown key"_qs;
        QTest::newRow("bad class") << deny + "match = { class = 'select' }\n" << 4 << u"rule \"r\": match.class"_qs << u"ddl, dml, read, dcl, tcl"_qs;
        QTest::newRow("mixed match keys") << deny + "match = { path = 'x', query = 'y' }\n" << 4 << u"rule \"r\": match.query"_qs << u"never matches"_qs;
        QTest::newRow("bad connection glob") << deny + "match = { path = 'x' }\nconnections = ['LLM']\n"
                                             << 5 << u"rule \"r\": connections"_qs << u"\"LLM\" is not a connection name or glob"_qs;
        QTest::newRow("bad group glob") << deny + "match = { path = 'x' }\ngroups = ['a b']\n"
                                        << 5 << u"rule \"r\": groups"_qs << u"\"a b\" is not a group"_qs;
        QTest::newRow("empty connections") << deny + "match = { path = 'x' }\nconnections = []\n"
                                           << 5 << u"rule \"r\": connections"_qs << u"must not be empty"_qs;
        QTest::newRow("approve without approvers") << approve << 1 << u"rule \"r\": approvers"_qs << u"at least one approver"_qs;
        QTest::newRow("approvals too many") << approve + "approvers = ['s']\napprovals = 11\n"
                                            << 6 << u"rule \"r\": approvals"_qs << u"between 1 and 10"_qs;
        QTest::newRow("approvals zero") << approve + "approvers = ['s']\napprovals = 0\n"
                                        << 6 << u"rule \"r\": approvals"_qs << u"between 1 and 10"_qs;
        QTest::newRow("approvals string") << approve + "approvers = ['s']\napprovals = '2'\n"
                                          << 6 << u"rule \"r\": approvals"_qs << u"expected an integer"_qs;
        QTest::newRow("bad timeout") << approve + "approvers = ['s']\ntimeout = '5 minutes'\n"
                                     << 6 << u"rule \"r\": timeout"_qs << u"invalid duration"_qs;
        QTest::newRow("justification not bool") << approve + "approvers = ['s']\njustification = 'yes'\n"
                                                << 6 << u"rule \"r\": justification"_qs << u"true or false"_qs;
        QTest::newRow("approver glob") << approve + "approvers = ['sec*']\n"
                                       << 5 << u"rule \"r\": approvers"_qs << u"\"sec*\" is not a group name"_qs;
        QTest::newRow("approve with replace") << approve + "approvers = ['s']\nreplace = 'x'\n"
                                              << 6 << u"rule \"r\": replace"_qs << u"only mask rules take this key"_qs;
        QTest::newRow("mask with approvers") << mask + "detector = 'email'\napprovers = ['s']\n"
                                             << 5 << u"rule \"r\": approvers"_qs << u"only approve rules take this key, not mask rules"_qs;
        QTest::newRow("mask with timeout") << mask + "detector = 'email'\ntimeout = '5m'\n"
                                           << 5 << u"rule \"r\": timeout"_qs << u"only approve rules"_qs;
        QTest::newRow("mask with match") << mask + "detector = 'email'\nmatch = { path = 'x' }\n"
                                         << 5 << u"rule \"r\": match"_qs << u"only deny and approve rules"_qs;
        QTest::newRow("deny with detector") << deny + "match = { path = 'x' }\ndetector = 'email'\n"
                                            << 5 << u"rule \"r\": detector"_qs << u"only mask rules"_qs;
        QTest::newRow("mask with neither") << mask + "replace = 'x'\n" << 1 << u"rule \"r\": detector"_qs << u"exactly one of detector and pattern"_qs;
        QTest::newRow("mask with both") << mask + "detector = 'email'\npattern = 'x'\n"
                                        << 5 << u"rule \"r\": pattern"_qs << u"exactly one of detector and pattern"_qs;
        QTest::newRow("unknown detector") << mask + "detector = 'ssn'\n" << 4 << u"rule \"r\": detector"_qs << u"not a built-in detector"_qs;
        QTest::newRow("bad mask pattern") << mask + "pattern = '(?<name>x'\n" << 4 << u"rule \"r\": pattern"_qs << u"invalid RE2 pattern"_qs;
        QTest::newRow("mask pattern matches nothing") << mask + "pattern = 'x*'\n" << 4 << u"rule \"r\": pattern"_qs << u"empty string"_qs;
        QTest::newRow("bad json path") << mask + "detector = 'us_ssn'\njson_fields = [\n  '$.a',\n  'user.ssn',\n]\n"
                                       << 7 << u"rule \"r\": json_fields"_qs << u"JSON path"_qs;
        QTest::newRow("json path bad index") << mask + "detector = 'us_ssn'\njson_fields = ['$.items[x]']\n"
                                             << 5 << u"rule \"r\": json_fields"_qs << u"JSON path"_qs;
        QTest::newRow("bad column glob") << mask + "detector = 'us_ssn'\ncolumns = ['a;b']\n"
                                         << 5 << u"rule \"r\": columns"_qs << u"column name or glob"_qs;
        QTest::newRow("duplicate rule") << deny + "match = { path = 'x' }\n\n" + deny + "match = { path = 'y' }\n"
                                        << 7 << u"rule \"r\": name"_qs << u"duplicate rule name (first defined on line 2)"_qs;
        QTest::newRow("second rule is the bad one") << deny + "match = { path = 'x' }\n[[rule]]\nname = 's'\nkind = 'deny'\nmatch = { body = '\\' }\n"
                                                   << 8 << u"rule \"s\": match.body"_qs << u"trailing \\"_qs;
    }
    void brokenFiles()
    {
        QFETCH(QByteArray, toml);
        QFETCH(int, line);
        QFETCH(QString, key);
        QFETCH(QString, messagePart);
        const auto set = gh::parseResources(toml, u"res.toml"_qs);
        QVERIFY2(!set.ok(), toml.constData());
        const gh::Error &e = set.error();
        QCOMPARE(e.key, key);
        QCOMPARE(e.line, line);
        QCOMPARE(e.file, u"res.toml"_qs);
        QVERIFY2(e.message.contains(messagePart), qPrintable(e.message));
    }
};

QTEST_GUILESS_MAIN(tst_Resources)
#include "tst_resources.moc"
