#include "DemoLauncher.h"

#include "LocalGateway.h"
#include "admin/AdminClient.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTimer>

namespace gh {

namespace {

constexpr int kPortPolls = 50;   // x 100 ms
const QString kProgramName = QStringLiteral("gatehouse-demo-upstream");

QString readLine(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(f.readLine(4096)).trimmed();
}

} // namespace

DemoLauncher::DemoLauncher(QObject *parent)
    : QObject(parent)
    , m_program(findProgram())
    , m_dataDir(LocalGateway::defaultDataDir())
{
}

QString DemoLauncher::findProgram()
{
    const QFileInfo sibling(QCoreApplication::applicationDirPath() + QLatin1Char('/') + kProgramName);
    if (sibling.isFile() && sibling.isExecutable())
        return sibling.absoluteFilePath();
    return QStandardPaths::findExecutable(kProgramName);
}

QByteArray DemoLauncher::demoResources(quint16 port)
{
    QFile file(QStringLiteral(":/demo/demo.toml"));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    QByteArray toml = file.readAll();
    toml.replace("http://127.0.0.1:8790", QByteArray("http://127.0.0.1:" + QByteArray::number(port)));
    return toml;
}

void DemoLauncher::start(AdminClient *client)
{
    if (m_running)
        return;
    m_client = client;
    if (!m_client)
        return fail(tr("Not connected to a gateway."));
    // The demo upstream runs here, so the gateway must too: a remote one could not reach it.
    const QHostAddress host(m_client->server().host());
    if (!host.isLoopback() && m_client->server().host() != QLatin1String("localhost"))
        return fail(tr("The demo runs on this machine only: attach to this machine's gateway to start it."));
    if (m_program.isEmpty())
        return fail(tr("The demo program %1 is not installed next to gatehouse or on PATH.").arg(kProgramName));
    const QString runtime = QStandardPaths::writableLocation(QStandardPaths::RuntimeLocation);
    m_portFile = (runtime.isEmpty() ? QDir::tempPath() : runtime) + QLatin1String("/gatehouse-demo-upstream.port");
    QFile::remove(m_portFile);
    // Detached and on a port of its own choosing: it keeps serving the demo after the app quits.
    if (!QProcess::startDetached(m_program, {QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0"),
                                             QStringLiteral("--port-file"), m_portFile},
                                 QString(), &m_pid))
        return fail(tr("Cannot start %1.").arg(m_program));
    m_running = true;
    waitForPort(kPortPolls);
}

void DemoLauncher::waitForPort(int attemptsLeft)
{
    const uint port = readLine(m_portFile).toUInt();
    if (port > 0 && port < 65536)
        return apply(quint16(port));
    if (attemptsLeft <= 0)
        return fail(tr("The demo program did not start."));
    QTimer::singleShot(100, this, [this, attemptsLeft] { waitForPort(attemptsLeft - 1); });
}

void DemoLauncher::apply(quint16 port)
{
    if (!m_client)
        return fail(tr("Not connected to a gateway."));
    const QByteArray toml = demoResources(port);
    m_client->call("POST", QStringLiteral("/api/v1/apply"), toml, "application/toml",
                   [this](const AdminReply &reply) {
                       if (!reply.ok())
                           return fail(tr("Could not add the demo connection: %1").arg(reply.errorText));
                       issueToken();
                   },
                   {{QByteArrayLiteral("X-Gatehouse-Source"), QByteArrayLiteral("demo.toml")}});
}

void DemoLauncher::issueToken()
{
    if (!m_client)
        return fail(tr("Not connected to a gateway."));
    const QJsonObject body{{QStringLiteral("subject"), QStringLiteral("demo-user")},
                           {QStringLiteral("groups"), QJsonArray{QStringLiteral("demo-users")}},
                           {QStringLiteral("ttl"), QStringLiteral("1h")}};
    m_client->call("POST", QStringLiteral("/api/v1/tokens"), QJsonDocument(body).toJson(QJsonDocument::Compact),
                   "application/json", [this](const AdminReply &reply) {
                       const QString token = reply.json.object().value(QStringLiteral("token")).toString();
                       if (!reply.ok() || token.isEmpty())
                           return fail(tr("Could not issue a demo token: %1").arg(reply.errorText));
                       m_running = false;
                       Q_EMIT finished(true, instructions(token));
                   });
}

QString DemoLauncher::instructions(const QString &token) const
{
    QString proxy = readLine(m_dataDir + QLatin1String("/proxy.url"));
    if (proxy.isEmpty())
        proxy = QStringLiteral("http://127.0.0.1:8701");
    const QString auth = QStringLiteral("-H 'Authorization: Bearer %1'").arg(token);
    return tr("The demo is running. Try, in a terminal:\n\n"
              "1. A masked answer (card numbers become [CARD]):\n"
              "curl -s %1 -H 'Content-Type: application/json' -d '{\"model\":\"demo-1\",\"messages\":[{\"role\":\"user\",\"content\":\"Who is Jane?\"}]}' %2/demo/v1/chat/completions\n\n"
              "2. A request held for approval (approve it in the Approvals tab, or with gatehousectl approve ID):\n"
              "curl -s %1 -H 'Content-Type: application/json' -d '{\"training_file\":\"file-demo\"}' %2/demo/v1/fine-tunes\n\n"
              "3. The replay: every request is recorded; see the Sessions tab, or gatehousectl get sessions and gatehousectl play ID.\n\n"
              "The demo token is valid for one hour.")
        .arg(auth, proxy);
}

void DemoLauncher::fail(const QString &message)
{
    m_running = false;
    Q_EMIT finished(false, message);
}

} // namespace gh
