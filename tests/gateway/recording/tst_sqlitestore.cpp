#include "core/Clock.h"
#include "recording/JournalRecords.h"
#include "recording/RecordingJournal.h"
#include "recording/SqliteConnection.h"
#include "recording/SqliteSchema.h"
#include "recording/SqliteStore.h"
#include "recording/StoreWriter.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSemaphore>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <sys/stat.h>

Q_DECLARE_METATYPE(gh::ResourceSet)

using namespace gh;
using namespace std::chrono_literals;

namespace {

Connection makeConnection(const QString &name, const QString &upstream = QStringLiteral("http://127.0.0.1:9000"))
{
    Connection c;
    c.name = name;
    c.type = QStringLiteral("http");
    c.upstream = upstream;
    c.allowGroups = {QStringLiteral("ml-eng")};
    c.credential.header = QStringLiteral("Authorization");
    c.credential.value = QStringLiteral("Bearer ${env:LLM_API_KEY}");
    return c;
}

Rule makeRule(const QString &name, const QString &path = QStringLiteral("^/v1/models/.*/weights"))
{
    Rule r;
    r.name = name;
    r.kind = QStringLiteral("deny");
    r.match.method = QStringLiteral("GET");
    r.match.path = path;
    return r;
}

QStringList names(const ResourceSet &set)
{
    QStringList out;
    for (const Connection &c : set.connections)
        out << QLatin1String("connection/") + c.name;
    for (const Rule &r : set.rules)
        out << QLatin1String("rule/") + r.name;
    return out;
}

int fileMode(const QString &path)
{
    struct stat st{};
    if (::stat(QFile::encodeName(path).constData(), &st) != 0)
        return -1;
    return int(st.st_mode & 07777);
}

// Opens the file behind the store's back, as an operator (or an attacker) with sqlite3 would.
std::unique_ptr<SqliteConnection> raw(const QString &path)
{
    Result<std::unique_ptr<SqliteConnection>> c =
        SqliteConnection::open(path, SqliteConnection::Access::ReadWrite, 2000);
    return c ? std::move(*c) : nullptr;
}

qint64 scalar(SqliteConnection &db, const char *sql)
{
    Result<SqliteQuery> q = db.query(sql);
    if (!q)
        return -1;
    Result<bool> row = q->step();
    return row && *row ? q->int64(0) : -1;
}

template <typename T>
QString errorText(const Result<T> &r)
{
    return r ? QString() : r.error().toString();
}

} // namespace

// The store as the gateway and the admin API use it: durable, atomic resource changes, token
// revocations, and recorded sessions that read back exactly as written.
class tst_SqliteStore : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_path;
    FakeClock m_clock;

    SqliteStore::Options options()
    {
        SqliteStore::Options o;
        o.clock = &m_clock;
        o.probeInterval = 20ms;
        return o;
    }

    std::unique_ptr<SqliteStore> openStore()
    {
        Result<std::unique_ptr<SqliteStore>> s = SqliteStore::open(m_path, options());
        if (!s) {
            qWarning("open failed: %s", qPrintable(s.error().toString()));
            return nullptr;
        }
        return std::move(*s);
    }

    // Requests the overview counts for `connection` in the first second since the epoch (the
    // tests' events are stamped there).
    static qint64 requestsCounted(const SqliteStore &store, const QString &connection)
    {
        StatsQuery q;
        q.sinceUs = 0;
        q.untilUs = 1'000'000;
        q.bucketUs = 1'000'000;
        Result<StatsResult> stats = store.stats(q);
        if (!stats) {
            qWarning("stats failed: %s", qPrintable(stats.error().toString()));
            return -1;
        }
        const QList<StatsCounts> series = stats->connections.value(connection);
        return series.isEmpty() ? 0 : series.first().requests;
    }

    ResourceSet baseSet()
    {
        ResourceSet set;
        set.connections = {makeConnection(QStringLiteral("llm")), makeConnection(QStringLiteral("search"))};
        set.rules = {makeRule(QStringLiteral("no-weights")), makeRule(QStringLiteral("no-admin"), QStringLiteral("^/admin"))};
        return set;
    }

private slots:
    void init()
    {
        QVERIFY(m_dir.isValid());
        m_path = m_dir.filePath(QLatin1String(QTest::currentTestFunction()) + QLatin1String(".db"));
    }

    void freshOpenCreatesPrivateFileAndSchema()
    {
        auto store = openStore();
        QVERIFY(store);
        QCOMPARE(fileMode(m_path), 0600);
        QVERIFY(store->health().ok());
        QCOMPARE(store->resourceRevision(), quint64(0));
        QVERIFY(store->putConnection(makeConnection(QStringLiteral("llm"))).ok());
        // The WAL holds recorded data too; it must be as private as the database.
        QVERIFY(QFileInfo::exists(m_path + QLatin1String("-wal")));
        QCOMPARE(fileMode(m_path + QLatin1String("-wal")), 0600);

        auto db = raw(m_path);
        QVERIFY(db);
        QCOMPARE(scalar(*db, "PRAGMA user_version"), qint64(SqliteSchema::latestVersion()));
        QCOMPARE(scalar(*db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                             "('connections', 'rules', 'issued_tokens', 'sessions', 'events', 'approvals')"),
                 qint64(6));
        Result<SqliteQuery> mode = db->query("PRAGMA journal_mode");
        QVERIFY(mode && mode->step().ok());
        QCOMPARE(mode->text(0), QStringLiteral("wal"));
    }

    void existingNonDatabaseFileIsRefused()
    {
        QFile f(m_path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray(4096, 'x'));
        f.close();
        Result<std::unique_ptr<SqliteStore>> s = SqliteStore::open(m_path, options());
        QVERIFY(!s.ok());
        QCOMPARE(s.error().file, m_path);
    }

    void reopenKeepsData()
    {
        QString sessionId;
        {
            auto store = openStore();
            QVERIFY(store);
            QVERIFY(store->applyResources(baseSet()).ok());
            Result<QString> id = store->beginSession({{}, QStringLiteral("llm"), QStringLiteral("alice"), {}, {}, {}, 1});
            QVERIFY(id.ok());
            sessionId = *id;
            QVERIFY(store->appendEvent(sessionId, {0, 2, QStringLiteral("http.request"), "{}", "h0"}).ok());
        }
        auto store = openStore();
        QVERIFY(store);
        Result<ResourceSet> set = store->resources();
        QVERIFY2(set.ok(), qPrintable(errorText(set)));
        QCOMPARE(set->connections, baseSet().connections);
        QCOMPARE(set->rules, baseSet().rules);
        // The revision keeps growing across restarts; a proxy never sees it go back.
        QCOMPARE(store->resourceRevision(), quint64(1));
        Result<std::optional<SessionInfo>> session = store->session(sessionId);
        QVERIFY(session.ok() && session->has_value());
        QCOMPARE((*session)->eventCount, qint64(1));
    }

    void databaseFromTheFutureIsRefusedUntouched()
    {
        {
            auto store = openStore();
            QVERIFY(store);
        }
        const int future = SqliteSchema::latestVersion() + 1;
        {
            auto db = raw(m_path);
            QVERIFY(db);
            QVERIFY(db->exec(QByteArray("PRAGMA user_version = " + QByteArray::number(future)).constData()).ok());
        }
        Result<std::unique_ptr<SqliteStore>> s = SqliteStore::open(m_path, options());
        QVERIFY(!s.ok());
        QVERIFY2(s.error().message.contains(QLatin1String("newer")), qPrintable(s.error().toString()));
        QVERIFY(s.error().message.contains(QString::number(future)));
        auto db = raw(m_path);
        QCOMPARE(scalar(*db, "PRAGMA user_version"), qint64(future));
    }

    void applyIsIdempotent()
    {
        auto store = openStore();
        QVERIFY(store);
        QSignalSpy changed(store.get(), &Store::resourcesChanged);

        Result<ApplyOutcome> first = store->applyResources(baseSet());
        QVERIFY2(first.ok(), qPrintable(errorText(first)));
        QCOMPARE(first->created, names(baseSet()));
        QVERIFY(first->updated.isEmpty());
        QCOMPARE(store->resourceRevision(), quint64(1));
        QCOMPARE(changed.size(), 1);

        Result<ApplyOutcome> second = store->applyResources(baseSet());
        QVERIFY(second.ok());
        QCOMPARE(second->unchanged, names(baseSet()));
        QVERIFY(second->created.isEmpty() && second->updated.isEmpty());
        QCOMPARE(store->resourceRevision(), quint64(1));
        QCOMPARE(changed.size(), 1);

        ResourceSet edited = baseSet();
        edited.connections[1].upstream = QStringLiteral("http://127.0.0.1:9001");
        Result<ApplyOutcome> third = store->applyResources(edited);
        QVERIFY(third.ok());
        QCOMPARE(third->updated, QStringList{QStringLiteral("connection/search")});
        QCOMPARE(third->unchanged.size(), 3);
        QCOMPARE(store->resourceRevision(), quint64(2));
        QCOMPARE(changed.size(), 2);
        QCOMPARE(changed.at(1).at(0).toULongLong(), quint64(2));
        Result<std::optional<Connection>> search = store->connection(QStringLiteral("search"));
        QVERIFY(search.ok() && search->has_value());
        QCOMPARE((*search)->upstream, QStringLiteral("http://127.0.0.1:9001"));
    }

    void applyIsAtomic_data()
    {
        QTest::addColumn<ResourceSet>("batch");
        QTest::addColumn<QString>("namedInError");

        // Each batch also edits an existing item and adds a new one: neither may land.
        ResourceSet base;
        base.connections = {makeConnection(QStringLiteral("llm"), QStringLiteral("http://127.0.0.1:9100")),
                            makeConnection(QStringLiteral("fresh"))};
        base.rules = {makeRule(QStringLiteral("no-weights"), QStringLiteral("^/changed"))};

        ResourceSet badRule = base;
        Rule r = makeRule(QStringLiteral("bad"));
        r.kind = QStringLiteral("explode");
        badRule.rules.append(r);
        QTest::newRow("rule with unknown kind") << badRule << QStringLiteral("rule \"bad\"");

        ResourceSet badPattern = base;
        badPattern.rules.append(makeRule(QStringLiteral("broken-re"), QStringLiteral("([unclosed")));
        QTest::newRow("rule whose pattern does not compile") << badPattern << QStringLiteral("rule \"broken-re\"");

        ResourceSet badName = base;
        badName.connections.append(makeConnection(QStringLiteral("Not A Name")));
        QTest::newRow("connection with a bad name") << badName << QStringLiteral("connection \"Not A Name\"");

        ResourceSet twice = base;
        twice.connections.append(makeConnection(QStringLiteral("fresh"), QStringLiteral("http://127.0.0.1:9200")));
        QTest::newRow("connection defined twice") << twice << QStringLiteral("connection \"fresh\"");

        ResourceSet badUpstream = base;
        badUpstream.connections.append(makeConnection(QStringLiteral("ftp"), QStringLiteral("ftp://127.0.0.1")));
        QTest::newRow("http connection with ftp upstream") << badUpstream << QStringLiteral("connection \"ftp\"");

        // Valid input the database itself refuses, after the other items were already written
        // inside the transaction: they must roll back with it.
        ResourceSet refusedByDatabase = base;
        refusedByDatabase.rules.append(makeRule(QStringLiteral("trap")));
        QTest::newRow("database refuses the last item") << refusedByDatabase << QStringLiteral("rule \"trap\"");
    }

    void applyIsAtomic()
    {
        QFETCH(ResourceSet, batch);
        QFETCH(QString, namedInError);
        auto store = openStore();
        QVERIFY(store);
        QVERIFY(store->applyResources(baseSet()).ok());
        const quint64 revision = store->resourceRevision();
        {
            auto db = raw(m_path);
            QVERIFY(db);
            QVERIFY(db->exec("CREATE TRIGGER IF NOT EXISTS trap BEFORE INSERT ON rules WHEN NEW.name = 'trap' "
                             "BEGIN SELECT RAISE(ABORT, 'trap refused'); END")
                        .ok());
        }

        Result<ApplyOutcome> outcome = store->applyResources(batch);
        QVERIFY(!outcome.ok());
        QVERIFY2(outcome.error().toString().contains(namedInError), qPrintable(outcome.error().toString()));

        Result<ResourceSet> after = store->resources();
        QVERIFY(after.ok());
        QCOMPARE(after->connections, baseSet().connections);
        QCOMPARE(after->rules, baseSet().rules);
        QCOMPARE(store->resourceRevision(), revision);
    }

    void rulesKeepTheirOrder()
    {
        auto store = openStore();
        QVERIFY(store);
        ResourceSet set;
        set.rules = {makeRule(QStringLiteral("c")), makeRule(QStringLiteral("a")), makeRule(QStringLiteral("b"))};
        QVERIFY(store->applyResources(set).ok());
        QCOMPARE(store->putRule(makeRule(QStringLiteral("d"))).value(), PutOutcome::Created);
        QCOMPARE(store->putRule(makeRule(QStringLiteral("a"), QStringLiteral("^/other"))).value(), PutOutcome::Updated);
        QCOMPARE(store->putRule(makeRule(QStringLiteral("c"))).value(), PutOutcome::Unchanged);
        Result<ResourceSet> after = store->resources();
        QVERIFY(after.ok());
        QStringList order;
        for (const Rule &r : after->rules)
            order << r.name;
        // Policy is evaluated in this order: an edit must not move a rule.
        QCOMPARE(order, (QStringList{QStringLiteral("c"), QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("d")}));
        QCOMPARE(after->rules[1].match.path, QStringLiteral("^/other"));
    }

    void putReportsWhatHappened()
    {
        auto store = openStore();
        QVERIFY(store);
        QCOMPARE(store->putConnection(makeConnection(QStringLiteral("llm"))).value(), PutOutcome::Created);
        QCOMPARE(store->putConnection(makeConnection(QStringLiteral("llm"))).value(), PutOutcome::Unchanged);
        QCOMPARE(store->resourceRevision(), quint64(1));
        QCOMPARE(store->putConnection(makeConnection(QStringLiteral("llm"), QStringLiteral("https://127.0.0.1:9443"))).value(),
                 PutOutcome::Updated);
        QCOMPARE(store->resourceRevision(), quint64(2));
        Result<PutOutcome> bad = store->putConnection(makeConnection(QStringLiteral("UPPER")));
        QVERIFY(!bad.ok());
        QCOMPARE(store->resourceRevision(), quint64(2));
    }

    void deleteRemovesAndReports()
    {
        auto store = openStore();
        QVERIFY(store);
        QVERIFY(store->applyResources(baseSet()).ok());
        QCOMPARE(store->deleteConnection(QStringLiteral("llm")).value(), true);
        QCOMPARE(store->deleteRule(QStringLiteral("no-admin")).value(), true);
        QCOMPARE(store->resourceRevision(), quint64(3));
        QCOMPARE(store->deleteConnection(QStringLiteral("llm")).value(), false);
        QCOMPARE(store->deleteRule(QStringLiteral("no-such-rule")).value(), false);
        QCOMPARE(store->resourceRevision(), quint64(3));
        QVERIFY(!store->connection(QStringLiteral("llm")).value().has_value());
        QVERIFY(!store->rule(QStringLiteral("no-admin")).value().has_value());
        QVERIFY(store->rule(QStringLiteral("no-weights")).value().has_value());
    }

    void revocations()
    {
        auto store = openStore();
        QVERIFY(store);
        const QDateTime t0 = m_clock.now();
        QVERIFY(store->recordIssuedToken(QStringLiteral("j1"), QStringLiteral("alice"), {QStringLiteral("ml-eng")}, t0,
                                         t0.addSecs(900))
                    .ok());
        QVERIFY(store->recordIssuedToken(QStringLiteral("j2"), QStringLiteral("bob"), {}, t0, t0.addSecs(3600)).ok());
        // A jti is unique: recording it twice is an error, not a silent overwrite.
        QVERIFY(!store->recordIssuedToken(QStringLiteral("j1"), QStringLiteral("mallory"), {}, t0, t0.addSecs(60)).ok());

        QCOMPARE(store->revokeToken(QStringLiteral("j1"), t0.addSecs(10), {}).value(), true);
        // A token from elsewhere (an OIDC provider) can be blocked too.
        QCOMPARE(store->revokeToken(QStringLiteral("leaked"), t0.addSecs(10), t0.addSecs(1800)).value(), false);
        QCOMPARE(store->revokeToken(QStringLiteral("no-expiry"), t0.addSecs(10), {}).value(), false);

        Result<QHash<QString, QDateTime>> revoked = store->revokedTokens();
        QVERIFY(revoked.ok());
        QCOMPARE(revoked->size(), 3);
        QCOMPARE(revoked->value(QStringLiteral("j1")), t0.addSecs(900));
        QCOMPARE(revoked->value(QStringLiteral("leaked")), t0.addSecs(1800));
        QVERIFY(revoked->contains(QStringLiteral("no-expiry")));
        QVERIFY(!revoked->contains(QStringLiteral("j2")));

        Result<QList<IssuedToken>> issued = store->issuedTokens();
        QVERIFY(issued.ok());
        QCOMPARE(issued->size(), 2);   // bare revocations are not tokens we issued
        for (const IssuedToken &t : *issued) {
            if (t.jti == QLatin1String("j1")) {
                QCOMPARE(t.subject, QStringLiteral("alice"));
                QCOMPARE(t.groups, QStringList{QStringLiteral("ml-eng")});
                QCOMPARE(t.revokedAt, t0.addSecs(10));
            } else {
                QVERIFY(!t.revokedAt.isValid());
            }
        }

        // Once a revoked token has expired, nobody needs to be told about it any more.
        m_clock.set(t0.addSecs(1000));
        revoked = store->revokedTokens();
        QVERIFY(!revoked->contains(QStringLiteral("j1")));
        QVERIFY(revoked->contains(QStringLiteral("leaked")));

        m_clock.set(t0.addDays(2));
        QCOMPARE(store->pruneExpiredTokens().value(), qint64(3));
        issued = store->issuedTokens();
        QVERIFY(issued->isEmpty());
        revoked = store->revokedTokens();
        QCOMPARE(revoked->keys(), QStringList{QStringLiteral("no-expiry")});
    }

    void sessionsAndEventsRoundTrip()
    {
        auto store = openStore();
        QVERIFY(store);
        SessionStart start{{}, QStringLiteral("llm"), QStringLiteral("alice"),
                           {QStringLiteral("ml-eng"), QStringLiteral("ci")}, QStringLiteral("https://idp.example.com"),
                           QStringLiteral("127.0.0.1:50000"), 1'000'000};
        Result<QString> id = store->beginSession(start);
        QVERIFY2(id.ok(), qPrintable(errorText(id)));
        QCOMPARE(id->size(), 36);   // a UUID

        QJsonArray rows;
        for (int i = 0; i < 2000; ++i)
            rows.append(QJsonObject{{QStringLiteral("id"), i}, {QStringLiteral("email"), QStringLiteral("[EMAIL]")}});
        const QByteArray big = QJsonDocument(rows).toJson(QJsonDocument::Compact);
        const QByteArray small = R"({"method":"GET","path":"/v1/models"})";
        QVERIFY(store->appendEvent(*id, {0, 1'000'010, QStringLiteral("http.request"), small, "hash-0"}).ok());
        QVERIFY(store->appendEvent(*id, {1, 1'000'020, QStringLiteral("http.response"), big, "hash-1"}).ok());
        QVERIFY(store->appendEvent(*id, {2, 1'000'030, QStringLiteral("policy.mask"), QByteArray(), "hash-2"}).ok());

        // A duplicate seq is refused and does not count as an event.
        QVERIFY(!store->appendEvent(*id, {1, 1'000'040, QStringLiteral("http.request"), small, "forged"}).ok());

        Result<QList<StoredEvent>> events = store->events(*id, 0, 100);
        QVERIFY2(events.ok(), qPrintable(errorText(events)));
        QCOMPARE(events->size(), 3);
        QCOMPARE(events->at(0).data, small);
        QCOMPARE(events->at(0).kind, QStringLiteral("http.request"));
        QCOMPARE(events->at(0).tsUs, qint64(1'000'010));
        QCOMPARE(events->at(1).data, big);
        QCOMPARE(events->at(1).hash, QByteArray("hash-1"));
        QVERIFY2(events->at(1).storedSize < big.size() / 4, "a large JSON body is compressed at rest");
        QCOMPARE(events->at(0).storedSize, qint64(small.size()));
        QCOMPARE(events->at(2).data, QByteArray());
        Result<QList<StoredEvent>> tail = store->events(*id, 1, 1);
        QCOMPARE(tail->size(), 1);
        QCOMPARE(tail->at(0).seq, qint64(1));
        // A byte budget ends the page after the event that reaches it, and never before the first.
        Result<QList<StoredEvent>> budget = store->events(*id, 0, 100, small.size() + 1);
        QCOMPARE(budget->size(), 2);
        QCOMPARE(budget->at(1).data, big);
        QCOMPARE(store->events(*id, 1, 100, 1)->size(), 1);
        QCOMPARE(store->events(*id, 0, 100, small.size())->size(), 1);
        QCOMPARE(store->events(*id, 0, 100, 0)->size(), 3);   // 0: no budget
        QCOMPARE(*store->eventCount(*id, 0), qint64(3));
        QCOMPARE(*store->eventCount(*id, 2), qint64(1));
        QCOMPARE(*store->eventCount(*id, 3), qint64(0));
        QCOMPARE(*store->eventCount(QStringLiteral("no-such-session"), 0), qint64(0));

        QVERIFY(store->endSession(*id, {2'000'000, 123, 4567, QByteArray(), "signature", {}}).ok());
        Result<std::optional<SessionInfo>> info = store->session(*id);
        QVERIFY(info.ok() && info->has_value());
        const SessionInfo &s = **info;
        QCOMPARE(s.connection, start.connection);
        QCOMPARE(s.subject, start.subject);
        QCOMPARE(s.groups, start.groups);
        QCOMPARE(s.issuer, start.issuer);
        QCOMPARE(s.clientAddr, start.clientAddr);
        QCOMPARE(s.startedAtUs, qint64(1'000'000));
        QCOMPARE(s.endedAtUs, std::optional<qint64>(2'000'000));
        QCOMPARE(s.bytesIn, qint64(123));
        QCOMPARE(s.bytesOut, qint64(4567));
        QCOMPARE(s.eventCount, qint64(3));
        QCOMPARE(s.headHash, QByteArray("hash-2"));   // kept from the last event
        QCOMPARE(s.headSignature, QByteArray("signature"));

        // A closed record stays closed.
        const Status late = store->appendEvent(*id, {3, 2'000'001, QStringLiteral("http.request"), small, "h"});
        QVERIFY(!late.ok());
        QVERIFY(late.error().message.contains(QLatin1String("ended")));
        QVERIFY(!store->endSession(*id, {3'000'000, 0, 0, {}, {}, {}}).ok());
        const Status unknown = store->appendEvent(QStringLiteral("no-such-session"), {0, 1, QStringLiteral("x"), {}, "h"});
        QVERIFY(!unknown.ok());
        QVERIFY(unknown.error().message.contains(QLatin1String("no session")));
    }

    void sessionListsFilterNewestFirst()
    {
        auto store = openStore();
        QVERIFY(store);
        struct Row { const char *connection; const char *subject; qint64 at; };
        const Row rows[] = {{"llm", "alice", 100}, {"llm", "bob", 200}, {"db", "alice", 300},
                            {"db", "bob", 400}, {"llm", "alice", 500}};
        for (const Row &r : rows)
            QVERIFY(store->beginSession({{}, QLatin1String(r.connection), QLatin1String(r.subject), {}, {}, {}, r.at}).ok());

        auto startedAt = [&](const SessionFilter &f) {
            QList<qint64> out;
            Result<QList<SessionInfo>> list = store->sessions(f);
            if (list)
                for (const SessionInfo &s : *list)
                    out << s.startedAtUs;
            return out;
        };
        QCOMPARE(startedAt({}), (QList<qint64>{500, 400, 300, 200, 100}));
        QCOMPARE(startedAt({QStringLiteral("llm"), {}, {}, {}, 100}), (QList<qint64>{500, 200, 100}));
        QCOMPARE(startedAt({{}, QStringLiteral("alice"), {}, {}, 100}), (QList<qint64>{500, 300, 100}));
        QCOMPARE(startedAt({QStringLiteral("llm"), QStringLiteral("alice"), {}, {}, 100}), (QList<qint64>{500, 100}));
        QCOMPARE(startedAt({{}, {}, 200, 500, 100}), (QList<qint64>{400, 300, 200}));
        QCOMPARE(startedAt({{}, {}, {}, {}, 2}), (QList<qint64>{500, 400}));
        QCOMPARE(startedAt({QStringLiteral("nowhere"), {}, {}, {}, 100}), QList<qint64>{});
    }

    void syncOnCommitPicksTheSynchronousLevel_data()
    {
        QTest::addColumn<bool>("syncOnCommit");
        QTest::addColumn<qint64>("synchronous");   // SQLite's PRAGMA synchronous: 1 NORMAL, 2 FULL
        QTest::newRow("normal") << false << qint64(1);
        QTest::newRow("full") << true << qint64(2);
    }
    void syncOnCommitPicksTheSynchronousLevel()
    {
        QFETCH(bool, syncOnCommit);
        QFETCH(qint64, synchronous);
        QCOMPARE(SqliteStore::Options().syncOnCommit, false);   // [recording] synchronous = "normal"
        SqliteStore::Options o = options();
        o.syncOnCommit = syncOnCommit;
        auto store = SqliteStore::open(m_path, o);
        QVERIFY(store.ok());
        qint64 level = -1;
        // The level is the write connection's own: ask it on the writer.
        QVERIFY((*store)->writer()->runSync([&](SqliteConnection &db) -> Status {
            Result<SqliteQuery> q = db.query("PRAGMA synchronous");
            if (!q)
                return q.error();
            Result<bool> row = q->step();
            if (!row)
                return row.error();
            level = q->int64(0);
            return {};
        }).ok());
        QCOMPARE(level, synchronous);
    }

    void openSessionCountsAndHeadComeFromItsEvents()
    {
        // The writer appends an event with one INSERT; an open session's count and head are read
        // off its events, also after a crash left it open, and written once when it ends.
        auto store = openStore();
        QVERIFY(store);
        Result<QString> id = store->beginSession({{}, QStringLiteral("llm"), QStringLiteral("alice"), {}, {}, {}, 1});
        QVERIFY(id.ok());
        QCOMPARE(store->session(*id).value().value().eventCount, qint64(0));
        QVERIFY(store->session(*id).value().value().headHash.isEmpty());
        for (int i = 0; i < 3; ++i)
            QVERIFY(store->appendEvent(*id, {i, 10 + i, QStringLiteral("k"), "{}", "h" + QByteArray::number(i)}).ok());
        SessionInfo open = store->session(*id).value().value();
        QCOMPARE(open.eventCount, qint64(3));
        QCOMPARE(open.headHash, QByteArray("h2"));
        QCOMPARE(store->sessions({}).value().first().eventCount, qint64(3));
        {
            auto db = raw(m_path);   // the row itself is left alone while the session is open
            QCOMPARE(scalar(*db, "SELECT event_count FROM sessions"), qint64(0));
        }
        QVERIFY(store->endSession(*id, {100, 1, 2, {}, "sig", {}}).ok());
        {
            auto db = raw(m_path);
            QCOMPARE(scalar(*db, "SELECT event_count FROM sessions"), qint64(3));
        }
        const SessionInfo ended = store->session(*id).value().value();
        QCOMPARE(ended.eventCount, qint64(3));
        QCOMPARE(ended.headHash, QByteArray("h2"));
        QVERIFY(!store->appendEvent(*id, {3, 20, QStringLiteral("k"), "{}", "h3"}).ok());
    }

    void asyncWritesReportOnTheCallersThread()
    {
        auto store = openStore();
        QVERIFY(store);
        QObject context;
        QList<bool> results;
        QList<QThread *> threads;
        auto collect = Store::deliverTo(&context, [&](Status s) {
            results << s.ok();
            threads << QThread::currentThread();
        });
        const QString id = store->beginSessionAsync({{}, QStringLiteral("llm"), QStringLiteral("alice"), {}, {}, {}, 1}, collect);
        QVERIFY(!id.isEmpty());
        for (int i = 0; i < 10; ++i)
            store->appendEventAsync(id, {i, 10 + i, QStringLiteral("http.request"), "{}", "h"}, collect);
        store->appendEventAsync(id, {3, 99, QStringLiteral("http.request"), "{}", "dup"}, collect);
        store->endSessionAsync(id, {100, 1, 2, {}, {}, {}}, collect);
        QTRY_COMPARE(results.size(), 13);
        QCOMPARE(results.count(false), 1);
        QCOMPARE(results.at(11), false);   // the duplicate seq, reported in order
        QCOMPARE(threads.count(QThread::currentThread()), 13);
        QCOMPARE(store->session(id).value().value().eventCount, qint64(10));
    }

    void asyncWritesAreVisibleToTheNextRead()
    {
        auto store = openStore();
        QVERIFY(store);
        const QString id = store->beginSessionAsync({{}, QStringLiteral("llm"), QStringLiteral("alice"), {}, {}, {}, 1}, {});
        for (int i = 0; i < 50; ++i)
            QVERIFY(store->appendEventDurable(id, {i, 10 + i, QStringLiteral("http.request"), "{}", "h"}, {}).ok());
        // No waiting here: a read sees every write queued before it, committed or not yet.
        Result<QList<StoredEvent>> events = store->events(id, 0, 100);
        QVERIFY(events.ok());
        QCOMPARE(events->size(), 50);
        QCOMPARE(store->sessions({}).value().size(), 1);
    }

    // What a kill -9 leaves: records appended to the segments that no pass indexed. The next open
    // indexes them, in an order that works whichever thread's segment holds which record, from
    // where the database says each segment was indexed to, and only once.
    void aKilledProcesssRecordingsAreIndexedAtTheNextOpen()
    {
        QString known;
        {
            auto store = openStore();
            QVERIFY(store);
            known = store->beginSession({{}, QStringLiteral("llm"), QStringLiteral("bob"), {}, {}, {}, 1}).value();
            QVERIFY(store->appendEvent(known, {0, 5, QStringLiteral("http.request"), "{\"n\":0}", "k0"}).ok());
            QCOMPARE(store->eventCount(known, 0).value(), qint64(1));   // indexed
        }
        const QString dir = m_path + QStringLiteral(".recordings");
        SessionStart start{QStringLiteral("3f8a7c52-0d7e-4a57-9a43-5d2b8e1f0c99"), QStringLiteral("llm"),
                           QStringLiteral("alice"), {QStringLiteral("eng")}, QStringLiteral("gatehouse"),
                           QStringLiteral("127.0.0.1:5000"), 100};
        QStringList before = QDir(dir).entryList({QStringLiteral("*.seg")}, QDir::Files);
        {
            auto journal = RecordingJournal::open(dir);
            QVERIFY(journal.ok());
            RecordingJournal &j = **journal;
            // Another thread's segment with the events, written before the start's (names order them).
            QThread *other = QThread::create([&j, &start, &known] {
                for (int i = 0; i < 3; ++i)
                    (void)j.append(journal::encodeStoredEvent(start.id, {i, 200 + i, QStringLiteral("http.request"),
                                                                         "{\"i\":" + QByteArray::number(i) + "}",
                                                                         "hash" + QByteArray::number(i)}));
                (void)j.append(journal::encodeStoredEvent(known, {1, 6, QStringLiteral("http.response"), "{\"n\":1}", "k1"}));
                (void)j.append(journal::encodeStoredEvent(QStringLiteral("nobody"), {0, 1, QStringLiteral("x"), "{}", "h"}));
            });
            other->start();
            QVERIFY(other->wait(10000));
            delete other;
            QVERIFY(j.append(journal::encodeStart(start)).ok());
            QVERIFY(j.append(journal::encodeEnd(start.id, {300, 10, 20, {}, "sig", {}})).ok());
            QVERIFY(j.append(journal::encodeProbe()).ok());
        }   // never indexed: as if the process died before its writer's next pass
        QCOMPARE(QDir(dir).entryList({QStringLiteral("*.seg")}, QDir::Files).size(), before.size() + 2);
        // A spare segment made ahead that the process never wrote to: removed, not kept.
        const QString spare = dir + QStringLiteral("/00000000000fffff.seg");
        {
            QFile f(spare);
            QVERIFY(f.open(QIODevice::WriteOnly));
            QCOMPARE(f.write(QByteArray(8192, '\0')), qint64(8192));
        }

        for (int open = 0; open < 2; ++open) {   // the second open finds nothing more to do
            auto store = openStore();
            QVERIFY(store);
            const SessionInfo replayed = store->session(start.id).value().value();
            QCOMPARE(replayed.subject, QStringLiteral("alice"));
            QCOMPARE(replayed.groups, QStringList{QStringLiteral("eng")});
            QCOMPARE(replayed.endedAtUs, std::optional<qint64>(300));
            QCOMPARE(replayed.eventCount, qint64(3));
            QCOMPARE(replayed.headHash, QByteArray("hash2"));
            QCOMPARE(replayed.headSignature, QByteArray("sig"));
            const QList<StoredEvent> events = store->events(start.id, 0, 10).value();
            QCOMPARE(events.size(), 3);
            QCOMPARE(events.at(1).data, QByteArray("{\"i\":1}"));
            // The event indexed before stays as it was; the one the index lacked is added.
            const QList<StoredEvent> knownEvents = store->events(known, 0, 10).value();
            QCOMPARE(knownEvents.size(), 2);
            QCOMPARE(knownEvents.at(0).hash, QByteArray("k0"));
            QCOMPARE(knownEvents.at(1).kind, QStringLiteral("http.response"));
            QVERIFY(!store->session(QStringLiteral("nobody")).value().has_value());
            // Requests counted once each: the three indexed now, and the one indexed before.
            QCOMPARE(requestsCounted(*store, QStringLiteral("llm")), qint64(4));
        }
        QVERIFY(!QFile::exists(spare));
        // Sealed, the leftovers give their unused, preallocated tails back.
        for (const QFileInfo &f : QDir(dir).entryInfoList({QStringLiteral("*.seg")}, QDir::Files))
            QVERIFY2(f.size() < 4096, qPrintable(f.fileName() + QStringLiteral(": ") + QString::number(f.size())));
    }

    // A journal of rows, as a version before schema v5 left it after a kill -9: committed as rows
    // at the next open, each only if the database lacks it, and the journal removed.
    void anEarlierVersionsJournalIsCommittedAtTheNextOpen()
    {
        QString known = QStringLiteral("0b5e3c1a-6a41-4f7e-9d55-1f2e3d4c5b6a");
        {
            auto store = openStore();
            QVERIFY(store);
        }
        {
            auto db = raw(m_path);   // what that version had committed: the session and one event
            QVERIFY(db->exec(QStringLiteral("INSERT INTO sessions (id, connection, subject, started_at_us) VALUES ('%1', 'llm', 'bob', 1);"
                                            "INSERT INTO events (session_id, seq, ts_us, kind, encoding, raw_size, data, hash) "
                                            "VALUES ('%1', 0, 5, 'http.request', 'identity', 7, CAST('{\"n\":0}' AS BLOB), CAST('k0' AS BLOB));"
                                            "INSERT INTO event_counts VALUES ('llm', 'http.request', 0, 1);")
                                 .arg(known)
                                 .toUtf8()
                                 .constData())
                        .ok());
        }
        const QString journalDir = m_path + QStringLiteral(".journal");
        SessionStart start{QStringLiteral("3f8a7c52-0d7e-4a57-9a43-5d2b8e1f0c99"), QStringLiteral("llm"),
                           QStringLiteral("alice"), {QStringLiteral("eng")}, QStringLiteral("gatehouse"),
                           QStringLiteral("127.0.0.1:5000"), 100};
        {
            auto journal = RecordingJournal::open(journalDir);
            QVERIFY(journal.ok());
            RecordingJournal &j = **journal;
            for (int i = 0; i < 3; ++i)
                QVERIFY(j.append(journal::encodeEvent(start.id, {i, 200 + i, QStringLiteral("http.request"),
                                                                 "{\"i\":" + QByteArray::number(i) + "}",
                                                                 "hash" + QByteArray::number(i)}))
                            .ok());
            QVERIFY(j.append(journal::encodeEvent(known, {0, 5, QStringLiteral("http.request"), "{\"n\":0}", "k0"})).ok());
            QVERIFY(j.append(journal::encodeEvent(known, {1, 6, QStringLiteral("http.response"), "{\"n\":1}", "k1"})).ok());
            QVERIFY(j.append(journal::encodeStart(start)).ok());
            QVERIFY(j.append(journal::encodeEnd(start.id, {300, 10, 20, {}, "sig", {}})).ok());
        }
        auto store = openStore();
        QVERIFY(store);
        QVERIFY(!QFileInfo::exists(journalDir));
        const SessionInfo replayed = store->session(start.id).value().value();
        QCOMPARE(replayed.endedAtUs, std::optional<qint64>(300));
        QCOMPARE(replayed.eventCount, qint64(3));
        QCOMPARE(replayed.headHash, QByteArray("hash2"));
        const QList<StoredEvent> events = store->events(start.id, 0, 10).value();
        QCOMPARE(events.size(), 3);
        QCOMPARE(events.at(1).data, QByteArray("{\"i\":1}"));
        const QList<StoredEvent> knownEvents = store->events(known, 0, 10).value();
        QCOMPARE(knownEvents.size(), 2);
        QCOMPARE(knownEvents.at(1).kind, QStringLiteral("http.response"));
        QCOMPARE(store->eventCount(known, 1).value(), qint64(1));
        QCOMPARE(store->timeline(known, 0, 0).value().seq, (QList<qint64>{0, 1}));
        QCOMPARE(store->seqAtOrAfter(known, 6).value(), std::optional<qint64>(1));
        QCOMPARE(requestsCounted(*store, QStringLiteral("llm")), qint64(4));
    }

    // `has=` asks for rare kinds, found through events_stats within each session's lifetime; any
    // other kind is looked for among the session's events. Both must find the same sessions.
    void searchFindsSessionsByTheKindsOfTheirEvents()
    {
        auto store = openStore();
        QVERIFY(store);
        auto session = [&](qint64 start, const QStringList &kinds, bool end) {
            const QString id = store->beginSession({{}, QStringLiteral("llm"), QStringLiteral("bob"), {}, {}, {}, start}).value();
            qint64 ts = start;
            for (int i = 0; i < kinds.size(); ++i)
                if (!store->appendEvent(id, {i, ts = start + 10 + i, kinds.at(i), "{}", "h"}).ok())
                    return QString();
            if (end) {
                SessionEnd e;
                e.endedAtUs = ts;   // the last event at the very end
                if (!store->endSession(id, e).ok())
                    return QString();
            }
            return id;
        };
        QStringList exchanges;
        for (int i = 0; i < 300; ++i)
            exchanges << QStringLiteral("http.request") << QStringLiteral("http.response");
        const QString refused = session(1000, exchanges + QStringList{QStringLiteral("policy.refused")}, true);
        const QString chunked = session(2000, exchanges + QStringList{QStringLiteral("http.chunk")}, true);
        const QString approved = session(3000, {QStringLiteral("approval.requested"), QStringLiteral("approval.decided")}, false);
        const QString masked = session(4000, {QStringLiteral("http.request"), QStringLiteral("policy.masked")}, false);
        QVERIFY(!refused.isEmpty() && !chunked.isEmpty() && !approved.isEmpty() && !masked.isEmpty());

        auto found = [&](const QStringList &kinds) {
            SessionSearch search;
            search.withKinds = kinds;
            const QList<SessionInfo> list = store->searchSessions(search).value();
            QStringList ids;
            for (const SessionInfo &info : list)
                ids << info.id;
            return ids;
        };
        QCOMPARE(found({QStringLiteral("policy.refused")}), QStringList{refused});
        QCOMPARE(found({QStringLiteral("approval.decided")}), QStringList{approved});
        QCOMPARE(found({QStringLiteral("approval.requested"), QStringLiteral("approval.decided")}), QStringList{approved});
        QCOMPARE(found({QStringLiteral("policy.masked"), QStringLiteral("policy.refused")}), (QStringList{masked, refused}));
        QCOMPARE(found({QStringLiteral("http.chunk")}), QStringList{chunked});
        QCOMPARE(found({QStringLiteral("http.chunk"), QStringLiteral("policy.refused")}), (QStringList{chunked, refused}));
        QCOMPARE(found({QStringLiteral("pg.query")}), QStringList());
        QCOMPARE(found({}).size(), 4);
    }

    void requestsAreCountedPerConnectionAsTheyCommit()
    {
        auto store = openStore();
        QVERIFY(store);
        const QString a = store->beginSession({{}, QStringLiteral("llm"), QStringLiteral("bob"), {}, {}, {}, 1}).value();
        const QString b = store->beginSession({{}, QStringLiteral("search"), QStringLiteral("bob"), {}, {}, {}, 1}).value();
        for (int i = 0; i < 5; ++i) {
            store->appendEventAsync(a, {2 * i, 10 + i, QStringLiteral("http.request"), "{}", "h"}, {});
            store->appendEventAsync(a, {2 * i + 1, 10 + i, QStringLiteral("http.response"), "{}", "h"}, {});
        }
        QVERIFY(store->appendEvent(b, {0, 20, QStringLiteral("http.request"), "{}", "h"}).ok());
        // In the next second: its own bucket, outside the window asked for.
        QVERIFY(store->appendEvent(b, {1, 1'000'000, QStringLiteral("http.request"), "{}", "h"}).ok());
        QCOMPARE(requestsCounted(*store, QStringLiteral("llm")), qint64(5));
        QCOMPARE(requestsCounted(*store, QStringLiteral("search")), qint64(1));
        // An event the database refuses (a seq already taken) is not counted.
        QVERIFY(!store->appendEvent(a, {0, 30, QStringLiteral("http.request"), "{}", "h"}).ok());
        QCOMPARE(requestsCounted(*store, QStringLiteral("llm")), qint64(5));
    }

    // The overview's counts and latest refusals, from events indexed in several passes (so from
    // several runs): newest refusals first, only the window's, as many as asked for.
    void overviewCountsAndLatestRefusalsComeFromTheRuns()
    {
        auto store = openStore();
        QVERIFY(store);
        const QString a = store->beginSession({{}, QStringLiteral("llm"), QStringLiteral("alice"), {}, {}, {}, 1}).value();
        const QString b = store->beginSession({{}, QStringLiteral("search"), QStringLiteral("bob"), {}, {}, {}, 1}).value();
        qint64 seqA = 0, seqB = 0;
        auto refusal = [](int n) -> QByteArray {
            return QByteArray("{\"error\":\"denied\",\"method\":\"GET\",\"path\":\"/p/") + QByteArray::number(n)
                + "\",\"rule\":\"no-\\\"count\\\":9\",\"status\":403}";
        };
        for (int pass = 0; pass < 3; ++pass) {
            for (int i = 0; i < 4; ++i) {
                const int n = pass * 4 + i;
                const QString &id = i % 2 ? b : a;
                qint64 &seq = i % 2 ? seqB : seqA;
                QVERIFY(store->appendEvent(id, {seq++, 100'000 + n * 1000, QStringLiteral("policy.refused"), refusal(n), "h"}).ok());
            }
            QVERIFY(store->appendEvent(a, {seqA++, 200'000 + pass, QStringLiteral("policy.masked"),
                                           "{\"masks\":[{\"count\":2,\"detector\":\"email\",\"ranges\":[],\"rule\":\"r\"},"
                                           "{\"count\":3,\"detector\":\"card\",\"ranges\":[],\"rule\":\"s\\\"count\\\":7\"}],\"request_id\":\"x\"}",
                                           "h"})
                        .ok());
            QVERIFY(store->appendEvent(b, {seqB++, 300'000 + pass, QStringLiteral("approval.requested"), "{}", "h"}).ok());
            QVERIFY(store->eventCount(a, 0).ok());   // a pass: these events make runs of their own
        }
        {
            auto db = raw(m_path);
            QVERIFY(scalar(*db, "SELECT count(*) FROM event_runs") >= 6);
        }
        StatsQuery q;
        q.sinceUs = 0;
        q.untilUs = 1'000'000;
        q.bucketUs = 1'000'000;
        q.latestDenials = 5;
        const StatsResult r = store->stats(q).value();
        QCOMPARE(r.connections.value(QStringLiteral("llm")).value(0).refusals, qint64(6));
        QCOMPARE(r.connections.value(QStringLiteral("search")).value(0).refusals, qint64(6));
        QCOMPARE(r.connections.value(QStringLiteral("llm")).value(0).masked, qint64(15));   // 3 events of 2 + 3
        QCOMPARE(r.connections.value(QStringLiteral("search")).value(0).approvals, qint64(3));
        QCOMPARE(r.latestDenials.size(), 5);
        QStringList paths;
        for (const StatsDenial &d : r.latestDenials)
            paths << d.path;
        QCOMPARE(paths, (QStringList{QStringLiteral("/p/11"), QStringLiteral("/p/10"), QStringLiteral("/p/9"),
                                     QStringLiteral("/p/8"), QStringLiteral("/p/7")}));
        QCOMPARE(r.latestDenials.first().connection, QStringLiteral("search"));
        QCOMPARE(r.latestDenials.first().subject, QStringLiteral("bob"));
        QCOMPARE(r.latestDenials.first().status, 403);
        // A window that ends before the later refusals: only the ones in it.
        q.untilUs = 104'500;
        const StatsResult early = store->stats(q).value();
        paths.clear();
        for (const StatsDenial &d : early.latestDenials)
            paths << d.path;
        QCOMPARE(paths, (QStringList{QStringLiteral("/p/4"), QStringLiteral("/p/3"), QStringLiteral("/p/2"),
                                     QStringLiteral("/p/1"), QStringLiteral("/p/0")}));
    }

    void aWriteTheDatabaseRefusedIsIndexedOnceItCanWrite()
    {
        QString id;
        {
            auto store = openStore();
            QVERIFY(store);
            id = store->beginSession({{}, QStringLiteral("llm"), QStringLiteral("alice"), {}, {}, {}, 1}).value();
            QVERIFY(store->setWritesBlockedForTesting(true).ok());
            // Durable all the same: its segment has it, though the index cannot take it.
            QVERIFY(store->appendEventDurable(id, {0, 10, QStringLiteral("http.request"), "{}", "h0"}, {}).ok());
            QVERIFY(store->events(id, 0, 10).value().isEmpty());
            QTRY_VERIFY(!store->health().ok());
            QVERIFY(store->setWritesBlockedForTesting(false).ok());
            QTRY_VERIFY(store->health().ok());
            // Writable again: indexed, and counted once.
            QCOMPARE(store->events(id, 0, 10).value().size(), 1);
            QCOMPARE(requestsCounted(*store, QStringLiteral("llm")), qint64(1));
            QVERIFY(store->setWritesBlockedForTesting(true).ok());
            QVERIFY(store->appendEventDurable(id, {1, 11, QStringLiteral("http.request"), "{}", "h1"}, {}).ok());
            QTRY_VERIFY(!store->health().ok());
        }   // closed while the database refuses: the next open indexes what is left
        auto store = openStore();
        QVERIFY(store);
        const QList<StoredEvent> events = store->events(id, 0, 10).value();
        QCOMPARE(events.size(), 2);
        QCOMPARE(events.last().hash, QByteArray("h1"));
        QCOMPARE(requestsCounted(*store, QStringLiteral("llm")), qint64(2));
    }

    void readsDoNotWaitForTheWriter()
    {
        auto store = openStore();
        QVERIFY(store);
        QVERIFY(store->applyResources(baseSet()).ok());
        QSemaphore entered, release;
        store->writer()->submit({[&](SqliteConnection &) {
                                     entered.release();
                                     release.acquire();
                                     return Status();
                                 },
                                 {}});
        entered.acquire();
        // The writer is stuck mid-transaction; the proxy must still see its rules.
        Result<ResourceSet> set = store->resources();
        release.release();
        QVERIFY(set.ok());
        QCOMPARE(set->rules.size(), 2);
    }

    void corruptedRowsAreErrorsNotCrashes()
    {
        QString sessionId;
        {
            auto store = openStore();
            QVERIFY(store);
            QVERIFY(store->applyResources(baseSet()).ok());
            sessionId = store->beginSession({{}, QStringLiteral("llm"), QStringLiteral("alice"), {}, {}, {}, 1}).value();
            QVERIFY(store->appendEvent(sessionId, {0, 1, QStringLiteral("http.response"), QByteArray(8000, 'a'), "h"}).ok());
            QCOMPARE(store->eventCount(sessionId, 0).value(), qint64(1));   // indexed: a run of its own
            QVERIFY(store->appendEvent(sessionId, {1, 2, QStringLiteral("http.response"), QByteArray(8000, 'b'), "h"}).ok());
        }
        {
            auto db = raw(m_path);
            QVERIFY(db);
            QVERIFY(db->exec("UPDATE connections SET json = '{\"name\": ' WHERE name = 'llm';"
                             "UPDATE rules SET json = '{\"name\":\"no-admin\",\"kind\":\"explode\"}' WHERE name = 'no-admin';")
                        .ok());
        }
        {
            // Event 0's body (8000 'a's, compressed at rest) damaged in its segment, and the index
            // pointing event 1 past the end of its file.
            const QString dir = m_path + QStringLiteral(".recordings");
            bool damaged = false;
            for (const QString &name : QDir(dir).entryList({QStringLiteral("*.seg")}, QDir::Files)) {
                QFile f(dir + QLatin1Char('/') + name);
                QVERIFY(f.open(QIODevice::ReadWrite));
                QByteArray bytes = f.readAll();
                const qsizetype at = bytes.indexOf("\x28\xb5\x2f\xfd");   // the first zstd frame
                if (at < 0)
                    continue;
                bytes[at + 6] = char(bytes[at + 6] ^ 0x55);
                QVERIFY(f.seek(0));
                f.write(bytes);
                damaged = true;
                break;
            }
            QVERIFY(damaged);
            auto db = raw(m_path);
            QVERIFY(db->exec("UPDATE event_runs SET end_offset = end_offset + 100000000 WHERE first_seq = 1").ok());
        }
        auto store = openStore();
        QVERIFY(store);
        Result<std::optional<Connection>> llm = store->connection(QStringLiteral("llm"));
        QVERIFY(!llm.ok());
        QVERIFY2(llm.error().toString().contains(QLatin1String("connection \"llm\"")), qPrintable(llm.error().toString()));
        QVERIFY(llm.error().message.contains(QLatin1String("corrupt")));
        QVERIFY(!store->rule(QStringLiteral("no-admin")).ok());
        QVERIFY(store->rule(QStringLiteral("no-weights")).ok());
        QVERIFY(!store->resources().ok());

        Result<QList<StoredEvent>> first = store->events(sessionId, 0, 1);
        QVERIFY(!first.ok());
        QVERIFY2(first.error().message.contains(QLatin1String("event 0")), qPrintable(first.error().message));
        Result<QList<StoredEvent>> second = store->events(sessionId, 1, 1);
        QVERIFY(!second.ok());

        // Applying the resources again repairs the broken rows.
        Result<ApplyOutcome> repaired = store->applyResources(baseSet());
        QVERIFY(repaired.ok());
        QCOMPARE(repaired->updated, (QStringList{QStringLiteral("connection/llm"), QStringLiteral("rule/no-admin")}));
        QVERIFY(store->resources().ok());
    }

    // As root SQLite writes through chmod 000, so the seam makes the write connection refuse
    // writes (PRAGMA query_only), which fails them with SQLITE_READONLY like a read-only mount.
    void unwritableDatabaseMakesTheStoreUnhealthyUntilItCanWriteAgain()
    {
        auto store = openStore();
        QVERIFY(store);
        QSignalSpy spy(store.get(), &Store::healthChanged);
        QVERIFY(store->setWritesBlockedForTesting(true).ok());

        Result<QString> refused = store->beginSession({{}, QStringLiteral("llm"), QStringLiteral("alice"), {}, {}, {}, 1});
        QVERIFY(!refused.ok());
        QVERIFY(!store->health().ok());
        QCOMPARE(spy.size(), 1);
        QCOMPARE(spy.at(0).at(0).toBool(), false);
        QVERIFY(!spy.at(0).at(1).toString().isEmpty());
        // Reads keep working: the admin API can still show what happened.
        QVERIFY(store->sessions({}).ok());

        QVERIFY(store->setWritesBlockedForTesting(false).ok());
        QTRY_VERIFY_WITH_TIMEOUT(store->health().ok(), 5000);   // the probe write succeeded
        QCOMPARE(spy.size(), 2);
        QCOMPARE(spy.at(1).at(0).toBool(), true);
        QVERIFY(store->beginSession({{}, QStringLiteral("llm"), QStringLiteral("alice"), {}, {}, {}, 1}).ok());
    }
};

QTEST_GUILESS_MAIN(tst_SqliteStore)
#include "tst_sqlitestore.moc"
