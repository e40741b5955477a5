#include "MainWindow.h"

#include "ConnectionsModel.h"
#include "GatewayLink.h"
#include "ResourcePage.h"
#include "RulesModel.h"
#include "admin/AdminClient.h"
#include "approvals/ApprovalNotifier.h"
#include "approvals/ApprovalsModel.h"
#include "approvals/ApprovalsPage.h"
#include "approvals/ApprovalsTray.h"
#include "overview/OverviewPage.h"
#include "sessions/ReplayView.h"
#include "sessions/SessionsPage.h"

#include <QAction>
#include <QApplication>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QStatusBar>
#include <QSystemTrayIcon>
#include <QTabWidget>

namespace gh {

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
    , m_link(new GatewayLink(this))
    , m_tabs(new QTabWidget(this))
    , m_overview(new OverviewPage(m_link, m_tabs))
    , m_connections(new ResourcePage(m_link, QStringLiteral("/api/v1/connections"), new ConnectionsModel(this), m_tabs))
    , m_rules(new ResourcePage(m_link, QStringLiteral("/api/v1/rules"), new RulesModel(this), m_tabs))
    , m_approvalsModel(new ApprovalsModel(this))
    , m_approvals(new ApprovalsPage(m_approvalsModel, m_tabs))
    , m_notifier(new ApprovalNotifier(m_approvalsModel, this))
    , m_tray(new ApprovalsTray(m_approvalsModel, this))
    , m_sessions(new SessionsPage(m_link, m_tabs))
    , m_replay(new ReplayView(m_link, m_tabs))
    , m_state(new QLabel(this))
{
    setWindowTitle(tr("Gatehouse"));
    m_overview->setObjectName(QStringLiteral("overviewPage"));
    m_tabs->addTab(m_overview, tr("&Overview"));
    m_connections->setObjectName(QStringLiteral("connectionsPage"));
    m_rules->setObjectName(QStringLiteral("rulesPage"));
    m_tabs->addTab(m_connections, tr("&Connections"));
    m_tabs->addTab(m_rules, tr("R&ules"));
    m_approvals->setObjectName(QStringLiteral("approvalsPage"));
    m_tabs->addTab(m_approvals, tr("&Approvals"));
    m_sessions->setObjectName(QStringLiteral("sessionsPage"));
    m_tabs->addTab(m_sessions, tr("&Sessions"));
    m_replay->setObjectName(QStringLiteral("replayPage"));
    m_tabs->addTab(m_replay, tr("Re&play"));
    connect(m_sessions, &SessionsPage::openReplay, this, &MainWindow::showReplay);
    connect(m_overview, &OverviewPage::approvalRequested, this, &MainWindow::showApprovals);
    m_notifier->setFallbackTray(m_tray->icon());
    connect(m_tray, &ApprovalsTray::inboxRequested, this, [this] { showApprovals({}); });
    connect(m_notifier, &ApprovalNotifier::openRequested, this, &MainWindow::showApprovals);
    setCentralWidget(m_tabs);

    m_state->setObjectName(QStringLiteral("connectionState"));
    statusBar()->addWidget(m_state, 1);

    QMenu *fileMenu = menuBar()->addMenu(tr("&File"));
    QAction *refresh = fileMenu->addAction(tr("&Refresh"));
    connect(refresh, &QAction::triggered, m_connections, &ResourcePage::refresh);
    connect(refresh, &QAction::triggered, m_rules, &ResourcePage::refresh);
    connect(refresh, &QAction::triggered, m_overview, &OverviewPage::reload);
    connect(refresh, &QAction::triggered, m_sessions, &SessionsPage::refresh);
    fileMenu->addSeparator();
    QAction *quit = fileMenu->addAction(tr("&Quit"));
    quit->setShortcut(QKeySequence::Quit);
    connect(quit, &QAction::triggered, this, &QWidget::close);

    QMenu *helpMenu = menuBar()->addMenu(tr("&Help"));
    QAction *about = helpMenu->addAction(tr("&About Gatehouse"));
    connect(about, &QAction::triggered, this, [this] {
        QMessageBox::about(this, tr("About Gatehouse"),
                           tr("Gatehouse %1\nAdmin and audit workstation for the Gatehouse security gateway.")
                               .arg(QApplication::applicationVersion()));
    });

    connect(m_link, &GatewayLink::stateChanged, this, &MainWindow::onLinkStateChanged);
    connect(m_link, &GatewayLink::clientChanged, this, &MainWindow::followApprovals);
    onLinkStateChanged();
    resize(1100, 700);
}

void MainWindow::setRefreshInterval(std::chrono::milliseconds interval)
{
    m_connections->setRefreshInterval(interval);
    m_rules->setRefreshInterval(interval);
}

void MainWindow::onLinkStateChanged()
{
    m_state->setText(m_link->describe());
    if (m_link->state() == GatewayLink::State::Connected)
        followApprovals();
}

// The approvals use the link's own admin client (its URL and token), and follow a rebuilt one.
void MainWindow::followApprovals()
{
    AdminClient *client = m_link->client();
    if (client != m_approvalsModel->client())
        m_approvalsModel->setClient(client);
}

void MainWindow::showReplay(const QString &sessionId)
{
    m_tabs->setCurrentWidget(m_replay);
    m_replay->open(sessionId);
}

void MainWindow::showApprovals(const QString &id)
{
    m_tabs->setCurrentWidget(m_approvals);
    if (!id.isEmpty())
        m_approvals->select(id);
    show();
    raise();
    activateWindow();
}

} // namespace gh
