#pragma once

#include <QPointer>
#include <QTimer>
#include <QWidget>

#include <chrono>

class QLabel;
class QPushButton;
class QTableView;

namespace gh {

class GatewayLink;
class ResourceTableModel;

// One list of gateway resources (connections or rules) in a table, loaded from an admin API path
// when the gateway connects, when the user asks, and periodically while connected.
class ResourcePage final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ResourcePage)

public:
    // Takes the model as a child.
    ResourcePage(GatewayLink *link, QString path, ResourceTableModel *model, QWidget *parent = nullptr);

    ResourceTableModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    void setRefreshInterval(std::chrono::milliseconds interval);

public Q_SLOTS:
    void refresh();

private:
    void onLinkStateChanged();

    QPointer<GatewayLink> m_link;
    QString m_path;
    ResourceTableModel *m_model;
    QTableView *m_view;
    QLabel *m_status;
    QPushButton *m_refreshButton;
    QTimer m_timer;
    bool m_loading = false;
};

} // namespace gh
