#pragma once

#include "admin/HttpResponder.h"

#include <QJsonObject>
#include <QObject>
#include <QTimer>

#include <functional>
#include <list>

namespace gh {

// The admin API's live event stream (Server-Sent Events): approval, session and rule changes
// fanned out to every subscribed desktop app or `approvals watch`.
class EventHub final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EventHub)
public:
    // Decides whether one subscriber may see one event (an approver sees only its rules' approvals).
    using Filter = std::function<bool(const QString &type, const QJsonObject &data)>;

    explicit EventHub(QObject *parent = nullptr);

    // Starts an SSE response on `responder` and keeps it until the client goes away.
    void subscribe(const HttpResponder &responder, Filter filter);
    // Sends `event: <type>` with `data` as JSON to every subscriber whose filter allows it.
    void publish(const QString &type, const QJsonObject &data);
    // Ends every stream (shutdown).
    void closeAll();

    int subscriberCount() const { return int(m_subscribers.size()); }

private:
    struct Subscriber {
        HttpResponder responder;
        Filter filter;
    };
    void heartbeat();
    void prune();

    std::list<Subscriber> m_subscribers;
    QTimer m_heartbeat;
    quint64 m_nextId = 1;
};

} // namespace gh
