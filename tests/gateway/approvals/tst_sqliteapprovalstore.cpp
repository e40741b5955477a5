#include "approvals/ApprovalBroker.h"
#include "approvals/SqliteApprovalStore.h"
#include "core/Clock.h"
#include "recording/SqliteConnection.h"
#include "recording/SqliteStore.h"

#include <QFileInfo>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace gh;
using namespace std::chrono_literals;

namespace {

Principal person(const QString &subject, const QStringList &groups)
{
    Principal p;
    p.subject = subject;
    p.groups = groups;
    p.issuer = QStringLiteral("https://idp.example.com");
    return p;
}

Approval sample(const QString &id, Approval::State state, const QDateTime &created)
{
    Approval a;
    a.id = id;
    a.state = state;
    a.rule = QStringLiteral("approve-pii-dataset");
    a.connection = QStringLiteral("llm");
    a.subject = QStringLiteral("ana");
    a.issuer = QStringLiteral("https://idp.example.com");
    a.groups = {QStringLiteral("ml-eng")};
    a.sessionId = QStringLiteral("s-1");
    a.clientAddr = QStringLiteral("127.0.0.1");
    a.method = QStringLiteral("POST");
    a.path = QStringLiteral("/v1/fine-tunes?x=1");
    a.bodyExcerpt = QStringLiteral("{\"dataset\": \"customers\", \"note\": \"caf\u00e9\"}");
    a.justification = QStringLiteral("ticket OPS-42");
    a.approverGroups = {QStringLiteral("security"), QStringLiteral("dpo")};
    a.required = 2;
    a.createdAt = created;
    a.expiresAt = created.addSecs(300);
    return a;
}

ApprovalRequest request(const Principal &who)
{
    ApprovalRequest r;
    r.rule = QStringLiteral("approve-pii-dataset");
    r.connection = QStringLiteral("llm");
    r.requester = who;
    r.method = QStringLiteral("POST");
    r.path = QStringLiteral("/v1/fine-tunes");
    r.approverGroups = {QStringLiteral("security")};
    return r;
}

} // namespace

class tst_SqliteApprovalStore final : public QObject {
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void roundTripKeepsEveryField();
    void listsNewestFirstByState();
    void restartExpiresWhatWasPending();
    void runningGrantsSurviveARestart();
    void lockedDatabaseRefusesTheRequest();
    void fileWithoutTheSchemaIsRefused();
    void savesAreSyncedOnlyWhenTheStoreIs();
    void aSaveLeavesCheckpointsToTheStore();

private:
    Result<std::unique_ptr<SqliteApprovalStore>> openApprovals(int busyTimeoutMs = 2000)
    {
        return SqliteApprovalStore::open(m_path, busyTimeoutMs);
    }

    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_path;
    std::unique_ptr<SqliteStore> m_store;   // owns the schema, as in the gateway
    FakeClock m_clock;
};

void tst_SqliteApprovalStore::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_path = m_dir->filePath(QStringLiteral("gatehouse.db"));
    auto store = SqliteStore::open(m_path);
    QVERIFY2(store.ok(), store.ok() ? "" : qPrintable(store.error().toString()));
    m_store = std::move(store).value();
}

void tst_SqliteApprovalStore::cleanup()
{
    m_store.reset();
    m_dir.reset();
}

void tst_SqliteApprovalStore::roundTripKeepsEveryField()
{
    auto store = openApprovals();
    QVERIFY2(store.ok(), store.ok() ? "" : qPrintable(store.error().toString()));
    Approval a = sample(QStringLiteral("a1"), Approval::State::Pending, m_clock.now());
    QVERIFY((*store)->save(a).ok());
    auto found = (*store)->find(QStringLiteral("a1"));
    QVERIFY(found.ok() && found->has_value());
    QCOMPARE(**found, a);

    // A decision replaces the row.
    ApprovalStep step;
    step.by = QStringLiteral("sam");
    step.issuer = QStringLiteral("https://idp.example.com");
    step.at = m_clock.now().addSecs(30);
    step.reason = QStringLiteral("ok for the quarter");
    step.forMs = 900000;
    a.steps.append(step);
    a.state = Approval::State::Approved;
    a.decidedAt = step.at;
    a.reason = step.reason;
    a.grantUntil = step.at.addSecs(900);
    QVERIFY((*store)->save(a).ok());
    found = (*store)->find(QStringLiteral("a1"));
    QCOMPARE(**found, a);
    QVERIFY(!(*store)->find(QStringLiteral("nope"))->has_value());

    // Another connection (the store's own readers) sees the same row.
    auto other = openApprovals();
    QCOMPARE((*other)->find(QStringLiteral("a1"))->value(), a);
}

void tst_SqliteApprovalStore::listsNewestFirstByState()
{
    auto store = openApprovals();
    QVERIFY(store.ok());
    const QDateTime t0 = m_clock.now();
    QVERIFY((*store)->save(sample(QStringLiteral("old"), Approval::State::Denied, t0)).ok());
    QVERIFY((*store)->save(sample(QStringLiteral("mid"), Approval::State::Pending, t0.addSecs(1))).ok());
    QVERIFY((*store)->save(sample(QStringLiteral("new"), Approval::State::Pending, t0.addSecs(2))).ok());
    auto ids = [](const QList<Approval> &l) {
        QStringList out;
        for (const Approval &a : l)
            out << a.id;
        return out;
    };
    QCOMPARE(ids(*(*store)->list(std::nullopt, 10)), (QStringList{QStringLiteral("new"), QStringLiteral("mid"), QStringLiteral("old")}));
    QCOMPARE(ids(*(*store)->list(Approval::State::Pending, 10)), (QStringList{QStringLiteral("new"), QStringLiteral("mid")}));
    QCOMPARE(ids(*(*store)->list(std::nullopt, 1)), QStringList{QStringLiteral("new")});
    QCOMPARE((*store)->list(Approval::State::Expired, 10)->size(), 0);
}

void tst_SqliteApprovalStore::restartExpiresWhatWasPending()
{
    QString held;
    {
        // What a kill -9 leaves behind: a pending row, and a denied one that must stay denied.
        auto store = openApprovals();
        QVERIFY((*store)->save(sample(QStringLiteral("held"), Approval::State::Pending, m_clock.now())).ok());
        QVERIFY((*store)->save(sample(QStringLiteral("done"), Approval::State::Denied, m_clock.now())).ok());
        held = QStringLiteral("held");
    }
    auto store = openApprovals();
    ApprovalBroker broker(**store, m_clock);
    QSignalSpy expired(&broker, &ApprovalBroker::expired);
    QVERIFY(broker.start().ok());
    QCOMPARE(expired.size(), 1);
    const QJsonObject json = expired.first().first().toJsonObject();
    QCOMPARE(json.value(QStringLiteral("id")).toString(), held);
    QCOMPARE(json.value(QStringLiteral("state")).toString(), QStringLiteral("expired"));
    QCOMPARE(json.value(QStringLiteral("reason")).toString(), QStringLiteral("gateway restarted"));
    QCOMPARE(broker.get(held)->value().state, Approval::State::Expired);
    QCOMPARE(broker.get(QStringLiteral("done"))->value().state, Approval::State::Denied);
    QCOMPARE(broker.list(Approval::State::Pending)->size(), 0);
    // Nobody can approve it any more.
    QCOMPARE(broker.decide(held, person(QStringLiteral("sam"), {QStringLiteral("security")}), ApprovalDecision()).status, 409);
}

void tst_SqliteApprovalStore::runningGrantsSurviveARestart()
{
    const Principal ana = person(QStringLiteral("ana"), {QStringLiteral("ml-eng")});
    const Principal bob = person(QStringLiteral("bob"), {QStringLiteral("ml-eng")});
    const QString llm = QStringLiteral("llm");
    const QString rule = QStringLiteral("approve-pii-dataset");
    {
        auto store = openApprovals();
        ApprovalBroker broker(**store, m_clock);
        QVERIFY(broker.start().ok());
        ApprovalDecision forAnHour;
        forAnHour.forDuration = 1h;
        ApprovalDecision forAMinute;
        forAMinute.forDuration = 1min;
        const QString a = broker.hold(request(ana), &broker, [](ApprovalOutcome) {});
        const QString b = broker.hold(request(bob), &broker, [](ApprovalOutcome) {});
        const DecideResult ra = broker.decide(a, person(QStringLiteral("sam"), {QStringLiteral("security")}), forAnHour);
        QVERIFY2(ra.ok(), qPrintable(ra.message));
        QVERIFY(broker.decide(b, person(QStringLiteral("sam"), {QStringLiteral("security")}), forAMinute).ok());
        QVERIFY(broker.hasGrant(ana, llm, rule));
        QVERIFY(broker.hasGrant(bob, llm, rule));
    }
    m_clock.advance(2min);
    auto store = openApprovals();
    ApprovalBroker broker(**store, m_clock);
    QVERIFY(broker.start().ok());
    QVERIFY(broker.hasGrant(ana, llm, rule));
    QVERIFY(!broker.hasGrant(bob, llm, rule));   // ran out while the gateway was down
    m_clock.advance(1h);
    QVERIFY(!broker.hasGrant(ana, llm, rule));
}

void tst_SqliteApprovalStore::lockedDatabaseRefusesTheRequest()
{
    auto store = openApprovals(50);
    QVERIFY(store.ok());
    ApprovalBroker broker(**store, m_clock);
    QVERIFY(broker.start().ok());

    // Someone else holds the write lock past our busy timeout: the approval cannot be stored.
    auto blocker = SqliteConnection::open(m_path, SqliteConnection::Access::ReadWrite, 0);
    QVERIFY(blocker.ok());
    QVERIFY((*blocker)->exec("BEGIN IMMEDIATE").ok());
    QSignalSpy requested(&broker, &ApprovalBroker::requested);
    QList<ApprovalOutcome> seen;
    QObject client;   // the held request's context; answers after it is gone are dropped
    const QString id = broker.hold(request(person(QStringLiteral("ana"), {})), &client,
                                   [&seen](ApprovalOutcome o) { seen.append(o); });
    QTRY_COMPARE(seen.size(), 1);
    QCOMPARE(seen.first().id, id);
    QCOMPARE(seen.first().state, ApprovalOutcome::Denied);
    QCOMPARE(seen.first().reason, QStringLiteral("approval store unavailable"));
    QCOMPARE(requested.size(), 0);
    QCOMPARE(broker.pendingCount(), 0);

    QVERIFY((*blocker)->exec("ROLLBACK").ok());
    broker.hold(request(person(QStringLiteral("ana"), {})), &client, [&seen](ApprovalOutcome o) { seen.append(o); });
    QCOMPARE(requested.size(), 1);
    QCOMPARE(broker.pendingCount(), 1);
}

void tst_SqliteApprovalStore::fileWithoutTheSchemaIsRefused()
{
    const QString bare = m_dir->filePath(QStringLiteral("bare.db"));
    QFile f(bare);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.close();
    auto store = SqliteApprovalStore::open(bare);
    QVERIFY(!store.ok());
    QVERIFY(store.error().toString().contains(QStringLiteral("no approvals table")));
    QVERIFY(!SqliteApprovalStore::open(m_dir->filePath(QStringLiteral("missing.db"))).ok());
}

// The approvals' durability is the recordings' ([recording] synchronous): by default a save is in
// the OS when it returns (kill -9 loses nothing) without an fsync, which on a disk busy with the
// recordings' writeback held each held request's approval.requested back 50 ms and more.
void tst_SqliteApprovalStore::savesAreSyncedOnlyWhenTheStoreIs()
{
    for (const bool sync : {false, true}) {
        auto approvals = SqliteApprovalStore::open(m_path, SqliteApprovalStore::defaultBusyTimeoutMs, sync);
        QVERIFY(approvals.ok());
        Result<bool> syncs = (*approvals)->syncsEachSave();
        QVERIFY(syncs.ok());
        QCOMPARE(*syncs, sync);
    }
    auto byDefault = openApprovals();
    QVERIFY(byDefault.ok());
    QCOMPARE(*(*byDefault)->syncsEachSave(), false);
}

// A commit that finds the write-ahead log past SQLite's threshold copies it into the database and
// syncs it: a held request's approval doing that after a busy minute waited 95 ms. Checkpoints
// are the recording store's to run; the database file grows only through them.
void tst_SqliteApprovalStore::aSaveLeavesCheckpointsToTheStore()
{
    auto approvals = openApprovals();
    QVERIFY(approvals.ok());
    auto other = SqliteConnection::open(m_path, SqliteConnection::Access::ReadWrite, 5000);
    QVERIFY(other.ok());
    QVERIFY((*other)->exec("PRAGMA wal_autocheckpoint = 0; CREATE TABLE IF NOT EXISTS filler (x BLOB)").ok());
    QVERIFY((*other)->exec("PRAGMA wal_checkpoint(TRUNCATE)").ok());
    // Some 1500 pages in the log, past the threshold (1000) a default connection checkpoints at.
    QVERIFY((*other)->exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500) "
                           "INSERT INTO filler SELECT randomblob(4000) FROM n").ok());
    const qint64 before = QFileInfo(m_path).size();
    QVERIFY((*approvals)->save(sample(QStringLiteral("held-1"), Approval::State::Pending,
                                      QDateTime::currentDateTimeUtc())).ok());
    QCOMPARE(QFileInfo(m_path).size(), before);
    QVERIFY(QFileInfo(m_path + QStringLiteral("-wal")).size() > 1500 * 4000);
    // Still there for anyone to read, and the store's checkpoint takes it in.
    QVERIFY((*other)->exec("PRAGMA wal_checkpoint(TRUNCATE)").ok());
    QVERIFY(QFileInfo(m_path).size() > before + 1500 * 4000);
    auto found = (*approvals)->find(QStringLiteral("held-1"));
    QVERIFY(found.ok() && found->has_value());
}

QTEST_GUILESS_MAIN(tst_SqliteApprovalStore)
#include "tst_sqliteapprovalstore.moc"
