#pragma once

#include <QMainWindow>

#include <chrono>

class QLabel;
class QTabWidget;

namespace gh {

class ApprovalNotifier;
class ApprovalsModel;
class ApprovalsPage;
class ApprovalsTray;
class GatewayLink;
class OverviewPage;
class ReplayView;
class ResourcePage;
class SessionsPage;

// The desktop app's main window: the overview, the gateway's connections and rules, the approvals
// inbox, the recorded sessions and their replay, and whether the gateway is reachable.
class MainWindow final : public QMainWindow {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    explicit MainWindow(QWidget *parent = nullptr);

    // Attach it with attachLocal() or attachRemote(); the window follows its state.
    GatewayLink *link() const { return m_link; }
    ResourcePage *connectionsPage() const { return m_connections; }
    ResourcePage *rulesPage() const { return m_rules; }
    ApprovalsPage *approvalsPage() const { return m_approvals; }
    ApprovalNotifier *approvalNotifier() const { return m_notifier; }
    OverviewPage *overviewPage() const { return m_overview; }
    SessionsPage *sessionsPage() const { return m_sessions; }
    ReplayView *replayView() const { return m_replay; }
    // Opens a recorded session in the replay tab.
    void showReplay(const QString &sessionId);
    void setRefreshInterval(std::chrono::milliseconds interval);

private:
    void onLinkStateChanged();
    void followApprovals();
    void showApprovals(const QString &id);

    GatewayLink *m_link;
    QTabWidget *m_tabs;
    OverviewPage *m_overview;
    ResourcePage *m_connections;
    ResourcePage *m_rules;
    ApprovalsModel *m_approvalsModel;
    ApprovalsPage *m_approvals;
    ApprovalNotifier *m_notifier;
    ApprovalsTray *m_tray;
    SessionsPage *m_sessions;
    ReplayView *m_replay;
    QLabel *m_state;
};

} // namespace gh
