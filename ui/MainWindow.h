#pragma once

#include <QMainWindow>

#include <chrono>

class QLabel;
class QTabWidget;

namespace gh {

class GatewayLink;
class ResourcePage;

// The desktop app's main window: the gateway's connections and rules, and whether it is reachable.
class MainWindow final : public QMainWindow {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    explicit MainWindow(QWidget *parent = nullptr);

    // Attach it with attachLocal() or attachRemote(); the window follows its state.
    GatewayLink *link() const { return m_link; }
    ResourcePage *connectionsPage() const { return m_connections; }
    ResourcePage *rulesPage() const { return m_rules; }
    void setRefreshInterval(std::chrono::milliseconds interval);

private:
    void onLinkStateChanged();

    GatewayLink *m_link;
    QTabWidget *m_tabs;
    ResourcePage *m_connections;
    ResourcePage *m_rules;
    QLabel *m_state;
};

} // namespace gh
