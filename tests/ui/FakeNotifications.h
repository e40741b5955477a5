#pragma once

#include <QDBusConnection>
#include <QDBusMessage>
#include <QDateTime>
#include <QList>
#include <QObject>
#include <QStringList>
#include <QVariantMap>

// A stand-in for the desktop's notification daemon: org.freedesktop.Notifications on its own
// connection to the session bus, recording what it is asked and emitting what a user would click.
class FakeNotifications final : public QObject {
    Q_OBJECT
    Q_CLASSINFO("D-Bus Interface", "org.freedesktop.Notifications")

public:
    struct Shown {
        uint id = 0;
        QString summary;
        QString body;
        QStringList actions;
        QVariantMap hints;
        int timeout = 0;
        QDateTime at;   // when it arrived here
    };

    explicit FakeNotifications(QObject *parent = nullptr)
        : QObject(parent)
        , m_bus(QDBusConnection::connectToBus(QDBusConnection::SessionBus, QStringLiteral("fake-notifications")))
    {
    }
    ~FakeNotifications() override
    {
        m_bus.unregisterService(service());
        QDBusConnection::disconnectFromBus(QStringLiteral("fake-notifications"));
    }
    static QString service() { return QStringLiteral("org.freedesktop.Notifications"); }
    static QString path() { return QStringLiteral("/org/freedesktop/Notifications"); }

    bool registerOnBus()
    {
        return m_bus.isConnected() && m_bus.registerObject(path(), this, QDBusConnection::ExportAllSlots)
            && m_bus.registerService(service());
    }

    // What a click on a notification's button sends.
    void invokeAction(uint id, const QString &action)
    {
        QDBusMessage signal = QDBusMessage::createSignal(path(), service(), QStringLiteral("ActionInvoked"));
        signal << id << action;
        m_bus.send(signal);
    }

    QList<Shown> shown;
    QList<uint> closed;

public Q_SLOTS:
    uint Notify(const QString &appName, uint replacesId, const QString &appIcon, const QString &summary,
                const QString &body, const QStringList &actions, const QVariantMap &hints, int expireTimeout)
    {
        Q_UNUSED(appName)
        Q_UNUSED(replacesId)
        Q_UNUSED(appIcon)
        shown.append({++m_nextId, summary, body, actions, hints, expireTimeout, QDateTime::currentDateTimeUtc()});
        return m_nextId;
    }
    void CloseNotification(uint id)
    {
        closed.append(id);
        QDBusMessage signal = QDBusMessage::createSignal(path(), service(), QStringLiteral("NotificationClosed"));
        signal << id << uint(3);   // closed by a call to CloseNotification
        m_bus.send(signal);
    }
    QStringList GetCapabilities() { return {QStringLiteral("actions"), QStringLiteral("body")}; }
    QString GetServerInformation(QString &vendor, QString &version, QString &specVersion)
    {
        vendor = QStringLiteral("gatehouse-tests");
        version = QStringLiteral("1");
        specVersion = QStringLiteral("1.2");
        return QStringLiteral("fake-notifications");
    }

private:
    QDBusConnection m_bus;
    uint m_nextId = 0;
};
