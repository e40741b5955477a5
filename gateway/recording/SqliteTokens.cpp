#include "recording/SqliteStore.h"

#include "recording/SqliteConnection.h"
#include "recording/SqliteReadLease.h"
#include "recording/SqliteValues.h"
#include "recording/StoreWriter.h"

namespace gh {

namespace {

constexpr qint64 msPerDay = qint64(24) * 60 * 60 * 1000;

} // namespace

// The gateway's issued tokens and revocations (SqliteStore's token half, apart for its size).

Status SqliteStore::recordIssuedToken(const QString &jti, const QString &subject,
                                      const QStringList &groups, const QDateTime &issuedAt,
                                      const QDateTime &expiresAt)
{
    if (jti.isEmpty())
        return Error(QStringLiteral("a token needs a jti"));
    if (!issuedAt.isValid() || !expiresAt.isValid())
        return Error(QStringLiteral("token %1 needs valid issue and expiry times").arg(jti));
    const QString groupsText = stored::groupsJson(groups);
    return m_writer->runSync([&](SqliteConnection &db) -> Status {
        // A bare revocation stored earlier (issued_at IS NULL) is completed, and stays revoked.
        Result<SqliteQuery> q = db.query(
            "INSERT INTO issued_tokens (jti, subject, groups, issued_at, expires_at) "
            "VALUES (?1, ?2, ?3, ?4, ?5) "
            "ON CONFLICT (jti) DO UPDATE SET subject = excluded.subject, groups = excluded.groups, "
            "issued_at = excluded.issued_at, expires_at = excluded.expires_at "
            "WHERE issued_tokens.issued_at IS NULL");
        if (!q)
            return q.error();
        if (Status s = q->bind(1, jti)
                           .bind(2, subject)
                           .bind(3, groupsText)
                           .bind(4, issuedAt.toMSecsSinceEpoch())
                           .bind(5, expiresAt.toMSecsSinceEpoch())
                           .run();
            !s)
            return s;
        if (db.changes() == 0)
            return Error(QStringLiteral("token %1 is already recorded").arg(jti));
        return {};
    });
}

Result<bool> SqliteStore::revokeToken(const QString &jti, const QDateTime &at, const QDateTime &expiresAt)
{
    if (jti.isEmpty())
        return Error(QStringLiteral("a token needs a jti"));
    const qint64 atMs = at.isValid() ? at.toMSecsSinceEpoch() : m_options.clock->now().toMSecsSinceEpoch();
    const std::optional<qint64> expiresMs = stored::toMs(expiresAt);
    bool known = false;
    Status s = m_writer->runSync([&](SqliteConnection &db) -> Status {
        bool exists = false;
        {
            Result<SqliteQuery> select = db.query("SELECT issued_at FROM issued_tokens WHERE jti = ?1");
            if (!select)
                return select.error();
            select->bind(1, jti);
            Result<bool> row = select->step();
            if (!row)
                return row.error();
            exists = *row;
            known = *row && !select->isNull(0);
        }
        if (exists) {
            Result<SqliteQuery> update = db.query(
                "UPDATE issued_tokens SET revoked_at = COALESCE(revoked_at, ?2), "
                "expires_at = COALESCE(expires_at, ?3) WHERE jti = ?1");
            if (!update)
                return update.error();
            return update->bind(1, jti).bind(2, atMs).bindOptional(3, expiresMs).run();
        }
        Result<SqliteQuery> insert = db.query(
            "INSERT INTO issued_tokens (jti, expires_at, revoked_at) VALUES (?1, ?2, ?3)");
        if (!insert)
            return insert.error();
        return insert->bind(1, jti).bindOptional(2, expiresMs).bind(3, atMs).run();
    });
    if (!s)
        return s.error();
    return known;
}

Result<QHash<QString, QDateTime>> SqliteStore::revokedTokens() const
{
    Result<ReadLease> lease = reader();
    if (!lease)
        return lease.error();
    Result<SqliteQuery> q = (**lease).query(
        "SELECT jti, expires_at FROM issued_tokens "
        "WHERE revoked_at IS NOT NULL AND (expires_at IS NULL OR expires_at > ?1)");
    if (!q)
        return q.error();
    q->bind(1, m_options.clock->now().toMSecsSinceEpoch());
    QHash<QString, QDateTime> revoked;
    Status read = q->forEachRow([&] { revoked.insert(q->text(0), stored::fromMs(q->optionalInt64(1))); });
    if (!read)
        return read.error();
    return revoked;
}

Result<QList<IssuedToken>> SqliteStore::issuedTokens() const
{
    Result<ReadLease> lease = reader();
    if (!lease)
        return lease.error();
    Result<SqliteQuery> q = (**lease).query(
        "SELECT jti, subject, groups, issued_at, expires_at, revoked_at FROM issued_tokens "
        "WHERE issued_at IS NOT NULL ORDER BY issued_at DESC, jti");
    if (!q)
        return q.error();
    QList<IssuedToken> tokens;
    Status read = q->forEachRow([&]() -> Status {
        IssuedToken t;
        t.jti = q->text(0);
        t.subject = q->text(1);
        Result<QStringList> groups = stored::parseGroups(q->text(2), QStringLiteral("token %1").arg(t.jti));
        if (!groups)
            return groups.error();
        t.groups = *groups;
        t.issuedAt = stored::fromMs(q->optionalInt64(3));
        t.expiresAt = stored::fromMs(q->optionalInt64(4));
        t.revokedAt = stored::fromMs(q->optionalInt64(5));
        tokens.append(std::move(t));
        return {};
    });
    if (!read)
        return read.error();
    return tokens;
}

Result<qint64> SqliteStore::pruneExpiredTokens()
{
    // A day of slack: clocks of nodes and clients drift, and a just-expired revocation must
    // still be visible to anyone checking a token that is "barely" valid for them.
    const qint64 cutoff = m_options.clock->now().toMSecsSinceEpoch() - msPerDay;
    qint64 pruned = 0;
    Status s = m_writer->runSync([&](SqliteConnection &db) -> Status {
        Result<SqliteQuery> q = db.query("DELETE FROM issued_tokens WHERE expires_at < ?1");
        if (!q)
            return q.error();
        if (Status r = q->bind(1, cutoff).run(); !r)
            return r;
        pruned = db.changes();
        return {};
    });
    if (!s)
        return s.error();
    return pruned;
}

} // namespace gh
