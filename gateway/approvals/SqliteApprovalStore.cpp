#include "approvals/SqliteApprovalStore.h"

#include "recording/SqliteConnection.h"

#include <QJsonDocument>

namespace gh {

namespace {

std::optional<qint64> msOrNull(const QDateTime &t)
{
    return t.isValid() ? std::optional<qint64>(t.toMSecsSinceEpoch()) : std::nullopt;
}

} // namespace

SqliteApprovalStore::SqliteApprovalStore(std::unique_ptr<SqliteConnection> db) : m_db(std::move(db)) {}

SqliteApprovalStore::~SqliteApprovalStore() = default;

Result<std::unique_ptr<SqliteApprovalStore>> SqliteApprovalStore::open(const QString &path, int busyTimeoutMs,
                                                                       bool syncOnCommit)
{
    auto db = SqliteConnection::open(path, SqliteConnection::Access::ReadWrite, busyTimeoutMs);
    if (!db)
        return db.error();
    // The table is the store schema's; a file the store never migrated is not a gateway database.
    Result<std::optional<qint64>> table =
        (*db)->firstInt64("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'approvals'");
    if (!table)
        return table.error();
    if (!table->has_value())
        return Error(QStringLiteral("the database has no approvals table; open the store on it first"), path, 0,
                     QString());
    // A connection's own setting, FULL unless told: each held request's approval then waited for
    // an fsync, 50 ms and more behind the recordings' writeback.
    if (Status s = (*db)->exec(syncOnCommit ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL"); !s)
        return s.error();
    // Nor does a save checkpoint: a commit that finds the write-ahead log past SQLite's threshold
    // copies it into the database and syncs it, and after a busy minute of recordings that held
    // an approval.requested back 95 ms. The store's writer commits all the time and checkpoints.
    if (Status s = (*db)->exec("PRAGMA wal_autocheckpoint = 0"); !s)
        return s.error();
    return std::unique_ptr<SqliteApprovalStore>(new SqliteApprovalStore(std::move(db).value()));
}

Result<bool> SqliteApprovalStore::syncsEachSave() const
{
    Result<std::optional<qint64>> level = m_db->firstInt64("PRAGMA synchronous");
    if (!level)
        return level.error();
    if (!level->has_value())
        return Error(QStringLiteral("PRAGMA synchronous gave no row"));
    return **level >= 2;   // 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA
}

Status SqliteApprovalStore::save(const Approval &a)
{
    Result<SqliteQuery> q = m_db->query(
        "INSERT INTO approvals (id, state, connection, subject, rule, created_at, decided_at, json) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
        "ON CONFLICT (id) DO UPDATE SET state = excluded.state, decided_at = excluded.decided_at, json = excluded.json");
    if (!q)
        return q.error();
    q->bind(1, a.id)
        .bind(2, approvalStateName(a.state))
        .bind(3, a.connection)
        .bind(4, a.subject)
        .bind(5, a.rule)
        .bind(6, a.createdAt.toMSecsSinceEpoch())
        .bindOptional(7, msOrNull(a.decidedAt))
        .bind(8, QString::fromUtf8(QJsonDocument(toJson(a)).toJson(QJsonDocument::Compact)));
    return q->run();
}

Result<QList<Approval>> SqliteApprovalStore::rows(const char *sql, const std::optional<QString> &param, int limit) const
{
    Result<SqliteQuery> q = m_db->query(sql);
    if (!q)
        return q.error();
    int next = 1;
    if (param)
        q->bind(next++, *param);
    if (limit >= 0)
        q->bind(next, limit);
    QList<Approval> out;
    for (;;) {
        Result<bool> row = q->step();
        if (!row)
            return row.error();
        if (!*row)
            return out;
        const QJsonDocument doc = QJsonDocument::fromJson(q->text(0).toUtf8());
        auto a = approvalFromJson(doc.object());
        if (!a)
            return Error(QStringLiteral("an approvals row holds no readable approval"), m_db->path(), 0, QString());
        out.append(std::move(*a));
    }
}

Result<std::optional<Approval>> SqliteApprovalStore::find(const QString &id) const
{
    auto found = rows("SELECT json FROM approvals WHERE id = ?1", id, -1);
    if (!found)
        return found.error();
    if (found->isEmpty())
        return std::optional<Approval>();
    return std::optional<Approval>(found->first());
}

Result<QList<Approval>> SqliteApprovalStore::list(std::optional<Approval::State> state, int limit) const
{
    if (state)
        return rows("SELECT json FROM approvals WHERE state = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2",
                    approvalStateName(*state), limit);
    return rows("SELECT json FROM approvals ORDER BY created_at DESC, id DESC LIMIT ?1", std::nullopt, limit);
}

Result<QList<Approval>> SqliteApprovalStore::activeGrants(const QDateTime &now) const
{
    auto granted = rows("SELECT json FROM approvals WHERE state = 'approved' "
                        "AND json_extract(json, '$.grant_until') IS NOT NULL",
                        std::nullopt, -1);
    if (!granted)
        return granted.error();
    QList<Approval> out;
    for (const Approval &a : *granted) {
        if (a.grantUntil.isValid() && a.grantUntil > now)
            out.append(a);
    }
    return out;
}

} // namespace gh
