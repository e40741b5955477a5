// The approvals routes of the real gatehoused: their shape, who may see and decide what, and what a
// restart does to requests that were held. (Holding a request through the proxy is tested with it.)
#include "approvals/SqliteApprovalStore.h"
#include "support/DaemonProcess.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using gh::test::DaemonProcess;

namespace {

const QByteArray kRoles = "[roles]\nadmin = [\"gatehouse-admins\"]\nauditor = [\"auditors\"]\n";

const QByteArray kResources =
    "[[connection]]\n"
    "name         = \"llm\"\n"
    "type         = \"http\"\n"
    "upstream     = \"http://127.0.0.1:9\"\n"
    "allow_groups = [\"ml-eng\"]\n"
    "\n"
    "[[rule]]\n"
    "name        = \"approve-pii-dataset\"\n"
    "kind        = \"approve\"\n"
    "connections = [\"llm\"]\n"
    "match       = { body = \"customers\" }\n"
    "approvers   = [\"security\"]\n"
    "\n"
    "[[rule]]\n"
    "name        = \"approve-billing\"\n"
    "kind        = \"approve\"\n"
    "connections = [\"llm\"]\n"
    "match       = { path = \"^/billing\" }\n"
    "approvers   = [\"finance-leads\"]\n";

const QString kUnknownId = QStringLiteral("0123456789abcdef0123456789abcdef");

QStringList ids(const QJsonArray &list)
{
    QStringList out;
    for (const QJsonValue &v : list)
        out << v.toObject().value(QStringLiteral("id")).toString();
    out.sort();
    return out;
}

gh::Approval heldApproval(const QString &id, const QString &rule, const QStringList &approvers)
{
    gh::Approval a;
    a.id = id;
    a.rule = rule;
    a.connection = QStringLiteral("llm");
    a.subject = QStringLiteral("ana");
    a.issuer = QStringLiteral("https://idp.example.com");
    a.groups = {QStringLiteral("ml-eng")};
    a.method = QStringLiteral("POST");
    a.path = QStringLiteral("/v1/fine-tunes");
    a.approverGroups = approvers;
    a.createdAt = QDateTime::currentDateTimeUtc().addSecs(-30);
    a.expiresAt = a.createdAt.addSecs(300);
    return a;
}

} // namespace

class TestApprovalsApi final : public QObject {
    Q_OBJECT

private slots:
    void emptyListAndRefusals();
    void restartExpiresHeldApprovalsAndKeepsGrants();

private:
    // Applies the resources and issues one token per person; false on any failure.
    bool prepare(DaemonProcess &d);
    QByteArray m_sam, m_fin, m_ana;
};

bool TestApprovalsApi::prepare(DaemonProcess &d)
{
    QTemporaryDir tmp;
    const QString file = tmp.filePath(QStringLiteral("resources.toml"));
    QFile f(file);
    if (!f.open(QIODevice::WriteOnly) || f.write(kResources) != kResources.size())
        return false;
    f.close();
    if (d.ctl({QStringLiteral("apply"), QStringLiteral("-f"), file}).exitCode != 0)
        return false;
    auto issue = [&d](const QString &subject, const QString &groups) {
        return d.ctl({QStringLiteral("token"), QStringLiteral("issue"), QStringLiteral("--subject"), subject,
                      QStringLiteral("--groups"), groups, QStringLiteral("--ttl"), QStringLiteral("30m")})
            .out.trimmed();
    };
    m_sam = issue(QStringLiteral("sam"), QStringLiteral("security"));
    m_fin = issue(QStringLiteral("fin"), QStringLiteral("finance-leads"));
    m_ana = issue(QStringLiteral("ana"), QStringLiteral("ml-eng"));
    return !m_sam.isEmpty() && !m_fin.isEmpty() && !m_ana.isEmpty();
}

void TestApprovalsApi::emptyListAndRefusals()
{
    DaemonProcess d;
    d.setExtraConfig(kRoles);
    QVERIFY2(d.start(), qPrintable(d.error()));
    QVERIFY(prepare(d));

    for (const QByteArray &token : {d.adminToken(), m_sam}) {
        const auto list = d.request("GET", QStringLiteral("/api/v1/approvals"), token);
        QCOMPARE(list.status, 200);
        QVERIFY(list.json().isArray());
        QCOMPARE(list.json().array().size(), 0);
        QCOMPARE(d.request("GET", QStringLiteral("/api/v1/approvals?state=pending"), token).json().array().size(), 0);
    }
    // Not an approver of any rule: the approvals are closed to them.
    const auto refused = d.request("GET", QStringLiteral("/api/v1/approvals"), m_ana);
    QCOMPARE(refused.status, 403);
    QCOMPARE(refused.json().object().value(QStringLiteral("error")).toString(), QStringLiteral("forbidden"));
    QCOMPARE(d.request("POST", QStringLiteral("/api/v1/approvals/%1/approve").arg(kUnknownId), m_ana, "{}").status, 403);

    const auto badState = d.request("GET", QStringLiteral("/api/v1/approvals?state=waiting"), m_sam);
    QCOMPARE(badState.status, 400);
    QVERIFY(badState.json().object().value(QStringLiteral("message")).toString().contains(QStringLiteral("pending")));

    const auto missing = d.request("GET", QStringLiteral("/api/v1/approvals/%1").arg(kUnknownId), m_sam);
    QCOMPARE(missing.status, 404);
    QCOMPARE(missing.json().object().value(QStringLiteral("message")).toString(),
             QStringLiteral("no approval with id %1").arg(kUnknownId));
    QCOMPARE(d.request("POST", QStringLiteral("/api/v1/approvals/%1/approve").arg(kUnknownId), m_sam, "{}").status, 404);
    QCOMPARE(d.request("POST", QStringLiteral("/api/v1/approvals/%1/deny").arg(kUnknownId), d.adminToken(),
                       "{\"reason\":\"no\"}").status, 404);
    const auto badFor = d.request("POST", QStringLiteral("/api/v1/approvals/%1/approve").arg(kUnknownId), m_sam,
                                  "{\"for\":\"soon\"}");
    QCOMPARE(badFor.status, 400);
    QCOMPARE(d.request("POST", QStringLiteral("/api/v1/approvals/%1/deny").arg(kUnknownId), m_sam, "{\"for\":\"1h\"}").status, 400);
    QCOMPARE(d.request("POST", QStringLiteral("/api/v1/approvals/%1/approve").arg(kUnknownId), m_sam, "[1]").status, 400);
    QCOMPARE(d.request("DELETE", QStringLiteral("/api/v1/approvals/%1").arg(kUnknownId), m_sam).status, 405);

    auto ctl = d.ctl({QStringLiteral("get"), QStringLiteral("approvals"), QStringLiteral("-o"), QStringLiteral("json")});
    QCOMPARE(ctl.exitCode, 0);
    QCOMPARE(QJsonDocument::fromJson(ctl.out).array().size(), 0);
    ctl = d.ctl({QStringLiteral("approve"), kUnknownId, QStringLiteral("--for"), QStringLiteral("15m")});
    QCOMPARE(ctl.exitCode, 1);
    QVERIFY2(ctl.err.contains("not found (404)"), ctl.err.constData());
}

void TestApprovalsApi::restartExpiresHeldApprovalsAndKeepsGrants()
{
    DaemonProcess d;
    d.setExtraConfig(kRoles);
    QVERIFY2(d.start(), qPrintable(d.error()));
    QVERIFY(prepare(d));
    QCOMPARE(d.stop(), 0);

    // What a gateway killed with requests on hold leaves in its store.
    const QString pii = QStringLiteral("aaaa0000000000000000000000000001");
    const QString billing = QStringLiteral("aaaa0000000000000000000000000002");
    const QString granted = QStringLiteral("aaaa0000000000000000000000000003");
    {
        auto store = gh::SqliteApprovalStore::open(d.dataDir() + QStringLiteral("/gatehouse.db"));
        QVERIFY2(store.ok(), store.ok() ? "" : qPrintable(store.error().toString()));
        QVERIFY((*store)->save(heldApproval(pii, QStringLiteral("approve-pii-dataset"), {QStringLiteral("security")})).ok());
        QVERIFY((*store)->save(heldApproval(billing, QStringLiteral("approve-billing"), {QStringLiteral("finance-leads")})).ok());
        gh::Approval a = heldApproval(granted, QStringLiteral("approve-pii-dataset"), {QStringLiteral("security")});
        a.state = gh::Approval::State::Approved;
        a.decidedAt = a.createdAt.addSecs(10);
        a.grantUntil = a.decidedAt.addSecs(3600);
        a.steps.append(gh::ApprovalStep{QStringLiteral("sue"), QStringLiteral("https://idp.example.com"), a.decidedAt,
                                        true, QStringLiteral("for the quarter's run"), 3'600'000});
        QVERIFY((*store)->save(a).ok());
    }

    DaemonProcess again;
    again.setExtraConfig(kRoles);
    again.setDataDir(d.dataDir());
    QVERIFY2(again.start(), qPrintable(again.error()));

    const auto expired = again.request("GET", QStringLiteral("/api/v1/approvals?state=expired"), again.adminToken());
    QCOMPARE(expired.status, 200);
    QCOMPARE(ids(expired.json().array()), (QStringList{pii, billing}));
    for (const QJsonValue &v : expired.json().array()) {
        const QJsonObject o = v.toObject();
        QCOMPARE(o.value(QStringLiteral("state")).toString(), QStringLiteral("expired"));
        QCOMPARE(o.value(QStringLiteral("reason")).toString(), QStringLiteral("gateway restarted"));
        QVERIFY(!o.value(QStringLiteral("decided_at")).toString().isEmpty());
    }
    QCOMPARE(again.request("GET", QStringLiteral("/api/v1/approvals?state=pending"), again.adminToken()).json().array().size(), 0);

    // The approved grant is untouched, with everything the API promises.
    const auto one = again.request("GET", QStringLiteral("/api/v1/approvals/%1").arg(granted), m_sam);
    QCOMPARE(one.status, 200);
    const QJsonObject g = one.json().object();
    for (const char *key : {"id", "state", "connection", "subject", "groups", "rule", "method", "path", "body_excerpt",
                            "justification", "required", "approvals", "created_at", "expires_at", "decided_at",
                            "reason", "grant_until"})
        QVERIFY2(g.contains(QLatin1String(key)), key);
    QCOMPARE(g.value(QStringLiteral("state")).toString(), QStringLiteral("approved"));
    QCOMPARE(g.value(QStringLiteral("approvals")).toArray().first().toObject().value(QStringLiteral("by")).toString(),
             QStringLiteral("sue"));
    QVERIFY(QDateTime::fromString(g.value(QStringLiteral("grant_until")).toString(), Qt::ISODateWithMs)
            > QDateTime::currentDateTimeUtc().addSecs(3000));

    // Each approver sees the approvals of their own rules only.
    QCOMPARE(ids(again.request("GET", QStringLiteral("/api/v1/approvals"), m_sam).json().array()), (QStringList{pii, granted}));
    QCOMPARE(ids(again.request("GET", QStringLiteral("/api/v1/approvals"), m_fin).json().array()), QStringList{billing});
    QCOMPARE(again.request("GET", QStringLiteral("/api/v1/approvals/%1").arg(billing), m_sam).status, 404);

    // Too late to decide: 409, and gatehousectl says so with exit 1.
    const auto late = again.request("POST", QStringLiteral("/api/v1/approvals/%1/approve").arg(pii), m_sam, "{}");
    QCOMPARE(late.status, 409);
    QCOMPARE(late.json().object().value(QStringLiteral("message")).toString(),
             QStringLiteral("approval %1 is already expired").arg(pii));
    const auto ctl = again.ctl({QStringLiteral("deny"), billing, QStringLiteral("--reason"), QStringLiteral("late")});
    QCOMPARE(ctl.exitCode, 1);
    QVERIFY2(ctl.err.contains("already expired"), ctl.err.constData());

    const auto table = again.ctl({QStringLiteral("get"), QStringLiteral("approvals")});
    QCOMPARE(table.exitCode, 0);
    QVERIFY(table.out.startsWith("ID "));
    QCOMPARE(table.out.count("expired"), 2);
    QVERIFY2(table.out.contains("grant 59m") || table.out.contains("grant 1h"), table.out.constData());
    QVERIFY(again.stderrText().contains("gateway restarted"));
    QCOMPARE(again.stop(), 0);
}

QTEST_GUILESS_MAIN(TestApprovalsApi)
#include "tst_approvalsapi.moc"
