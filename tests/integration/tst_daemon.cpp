// The real gatehoused on an empty data dir, driven through its admin API and the real gatehousectl.
#include "support/DaemonProcess.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

#include <sys/stat.h>

using gh::test::DaemonProcess;

namespace {

int modeOf(const QString &path)
{
    struct stat st {};
    if (::stat(QFile::encodeName(path).constData(), &st) != 0)
        return -1;
    return int(st.st_mode & 0777);
}

QString writeFile(const QString &dir, const QString &name, const QByteArray &content)
{
    const QString path = dir + QLatin1Char('/') + name;
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return {};
    f.write(content);
    return path;
}

const QByteArray kResources =
    "# a connection and a rule of each kind\n"
    "[[connection]]\n"
    "name         = \"llm\"\n"
    "type         = \"http\"\n"
    "upstream     = \"http://127.0.0.1:9000\"\n"
    "allow_groups = [\"ml-eng\", \"ci-bots\"]\n"
    "credential   = { header = \"Authorization\", value = \"Bearer ${env:LLM_API_KEY}\" }\n"
    "\n"
    "[[connection]]\n"
    "name         = \"billing\"\n"
    "type         = \"http\"\n"
    "upstream     = \"http://127.0.0.1:9001\"\n"
    "allow_groups = [\"finance\"]\n"
    "credential   = { header = \"X-Api-Key\", value = \"sk-live-literal-secret-1234\" }\n"
    "\n"
    "[[rule]]\n"
    "name        = \"no-weight-export\"\n"
    "kind        = \"deny\"\n"
    "connections = [\"llm\"]\n"
    "match       = { method = \"GET\", path = \"^/v1/models/.*/weights\" }\n"
    "\n"
    "[[rule]]\n"
    "name        = \"mask-email\"\n"
    "kind        = \"mask\"\n"
    "detector    = \"email\"\n"
    "replace     = \"[EMAIL]\"\n";

} // namespace

class TestDaemon final : public QObject {
    Q_OBJECT

private slots:
    void startsOnEmptyDataDirWithPrivateFiles();
    void adminApiRefusesMissingOrWrongToken();
    void checkConfigNamesFileLineAndKey();
    void applyIsIdempotentAndExportAppliesBack();
    void badRuleChangesNothing();
    void literalCredentialIsSealedAtRest();
    void tokensIssueRevokeAndRoles();
    void tokenFromAnotherDataDirIsRefused();
    void revocationSurvivesRestart();
    void sigtermDrainsAndExitsZero();
};

void TestDaemon::startsOnEmptyDataDirWithPrivateFiles()
{
    DaemonProcess d;
    QVERIFY2(d.start(), qPrintable(d.error()));
    qInfo("gatehoused start-to-ready: %lld ms", d.startMs());
    QCOMPARE(modeOf(d.dataDir()), 0700);
    for (const char *name : {"admin.token", "signing.key", "secret.key", "gatehouse.db"}) {
        const QString path = d.dataDir() + QLatin1Char('/') + QLatin1String(name);
        QVERIFY2(QFile::exists(path), name);
        QCOMPARE(modeOf(path), 0600);
    }
    QVERIFY(d.adminToken().size() >= 32);

    const auto health = d.request("GET", QStringLiteral("/healthz"), {});
    QCOMPARE(health.status, 200);
    QCOMPARE(health.json().object().value(QStringLiteral("status")).toString(), QStringLiteral("ok"));

    const auto conns = d.request("GET", QStringLiteral("/api/v1/connections"), d.adminToken());
    QCOMPARE(conns.status, 200);
    QVERIFY(conns.json().isArray());
    QCOMPARE(conns.json().array().size(), 0);

    const auto metrics = d.request("GET", QStringLiteral("/metrics"), {});
    QCOMPARE(metrics.status, 200);
    QVERIFY(metrics.body.contains("# TYPE gatehouse_admin_requests_total counter"));

    // Nothing secret reaches the log.
    QVERIFY(!d.stderrText().contains(d.adminToken()));
    QVERIFY(d.stderrText().contains(d.dataDir().toUtf8()));
    QCOMPARE(d.stop(), 0);
}

void TestDaemon::adminApiRefusesMissingOrWrongToken()
{
    DaemonProcess d;
    QVERIFY2(d.start(), qPrintable(d.error()));
    for (const QByteArray &token : {QByteArray(), QByteArray("gha_wrong-token-wrong-token-wrong-token"),
                                    QByteArray("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")}) {
        const auto r = d.request("GET", QStringLiteral("/api/v1/connections"), token);
        QCOMPARE(r.status, 401);
        QCOMPARE(r.json().object().value(QStringLiteral("error")).toString(), QStringLiteral("unauthenticated"));
    }
    const auto ctl = d.ctl({QStringLiteral("--server"), d.adminUrl(), QStringLiteral("--token"),
                            QStringLiteral("gha_not-the-token-not-the-token-1234"), QStringLiteral("get"),
                            QStringLiteral("connections")},
                           true);
    QCOMPARE(ctl.exitCode, 1);
    QVERIFY(ctl.err.startsWith("gatehousectl: "));
    QCOMPARE(ctl.err.count('\n'), 1);
}

void TestDaemon::checkConfigNamesFileLineAndKey()
{
    QTemporaryDir tmp;
    const QString bad = writeFile(tmp.path(), QStringLiteral("bad.toml"),
                                  "[gateway]\nadmin_listen = \"127.0.0.1:1\"\n\n[identity]\nmax_token_ttl = \"soon\"\n");
    QProcess p;
    p.start(gh::test::builtProgram(QStringLiteral("gatehoused")), {QStringLiteral("--config"), bad, QStringLiteral("--check-config")});
    QVERIFY(p.waitForFinished(10000));
    QCOMPARE(p.exitCode(), 2);
    const QByteArray err = p.readAllStandardError();
    QVERIFY2(err.startsWith("gatehoused: "), err.constData());
    QVERIFY2(err.contains("bad.toml:5"), err.constData());
    QVERIFY2(err.contains("identity.max_token_ttl"), err.constData());

    const QString good = writeFile(tmp.path(), QStringLiteral("good.toml"), "[gateway]\nadmin_listen = \"127.0.0.1:0\"\n");
    p.start(gh::test::builtProgram(QStringLiteral("gatehoused")), {QStringLiteral("--config"), good, QStringLiteral("--check-config")});
    QVERIFY(p.waitForFinished(10000));
    QCOMPARE(p.exitCode(), 0);

    p.start(gh::test::builtProgram(QStringLiteral("gatehoused")), {QStringLiteral("--no-such-flag")});
    QVERIFY(p.waitForFinished(10000));
    QCOMPARE(p.exitCode(), 2);
}

void TestDaemon::applyIsIdempotentAndExportAppliesBack()
{
    DaemonProcess d;
    QVERIFY2(d.start(), qPrintable(d.error()));
    QTemporaryDir tmp;
    const QString file = writeFile(tmp.path(), QStringLiteral("res.toml"), kResources);

    auto r = d.ctl({QStringLiteral("apply"), QStringLiteral("-f"), file});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.contains("connection/llm created"), r.out.constData());
    QVERIFY(r.out.contains("rule/mask-email created"));

    r = d.ctl({QStringLiteral("apply"), QStringLiteral("-f"), file});
    QCOMPARE(r.exitCode, 0);
    QVERIFY(!r.out.contains("created"));
    QVERIFY(!r.out.contains("updated"));
    QCOMPARE(r.out.count("unchanged"), 4);

    r = d.ctl({QStringLiteral("get"), QStringLiteral("connections"), QStringLiteral("-o"), QStringLiteral("json")});
    QCOMPARE(r.exitCode, 0);
    const QJsonArray conns = QJsonDocument::fromJson(r.out).array();
    QCOMPARE(conns.size(), 2);
    QStringList names;
    for (const QJsonValue &c : conns)
        names << c.toObject().value(QStringLiteral("name")).toString();
    names.sort();
    QCOMPARE(names, (QStringList{QStringLiteral("billing"), QStringLiteral("llm")}));

    const QString exported = tmp.filePath(QStringLiteral("export.toml"));
    r = d.ctl({QStringLiteral("export"), QStringLiteral("-o"), exported});
    QCOMPARE(r.exitCode, 0);

    // The exported file applies back to the same state, on this gateway ...
    r = d.ctl({QStringLiteral("apply"), QStringLiteral("-f"), exported});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.out.count("unchanged"), 4);

    // ... and builds the same resources on a fresh one, except the sealed secret, which only the
    // gateway that sealed it can open.
    DaemonProcess other;
    QVERIFY2(other.start(), qPrintable(other.error()));
    r = other.ctl({QStringLiteral("apply"), QStringLiteral("-f"), exported});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("billing"), r.err.constData());
}

void TestDaemon::badRuleChangesNothing()
{
    DaemonProcess d;
    QVERIFY2(d.start(), qPrintable(d.error()));
    QTemporaryDir tmp;
    QVERIFY(d.ctl({QStringLiteral("apply"), QStringLiteral("-f"), writeFile(tmp.path(), QStringLiteral("a.toml"), kResources)}).exitCode == 0);
    const QByteArray before = d.ctl({QStringLiteral("export")}).out;
    QVERIFY(before.contains("no-weight-export"));

    QByteArray broken = kResources;
    broken.replace("\"GET\"", "\"POST\"");   // a change that would apply ...
    broken += "\n[[rule]]\nname = \"bad-one\"\nkind = \"deny\"\nmatch = { path = \"^/v1/(unclosed\" }\n";   // ... and one that cannot
    const QString file = writeFile(tmp.path(), QStringLiteral("broken.toml"), broken);
    const int badLine = int(broken.left(broken.indexOf("(unclosed")).count('\n')) + 1;
    const auto r = d.ctl({QStringLiteral("apply"), QStringLiteral("-f"), file});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.startsWith("gatehousectl: "), r.err.constData());
    QVERIFY2(r.err.contains(QStringLiteral("broken.toml:%1").arg(badLine).toUtf8()), r.err.constData());
    QVERIFY2(r.err.contains("bad-one"), r.err.constData());
    QVERIFY2(r.err.contains("match.path"), r.err.constData());
    QCOMPARE(d.ctl({QStringLiteral("export")}).out, before);
}

void TestDaemon::literalCredentialIsSealedAtRest()
{
    DaemonProcess d;
    QVERIFY2(d.start(), qPrintable(d.error()));
    QTemporaryDir tmp;
    QCOMPARE(d.ctl({QStringLiteral("apply"), QStringLiteral("-f"), writeFile(tmp.path(), QStringLiteral("a.toml"), kResources)}).exitCode, 0);
    const auto r = d.request("GET", QStringLiteral("/api/v1/connections/billing"), d.adminToken());
    QCOMPARE(r.status, 200);
    const QString value = r.json().object().value(QStringLiteral("credential")).toObject().value(QStringLiteral("value")).toString();
    QVERIFY2(value.startsWith(QStringLiteral("${sealed:")), qPrintable(value));
    // References stay readable: they are not secrets.
    const auto llm = d.request("GET", QStringLiteral("/api/v1/connections/llm"), d.adminToken());
    QCOMPARE(llm.json().object().value(QStringLiteral("credential")).toObject().value(QStringLiteral("value")).toString(),
             QStringLiteral("Bearer ${env:LLM_API_KEY}"));
    QCOMPARE(d.stop(), 0);
    for (const char *file : {"gatehouse.db", "gatehouse.db-wal"}) {
        QFile db(d.dataDir() + QLatin1Char('/') + QLatin1String(file));
        if (db.open(QIODevice::ReadOnly))
            QVERIFY2(!db.readAll().contains("sk-live-literal-secret-1234"), file);
    }
    QVERIFY(!d.stderrText().contains("sk-live-literal-secret-1234"));
}

void TestDaemon::tokensIssueRevokeAndRoles()
{
    DaemonProcess d;
    d.setExtraConfig("[identity]\nmax_token_ttl = \"1h\"\n[roles]\nadmin = [\"gatehouse-admins\"]\nauditor = [\"auditors\"]\n");
    QVERIFY2(d.start(), qPrintable(d.error()));
    auto issue = [&](const QString &subject, const QString &groups, const QString &ttl) {
        return d.ctl({QStringLiteral("token"), QStringLiteral("issue"), QStringLiteral("--subject"), subject,
                      QStringLiteral("--groups"), groups, QStringLiteral("--ttl"), ttl});
    };
    auto r = issue(QStringLiteral("ana"), QStringLiteral("ml-eng"), QStringLiteral("15m"));
    QCOMPARE(r.exitCode, 0);
    const QByteArray plain = r.out.trimmed();
    QCOMPARE(plain.count('.'), 2);
    QCOMPARE(r.out.count('\n'), 1);   // the token alone on stdout

    // A valid token without a role: authenticated, but the admin API is closed to it.
    auto who = d.request("GET", QStringLiteral("/api/v1/whoami"), plain);
    QCOMPARE(who.status, 200);
    QCOMPARE(who.json().object().value(QStringLiteral("subject")).toString(), QStringLiteral("ana"));
    QCOMPARE(d.request("GET", QStringLiteral("/api/v1/connections"), plain).status, 403);
    QCOMPARE(d.request("GET", QStringLiteral("/api/v1/sessions"), plain).status, 403);

    const QByteArray admin = issue(QStringLiteral("root"), QStringLiteral("gatehouse-admins"), QStringLiteral("5m")).out.trimmed();
    QCOMPARE(d.request("GET", QStringLiteral("/api/v1/connections"), admin).status, 200);
    const QByteArray auditor = issue(QStringLiteral("audrey"), QStringLiteral("auditors"), QStringLiteral("5m")).out.trimmed();
    QCOMPARE(d.request("GET", QStringLiteral("/api/v1/sessions"), auditor).status, 200);
    QCOMPARE(d.request("GET", QStringLiteral("/api/v1/connections"), auditor).status, 403);
    QCOMPARE(d.request("POST", QStringLiteral("/api/v1/tokens"), auditor, "{\"subject\":\"x\"}").status, 403);

    // A ttl over max_token_ttl is cut down, and said so on stderr.
    r = issue(QStringLiteral("bob"), QStringLiteral("ml-eng"), QStringLiteral("48h"));
    QCOMPARE(r.exitCode, 0);
    QVERIFY(!r.err.isEmpty());
    const auto list = d.request("GET", QStringLiteral("/api/v1/tokens"), d.adminToken()).json().array();
    QCOMPARE(list.size(), 4);
    QString bobJti;
    for (const QJsonValue &t : list) {
        const QJsonObject o = t.toObject();
        QVERIFY(!o.contains(QStringLiteral("token")));   // token values are never listed
        if (o.value(QStringLiteral("subject")).toString() == QLatin1String("bob")) {
            bobJti = o.value(QStringLiteral("jti")).toString();
            const auto issued = QDateTime::fromString(o.value(QStringLiteral("issued_at")).toString(), Qt::ISODate);
            const auto expires = QDateTime::fromString(o.value(QStringLiteral("expires_at")).toString(), Qt::ISODate);
            QCOMPARE(issued.secsTo(expires), 3600);
        }
    }
    QVERIFY(!bobJti.isEmpty());

    // Revoked: refused from the next request on.
    QString anaJti;
    for (const QJsonValue &t : list)
        if (t.toObject().value(QStringLiteral("subject")).toString() == QLatin1String("ana"))
            anaJti = t.toObject().value(QStringLiteral("jti")).toString();
    r = d.ctl({QStringLiteral("token"), QStringLiteral("revoke"), anaJti});
    QCOMPARE(r.exitCode, 0);
    const auto refused = d.request("GET", QStringLiteral("/api/v1/whoami"), plain);
    QCOMPARE(refused.status, 401);
    QVERIFY(refused.json().object().value(QStringLiteral("message")).toString().contains(QStringLiteral("revoked")));
}

void TestDaemon::tokenFromAnotherDataDirIsRefused()
{
    DaemonProcess a, b;
    QVERIFY2(a.start(), qPrintable(a.error()));
    QVERIFY2(b.start(), qPrintable(b.error()));
    const QByteArray token = a.ctl({QStringLiteral("token"), QStringLiteral("issue"), QStringLiteral("--subject"),
                                    QStringLiteral("ana"), QStringLiteral("--groups"), QStringLiteral("dev")})
                                 .out.trimmed();
    QCOMPARE(a.request("GET", QStringLiteral("/api/v1/whoami"), token).status, 200);
    const auto r = b.request("GET", QStringLiteral("/api/v1/whoami"), token);
    QCOMPARE(r.status, 401);
    QCOMPARE(r.json().object().value(QStringLiteral("error")).toString(), QStringLiteral("unauthenticated"));
    // Nor does one data dir's admin token open the other.
    QCOMPARE(b.request("GET", QStringLiteral("/api/v1/connections"), a.adminToken()).status, 401);
}

void TestDaemon::revocationSurvivesRestart()
{
    DaemonProcess d;
    QVERIFY2(d.start(), qPrintable(d.error()));
    const auto issued = d.request("POST", QStringLiteral("/api/v1/tokens"), d.adminToken(),
                                  "{\"subject\":\"ci\",\"groups\":[\"ci-bots\"],\"ttl\":\"10m\"}");
    QCOMPARE(issued.status, 201);
    const QByteArray token = issued.json().object().value(QStringLiteral("token")).toString().toUtf8();
    const QString jti = issued.json().object().value(QStringLiteral("jti")).toString();
    QCOMPARE(d.request("POST", QStringLiteral("/api/v1/tokens/%1/revoke").arg(jti), d.adminToken(), "{}").status, 200);
    QCOMPARE(d.stop(), 0);

    DaemonProcess again;
    again.setDataDir(d.dataDir());
    QVERIFY2(again.start(), qPrintable(again.error()));
    QCOMPARE(again.request("GET", QStringLiteral("/api/v1/whoami"), token).status, 401);
}

void TestDaemon::sigtermDrainsAndExitsZero()
{
    DaemonProcess d;
    QVERIFY2(d.start(), qPrintable(d.error()));
    QVERIFY(QFile::exists(d.dataDir() + QStringLiteral("/admin.url")));
    QCOMPARE(d.stop(), 0);
    QVERIFY(!QFile::exists(d.dataDir() + QStringLiteral("/admin.url")));
    QVERIFY(d.stderrText().contains("stopped"));
}

QTEST_GUILESS_MAIN(TestDaemon)
#include "tst_daemon.moc"
