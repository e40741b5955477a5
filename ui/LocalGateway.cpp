#include "LocalGateway.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>

namespace gh {

namespace {

QString readFirstLine(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(file.readLine(4096)).trimmed();
}

} // namespace

LocalGateway::LocalGateway(QString dataDir)
    : m_dataDir(std::move(dataDir))
{
}

QString LocalGateway::defaultDataDir()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation)
        + QLatin1String("/gatehouse");
}

QUrl LocalGateway::defaultAdminUrl()
{
    return QUrl(QStringLiteral("http://127.0.0.1:8700"));
}

QUrl LocalGateway::adminUrl() const
{
    const QString line = readFirstLine(m_dataDir + QLatin1String("/admin.url"));
    const QUrl url(line, QUrl::StrictMode);
    if (line.isEmpty() || !url.isValid() || url.host().isEmpty())
        return defaultAdminUrl();
    return url;
}

QString LocalGateway::adminToken() const
{
    return readFirstLine(m_dataDir + QLatin1String("/admin.token"));
}

QString LocalGateway::findDaemon()
{
    const QString sibling = QCoreApplication::applicationDirPath() + QLatin1String("/gatehoused");
    const QFileInfo info(sibling);
    if (info.isFile() && info.isExecutable())
        return info.absoluteFilePath();
    return QStandardPaths::findExecutable(QStringLiteral("gatehoused"));
}

QString LocalGateway::userUnitPath()
{
    // systemd's user unit search path, user dirs first (systemd.unit(5)).
    QStringList dirs{QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation) + QLatin1String("/systemd/user"),
                     QStringLiteral("/etc/systemd/user"),
                     QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) + QLatin1String("/systemd/user"),
                     QStringLiteral("/usr/local/lib/systemd/user"), QStringLiteral("/usr/lib/systemd/user")};
    for (const QString &dir : dirs) {
        const QString path = dir + QLatin1String("/gatehoused.service");
        if (QFileInfo::exists(path))
            return path;
    }
    return {};
}

bool LocalGateway::startDaemon(const QString &program, QString *error) const
{
    const QString systemctl = QStandardPaths::findExecutable(QStringLiteral("systemctl"));
    if (m_dataDir == defaultDataDir() && !systemctl.isEmpty() && !userUnitPath().isEmpty()
        && !qEnvironmentVariableIsSet("GATEHOUSE_NO_SYSTEMD")) {
        // --no-block: queue the start and return, so the window never waits on the unit. A failure
        // (no user manager, no session bus) falls back to starting the program ourselves.
        QProcess systemd;
        systemd.start(systemctl, {QStringLiteral("--user"), QStringLiteral("start"), QStringLiteral("--no-block"),
                                  QStringLiteral("gatehoused.service")});
        if (systemd.waitForFinished(3000) && systemd.exitStatus() == QProcess::NormalExit && systemd.exitCode() == 0) {
            m_startedBy = QStringLiteral("systemd");
            return true;
        }
        systemd.kill();
        systemd.waitForFinished(1000);
    }
    m_startedBy = QStringLiteral("process");
    // The daemon creates its secrets in here with 0600; keep the directory itself private too.
    if (!QDir().mkpath(m_dataDir)
        || !QFile::setPermissions(m_dataDir, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner)) {
        if (error)
            *error = tr("cannot create %1").arg(m_dataDir);
        return false;
    }
    QProcess process;
    process.setProgram(program);
    process.setArguments({QStringLiteral("--data-dir"), m_dataDir});
    process.setStandardInputFile(QProcess::nullDevice());
    process.setStandardOutputFile(m_dataDir + QLatin1String("/gatehoused.log"), QIODevice::Append);
    process.setStandardErrorFile(m_dataDir + QLatin1String("/gatehoused.log"), QIODevice::Append);
    if (!process.startDetached()) {
        if (error)
            *error = process.errorString();
        return false;
    }
    return true;
}

} // namespace gh
