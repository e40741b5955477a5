#include "ApprovalNotifier.h"

#include "ApprovalsModel.h"
#include "admin/AdminClient.h"

#include <QDBusMessage>
#include <QDBusPendingCallWatcher>
#include <QDBusPendingReply>
#include <QDateTime>
#include <QSystemTrayIcon>
#include <QVariantMap>

namespace gh {

namespace {

const QString kInterface = QStringLiteral("org.freedesktop.Notifications");
const QString kApprove = QStringLiteral("approve");
const QString kDeny = QStringLiteral("deny");

} // namespace

ApprovalNotifier::ApprovalNotifier(ApprovalsModel *model, QObject *parent)
    : ApprovalNotifier(model, QDBusConnection::sessionBus(), defaultService(), defaultPath(), parent)
{
}

ApprovalNotifier::ApprovalNotifier(ApprovalsModel *model, const QDBusConnection &bus, QString service, QString path,
                                   QObject *parent)
    : QObject(parent)
    , m_model(model)
    , m_bus(bus)
    , m_service(std::move(service))
    , m_path(std::move(path))
{
    init();
}

void ApprovalNotifier::init()
{
    connect(m_model, &ApprovalsModel::approvalRequested, this, &ApprovalNotifier::notify);
    connect(m_model, &ApprovalsModel::approvalFinished, this, [this](const QString &id, const QString &) { close(id); });
    if (!m_bus.isConnected())
        return;
    m_bus.connect(m_service, m_path, kInterface, QStringLiteral("ActionInvoked"), this,
                  SLOT(onActionInvoked(uint,QString)));
    m_bus.connect(m_service, m_path, kInterface, QStringLiteral("NotificationClosed"), this,
                  SLOT(onNotificationClosed(uint,uint)));
}

QString ApprovalNotifier::title(const QJsonObject &a) const
{
    return tr("%1 asks to use %2").arg(a.value(QLatin1String("subject")).toString(),
                                       a.value(QLatin1String("connection")).toString());
}

QString ApprovalNotifier::text(const QJsonObject &a) const
{
    QString t = tr("%1 %2 (rule %3), %4 left")
                    .arg(a.value(QLatin1String("method")).toString(), a.value(QLatin1String("path")).toString(),
                         a.value(QLatin1String("rule")).toString(), m_model->timeLeftText(a));
    const QString justification = a.value(QLatin1String("justification")).toString();
    if (!justification.isEmpty())
        t += QLatin1Char('\n') + tr("Justification: %1").arg(justification);
    return t;
}

void ApprovalNotifier::notify(const QJsonObject &approval)
{
    const QString id = approval.value(QLatin1String("id")).toString();
    if (!m_bus.isConnected()) {
        fallback(approval);
        return;
    }
    // The notification disappears on its own when the request would time out anyway.
    int timeoutMs = -1;
    const QDateTime expires = QDateTime::fromString(approval.value(QLatin1String("expires_at")).toString(), Qt::ISODateWithMs);
    if (expires.isValid())
        timeoutMs = int(qBound<qint64>(qint64(1000), QDateTime::currentDateTimeUtc().msecsTo(expires), qint64(24) * 3600 * 1000));

    QDBusMessage call = QDBusMessage::createMethodCall(m_service, m_path, kInterface, QStringLiteral("Notify"));
    QVariantMap hints;
    hints.insert(QStringLiteral("urgency"), QVariant::fromValue(uchar(2)));   // critical: stays until answered
    hints.insert(QStringLiteral("category"), QStringLiteral("x-gatehouse.approval"));
    hints.insert(QStringLiteral("desktop-entry"), QStringLiteral("gatehouse"));
    call << QStringLiteral("Gatehouse") << uint(0) << QStringLiteral("security-high") << title(approval)
         << text(approval) << QStringList{kApprove, tr("Approve"), kDeny, tr("Deny")} << hints << timeoutMs;
    m_inFlight.insert(id, false);
    // Asynchronous: a slow or hung notification daemon must not freeze the window.
    auto *watcher = new QDBusPendingCallWatcher(m_bus.asyncCall(call), this);
    connect(watcher, &QDBusPendingCallWatcher::finished, this, [this, watcher, approval, id] {
        watcher->deleteLater();
        const QDBusPendingReply<uint> reply = *watcher;
        const bool decidedMeanwhile = m_inFlight.take(id);
        if (reply.isError()) {
            // No notification service (or a broken one): the tray balloon says it instead.
            if (!decidedMeanwhile)
                fallback(approval);
            return;
        }
        const uint notification = reply.value();
        m_byNotification.insert(notification, id);
        m_byApproval.insert(id, notification);
        if (decidedMeanwhile)
            close(id);
        else
            Q_EMIT shown(id, true);
    });
}

void ApprovalNotifier::fallback(const QJsonObject &approval)
{
    if (!m_tray || !QSystemTrayIcon::isSystemTrayAvailable())
        return;
    m_tray->showMessage(title(approval), text(approval), QSystemTrayIcon::Warning);
    Q_EMIT shown(approval.value(QLatin1String("id")).toString(), false);
}

void ApprovalNotifier::close(const QString &approvalId)
{
    if (m_inFlight.contains(approvalId)) {
        m_inFlight[approvalId] = true;   // closed as soon as its id is known
        return;
    }
    const auto it = m_byApproval.constFind(approvalId);
    if (it == m_byApproval.constEnd())
        return;
    const uint notification = it.value();
    m_byApproval.remove(approvalId);
    m_byNotification.remove(notification);
    QDBusMessage call = QDBusMessage::createMethodCall(m_service, m_path, kInterface, QStringLiteral("CloseNotification"));
    call << notification;
    m_bus.send(call);
}

void ApprovalNotifier::onActionInvoked(uint notificationId, const QString &action)
{
    const QString id = m_byNotification.value(notificationId);
    if (id.isEmpty() || !m_model)
        return;   // another program's notification
    const auto done = [self = QPointer<ApprovalNotifier>(this), id](const AdminReply &reply) {
        if (self && !reply.ok())
            Q_EMIT self->decisionFailed(id, reply.errorText);
    };
    if (action == kApprove)
        m_model->approve(id, {}, {}, done);
    else if (action == kDeny)
        m_model->deny(id, QStringLiteral("denied from notification"), done);
    else if (action == QLatin1String("default"))
        Q_EMIT openRequested(id);
}

void ApprovalNotifier::onNotificationClosed(uint notificationId, uint reason)
{
    Q_UNUSED(reason)
    const QString id = m_byNotification.take(notificationId);
    if (!id.isEmpty())
        m_byApproval.remove(id);
}

} // namespace gh
