#pragma once

#include "admin/HttpRequest.h"
#include "admin/HttpResponder.h"

#include <QByteArray>
#include <QJsonObject>
#include <QStringList>

namespace gh {

class Clock;
class Store;
struct SessionInfo;
struct StoredEvent;

class AdminReads;
class TokenIssuer;

// The session routes behind the desktop's sessions list and replay view and `gatehousectl sessions`
// (docs/admin-api.md, "Sessions"): the list with search and "has" filters, one session, its events
// (all of them, or a window by seq or time), the timeline index and verification. Every store read
// runs on AdminReads' threads. AdminApi checks the caller's role before it gets here.
class AdminSessions final {
    Q_DISABLE_COPY_MOVE(AdminSessions)
public:
    AdminSessions(const Store &store, const Clock &clock, const TokenIssuer *issuer, AdminReads &reads);

    // Any request under /api/v1/sessions; `seg` are the path segments from "sessions" on.
    void serve(const HttpRequest &req, const HttpResponder &res, const QStringList &seg) const;

    // The session object of GET /sessions and /sessions/{id}.
    static QJsonObject sessionJson(const SessionInfo &s);
    // One line of GET /sessions/{id}/events (JSON Lines, newline included).
    static QByteArray eventLine(const QString &sessionId, const StoredEvent &e);

private:
    const Store &m_store;
    const Clock &m_clock;
    const TokenIssuer *m_issuer;
    AdminReads &m_reads;
};

} // namespace gh
