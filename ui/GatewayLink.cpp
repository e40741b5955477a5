#include "GatewayLink.h"

#include "admin/AdminClient.h"

#include <algorithm>

using namespace std::chrono_literals;

namespace gh {

namespace {

constexpr auto kProbeWhileStarting = 250ms;
constexpr auto kProbeTimeout = 5s;
constexpr auto kCallTimeout = 10s;
constexpr auto kRestartBackoff = 30s;

} // namespace

GatewayLink::GatewayLink(QObject *parent)
    : QObject(parent)
{
    m_probeTimer.setInterval(m_probeInterval);
    connect(&m_probeTimer, &QTimer::timeout, this, &GatewayLink::probe);
    m_probeTimeout.setSingleShot(true);
    m_probeTimeout.setInterval(kProbeTimeout);
    connect(&m_probeTimeout, &QTimer::timeout, this, &GatewayLink::onProbeTimeout);
}

GatewayLink::~GatewayLink() = default;

void GatewayLink::attachRemote(const QUrl &server, const QString &token)
{
    m_local.reset();
    m_daemonProgram.clear();
    m_server = server;
    m_token = token;
    rebuildClient();
    setState(State::Connecting);
    m_probeTimer.start();
    probe();
}

void GatewayLink::attachLocal(const LocalGateway &local, const QString &daemonProgram)
{
    m_local = local;
    m_daemonProgram = daemonProgram;
    m_server.clear();
    m_token.clear();
    m_nextStartAllowed = QDeadlineTimer(0);
    refreshLocalEndpoint();
    setState(State::Connecting);
    m_probeTimer.start();
    probe();
}

QString GatewayLink::describe() const
{
    const QString where = m_server.toDisplayString();
    switch (m_state) {
    case State::Idle:
        return tr("Not connected");
    case State::Connecting:
        return tr("Connecting to %1…").arg(where);
    case State::Starting:
        return tr("Starting gateway…");
    case State::Connected:
        return tr("Connected to %1").arg(where);
    case State::Unreachable:
        if (m_problem.isEmpty())
            return tr("%1 unreachable, retrying").arg(where);
        return tr("%1 unreachable, retrying (%2)").arg(where, m_problem);
    }
    return {};
}

void GatewayLink::setProbeInterval(std::chrono::milliseconds interval)
{
    m_probeInterval = interval;
    if (m_state != State::Starting)
        m_probeTimer.setInterval(interval);
}

void GatewayLink::get(const QString &path, std::function<void(const AdminReply &)> done)
{
    if (!m_client) {
        AdminReply reply;
        reply.errorText = tr("not connected");
        done(reply);
        return;
    }
    QPointer<GatewayLink> self(this);
    m_client->call("GET", path, {}, {}, [self, done = std::move(done)](const AdminReply &reply) {
        if (!self)
            return;
        if (reply.status == 0 && self->m_state == State::Connected)
            self->probeFailed(reply.errorText);
        done(reply);
    });
}

void GatewayLink::probe()
{
    if (m_probeInFlight)
        return;
    if (m_local)
        refreshLocalEndpoint();
    if (!m_client)
        return;
    m_probeInFlight = true;
    const quint64 generation = ++m_probeGeneration;
    m_probeTimeout.start();
    QPointer<GatewayLink> self(this);
    m_client->call("GET", QStringLiteral("/healthz"), {}, {}, [self, generation](const AdminReply &reply) {
        if (self)
            self->onProbeReply(generation, reply);
    });
}

void GatewayLink::onProbeReply(quint64 generation, const AdminReply &reply)
{
    if (generation != m_probeGeneration)
        return;   // answered after its timeout; a newer probe decides
    m_probeInFlight = false;
    m_probeTimeout.stop();
    if (reply.status == 0) {
        probeFailed(reply.errorText);
        return;
    }
    // Any HTTP answer means a gateway is there; an unhealthy one says so in its status.
    if (reply.ok()) {
        setState(State::Connected);
    } else {
        setState(State::Unreachable, tr("health check answered HTTP %1").arg(reply.status));
    }
}

void GatewayLink::onProbeTimeout()
{
    ++m_probeGeneration;
    m_probeInFlight = false;
    probeFailed(tr("no answer"));
}

void GatewayLink::probeFailed(const QString &why)
{
    if (m_state == State::Starting) {
        if (m_startDeadline.hasExpired())
            setState(State::Unreachable, tr("the gateway did not start; see %1")
                                             .arg(m_local->dataDir() + QLatin1String("/gatehoused.log")));
        return;
    }
    if (m_local) {
        maybeStartDaemon(why);
        return;
    }
    setState(State::Unreachable, why);
}

void GatewayLink::maybeStartDaemon(const QString &why)
{
    if (!m_nextStartAllowed.hasExpired()) {
        setState(State::Unreachable, why);
        return;
    }
    if (m_daemonProgram.isEmpty()) {
        setState(State::Unreachable, tr("no gatehoused found to start"));
        return;
    }
    QString error;
    m_nextStartAllowed = QDeadlineTimer(kRestartBackoff);
    if (!m_local->startDaemon(m_daemonProgram, &error)) {
        setState(State::Unreachable, tr("cannot start %1: %2").arg(m_daemonProgram, error));
        return;
    }
    m_startDeadline = QDeadlineTimer(m_startTimeout);
    setState(State::Starting);
}

void GatewayLink::refreshLocalEndpoint()
{
    const QUrl server = m_local->adminUrl();
    const QString token = m_local->adminToken();
    if (server == m_server && token == m_token && m_client)
        return;
    m_server = server;
    m_token = token;
    rebuildClient();
}

AdminClient *GatewayLink::client() const
{
    return m_client;
}

void GatewayLink::rebuildClient()
{
    if (m_client)
        m_client->deleteLater();
    // Replies of the old client are dropped: they answer for a URL or token no longer in use.
    ++m_probeGeneration;
    m_probeInFlight = false;
    m_probeTimeout.stop();
    m_client = new AdminClient(m_server, m_token, this);
    // A window waiting half a minute on a stalled gateway looks frozen; the probe decides sooner anyway.
    m_client->setTimeout(kCallTimeout);
    Q_EMIT clientChanged(m_client);
}

void GatewayLink::setState(State state, const QString &problem)
{
    if (state == m_state && problem == m_problem)
        return;
    m_state = state;
    m_problem = problem;
    // A starting daemon is polled briskly so the window fills as soon as it answers.
    m_probeTimer.setInterval(state == State::Starting ? std::min(m_probeInterval, std::chrono::milliseconds(kProbeWhileStarting))
                                                      : m_probeInterval);
    Q_EMIT stateChanged(m_state);
}

} // namespace gh
