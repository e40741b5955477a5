#include "node/EventHub.h"

#include <QDateTime>
#include <QJsonDocument>

namespace gh {

EventHub::EventHub(QObject *parent)
    : QObject(parent)
{
    // A comment line every 15 s keeps proxies from timing the stream out and finds dead clients.
    m_heartbeat.setInterval(std::chrono::seconds(15));
    connect(&m_heartbeat, &QTimer::timeout, this, &EventHub::heartbeat);
}

void EventHub::subscribe(const HttpResponder &responder, Filter filter)
{
    responder.beginStream(200, QByteArrayLiteral("text/event-stream"),
                          {{QByteArrayLiteral("X-Accel-Buffering"), QByteArrayLiteral("no")}});
    responder.write(QByteArrayLiteral(": gatehouse live events\nretry: 2000\n\n"));
    m_subscribers.push_back({responder, std::move(filter)});
    responder.onClientGone(this, [this] { prune(); });
    if (!m_heartbeat.isActive())
        m_heartbeat.start();
}

void EventHub::publish(const QString &type, const QJsonObject &data)
{
    prune();
    if (m_subscribers.empty())
        return;
    QJsonObject payload = data;
    payload.insert(QStringLiteral("type"), type);
    payload.insert(QStringLiteral("at"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs));
    const QByteArray frame = QByteArrayLiteral("id: ") + QByteArray::number(m_nextId++)
        + QByteArrayLiteral("\nevent: ") + type.toUtf8() + QByteArrayLiteral("\ndata: ")
        + QJsonDocument(payload).toJson(QJsonDocument::Compact) + QByteArrayLiteral("\n\n");
    for (const Subscriber &s : m_subscribers) {
        if (!s.filter || s.filter(type, data))
            s.responder.write(frame);
    }
}

void EventHub::closeAll()
{
    for (const Subscriber &s : m_subscribers)
        s.responder.end();
    m_subscribers.clear();
    m_heartbeat.stop();
}

void EventHub::heartbeat()
{
    prune();
    for (const Subscriber &s : m_subscribers)
        s.responder.write(QByteArrayLiteral(": keep-alive\n\n"));
    if (m_subscribers.empty())
        m_heartbeat.stop();
}

void EventHub::prune()
{
    // A subscriber that stopped reading would make us hold every later event for it: cut it off
    // once a megabyte waits; its client reconnects and resumes.
    constexpr qint64 kMaxPending = 1 << 20;
    m_subscribers.remove_if([](const Subscriber &s) {
        if (s.responder.isOpen() && s.responder.pendingBytes() > kMaxPending)
            s.responder.end();
        return !s.responder.isOpen();
    });
}

} // namespace gh
