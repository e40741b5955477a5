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

// The session routes behind the desktop's sessions list and replay view (docs/admin-api.md,
// "Sessions: search, windows, timeline"): the list with search and "has" filters, event windows
// by seq or time, and the timeline index. AdminApi checks the caller's role before it gets here.
class AdminSessions final {
public:
    // True for the requests served here; the rest stay with AdminApi::sessions().
    static bool handles(const HttpRequest &req, const QStringList &seg);
    static void serve(const Store &store, const Clock &clock, const HttpRequest &req, const HttpResponder &res,
                      const QStringList &seg);

    // The session object of GET /sessions and /sessions/{id}.
    static QJsonObject sessionJson(const SessionInfo &s);
    // One line of GET /sessions/{id}/events (JSON Lines, newline included).
    static QByteArray eventLine(const QString &sessionId, const StoredEvent &e);
};

} // namespace gh
