#pragma once

#include "core/Result.h"

#include <QByteArray>
#include <QString>

namespace gh {

// The gateway's data directory: owner-only, holding the store, the keys and the admin token.
// Everything secret in it is created 0600 and refused when others could read it.
class DataDir final {
public:
    // Creates the directory (and parents) with mode 0700, or tightens an existing one we own.
    static Result<DataDir> open(const QString &path);

    QString path() const { return m_path; }
    QString file(const QString &name) const;

    QString storePath() const { return file(QStringLiteral("gatehouse.db")); }
    QString secretKeyPath() const { return file(QStringLiteral("secret.key")); }
    QString adminTokenPath() const { return file(QStringLiteral("admin.token")); }
    QString adminUrlPath() const { return file(QStringLiteral("admin.url")); }

    // Reads admin.token, creating a fresh random one (0600) on first start.
    Result<QByteArray> loadOrCreateAdminToken() const;

    // Where clients on this machine find the admin API (gatehousectl, the desktop app).
    Status writeAdminUrl(const QString &url) const;
    void removeAdminUrl() const;

private:
    explicit DataDir(QString path) : m_path(std::move(path)) {}
    QString m_path;
};

// Writes `data` to `path` with mode 0600 through a temporary file and rename, so a crash never
// leaves a half-written or briefly world-readable secret behind.
Status writePrivateFile(const QString &path, const QByteArray &data);

// Reads a file that must not be readable or writable by group or others.
Result<QByteArray> readPrivateFile(const QString &path);

} // namespace gh
