#pragma once

#include <QPointer>
#include <QTimer>
#include <QWidget>

class QCheckBox;
class QLabel;
class QLineEdit;
class QProgressDialog;
class QPushButton;
class QTableView;

namespace gh {

class AdminClient;
class GatewayLink;
class SessionExporter;
class SessionsModel;
struct AdminReply;

// The recorded sessions: filters (connection, subject, time range, has denials / approvals /
// masking), a search as you type, export to JSON Lines, and opening one in the replay view.
class SessionsPage final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SessionsPage)

public:
    SessionsPage(GatewayLink *link, QWidget *parent = nullptr);

    SessionsModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    QString selectedId() const;
    // The query the filters make, as sent to GET /api/v1/sessions.
    QString query() const;

    void refresh();
    // Writes the session to `path` with a cancellable progress dialog; the dialog is the returned
    // exporter's until it finishes.
    SessionExporter *exportSession(const QString &id, const QString &path);

Q_SIGNALS:
    void openReplay(const QString &sessionId);
    void loaded(int rows);   // after every answered refresh (tests wait on it)

private:
    void setClient(AdminClient *client);
    void onList(quint64 generation, const AdminReply &reply);
    void exportSelected();
    void openSelected();
    void setMessage(const QString &text, bool error);

    GatewayLink *m_link;
    QPointer<AdminClient> m_client;
    SessionsModel *m_model;
    QLineEdit *m_search;
    QLineEdit *m_connection;
    QLineEdit *m_subject;
    QLineEdit *m_since;
    QLineEdit *m_until;
    QCheckBox *m_hasDeny;
    QCheckBox *m_hasApproval;
    QCheckBox *m_hasMasking;
    QPushButton *m_refresh;
    QPushButton *m_export;
    QPushButton *m_open;
    QTableView *m_view;
    QLabel *m_message;
    QTimer m_debounce;
    quint64 m_generation = 0;
};

} // namespace gh
