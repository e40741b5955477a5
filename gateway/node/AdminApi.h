#pragma once

#include "admin/HttpRequest.h"
#include "admin/HttpResponder.h"
#include "core/Result.h"
#include "identity/Principal.h"

#include <QJsonObject>
#include <QObject>

#include <memory>

namespace gh {

class AdminReads;
class AdminSessions;
class ApprovalBroker;
class Authenticator;
class Clock;
struct Connection;
class Counter;
class EventHub;
class Metrics;
class SecretBox;
class Store;
class TokenIssuer;
struct NodeConfig;
struct Error;

// The services the admin API reads and changes; owned by GatewayNode, which outlives the API.
struct AdminServices {
    const NodeConfig *config = nullptr;
    Store *store = nullptr;
    Authenticator *auth = nullptr;
    const TokenIssuer *issuer = nullptr;
    const SecretBox *secrets = nullptr;
    Metrics *metrics = nullptr;
    EventHub *events = nullptr;
    const Clock *clock = nullptr;
    ApprovalBroker *approvals = nullptr;
    AdminReads *reads = nullptr;   // runs the long store reads off this thread
};

// The routes of the admin API (docs/admin-api.md): authenticates every /api/v1 call, decides what
// the caller's role allows (contract §7), and answers in JSON.
class AdminApi final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AdminApi)
public:
    AdminApi(const AdminServices &services, QObject *parent = nullptr);
    ~AdminApi() override;

    void handle(const HttpRequest &request, const HttpResponder &responder);

private:
    enum class Role { None, Approver, Auditor, Admin };
    Role roleOf(const Principal &p) const;

    void route(const HttpRequest &req, const HttpResponder &res, const Principal &who);
    void handleHealth(const HttpResponder &res);
    void whoami(const HttpResponder &res, const Principal &who);
    template <typename T>   // Connection or Rule: list, get, put, delete
    void resources(const HttpRequest &req, const HttpResponder &res, const QStringList &seg, const Principal &who);
    void apply(const HttpRequest &req, const HttpResponder &res, const Principal &who);
    void exportResources(const HttpResponder &res);
    void tokens(const HttpRequest &req, const HttpResponder &res, const QStringList &seg, const Principal &who);
    void approvals(const HttpRequest &req, const HttpResponder &res, const QStringList &seg, const Principal &who);
    void events(const HttpResponder &res, const Principal &who, Role role);

    Status sealCredential(Connection &c) const;
    void resourcesChanged(const QStringList &changed, const Principal &who);
    static void sendStoreError(const HttpResponder &res, const Error &e);

    AdminServices m_s;
    std::unique_ptr<AdminSessions> m_sessions;
    Counter *m_requests = nullptr;
    Counter *m_refused = nullptr;
};

} // namespace gh
