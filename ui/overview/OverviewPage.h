#pragma once

#include <QJsonObject>
#include <QPointer>
#include <QTimer>
#include <QWidget>

class QChart;
class QChartView;
class QComboBox;
class QLabel;
class QListWidget;
class QPushButton;
class QStackedWidget;
class QTableWidget;
class QTextEdit;

namespace gh {

class AdminClient;
class AdminEventStream;
class DemoLauncher;
class GatewayLink;
struct AdminReply;

// The start page: per connection, requests, refusals, held approvals and masked values over time
// (GET /api/v1/stats), the pending approvals and the latest refusals, refreshed periodically and
// on live events. With no connections at all it offers the newcomer demo.
class OverviewPage final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(OverviewPage)

public:
    explicit OverviewPage(GatewayLink *link, QWidget *parent = nullptr);
    ~OverviewPage() override;

    DemoLauncher *demoLauncher() const { return m_demo; }
    void setRefreshInterval(std::chrono::milliseconds interval) { m_refresh.setInterval(interval); }

public Q_SLOTS:
    void reload();

Q_SIGNALS:
    // A pending approval was clicked: the window shows it in the approvals inbox.
    void approvalRequested(const QString &id);
    // A reload finished (for tests and the status bar).
    void reloaded();

private:
    void setClient(AdminClient *client);
    void onStats(quint64 generation, const AdminReply &reply);
    void onPending(quint64 generation, const AdminReply &reply);
    void showSeries();
    void showDenials(const QJsonArray &denials);
    void startDemo();
    void onDemoFinished(bool ok, const QString &message);

    QPointer<GatewayLink> m_link;
    QPointer<AdminClient> m_client;
    QPointer<AdminEventStream> m_stream;
    DemoLauncher *m_demo;
    quint64 m_generation = 0;
    QJsonObject m_stats;

    QStackedWidget *m_stack;
    QComboBox *m_connection;
    QComboBox *m_range;
    QLabel *m_totals;
    QLabel *m_error;
    QChart *m_chart;
    QChartView *m_chartView;
    QListWidget *m_pending;
    QTableWidget *m_denials;
    QPushButton *m_startDemo;
    QLabel *m_demoStatus;
    QTextEdit *m_demoHelp;

    QTimer m_refresh;      // periodic
    QTimer m_debounce;     // a burst of live events causes one reload
};

} // namespace gh
