#pragma once

#include <QObject>
#include <QPointer>
#include <QString>
#include <QUrl>

namespace gh {

class AdminClient;
struct AdminReply;

// Starts the newcomer demo on this machine's gateway (docs/desktop.md "Demo"): launches the bundled
// gatehouse-demo-upstream detached, applies the demo connection and its two rules (the embedded
// resources/demo.toml, pointed at the upstream's port) through the admin API, and issues a
// short-lived demo token for the commands it then suggests.
class DemoLauncher final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DemoLauncher)

public:
    explicit DemoLauncher(QObject *parent = nullptr);

    // gatehouse-demo-upstream next to this executable, else on PATH; empty when there is none.
    static QString findProgram();
    void setProgram(const QString &program) { m_program = program; }
    // The gateway's data dir, where its proxy.url says where clients reach connections.
    void setDataDir(const QString &dir) { m_dataDir = dir; }

    bool isRunning() const { return m_running; }
    // The demo upstream this launcher started last (0: none); it outlives the app on purpose.
    qint64 upstreamPid() const { return m_pid; }
    void start(AdminClient *client);

    // The demo's resources with `port` as the upstream's port.
    static QByteArray demoResources(quint16 port);

Q_SIGNALS:
    // ok: `message` holds what to try now (curl commands with the token); else what went wrong.
    void finished(bool ok, const QString &message);

private:
    void waitForPort(int attemptsLeft);
    void apply(quint16 port);
    void issueToken();
    void fail(const QString &message);
    QString instructions(const QString &token) const;

    QPointer<AdminClient> m_client;
    QString m_program;
    QString m_dataDir;
    QString m_portFile;
    bool m_running = false;
    qint64 m_pid = 0;
};

} // namespace gh
