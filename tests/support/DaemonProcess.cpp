#include "support/DaemonProcess.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSslConfiguration>
#include <QNetworkRequest>
#include <QThread>
#include <QTimer>

#include <csignal>

namespace gh::test {

QString builtProgram(const QString &name)
{
    const QString build = qEnvironmentVariable("GATEHOUSE_BUILD_DIR");
    const QStringList candidates{build + QStringLiteral("/app/") + name + QLatin1Char('/') + name,
                                 build + QLatin1Char('/') + name};
    for (const QString &c : candidates)
        if (QFile::exists(c))
            return c;
    return candidates.constFirst();
}

DaemonProcess::DaemonProcess()
    : m_tmp(std::make_unique<QTemporaryDir>())
{
    m_dataDir = m_tmp->filePath(QStringLiteral("data"));
    m_configPath = m_tmp->filePath(QStringLiteral("gatehoused.toml"));
}

DaemonProcess::~DaemonProcess()
{
    if (m_process && m_process->state() != QProcess::NotRunning) {
        m_process->kill();
        m_process->waitForFinished(5000);
    }
}

QByteArray DaemonProcess::adminToken() const
{
    QFile f(m_dataDir + QStringLiteral("/admin.token"));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll().trimmed();
}

bool DaemonProcess::start(int timeoutMs)
{
    QFile cfg(m_configPath);
    if (!cfg.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        m_error = QStringLiteral("cannot write the config");
        return false;
    }
    cfg.write("[gateway]\n"
              "admin_listen = \"127.0.0.1:0\"\n"
              "http_listen = \"127.0.0.1:0\"\n"
              "pg_listen = \"127.0.0.1:0\"\n");
    cfg.write(m_extraConfig);
    cfg.close();
    QFile::remove(m_dataDir + QStringLiteral("/admin.url"));

    m_process = std::make_unique<QProcess>();
    m_process->setProgram(builtProgram(QStringLiteral("gatehoused")));
    m_process->setArguments({QStringLiteral("--config"), m_configPath, QStringLiteral("--data-dir"), m_dataDir});
    m_process->setProcessChannelMode(QProcess::SeparateChannels);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const QString &name : m_env.keys())
        env.insert(name, m_env.value(name));
    m_process->setProcessEnvironment(env);
    QElapsedTimer t;
    t.start();
    m_process->start();
    if (!m_process->waitForStarted(5000)) {
        m_error = QStringLiteral("gatehoused did not start: ") + m_process->errorString();
        return false;
    }
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        m_process->waitForReadyRead(50);
        m_stderr += m_process->readAllStandardError();
        if (m_process->state() == QProcess::NotRunning) {
            m_error = QStringLiteral("gatehoused exited with %1: %2")
                          .arg(m_process->exitCode())
                          .arg(QString::fromUtf8(m_stderr));
            return false;
        }
        QFile url(m_dataDir + QStringLiteral("/admin.url"));
        if (url.open(QIODevice::ReadOnly)) {
            m_adminUrl = QString::fromUtf8(url.readAll().trimmed());
            if (!m_adminUrl.isEmpty() && request("GET", QStringLiteral("/healthz"), {}).status == 200) {
                m_startMs = t.elapsed();
                // The start-up lines are in the pipe before /healthz can answer; take them in.
                m_process->waitForReadyRead(50);
                m_stderr += m_process->readAllStandardError();
                QFile proxy(m_dataDir + QStringLiteral("/proxy.url"));
                if (proxy.open(QIODevice::ReadOnly))
                    m_proxyUrl = QString::fromUtf8(proxy.readAll().trimmed());
                return true;
            }
        }
    }
    m_error = QStringLiteral("gatehoused did not become ready: ") + QString::fromUtf8(m_stderr);
    return false;
}

int DaemonProcess::stop(int timeoutMs)
{
    if (!m_process || m_process->state() == QProcess::NotRunning)
        return m_process ? m_process->exitCode() : -1;
    ::kill(pid_t(m_process->processId()), SIGTERM);
    if (!m_process->waitForFinished(timeoutMs)) {
        m_process->kill();
        m_process->waitForFinished(5000);
        return -1;
    }
    m_stderr += m_process->readAllStandardError();
    return m_process->exitStatus() == QProcess::NormalExit ? m_process->exitCode() : -1;
}

bool DaemonProcess::kill(int timeoutMs)
{
    if (!m_process || m_process->state() == QProcess::NotRunning)
        return false;
    m_process->kill();
    if (!m_process->waitForFinished(timeoutMs))
        return false;
    m_stderr += m_process->readAllStandardError();
    return m_process->exitStatus() == QProcess::CrashExit;
}

DaemonProcess::Reply DaemonProcess::request(const QByteArray &method, const QString &path, const QByteArray &token,
                                            const QByteArray &body, const QByteArray &contentType) const
{
    QNetworkAccessManager nam;
    QNetworkRequest req(QUrl(m_adminUrl + path));
    if (!token.isEmpty())
        req.setRawHeader("Authorization", "Bearer " + token);
    if (!body.isEmpty())
        req.setHeader(QNetworkRequest::ContentTypeHeader, contentType);
    req.setTransferTimeout(10000);
    if (!m_caPath.isEmpty()) {
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        tls.addCaCertificates(m_caPath);
        req.setSslConfiguration(tls);
    }
    QNetworkReply *reply = nam.sendCustomRequest(req, method, body);
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    loop.exec();
    Reply r;
    r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    r.body = reply->readAll();
    reply->deleteLater();
    return r;
}

DaemonProcess::CtlResult DaemonProcess::ctl(const QStringList &args, bool raw) const
{
    QProcess p;
    QStringList all;
    if (!raw)
        all << QStringLiteral("--server") << m_adminUrl << QStringLiteral("--token") << QString::fromUtf8(adminToken());
    all << args;
    p.start(builtProgram(QStringLiteral("gatehousectl")), all);
    CtlResult r;
    if (!p.waitForFinished(30000)) {
        p.kill();
        p.waitForFinished();
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

QString DaemonProcess::applyResources(const QByteArray &toml) const
{
    const QString file = m_tmp->filePath(QStringLiteral("resources-%1.toml").arg(++m_applied));
    QFile f(file);
    if (!f.open(QIODevice::WriteOnly) || f.write(toml) != toml.size())
        return QStringLiteral("cannot write %1").arg(file);
    f.close();
    const CtlResult r = ctl({QStringLiteral("apply"), QStringLiteral("-f"), file});
    return r.exitCode == 0 ? QString() : QString::fromUtf8(r.err);
}

QByteArray DaemonProcess::issueToken(const QString &subject, const QString &groups) const
{
    const CtlResult r = ctl({QStringLiteral("token"), QStringLiteral("issue"), QStringLiteral("--subject"), subject,
                             QStringLiteral("--groups"), groups});
    return r.exitCode == 0 ? r.out.trimmed() : QByteArray();
}

} // namespace gh::test
