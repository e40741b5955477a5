#pragma once

#include <QObject>

class QSystemTrayIcon;

namespace gh {

class ApprovalsModel;

// The tray icon: how many requests wait, with the count drawn on the icon; a click opens the inbox.
class ApprovalsTray final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ApprovalsTray)

public:
    explicit ApprovalsTray(ApprovalsModel *model, QObject *parent = nullptr);

    QSystemTrayIcon *icon() const { return m_tray; }
    QString toolTip() const;

Q_SIGNALS:
    void inboxRequested();

private:
    void update(int pending);

    QSystemTrayIcon *m_tray;
};

} // namespace gh
