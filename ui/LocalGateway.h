#pragma once

#include <QCoreApplication>
#include <QString>
#include <QUrl>

namespace gh {

// The gateway of this user's own machine: where its data dir is, how to reach it, how to start it.
// It reads only the files the daemon publishes for clients (admin.url, admin.token).
class LocalGateway final {
    Q_DECLARE_TR_FUNCTIONS(gh::LocalGateway)

public:
    explicit LocalGateway(QString dataDir = defaultDataDir());

    // $XDG_DATA_HOME/gatehouse, else ~/.local/share/gatehouse: the daemon's default too.
    static QString defaultDataDir();
    static QUrl defaultAdminUrl();

    QString dataDir() const { return m_dataDir; }
    // admin.url when the daemon wrote one, else the default admin address.
    QUrl adminUrl() const;
    // admin.token, or empty before the daemon first ran.
    QString adminToken() const;

    // gatehoused next to this executable (a package or build tree keeps them together), else
    // on PATH; empty when there is none.
    static QString findDaemon();
    // Starts gatehoused on this data dir, detached so it outlives the app; its log goes to
    // gatehoused.log in the data dir because a desktop launch has no terminal. Where a systemd user
    // unit gatehoused.service is installed and this is the default data dir, the unit is started
    // instead (`systemctl --user start gatehoused.service`), so systemd owns and restarts it.
    bool startDaemon(const QString &program, QString *error) const;

    // The installed systemd user unit for gatehoused, or empty when there is none.
    static QString userUnitPath();
    // How the last startDaemon() started it: "systemd" or "process".
    QString startedBy() const { return m_startedBy; }

private:
    QString m_dataDir;
    mutable QString m_startedBy;
};

} // namespace gh
