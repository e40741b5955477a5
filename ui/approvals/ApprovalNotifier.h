#pragma once

#include <QDBusConnection>
#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <QString>

#include <QSystemTrayIcon>

namespace gh {

class ApprovalsModel;

// Announces every newly held request on the desktop: a freedesktop notification with Approve and
// Deny buttons that decide it, or a tray balloon where no notification service runs.
class ApprovalNotifier final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ApprovalNotifier)

public:
    static QString defaultService() { return QStringLiteral("org.freedesktop.Notifications"); }
    static QString defaultPath() { return QStringLiteral("/org/freedesktop/Notifications"); }

    explicit ApprovalNotifier(ApprovalsModel *model, QObject *parent = nullptr);
    // Where to send notifications; tests point it at a fake service on a private bus.
    ApprovalNotifier(ApprovalsModel *model, const QDBusConnection &bus, QString service, QString path,
                     QObject *parent = nullptr);

    // The balloon shown when no notification service answers (may be null: then nothing is shown).
    void setFallbackTray(QSystemTrayIcon *tray) { m_tray = tray; }
    // How many notifications are showing for pending approvals.
    int openNotifications() const { return int(m_byNotification.size()); }

Q_SIGNALS:
    // A notification for `approvalId` is on screen: over D-Bus, or as the tray fallback.
    void shown(const QString &approvalId, bool viaDBus);
    // The user asked to see it (clicked the notification's body).
    void openRequested(const QString &approvalId);
    // A decision taken from a notification failed; the text says why.
    void decisionFailed(const QString &approvalId, const QString &why);

private Q_SLOTS:
    // Old-style slots because QDBusConnection::connect takes no pointer-to-member for signals.
    void onActionInvoked(uint notificationId, const QString &action);
    void onNotificationClosed(uint notificationId, uint reason);

private:
    void init();
    void notify(const QJsonObject &approval);
    void close(const QString &approvalId);
    void fallback(const QJsonObject &approval);
    QString title(const QJsonObject &approval) const;
    QString text(const QJsonObject &approval) const;

    QPointer<ApprovalsModel> m_model;
    QDBusConnection m_bus;
    QString m_service;
    QString m_path;
    QPointer<QSystemTrayIcon> m_tray;
    QHash<uint, QString> m_byNotification;   // notification id -> approval id
    QHash<QString, uint> m_byApproval;
    QHash<QString, bool> m_inFlight;         // Notify sent, no id yet; true: decided meanwhile
};

} // namespace gh
