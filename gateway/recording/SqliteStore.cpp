#include "recording/SqliteStore.h"

#include "recording/JournalRecords.h"
#include "recording/SqliteConnection.h"
#include "recording/SqliteReadLease.h"
#include "recording/SqliteSchema.h"
#include "recording/SqliteValues.h"
#include "recording/StoreWriter.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMutexLocker>
#include <QSet>

#include <algorithm>
#include <cerrno>
#include <limits>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace gh {

namespace {

constexpr int maxListLimit = 10000;

QString compactJson(const QJsonObject &o)
{
    return QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Compact));
}

QString resourceKey(const char *kind, const QString &name)
{
    return QStringLiteral("%1 \"%2\"").arg(QLatin1String(kind), name);
}

// Errors from the core validators name the key inside the resource; say which resource too.
Error inResource(Error e, const char *kind, const QString &name, int line)
{
    const QString where = resourceKey(kind, name);
    if (!e.key.startsWith(where))
        e.key = e.key.isEmpty() ? where : where + QLatin1String(": ") + e.key;
    if (e.line == 0)
        e.line = line;
    return e;
}

Result<Connection> parseConnectionRow(const QString &name, const QString &json)
{
    const QString where = resourceKey("connection", name);
    Result<QJsonDocument> doc = stored::parseJson(json, where);
    if (!doc)
        return Error(doc.error().message, QString(), 0, where);
    if (!doc->isObject())
        return Error(QStringLiteral("stored %1 is corrupt: not a JSON object").arg(where), QString(), 0, where);
    Result<Connection> c = connectionFromJson(doc->object());
    if (!c)
        return Error(QStringLiteral("stored %1 is corrupt: %2").arg(where, c.error().toString()),
                     QString(), 0, where);
    return c;
}

Result<Rule> parseRuleRow(const QString &name, const QString &json)
{
    const QString where = resourceKey("rule", name);
    Result<QJsonDocument> doc = stored::parseJson(json, where);
    if (!doc)
        return Error(doc.error().message, QString(), 0, where);
    if (!doc->isObject())
        return Error(QStringLiteral("stored %1 is corrupt: not a JSON object").arg(where), QString(), 0, where);
    Result<Rule> r = ruleFromJson(doc->object());
    if (!r)
        return Error(QStringLiteral("stored %1 is corrupt: %2").arg(where, r.error().toString()),
                     QString(), 0, where);
    return r;
}

// What goes in must come back out: validating through the JSON form the store keeps means a
// row that was accepted can always be read again.
Status checkStorable(const Connection &c)
{
    Result<Connection> back = connectionFromJson(toJson(c));
    if (!back)
        return inResource(back.error(), "connection", c.name, c.line);
    return {};
}

Status checkStorable(const Rule &r)
{
    Result<Rule> back = ruleFromJson(toJson(r));
    if (!back)
        return inResource(back.error(), "rule", r.name, r.line);
    return {};
}

Result<PutOutcome> upsertConnection(SqliteConnection &db, const Connection &c, qint64 nowMs)
{
    Result<SqliteQuery> select = db.query("SELECT json FROM connections WHERE name = ?1");
    if (!select)
        return select.error();
    select->bind(1, c.name);
    Result<bool> found = select->step();
    if (!found)
        return found.error();
    const QString json = compactJson(toJson(c));
    if (*found) {
        // A stored row that no longer parses is simply replaced: apply is how it gets repaired.
        Result<Connection> existing = parseConnectionRow(c.name, select->text(0));
        if (existing && *existing == c)
            return PutOutcome::Unchanged;
        Result<SqliteQuery> update =
            db.query("UPDATE connections SET json = ?2, updated_at = ?3 WHERE name = ?1");
        if (!update)
            return update.error();
        if (Status s = update->bind(1, c.name).bind(2, json).bind(3, nowMs).run(); !s)
            return s.error();
        return PutOutcome::Updated;
    }
    Result<SqliteQuery> insert = db.query(
        "INSERT INTO connections (name, json, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)");
    if (!insert)
        return insert.error();
    if (Status s = insert->bind(1, c.name).bind(2, json).bind(3, nowMs).run(); !s)
        return s.error();
    return PutOutcome::Created;
}

Result<PutOutcome> upsertRule(SqliteConnection &db, const Rule &r, qint64 nowMs)
{
    Result<SqliteQuery> select = db.query("SELECT json FROM rules WHERE name = ?1");
    if (!select)
        return select.error();
    select->bind(1, r.name);
    Result<bool> found = select->step();
    if (!found)
        return found.error();
    const QString json = compactJson(toJson(r));
    if (*found) {
        Result<Rule> existing = parseRuleRow(r.name, select->text(0));
        if (existing && *existing == r)
            return PutOutcome::Unchanged;
        // An updated rule keeps its place in the order.
        Result<SqliteQuery> update = db.query("UPDATE rules SET json = ?2, updated_at = ?3 WHERE name = ?1");
        if (!update)
            return update.error();
        if (Status s = update->bind(1, r.name).bind(2, json).bind(3, nowMs).run(); !s)
            return s.error();
        return PutOutcome::Updated;
    }
    Result<SqliteQuery> insert = db.query(
        "INSERT INTO rules (name, position, json, created_at, updated_at) "
        "VALUES (?1, (SELECT COALESCE(MAX(position), -1) + 1 FROM rules), ?2, ?3, ?3)");
    if (!insert)
        return insert.error();
    if (Status s = insert->bind(1, r.name).bind(2, json).bind(3, nowMs).run(); !s)
        return s.error();
    return PutOutcome::Created;
}

void record(ApplyOutcome &outcome, PutOutcome what, const QString &item)
{
    switch (what) {
    case PutOutcome::Created: outcome.created.append(item); break;
    case PutOutcome::Updated: outcome.updated.append(item); break;
    case PutOutcome::Unchanged: outcome.unchanged.append(item); break;
    }
}

// Reads that span statements see one snapshot; a read-only transaction never blocks the writer.
class ReadTransaction final {
public:
    explicit ReadTransaction(SqliteConnection &db) : m_db(db), m_status(db.exec("BEGIN")) {}
    ~ReadTransaction()
    {
        if (m_status)
            (void)m_db.exec("ROLLBACK");
    }
    Q_DISABLE_COPY_MOVE(ReadTransaction)
    const Status &status() const { return m_status; }

private:
    SqliteConnection &m_db;
    Status m_status;
};

} // namespace

// ---- read pool ------------------------------------------------------------------------------

struct SqliteStore::ResourceChange {
    bool changed = false;
};

Result<SqliteStore::ReadLease> SqliteStore::reader() const
{
    {
        QMutexLocker lock(&m_readersMutex);
        if (!m_idleReaders.empty()) {
            std::unique_ptr<SqliteConnection> c = std::move(m_idleReaders.back());
            m_idleReaders.pop_back();
            return ReadLease(this, std::move(c));
        }
    }
    // Opened outside the lock: one slow open must not hold up readers that have a connection.
    Result<std::unique_ptr<SqliteConnection>> c =
        SqliteConnection::open(m_path, SqliteConnection::Access::ReadOnly, m_options.busyTimeoutMs);
    if (!c)
        return c.error();
    return ReadLease(this, std::move(*c));
}

void SqliteStore::release(std::unique_ptr<SqliteConnection> connection) const
{
    // A connection left inside a transaction by an error path would pin an old snapshot.
    if (connection->inTransaction())
        (void)connection->exec("ROLLBACK");
    QMutexLocker lock(&m_readersMutex);
    m_idleReaders.push_back(std::move(connection));
}

// ---- open / close ---------------------------------------------------------------------------

SqliteStore::SqliteStore(QString path, Options options, quint64 revision)
    : m_path(std::move(path)), m_options(options), m_revision(revision)
{
}

SqliteStore::~SqliteStore()
{
    if (!m_writer)
        return;
    // Nothing more is appended: the last pass indexes everything and seals the segments, so the
    // next open has nothing to read back.
    m_journal->sealAll();
    (void)indexNow();
    m_writer->stop();
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const QString &path, Options options)
{
    if (!options.clock)
        options.clock = &Clock::system();
    // Create the file ourselves: SQLite would use 0644, and the WAL and shared-memory files
    // inherit the main file's mode, so this one call keeps recordings private.
    const QByteArray nativePath = QFile::encodeName(path);
    const int fd = ::open(nativePath.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0)
        ::close(fd);
    else if (errno != EEXIST)
        return Error(QStringLiteral("cannot create database file: %1").arg(QString::fromLocal8Bit(std::strerror(errno))),
                     path, 0, QString());

    Result<std::unique_ptr<SqliteConnection>> opened =
        SqliteConnection::open(path, SqliteConnection::Access::ReadWrite, options.busyTimeoutMs);
    if (!opened)
        return opened.error();
    std::unique_ptr<SqliteConnection> db = std::move(*opened);

    {
        Result<SqliteQuery> wal = db->query("PRAGMA journal_mode = WAL");
        if (!wal)
            return Error(QStringLiteral("not a usable database: %1").arg(wal.error().message), path, 0, QString());
        Result<bool> walRow = wal->step();
        if (!walRow)
            return Error(QStringLiteral("not a usable database: %1").arg(walRow.error().message), path, 0, QString());
        if (!*walRow || wal->text(0).compare(QLatin1String("wal"), Qt::CaseInsensitive) != 0)
            return Error(QStringLiteral("cannot switch the database to WAL journal mode"), path, 0, QString());
    }

    // FULL: the WAL is synced on every commit, so "recorded before forwarded" holds across power
    // loss. NORMAL (in WAL mode): a commit reaches the OS before it is reported, which a kill -9
    // of the process cannot undo. See Options::syncOnCommit.
    if (Status s = db->exec(options.syncOnCommit ? "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON"
                                                 : "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON");
        !s)
        return s.error();
    // The writer's statement journals (an upsert's pages, kept in case the statement must be undone
    // inside its group's transaction) in memory: past 64 KiB SQLite spills them to a temporary file
    // it creates, writes and deletes per transaction, which the indexer's passes did several times a
    // second. They hold one statement's pages, never more.
    if (Status s = db->exec("PRAGMA temp_store = MEMORY"); !s)
        return s.error();
    if (Status s = SqliteSchema::migrate(*db); !s)
        return s.error();

    quint64 revision = 0;
    {
        Result<SqliteQuery> rev = db->query("SELECT value FROM store_meta WHERE key = 'resource_revision'");
        if (!rev)
            return rev.error();
        Result<bool> revRow = rev->step();
        if (!revRow)
            return revRow.error();
        if (*revRow)
            revision = quint64(rev->int64(0));
    }

    // A journal of rows left by a version before schema v5: committed as it always was, then gone.
    if (const QString legacy = path + QStringLiteral(".journal"); QFileInfo(legacy).isDir()) {
        Result<std::unique_ptr<RecordingJournal>> old = RecordingJournal::open(legacy);
        if (!old)
            return old.error();
        if (Status s = replayJournal(*db, **old, options.compressThreshold); !s)
            return s.error();
        old->reset();
        if (!QDir().rmdir(legacy))
            qWarning("store: %s is empty now and can be removed", qPrintable(legacy));
    }

    RecordingJournal::Options journalOptions;
    journalOptions.segmentBytes = options.journalSegmentBytes;
    Result<std::unique_ptr<RecordingJournal>> journal =
        RecordingJournal::open(path + QStringLiteral(".recordings"), journalOptions);
    if (!journal)
        return journal.error();
    auto indexer = std::make_unique<SegmentIndexer>(**journal);
    if (Status s = indexer->indexLeftovers(*db); !s)
        return s.error();

    std::unique_ptr<SqliteStore> store(new SqliteStore(path, options, revision));
    store->m_journal = std::move(*journal);
    store->m_indexer = std::move(indexer);
    const Clock *clock = options.clock;
    RecordingJournal *journalPtr = store->m_journal.get();
    auto probe = [clock, journalPtr](SqliteConnection &c) -> Status {
        // The segments are half of every session write: a probe proves both can be written.
        if (Result<RecordingJournal::Location> at = journalPtr->append(journal::encodeProbe()); !at)
            return at.error();
        Result<SqliteQuery> q = c.query(
            "INSERT INTO store_meta (key, value) VALUES ('health_probe', ?1) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
        if (!q)
            return q.error();
        return q->bind(1, clock->now().toMSecsSinceEpoch()).run();
    };
    store->m_writer = std::make_unique<StoreWriter>(std::move(db), probe, options.probeInterval);
    // What the indexer remembers (how far each segment is indexed) follows its transaction.
    SegmentIndexer *indexerPtr = store->m_indexer.get();
    store->m_writer->setGroupHooks({{}, [indexerPtr] { indexerPtr->committed(); }, [indexerPtr] { indexerPtr->rolledBack(); }});
    store->m_writer->setTick(options.indexInterval, [indexerPtr] { return indexerPtr->behind(); },
                             [indexerPtr, lastProblem = QString()](SqliteConnection &c) mutable {
                                 Status s = indexerPtr->pass(c);
                                 // Said once per problem, not every interval while it lasts.
                                 const QString problem = s ? QString() : s.error().message;
                                 if (!problem.isEmpty() && problem != lastProblem)
                                     qWarning("store: indexing the recordings failed: %s", qPrintable(problem));
                                 lastProblem = problem;
                                 return s;
                             },
                             [indexerPtr] { return indexerPtr->backlogged(); });
    // Direct: health must reach listeners even when the store's own thread is busy.
    connect(store->m_writer.get(), &StoreWriter::healthChanged, store.get(), &Store::healthChanged,
            Qt::DirectConnection);
    store->m_writer->start();
    return store;
}

Status SqliteStore::health() const
{
    return m_writer->health();
}

Status SqliteStore::setWritesBlockedForTesting(bool blocked)
{
    return m_writer->runStandaloneSync([blocked](SqliteConnection &db) {
        return db.exec(blocked ? "PRAGMA query_only = 1" : "PRAGMA query_only = 0");
    });
}

// ---- resources ------------------------------------------------------------------------------

Status SqliteStore::writeResources(std::function<Status(SqliteConnection &, ResourceChange &)> work)
{
    auto revision = std::make_shared<std::optional<quint64>>();
    return m_writer->runSync(
        [work = std::move(work), revision](SqliteConnection &db) -> Status {
            ResourceChange change;
            if (Status s = work(db, change); !s)
                return s;
            if (!change.changed)
                return {};
            Result<SqliteQuery> bump = db.query(
                "UPDATE store_meta SET value = value + 1 WHERE key = 'resource_revision' RETURNING value");
            if (!bump)
                return bump.error();
            Result<bool> row = bump->step();
            if (!row)
                return row.error();
            if (!*row)
                return Error(QStringLiteral("store_meta has no resource_revision row"));
            *revision = quint64(bump->int64(0));
            return {};
        },
        // On the writer thread, in commit order, so the revision only ever grows.
        [this, revision](const Status &s) {
            if (s && revision->has_value()) {
                m_revision.store(**revision);
                Q_EMIT resourcesChanged(**revision);
            }
        });
}

Result<ApplyOutcome> SqliteStore::applyResources(const ResourceSet &set)
{
    QSet<QString> names;
    for (const Connection &c : set.connections) {
        if (names.contains(c.name))
            return Error(QStringLiteral("defined twice"), QString(), c.line, resourceKey("connection", c.name));
        names.insert(c.name);
        if (Status s = checkStorable(c); !s)
            return s.error();
    }
    names.clear();
    for (const Rule &r : set.rules) {
        if (names.contains(r.name))
            return Error(QStringLiteral("defined twice"), QString(), r.line, resourceKey("rule", r.name));
        names.insert(r.name);
        if (Status s = checkStorable(r); !s)
            return s.error();
    }

    ApplyOutcome outcome;
    const qint64 nowMs = m_options.clock->now().toMSecsSinceEpoch();
    Status s = writeResources([&](SqliteConnection &db, ResourceChange &change) -> Status {
        outcome = {};   // a retried job starts clean
        for (const Connection &c : set.connections) {
            Result<PutOutcome> r = upsertConnection(db, c, nowMs);
            if (!r)
                return inResource(r.error(), "connection", c.name, c.line);
            record(outcome, *r, QLatin1String("connection/") + c.name);
        }
        for (const Rule &rule : set.rules) {
            Result<PutOutcome> r = upsertRule(db, rule, nowMs);
            if (!r)
                return inResource(r.error(), "rule", rule.name, rule.line);
            record(outcome, *r, QLatin1String("rule/") + rule.name);
        }
        change.changed = !outcome.created.isEmpty() || !outcome.updated.isEmpty();
        return {};
    });
    if (!s)
        return s.error();
    return outcome;
}

namespace {

// The table, kind name and upsert of each resource type, so put and delete are written once.
Result<PutOutcome> upsert(SqliteConnection &db, const Connection &c, qint64 nowMs) { return upsertConnection(db, c, nowMs); }
Result<PutOutcome> upsert(SqliteConnection &db, const Rule &r, qint64 nowMs) { return upsertRule(db, r, nowMs); }
const char *kindOf(const Connection &) { return "connection"; }
const char *kindOf(const Rule &) { return "rule"; }

} // namespace

template <typename T>
Result<PutOutcome> SqliteStore::putResource(const T &item)
{
    if (Status s = checkStorable(item); !s)
        return s.error();
    PutOutcome outcome = PutOutcome::Unchanged;
    const qint64 nowMs = m_options.clock->now().toMSecsSinceEpoch();
    Status s = writeResources([&](SqliteConnection &db, ResourceChange &change) -> Status {
        Result<PutOutcome> r = upsert(db, item, nowMs);
        if (!r)
            return inResource(r.error(), kindOf(item), item.name, item.line);
        outcome = *r;
        change.changed = outcome != PutOutcome::Unchanged;
        return {};
    });
    if (!s)
        return s.error();
    return outcome;
}

Result<PutOutcome> SqliteStore::putConnection(const Connection &c)
{
    return putResource(c);
}

Result<PutOutcome> SqliteStore::putRule(const Rule &rule)
{
    return putResource(rule);
}

Result<bool> SqliteStore::deleteResource(const char *deleteSql, const QString &name)
{
    bool deleted = false;
    Status s = writeResources([&](SqliteConnection &db, ResourceChange &change) -> Status {
        Result<SqliteQuery> q = db.query(deleteSql);
        if (!q)
            return q.error();
        if (Status r = q->bind(1, name).run(); !r)
            return r;
        deleted = change.changed = db.changes() > 0;
        return {};
    });
    if (!s)
        return s.error();
    return deleted;
}

Result<bool> SqliteStore::deleteConnection(const QString &name)
{
    return deleteResource("DELETE FROM connections WHERE name = ?1", name);
}

Result<bool> SqliteStore::deleteRule(const QString &name)
{
    return deleteResource("DELETE FROM rules WHERE name = ?1", name);
}

Result<ResourceSet> SqliteStore::resources() const
{
    Result<ReadLease> lease = reader();
    if (!lease)
        return lease.error();
    SqliteConnection &db = **lease;
    ReadTransaction snapshot(db);
    if (!snapshot.status())
        return snapshot.status().error();

    ResourceSet set;
    {
        Result<SqliteQuery> q = db.query("SELECT name, json FROM connections ORDER BY name");
        if (!q)
            return q.error();
        Result<QList<Connection>> connections = q->collect<Connection>(
            [](const SqliteQuery &row) { return parseConnectionRow(row.text(0), row.text(1)); });
        if (!connections)
            return connections.error();
        set.connections = std::move(*connections);
    }
    Result<SqliteQuery> q = db.query("SELECT name, json FROM rules ORDER BY position");
    if (!q)
        return q.error();
    Result<QList<Rule>> rules = q->collect<Rule>(
        [](const SqliteQuery &row) { return parseRuleRow(row.text(0), row.text(1)); });
    if (!rules)
        return rules.error();
    set.rules = std::move(*rules);
    return set;
}

template <typename T>
Result<std::optional<T>> SqliteStore::readResource(const char *selectSql, const QString &name,
                                                   Result<T> (*parseRow)(const QString &, const QString &)) const
{
    Result<ReadLease> lease = reader();
    if (!lease)
        return lease.error();
    Result<SqliteQuery> q = (**lease).query(selectSql);
    if (!q)
        return q.error();
    q->bind(1, name);
    Result<bool> row = q->step();
    if (!row)
        return row.error();
    if (!*row)
        return std::optional<T>();
    Result<T> item = parseRow(name, q->text(0));
    if (!item)
        return item.error();
    return std::optional<T>(std::move(*item));
}

Result<std::optional<Connection>> SqliteStore::connection(const QString &name) const
{
    return readResource<Connection>("SELECT json FROM connections WHERE name = ?1", name, parseConnectionRow);
}

Result<std::optional<Rule>> SqliteStore::rule(const QString &name) const
{
    return readResource<Rule>("SELECT json FROM rules WHERE name = ?1", name, parseRuleRow);
}

// ---- sessions -------------------------------------------------------------------------------

QString SqliteStore::recordingsDirectory() const
{
    return m_journal->directory();
}

Result<QList<SessionInfo>> SqliteStore::sessions(const SessionFilter &filter) const
{
    catchUp();   // see every session write made before this read
    Result<ReadLease> lease = reader();
    if (!lease)
        return lease.error();
    // One statement per leading filter, so each can walk its own index newest first.
#define GH_SESSION_SELECT(where)                                                                   \
    "SELECT " GH_SESSION_COLUMNS " FROM sessions WHERE " where                                    \
    " AND (?3 IS NULL OR started_at_us >= ?3) AND (?4 IS NULL OR started_at_us < ?4) "            \
    "ORDER BY started_at_us DESC, id DESC LIMIT ?5"
    static constexpr const char byConnection[] =
        GH_SESSION_SELECT("connection = ?1 AND (?2 IS NULL OR subject = ?2)");
    static constexpr const char bySubject[] = GH_SESSION_SELECT("?1 IS NULL AND subject = ?2");
    static constexpr const char byTime[] = GH_SESSION_SELECT("?1 IS NULL AND ?2 IS NULL");
#undef GH_SESSION_SELECT

    const char *sql = !filter.connection.isEmpty() ? byConnection
                    : !filter.subject.isEmpty()    ? bySubject
                                                   : byTime;
    Result<SqliteQuery> q = (**lease).query(sql);
    if (!q)
        return q.error();
    q->bindOrNull(1, filter.connection).bindOrNull(2, filter.subject);
    q->bindOptional(3, filter.sinceUs).bindOptional(4, filter.untilUs);
    q->bind(5, qint64(filter.limit <= 0 ? 100 : std::min(filter.limit, maxListLimit)));
    return q->collect<SessionInfo>(stored::sessionFromRow);
}

Result<std::optional<SessionInfo>> SqliteStore::session(const QString &id) const
{
    catchUp();   // see every session write made before this read
    Result<ReadLease> lease = reader();
    if (!lease)
        return lease.error();
    Result<SqliteQuery> q = (**lease).query(
        "SELECT " GH_SESSION_COLUMNS " FROM sessions WHERE id = ?1");
    if (!q)
        return q.error();
    q->bind(1, id);
    Result<bool> row = q->step();
    if (!row)
        return row.error();
    if (!*row)
        return std::optional<SessionInfo>();
    Result<SessionInfo> s = stored::sessionFromRow(*q);
    if (!s)
        return s.error();
    return std::optional<SessionInfo>(std::move(*s));
}

Result<QList<StoredEvent>> SqliteStore::events(const QString &sessionId, qint64 fromSeq, int limit,
                                               qint64 maxBytes) const
{
    catchUp();   // see every session write made before this read
    Result<ReadLease> lease = reader();
    if (!lease)
        return lease.error();
    const qsizetype max = limit <= 0 ? 1000 : std::min(limit, maxListLimit);
    QList<StoredEvent> list;
    qint64 bytes = 0;
    Status bad;
    auto full = [&] { return list.size() >= max || (maxBytes > 0 && bytes >= maxBytes); };
    // One event as read back: its data decoded, and no larger than its record says.
    auto add = [&](qint64 seq, qint64 tsUs, QString kind, BodyCodec::Encoding encoding, QByteArray stored,
                   qint64 rawSize, QByteArray hash) {
        const QString where = QStringLiteral("event %1 of session %2").arg(seq).arg(sessionId);
        StoredEvent e;
        e.sessionId = sessionId;
        e.seq = seq;
        e.tsUs = tsUs;
        e.kind = std::move(kind);
        e.storedSize = stored.size();
        if (rawSize < 0 || rawSize > BodyCodec::maxDecodedSize) {
            bad = Error(QStringLiteral("%1: its data would be %2 bytes").arg(where).arg(rawSize));
            return false;
        }
        Result<QByteArray> data = BodyCodec::decode(encoding, stored, std::max<qint64>(rawSize, 1));
        if (!data) {
            bad = Error(QStringLiteral("%1: %2").arg(where, data.error().message));
            return false;
        }
        if (data->size() != rawSize) {
            bad = Error(QStringLiteral("%1: body is %2 bytes, the record says %3").arg(where).arg(data->size()).arg(rawSize));
            return false;
        }
        e.data = *std::move(data);
        e.hash = std::move(hash);
        bytes += e.data.size();
        list.append(std::move(e));
        return true;
    };

    bool hadRuns = false;
    Status read = forEachStoredEvent(**lease, sessionId, fromSeq, std::numeric_limits<qint64>::min(),
                                     [&](const journal::EventView &v) {
                                         return !full()
                                             && add(v.seq, v.tsUs, QString::fromUtf8(v.kind), v.encoding,
                                                    v.stored.toByteArray(), v.rawSize, v.hash.toByteArray())
                                             && !full();
                                     },
                                     &hadRuns);
    if (!read)
        return read.error();
    if (!bad)
        return bad.error();
    if (hadRuns) {
        // In seq order even where a session's runs interleave (recorded from two threads in turn).
        std::stable_sort(list.begin(), list.end(), [](const StoredEvent &a, const StoredEvent &b) { return a.seq < b.seq; });
        return list;
    }

    // Recorded before schema v5: rows.
    Result<SqliteQuery> q = (**lease).query(
        "SELECT seq, ts_us, kind, encoding, raw_size, data, hash FROM events "
        "WHERE session_id = ?1 AND seq >= ?2 ORDER BY seq LIMIT ?3");
    if (!q)
        return q.error();
    q->bind(1, sessionId).bind(2, fromSeq).bind(3, qint64(max));
    while (!full()) {
        Result<bool> row = q->step();
        if (!row)
            return row.error();
        if (!*row)
            break;
        Result<BodyCodec::Encoding> encoding = BodyCodec::encodingFromName(q->text(3));
        if (!encoding)
            return Error(QStringLiteral("event %1 of session %2: %3").arg(q->int64(0)).arg(sessionId, encoding.error().message));
        if (!add(q->int64(0), q->int64(1), q->text(2), *encoding, q->blob(5), q->int64(4), q->blob(6)))
            return bad.error();
    }
    return list;
}

} // namespace gh
