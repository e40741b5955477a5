#pragma once

#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QPushButton;
class QToolButton;
class QTableView;

namespace gh {

class ApprovalsModel;
class GrantsModel;
struct AdminReply;

// The approvals inbox: pending requests in a table, the selected one in full, and its decision.
class ApprovalsPage final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ApprovalsPage)

public:
    explicit ApprovalsPage(ApprovalsModel *model, QWidget *parent = nullptr);

    ApprovalsModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    QString selectedId() const;
    void select(const QString &id);

    // What the Approve menu offers: once (empty duration), or a grant for "15m", "1h", ...
    void approveSelected(const QString &forDuration);
    void approveSelectedCustom();
    void denySelected();

    // The running time-boxed grants, and ending the selected one early (asks for a reason).
    GrantsModel *grants() const { return m_grants; }
    QTableView *grantsView() const { return m_grantsView; }
    void revokeSelectedGrant();

private:
    void showSelected();
    void onDecided(const QString &id, const AdminReply &reply);
    void setMessage(const QString &text, bool error);
    // What to tell about a failed call no case above names: no answer, or the HTTP status.
    static QString otherProblem(const AdminReply &reply);

    ApprovalsModel *m_model;
    QTableView *m_view;
    QLabel *m_status;
    QLabel *m_who;
    QLabel *m_connection;
    QLabel *m_rule;
    QLabel *m_request;
    QPlainTextEdit *m_body;
    QLabel *m_justification;
    QLabel *m_progress;
    QLabel *m_timeLeft;
    QToolButton *m_approve;
    QPushButton *m_deny;
    QLabel *m_message;
    GrantsModel *m_grants;
    QTableView *m_grantsView;
    QLabel *m_grantsStatus;
    QPushButton *m_revoke;
    QLabel *m_grantMessage;
};

} // namespace gh
