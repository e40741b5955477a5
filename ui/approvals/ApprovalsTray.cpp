#include "ApprovalsTray.h"

#include "ApprovalsModel.h"

#include <QApplication>
#include <QFont>
#include <QIcon>
#include <QPainter>
#include <QPixmap>
#include <QStyle>
#include <QSystemTrayIcon>

namespace gh {

namespace {

QIcon badged(int pending)
{
    QPixmap pixmap = QApplication::style()->standardIcon(QStyle::SP_MessageBoxWarning).pixmap(64, 64);
    if (pixmap.isNull()) {
        pixmap = QPixmap(64, 64);
        pixmap.fill(Qt::transparent);
    }
    if (pending > 0) {
        QPainter p(&pixmap);
        p.setRenderHint(QPainter::Antialiasing);
        const QRect badge(28, 28, 36, 36);
        p.setBrush(QColor(0xc6, 0x28, 0x28));
        p.setPen(Qt::NoPen);
        p.drawEllipse(badge);
        QFont font = p.font();
        font.setBold(true);
        font.setPixelSize(pending > 9 ? 18 : 24);
        p.setFont(font);
        p.setPen(Qt::white);
        p.drawText(badge, Qt::AlignCenter, pending > 99 ? QStringLiteral("99+") : QString::number(pending));
    }
    return QIcon(pixmap);
}

} // namespace

ApprovalsTray::ApprovalsTray(ApprovalsModel *model, QObject *parent)
    : QObject(parent)
    , m_tray(new QSystemTrayIcon(this))
{
    connect(model, &ApprovalsModel::pendingCountChanged, this, &ApprovalsTray::update);
    connect(m_tray, &QSystemTrayIcon::activated, this, [this](QSystemTrayIcon::ActivationReason reason) {
        if (reason == QSystemTrayIcon::Trigger || reason == QSystemTrayIcon::DoubleClick)
            Q_EMIT inboxRequested();
    });
    connect(m_tray, &QSystemTrayIcon::messageClicked, this, &ApprovalsTray::inboxRequested);
    update(model->rowCount());
    if (QSystemTrayIcon::isSystemTrayAvailable())
        m_tray->show();
}

QString ApprovalsTray::toolTip() const
{
    return m_tray->toolTip();
}

void ApprovalsTray::update(int pending)
{
    m_tray->setToolTip(pending == 0 ? tr("Gatehouse: no requests waiting")
                                    : tr("Gatehouse: %n request(s) waiting for approval", nullptr, pending));
    m_tray->setIcon(badged(pending));
}

} // namespace gh
