#pragma once

#include <QByteArray>
#include <QJsonDocument>
#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <memory>

namespace gh::test {

// The path of a program built by this tree (gatehoused, gatehousectl), from GATEHOUSE_BUILD_DIR.
QString builtProgram(const QString &name);

// A real gatehoused on loopback ports the OS picks, with its own temporary data dir.
class DaemonProcess final {
public:
    DaemonProcess();
    ~DaemonProcess();

    // Extra TOML appended to the generated config ([identity], [roles], ...).
    void setExtraConfig(const QByteArray &toml) { m_extraConfig = toml; }
    // Use an existing data dir instead of a fresh one.
    void setDataDir(const QString &dir) { m_dataDir = dir; }
    // An environment variable for the daemon (credentials given as ${env:NAME}).
    void setEnvironment(const QString &name, const QString &value) { m_env.insert(name, value); }
    // A PEM CA that request() trusts (a daemon with tls_cert speaks HTTPS on the admin API too).
    void setCaCertificate(const QString &pemPath) { m_caPath = pemPath; }

    // Starts the daemon and waits until /healthz answers; false (with a reason in error()) if not.
    bool start(int timeoutMs = 15000);
    // SIGTERM, then wait for the exit; returns the exit code (-1 on a crash or timeout).
    int stop(int timeoutMs = 15000);
    // SIGKILL, as the OOM killer or a power cut of the process would; true once it died of it.
    bool kill(int timeoutMs = 15000);

    QString error() const { return m_error; }
    QString dataDir() const { return m_dataDir; }
    QString configPath() const { return m_configPath; }
    QString adminUrl() const { return m_adminUrl; }
    // The HTTP proxy, from <data-dir>/proxy.url ("http://127.0.0.1:<port>").
    QString proxyUrl() const { return m_proxyUrl; }
    QByteArray adminToken() const;
    QByteArray stderrText() const { return m_stderr; }
    qint64 pid() const { return m_process ? m_process->processId() : 0; }
    qint64 startMs() const { return m_startMs; }

    struct Reply {
        int status = 0;
        QByteArray body;
        QJsonDocument json() const { return QJsonDocument::fromJson(body); }
    };
    // One admin API request with curl-like simplicity (blocking; test thread only).
    Reply request(const QByteArray &method, const QString &path, const QByteArray &token,
                  const QByteArray &body = {}, const QByteArray &contentType = "application/json") const;

    // Runs the real gatehousectl against this daemon (--server/--token given unless `raw`).
    struct CtlResult {
        int exitCode = -1;
        QByteArray out;
        QByteArray err;
    };
    CtlResult ctl(const QStringList &args, bool raw = false) const;
    // `gatehousectl apply -f` of `toml` (written to a file of this daemon's temporary dir); empty on
    // success, else why not.
    QString applyResources(const QByteArray &toml) const;
    // `gatehousectl token issue` for `subject` in `groups` (comma-separated); empty on failure.
    QByteArray issueToken(const QString &subject, const QString &groups) const;

private:
    std::unique_ptr<QTemporaryDir> m_tmp;
    std::unique_ptr<QProcess> m_process;
    QString m_dataDir;
    QString m_configPath;
    QString m_adminUrl;
    QString m_proxyUrl;
    QProcessEnvironment m_env;
    QByteArray m_extraConfig;
    QString m_caPath;
    QByteArray m_stderr;
    QString m_error;
    qint64 m_startMs = 0;
    mutable int m_applied = 0;   // numbers the files applyResources() writes
};

} // namespace gh::test
