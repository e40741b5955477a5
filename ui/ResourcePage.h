#pragma once

#include <QDialog>
#include <QJsonObject>
#include <QMessageBox>
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
// when the gateway connects, when the user asks, and periodically while connected; New, Edit and
// Delete open the connection or rule editor (ui/editors) or ask before deleting.
class ResourcePage final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ResourcePage)

public:
    // Takes the model as a child.
    ResourcePage(GatewayLink *link, QString path, ResourceTableModel *model, QWidget *parent = nullptr);

    ResourceTableModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    void setRefreshInterval(std::chrono::milliseconds interval);

    // The open editor (a ConnectionEditor or RuleEditor), or null.
    QDialog *editor() const { return m_editor; }
    // The open delete confirmation, or null.
    QMessageBox *confirmation() const { return m_confirm; }

public Q_SLOTS:
    void refresh();
    void newResource();
    void editSelected();
    void deleteSelected();

private:
    void onLinkStateChanged();
    void updateButtons();
    void openEditor(const QJsonObject &existing);
    QString kind() const;   // "connection" | "rule"

    QPointer<GatewayLink> m_link;
    QString m_path;
    ResourceTableModel *m_model;
    QTableView *m_view;
    QLabel *m_status;
    QPushButton *m_refreshButton;
    QPushButton *m_newButton;
    QPushButton *m_editButton;
    QPushButton *m_deleteButton;
    QPointer<QDialog> m_editor;
    QPointer<QMessageBox> m_confirm;
    QTimer m_timer;
    bool m_loading = false;
};

} // namespace gh
