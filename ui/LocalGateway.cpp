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

bool LocalGateway::startDaemon(const QString &program, QString *error) const
{
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
