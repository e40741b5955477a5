#pragma once

#include "LocalGateway.h"

#include <QDeadlineTimer>
#include <QObject>
#include <QPointer>
#include <QTimer>
#include <QUrl>

#include <chrono>
#include <functional>
#include <optional>

namespace gh {

class AdminClient;
struct AdminReply;

// The desktop app's line to one gateway: probes /healthz, reports whether the gateway answers,
// reconnects on its own, and (for the local gateway only) starts gatehoused when nothing answers.
class GatewayLink final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GatewayLink)

public:
    enum class State { Idle, Connecting, Starting, Connected, Unreachable };
    Q_ENUM(State)

    explicit GatewayLink(QObject *parent = nullptr);
    ~GatewayLink() override;

    // A gateway given by URL and token; never started from here, since it is not ours to start.
    void attachRemote(const QUrl &server, const QString &token);
    // This machine's gateway: URL and token come from its data dir, re-read on every probe because
    // the daemon writes them only on its first start.
    void attachLocal(const LocalGateway &local, const QString &daemonProgram);

    State state() const { return m_state; }
    QUrl server() const { return m_server; }
    // Why the gateway is unreachable or did not start; empty otherwise.
    QString problem() const { return m_problem; }
    // What the status bar shows for the current state.
    QString describe() const;

    void setProbeInterval(std::chrono::milliseconds interval);
    void setStartTimeout(std::chrono::milliseconds timeout) { m_startTimeout = timeout; }

    // GET on the admin API with the current token. `done` runs at most once and never after this
    // object is gone; a transport failure also marks the link unreachable.
    void get(const QString &path, std::function<void(const AdminReply &)> done);

    // The admin client for the current URL and token (null before attach). It is replaced when
    // either changes; clientChanged() then names the new one and the old one is deleted later.
    AdminClient *client() const;

Q_SIGNALS:
    void stateChanged(gh::GatewayLink::State state);
    void clientChanged(gh::AdminClient *client);

private:
    void probe();
    void onProbeReply(quint64 generation, const AdminReply &reply);
    void onProbeTimeout();
    void probeFailed(const QString &why);
    void maybeStartDaemon(const QString &why);
    void refreshLocalEndpoint();
    void rebuildClient();
    void setState(State state, const QString &problem = {});

    std::optional<LocalGateway> m_local;
    QString m_daemonProgram;
    QUrl m_server;
    QString m_token;
    QPointer<AdminClient> m_client;   // child; rebuilt when URL or token change

    State m_state = State::Idle;
    QString m_problem;

    QTimer m_probeTimer;
    std::chrono::milliseconds m_probeInterval{std::chrono::seconds(2)};
    QTimer m_probeTimeout;            // a gateway that accepts but never answers counts as down
    quint64 m_probeGeneration = 0;
    bool m_probeInFlight = false;

    std::chrono::milliseconds m_startTimeout{std::chrono::seconds(20)};
    QDeadlineTimer m_startDeadline;
    QDeadlineTimer m_nextStartAllowed;  // a crashing daemon is restarted at most this often
};

} // namespace gh
