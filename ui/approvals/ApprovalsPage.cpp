#include "ApprovalsPage.h"

#include "ApprovalsModel.h"
#include "GrantsModel.h"
#include "admin/AdminClient.h"

#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QItemSelectionModel>
#include <QJsonArray>
#include <QLabel>
#include <QMenu>
#include <QPlainTextEdit>
#include <QPointer>
#include <QPushButton>
#include <QRegularExpression>
#include <QSplitter>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

namespace gh {

namespace {

QLabel *detailLabel(QWidget *parent, const char *name)
{
    auto *label = new QLabel(parent);
    label->setObjectName(QLatin1String(name));
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->setWordWrap(true);
    return label;
}

QString joined(const QJsonArray &values)
{
    QStringList out;
    for (const QJsonValue &v : values)
        out.append(v.toString());
    return out.join(QLatin1String(", "));
}

} // namespace

ApprovalsPage::ApprovalsPage(ApprovalsModel *model, QWidget *parent)
    : QWidget(parent)
    , m_model(model)
    , m_view(new QTableView(this))
    , m_status(new QLabel(this))
    , m_who(detailLabel(this, "who"))
    , m_connection(detailLabel(this, "connection"))
    , m_rule(detailLabel(this, "rule"))
    , m_request(detailLabel(this, "request"))
    , m_body(new QPlainTextEdit(this))
    , m_justification(detailLabel(this, "justification"))
    , m_progress(detailLabel(this, "progress"))
    , m_timeLeft(detailLabel(this, "timeLeft"))
    , m_approve(new QToolButton(this))
    , m_deny(new QPushButton(tr("&Deny…"), this))
    , m_message(new QLabel(this))
    , m_grants(new GrantsModel(model, this))
    , m_grantsView(new QTableView(this))
    , m_grantsStatus(new QLabel(this))
    , m_revoke(new QPushButton(tr("&Revoke grant…"), this))
    , m_grantMessage(new QLabel(this))
{
    m_view->setModel(m_model);
    m_view->setObjectName(QStringLiteral("table"));
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setAlternatingRowColors(true);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_status->setObjectName(QStringLiteral("pageStatus"));

    m_body->setObjectName(QStringLiteral("bodyExcerpt"));
    m_body->setReadOnly(true);
    m_body->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_body->setPlaceholderText(tr("(no body)"));

    // Clicking the button approves once, the commonest answer; the arrow offers a grant.
    m_approve->setObjectName(QStringLiteral("approveButton"));
    m_approve->setPopupMode(QToolButton::MenuButtonPopup);
    m_approve->setToolButtonStyle(Qt::ToolButtonTextOnly);
    auto *menu = new QMenu(m_approve);
    QAction *once = menu->addAction(tr("Approve &once"));
    once->setObjectName(QStringLiteral("approveOnce"));
    QAction *quarter = menu->addAction(tr("Approve for &15 minutes"));
    quarter->setObjectName(QStringLiteral("approve15m"));
    QAction *hour = menu->addAction(tr("Approve for 1 &hour"));
    hour->setObjectName(QStringLiteral("approve1h"));
    QAction *custom = menu->addAction(tr("Approve for &a time of your choice…"));
    custom->setObjectName(QStringLiteral("approveCustom"));
    m_approve->setMenu(menu);
    m_approve->setDefaultAction(once);
    m_approve->setText(tr("A&pprove"));
    connect(once, &QAction::triggered, this, [this] { approveSelected({}); });
    connect(quarter, &QAction::triggered, this, [this] { approveSelected(QStringLiteral("15m")); });
    connect(hour, &QAction::triggered, this, [this] { approveSelected(QStringLiteral("1h")); });
    connect(custom, &QAction::triggered, this, &ApprovalsPage::approveSelectedCustom);
    m_deny->setObjectName(QStringLiteral("denyButton"));
    connect(m_deny, &QPushButton::clicked, this, &ApprovalsPage::denySelected);

    m_message->setObjectName(QStringLiteral("decisionMessage"));
    m_message->setWordWrap(true);

    auto *details = new QWidget(this);
    auto *form = new QFormLayout;
    form->addRow(tr("Who:"), m_who);
    form->addRow(tr("Connection:"), m_connection);
    form->addRow(tr("Rule:"), m_rule);
    form->addRow(tr("Request:"), m_request);
    form->addRow(tr("Body (masked):"), m_body);
    form->addRow(tr("Justification:"), m_justification);
    form->addRow(tr("Approvals:"), m_progress);
    form->addRow(tr("Time left:"), m_timeLeft);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_approve);
    buttons->addWidget(m_deny);
    buttons->addStretch(1);
    auto *detailLayout = new QVBoxLayout(details);
    detailLayout->addLayout(form);
    detailLayout->addLayout(buttons);
    detailLayout->addWidget(m_message);
    detailLayout->addStretch(1);

    // Below the inbox: the grants an "approve for a while" left running, each revocable.
    m_grantsView->setModel(m_grants);
    m_grantsView->setObjectName(QStringLiteral("grantsTable"));
    m_grantsView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_grantsView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_grantsView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_grantsView->verticalHeader()->hide();
    m_grantsView->horizontalHeader()->setStretchLastSection(true);
    m_grantsStatus->setObjectName(QStringLiteral("grantsStatus"));
    m_revoke->setObjectName(QStringLiteral("revokeButton"));
    m_grantMessage->setObjectName(QStringLiteral("grantMessage"));
    m_grantMessage->setWordWrap(true);
    connect(m_revoke, &QPushButton::clicked, this, &ApprovalsPage::revokeSelectedGrant);
    auto updateGrants = [this] {
        const int n = m_grants->rowCount();
        m_grantsStatus->setText(n == 0 ? tr("No time-boxed grants are running.")
                                       : tr("%n time-boxed grant(s) running.", nullptr, n));
        m_revoke->setEnabled(m_grantsView->selectionModel()->hasSelection());
    };
    connect(m_grants, &QAbstractItemModel::modelReset, this, updateGrants);
    connect(m_grants, &QAbstractItemModel::rowsRemoved, this, updateGrants);
    connect(m_grantsView->selectionModel(), &QItemSelectionModel::selectionChanged, this, updateGrants);
    auto *grantsBox = new QWidget(this);
    auto *grantsLayout = new QVBoxLayout(grantsBox);
    auto *grantsButtons = new QHBoxLayout;
    grantsButtons->addWidget(m_grantsStatus, 1);
    grantsButtons->addWidget(m_revoke);
    grantsLayout->addLayout(grantsButtons);
    grantsLayout->addWidget(m_grantsView, 1);
    grantsLayout->addWidget(m_grantMessage);
    updateGrants();

    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(m_view);
    splitter->addWidget(details);
    splitter->addWidget(grantsBox);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_status);
    layout->addWidget(splitter, 1);

    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        m_message->clear();
        showSelected();
    });
    // Rows come and go under the selection, and the time left counts down.
    connect(m_model, &QAbstractItemModel::dataChanged, this, &ApprovalsPage::showSelected);
    connect(m_model, &QAbstractItemModel::modelReset, this, &ApprovalsPage::showSelected);
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, &ApprovalsPage::showSelected);
    connect(m_model, &ApprovalsModel::pendingCountChanged, this, [this](int count) {
        m_status->setText(count == 0 ? tr("No requests are waiting for a decision.")
                                     : tr("%n request(s) waiting for a decision.", nullptr, count));
    });
    connect(m_model, &ApprovalsModel::loadFailed, this, [this](const QString &why) {
        m_status->setText(tr("Could not load the approvals: %1").arg(why));
    });
    m_status->setText(tr("No requests are waiting for a decision."));
    showSelected();
}

QString ApprovalsPage::selectedId() const
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    return rows.isEmpty() ? QString() : rows.constFirst().data(ApprovalsModel::IdRole).toString();
}

void ApprovalsPage::select(const QString &id)
{
    const int row = m_model->rowOf(id);
    if (row >= 0)
        m_view->selectRow(row);
}

void ApprovalsPage::showSelected()
{
    const int row = m_model->rowOf(selectedId());
    const bool any = row >= 0;
    m_approve->setEnabled(any);
    m_deny->setEnabled(any);
    if (!any) {
        for (QLabel *l : {m_who, m_connection, m_rule, m_request, m_justification, m_progress, m_timeLeft})
            l->clear();
        m_body->clear();
        return;
    }
    const QJsonObject a = m_model->approval(row);
    const QString groups = joined(a.value(QLatin1String("groups")).toArray());
    const QString subject = a.value(QLatin1String("subject")).toString();
    m_who->setText(groups.isEmpty() ? subject : tr("%1 (groups: %2)").arg(subject, groups));
    m_connection->setText(a.value(QLatin1String("connection")).toString());
    m_rule->setText(a.value(QLatin1String("rule")).toString());
    m_request->setText(m_model->index(row, ApprovalsModel::Request).data().toString());
    const QString body = a.value(QLatin1String("body_excerpt")).toString();
    if (m_body->toPlainText() != body)
        m_body->setPlainText(body);
    const QString justification = a.value(QLatin1String("justification")).toString();
    m_justification->setText(justification.isEmpty() ? tr("(none given)") : justification);
    m_progress->setText(m_model->index(row, ApprovalsModel::Progress).data().toString());
    m_timeLeft->setText(m_model->timeLeftText(a));
}

void ApprovalsPage::approveSelected(const QString &forDuration)
{
    const QString id = selectedId();
    if (id.isEmpty())
        return;
    setMessage(tr("Sending…"), false);
    QPointer<ApprovalsPage> self(this);
    m_model->approve(id, forDuration, {}, [self, id](const AdminReply &reply) {
        if (self)
            self->onDecided(id, reply);
    });
}

void ApprovalsPage::approveSelectedCustom()
{
    if (selectedId().isEmpty())
        return;
    bool ok = false;
    const QString duration = QInputDialog::getText(this, tr("Approve for a while"),
                                                   tr("Let this requester's matching requests through for (for example 30m or 4h, at most 24h):"),
                                                   QLineEdit::Normal, QStringLiteral("30m"), &ok).trimmed();
    if (!ok)
        return;
    static const QRegularExpression valid(QStringLiteral("^[1-9][0-9]*(s|m|h)$"));
    if (!valid.match(duration).hasMatch()) {
        setMessage(tr("\"%1\" is not a duration; write it like 30m or 4h.").arg(duration), true);
        return;
    }
    approveSelected(duration);
}

void ApprovalsPage::denySelected()
{
    const QString id = selectedId();
    if (id.isEmpty())
        return;
    bool ok = false;
    const QString reason = QInputDialog::getText(this, tr("Deny request"), tr("Why is it denied? The requester sees this."),
                                                 QLineEdit::Normal, {}, &ok).trimmed();
    if (!ok)
        return;
    setMessage(tr("Sending…"), false);
    QPointer<ApprovalsPage> self(this);
    m_model->deny(id, reason, [self, id](const AdminReply &reply) {
        if (self)
            self->onDecided(id, reply);
    });
}

void ApprovalsPage::revokeSelectedGrant()
{
    const QModelIndexList rows = m_grantsView->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return;
    const QString id = rows.constFirst().data(GrantsModel::IdRole).toString();
    const QString subject = m_grants->grant(rows.constFirst().row()).value(QLatin1String("subject")).toString();
    bool ok = false;
    const QString reason = QInputDialog::getText(this, tr("Revoke grant"),
                                                 tr("End %1's grant now? Their next matching request waits for a "
                                                    "decision again. Why:")
                                                     .arg(subject),
                                                 QLineEdit::Normal, {}, &ok)
                               .trimmed();
    if (!ok)
        return;
    m_grantMessage->setText(tr("Sending…"));
    QPointer<ApprovalsPage> self(this);
    m_grants->revoke(id, reason, [self, subject](const AdminReply &reply) {
        if (!self)
            return;
        QString text;
        if (reply.ok())
            text = tr("%1's grant is revoked.").arg(subject);
        else if (reply.status == 409)
            text = tr("That grant is no longer running.");
        else
            text = otherProblem(reply);
        self->m_grantMessage->setText(text);
        self->m_grantMessage->setStyleSheet(reply.ok() ? QString() : QStringLiteral("color: #b00020;"));
        if (reply.status == 409)
            self->m_grants->reload();
    });
}

void ApprovalsPage::onDecided(const QString &id, const AdminReply &reply)
{
    Q_UNUSED(id)
    if (reply.ok()) {
        const QString state = reply.json.object().value(QLatin1String("state")).toString();
        setMessage(state == u"pending" ? tr("Approved; more approvers are needed.")
                   : state == u"denied" ? tr("Denied.")
                                        : tr("Approved."),
                   false);
        return;
    }
    QString why;
    if (reply.status == 403 && reply.errorText.contains(QLatin1String("own request")))
        why = tr("You cannot decide your own request.");
    else if (reply.status == 403)
        why = tr("You may not decide this request: %1").arg(reply.errorText);
    else if (reply.status == 409)
        why = tr("Already decided: %1").arg(reply.errorText);
    else if (reply.status == 404)
        why = tr("This request is gone.");
    else
        why = otherProblem(reply);
    setMessage(why, true);
}

QString ApprovalsPage::otherProblem(const AdminReply &reply)
{
    if (reply.status == 0)
        return tr("The gateway did not answer: %1").arg(reply.errorText);
    return tr("HTTP %1: %2").arg(reply.status).arg(reply.errorText);
}

void ApprovalsPage::setMessage(const QString &text, bool error)
{
    m_message->setText(text);
    m_message->setProperty("error", error);
    m_message->setStyleSheet(error ? QStringLiteral("color: #b00020;") : QString());
}

} // namespace gh
