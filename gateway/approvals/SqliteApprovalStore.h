#pragma once

#include "approvals/ApprovalStore.h"

#include <memory>

namespace gh {

class SqliteConnection;

// Approvals in the gateway's SQLite file, through a connection of their own (WAL lets it write
// beside the store's writer thread; approvals are rare and small). The `approvals` table is part
// of the store's schema (recording/SqliteSchema.cpp): open the SqliteStore on the file first.
// Indexed fields are columns; the whole approval is kept as its admin API JSON.
class SqliteApprovalStore final : public ApprovalStore {
public:
    // `syncOnCommit` as the store's (`[recording] synchronous`): false, a saved approval survives a
    // kill -9 of the process (SQLite's synchronous=NORMAL in WAL mode); true, a power loss too, at
    // an fsync per save, which waits behind the recordings' writeback on a busy disk (tens of ms).
    static constexpr int defaultBusyTimeoutMs = 2000;
    static Result<std::unique_ptr<SqliteApprovalStore>> open(const QString &path,
                                                             int busyTimeoutMs = defaultBusyTimeoutMs,
                                                             bool syncOnCommit = false);
    // What its connection was set to: true when every save is fsynced (synchronous=FULL or more).
    Result<bool> syncsEachSave() const;
    ~SqliteApprovalStore() override;
    Q_DISABLE_COPY_MOVE(SqliteApprovalStore)

    Status save(const Approval &a) override;
    Result<std::optional<Approval>> find(const QString &id) const override;
    Result<QList<Approval>> list(std::optional<Approval::State> state, int limit) const override;
    Result<QList<Approval>> activeGrants(const QDateTime &now) const override;

private:
    explicit SqliteApprovalStore(std::unique_ptr<SqliteConnection> db);
    Result<QList<Approval>> rows(const char *sql, const std::optional<QString> &param, int limit) const;

    std::unique_ptr<SqliteConnection> m_db;
};

} // namespace gh
