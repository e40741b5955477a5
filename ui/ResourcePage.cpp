#include "ResourcePage.h"

#include "GatewayLink.h"
#include "ResourceTableModel.h"
#include "admin/AdminClient.h"
#include "ConnectionsModel.h"
#include "RulesModel.h"
#include "editors/ConnectionEditor.h"
#include "editors/EditorCall.h"
#include "editors/RuleEditor.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QMessageBox>
#include <QUrl>
#include <QPushButton>
#include <QTableView>
#include <QTime>
#include <QVBoxLayout>

using namespace std::chrono_literals;

namespace gh {

ResourcePage::ResourcePage(GatewayLink *link, QString path, ResourceTableModel *model, QWidget *parent)
    : QWidget(parent)
    , m_link(link)
    , m_path(std::move(path))
    , m_model(model)
    , m_view(new QTableView(this))
    , m_status(new QLabel(this))
    , m_refreshButton(new QPushButton(tr("&Refresh"), this))
    , m_newButton(new QPushButton(tr("&New…"), this))
    , m_editButton(new QPushButton(tr("&Edit…"), this))
    , m_deleteButton(new QPushButton(tr("&Delete…"), this))
{
    m_model->setParent(this);
    m_view->setModel(m_model);
    m_view->setObjectName(QStringLiteral("table"));
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setAlternatingRowColors(true);
    m_view->setSortingEnabled(false);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_status->setObjectName(QStringLiteral("pageStatus"));
    m_refreshButton->setShortcut(QKeySequence::Refresh);

    m_newButton->setObjectName(QStringLiteral("newButton"));
    m_editButton->setObjectName(QStringLiteral("editButton"));
    m_deleteButton->setObjectName(QStringLiteral("deleteButton"));

    auto *bar = new QHBoxLayout;
    bar->addWidget(m_status, 1);
    bar->addWidget(m_newButton);
    bar->addWidget(m_editButton);
    bar->addWidget(m_deleteButton);
    bar->addWidget(m_refreshButton);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(m_view, 1);

    m_timer.setInterval(15s);
    connect(&m_timer, &QTimer::timeout, this, &ResourcePage::refresh);
    connect(m_refreshButton, &QPushButton::clicked, this, &ResourcePage::refresh);
    connect(m_newButton, &QPushButton::clicked, this, &ResourcePage::newResource);
    connect(m_editButton, &QPushButton::clicked, this, &ResourcePage::editSelected);
    connect(m_deleteButton, &QPushButton::clicked, this, &ResourcePage::deleteSelected);
    connect(m_view, &QTableView::doubleClicked, this, &ResourcePage::editSelected);
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &ResourcePage::updateButtons);
    connect(m_model, &QAbstractItemModel::modelReset, this, &ResourcePage::updateButtons);
    connect(m_link, &GatewayLink::stateChanged, this, &ResourcePage::onLinkStateChanged);
    onLinkStateChanged();
}

void ResourcePage::setRefreshInterval(std::chrono::milliseconds interval)
{
    m_timer.setInterval(interval);
}

void ResourcePage::onLinkStateChanged()
{
    const bool connected = m_link && m_link->state() == GatewayLink::State::Connected;
    m_refreshButton->setEnabled(connected);
    updateButtons();
    if (connected && !m_timer.isActive()) {
        m_timer.start();
        refresh();
    } else if (!connected) {
        m_timer.stop();
        if (m_model->rowCount() > 0)
            m_status->setText(tr("Gateway not reachable; showing the last list loaded."));
        else
            m_status->setText(tr("Waiting for the gateway…"));
    }
}

void ResourcePage::refresh()
{
    if (!m_link || m_loading)
        return;
    m_loading = true;
    QPointer<ResourcePage> self(this);
    m_link->get(m_path, [self](const AdminReply &reply) {
        if (!self)
            return;
        self->m_loading = false;
        if (!reply.ok()) {
            // The client already says "HTTP 404 Not Found" when the server gave no message.
            QString why = reply.errorText;
            if (reply.status != 0 && !why.startsWith(QLatin1String("HTTP ")))
                why = why.isEmpty() ? tr("HTTP %1").arg(reply.status) : tr("HTTP %1: %2").arg(reply.status).arg(why);
            self->m_status->setText(tr("Could not load: %1").arg(why));
            return;
        }
        // A periodic refresh must not drop what the user selected: select the same name again.
        const QModelIndexList selected = self->m_view->selectionModel()->selectedRows();
        const QString keep = selected.isEmpty() ? QString()
                                                : self->m_model->row(selected.first().row()).value(QLatin1String("name")).toString();
        if (!self->m_model->setJson(reply.json)) {
            self->m_status->setText(tr("Could not load: the gateway sent an unexpected answer."));
            return;
        }
        for (int r = 0; !keep.isEmpty() && r < self->m_model->rowCount(); ++r) {
            if (self->m_model->row(r).value(QLatin1String("name")).toString() == keep)
                self->m_view->selectRow(r);
        }
        self->m_status->setText(tr("Entries: %1, updated %2")
                                    .arg(self->m_model->rowCount())
                                    .arg(QLocale().toString(QTime::currentTime(), QLocale::ShortFormat)));
    });
}

QString ResourcePage::kind() const
{
    return qobject_cast<RulesModel *>(m_model) ? QStringLiteral("rule") : QStringLiteral("connection");
}

void ResourcePage::updateButtons()
{
    const bool connected = m_link && m_link->state() == GatewayLink::State::Connected;
    const bool editable = qobject_cast<RulesModel *>(m_model) || qobject_cast<ConnectionsModel *>(m_model);
    const bool selected = m_view->selectionModel() && m_view->selectionModel()->hasSelection();
    m_newButton->setVisible(editable);
    m_editButton->setVisible(editable);
    m_deleteButton->setVisible(editable);
    m_newButton->setEnabled(connected);
    m_editButton->setEnabled(connected && selected);
    m_deleteButton->setEnabled(connected && selected);
}

void ResourcePage::newResource()
{
    openEditor({});
}

void ResourcePage::editSelected()
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    if (!rows.isEmpty())
        openEditor(m_model->row(rows.first().row()));
}

void ResourcePage::openEditor(const QJsonObject &existing)
{
    if (m_editor)
        m_editor->close();
    if (kind() == QLatin1String("rule")) {
        auto *editor = new RuleEditor(m_link, existing, this);
        connect(editor, &RuleEditor::saved, this, &ResourcePage::refresh);
        m_editor = editor;
    } else {
        auto *editor = new ConnectionEditor(m_link, existing, this);
        connect(editor, &ConnectionEditor::saved, this, &ResourcePage::refresh);
        m_editor = editor;
    }
    m_editor->setAttribute(Qt::WA_DeleteOnClose);
    m_editor->open();
}

void ResourcePage::deleteSelected()
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return;
    const QString name = m_model->row(rows.first().row()).value(QLatin1String("name")).toString();
    const bool rule = kind() == QLatin1String("rule");
    auto *box = new QMessageBox(QMessageBox::Warning, rule ? tr("Delete rule") : tr("Delete connection"),
                                rule ? tr("Delete the rule \"%1\"? It stops applying at once.").arg(name)
                                     : tr("Delete the connection \"%1\"? Clients can no longer reach it.").arg(name),
                                QMessageBox::Yes | QMessageBox::Cancel, this);
    box->setObjectName(QStringLiteral("confirmDelete"));
    box->setDefaultButton(QMessageBox::Cancel);
    box->setAttribute(Qt::WA_DeleteOnClose);
    m_confirm = box;
    connect(box, &QMessageBox::finished, this, [this, name](int result) {
        if (result != QMessageBox::Yes)
            return;
        const QString path = m_path + QLatin1Char('/') + QString::fromLatin1(QUrl::toPercentEncoding(name));
        editors::call(m_link, "DELETE", path, {}, this, [this, name](const AdminReply &reply) {
            if (!reply.ok()) {
                m_status->setText(tr("Could not delete %1: %2").arg(name, editors::errorOf(reply)));
                return;
            }
            refresh();
        });
    });
    box->open();
}

} // namespace gh
