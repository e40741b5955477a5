#include "sessions/SessionsPage.h"

#include "GatewayLink.h"
#include "admin/AdminClient.h"
#include "sessions/SessionExporter.h"
#include "sessions/SessionsModel.h"

#include <QCheckBox>
#include <functional>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QProgressDialog>
#include <QPushButton>
#include <QTableView>
#include <QUrl>
#include <QVBoxLayout>

namespace gh {

namespace {

// Enter on the table opens the replay, as a double-click does.
class SessionsTable final : public QTableView {
public:
    using QTableView::QTableView;
    std::function<void()> onEnter;

protected:
    void keyPressEvent(QKeyEvent *event) override
    {
        if ((event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter) && onEnter) {
            onEnter();
            return;
        }
        QTableView::keyPressEvent(event);
    }
};

QLineEdit *filterEdit(const char *name, const QString &placeholder, QWidget *parent)
{
    auto *e = new QLineEdit(parent);
    e->setObjectName(QLatin1String(name));
    e->setPlaceholderText(placeholder);
    e->setClearButtonEnabled(true);
    return e;
}

} // namespace

SessionsPage::SessionsPage(GatewayLink *link, QWidget *parent)
    : QWidget(parent)
    , m_link(link)
    , m_model(new SessionsModel(this))
{
    setObjectName(QStringLiteral("sessionsPage"));
    m_search = filterEdit("sessionsSearch", tr("Search id, subject, connection, client address"), this);
    m_connection = filterEdit("sessionsConnection", tr("any connection"), this);
    m_subject = filterEdit("sessionsSubject", tr("anyone"), this);
    m_since = filterEdit("sessionsSince", tr("e.g. 24h or 2026-11-25T08:00:00Z"), this);
    m_until = filterEdit("sessionsUntil", tr("now"), this);
    m_hasDeny = new QCheckBox(tr("Denials"), this);
    m_hasDeny->setObjectName(QStringLiteral("sessionsHasDeny"));
    m_hasApproval = new QCheckBox(tr("Approvals"), this);
    m_hasApproval->setObjectName(QStringLiteral("sessionsHasApproval"));
    m_hasMasking = new QCheckBox(tr("Masking"), this);
    m_hasMasking->setObjectName(QStringLiteral("sessionsHasMasking"));
    m_refresh = new QPushButton(tr("Refresh"), this);
    m_refresh->setObjectName(QStringLiteral("sessionsRefresh"));
    m_open = new QPushButton(tr("Replay"), this);
    m_open->setObjectName(QStringLiteral("sessionsOpen"));
    m_export = new QPushButton(tr("Export…"), this);
    m_export->setObjectName(QStringLiteral("sessionsExport"));
    m_message = new QLabel(this);
    m_message->setObjectName(QStringLiteral("sessionsMessage"));
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *table = new SessionsTable(this);
    table->onEnter = [this] { openSelected(); };
    m_view = table;
    m_view->setObjectName(QStringLiteral("sessionsView"));
    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->setAlternatingRowColors(true);

    auto *filters = new QFormLayout;
    auto *range = new QHBoxLayout;
    range->addWidget(m_since);
    range->addWidget(new QLabel(tr("until"), this));
    range->addWidget(m_until);
    auto *has = new QHBoxLayout;
    has->addWidget(m_hasDeny);
    has->addWidget(m_hasApproval);
    has->addWidget(m_hasMasking);
    has->addStretch();
    auto *who = new QHBoxLayout;
    who->addWidget(m_connection);
    who->addWidget(new QLabel(tr("Subject"), this));
    who->addWidget(m_subject);
    filters->addRow(tr("Search"), m_search);
    filters->addRow(tr("Connection"), who);
    filters->addRow(tr("Since"), range);
    filters->addRow(tr("Having"), has);
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_message, 1);
    buttons->addWidget(m_refresh);
    buttons->addWidget(m_export);
    buttons->addWidget(m_open);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(filters);
    layout->addWidget(m_view, 1);
    layout->addLayout(buttons);

    // Typing is debounced so the list follows the search without a request per keystroke.
    m_debounce.setSingleShot(true);
    m_debounce.setInterval(300);
    connect(&m_debounce, &QTimer::timeout, this, &SessionsPage::refresh);
    for (QLineEdit *e : {m_search, m_connection, m_subject, m_since, m_until})
        connect(e, &QLineEdit::textChanged, this, [this] { m_debounce.start(); });
    for (QCheckBox *c : {m_hasDeny, m_hasApproval, m_hasMasking})
        connect(c, &QCheckBox::toggled, this, &SessionsPage::refresh);
    connect(m_refresh, &QPushButton::clicked, this, &SessionsPage::refresh);
    connect(m_open, &QPushButton::clicked, this, &SessionsPage::openSelected);
    connect(m_export, &QPushButton::clicked, this, &SessionsPage::exportSelected);
    connect(m_view, &QTableView::doubleClicked, this, [this](const QModelIndex &) { openSelected(); });

    connect(m_link, &GatewayLink::clientChanged, this, &SessionsPage::setClient);
    setClient(m_link->client());
}

void SessionsPage::setClient(AdminClient *client)
{
    m_client = client;
    if (m_client)
        refresh();
}

QString SessionsPage::selectedId() const
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    return rows.isEmpty() ? QString() : m_model->sessionId(rows.first().row());
}

QString SessionsPage::query() const
{
    QStringList q;
    auto add = [&q](const char *key, const QString &value) {
        if (!value.trimmed().isEmpty())
            q << QString(QLatin1String(key) + QLatin1Char('=')
                         + QString::fromLatin1(QUrl::toPercentEncoding(value.trimmed(), ",")));
    };
    add("q", m_search->text());
    add("connection", m_connection->text());
    add("subject", m_subject->text());
    add("since", m_since->text());
    add("until", m_until->text());
    QStringList has;
    if (m_hasDeny->isChecked())
        has << QStringLiteral("deny");
    if (m_hasApproval->isChecked())
        has << QStringLiteral("approval");
    if (m_hasMasking->isChecked())
        has << QStringLiteral("masking");
    add("has", has.join(QLatin1Char(',')));
    add("limit", QStringLiteral("1000"));
    return q.join(QLatin1Char('&'));
}

void SessionsPage::refresh()
{
    m_debounce.stop();
    if (!m_client)
        return setMessage(tr("Not connected to a gateway."), true);
    const quint64 generation = ++m_generation;
    m_client->call("GET", QStringLiteral("/api/v1/sessions?") + query(), {}, {},
                   [this, generation, guard = QPointer<SessionsPage>(this)](AdminReply reply) {
                       if (guard)
                           onList(generation, reply);
                   });
}

void SessionsPage::onList(quint64 generation, const AdminReply &reply)
{
    if (generation != m_generation)
        return;   // an answer to filters that have changed since
    if (!reply.ok()) {
        setMessage(reply.errorText, true);
        Q_EMIT loaded(-1);
        return;
    }
    const QString keep = selectedId();
    m_model->setSessions(reply.json.array());
    const int row = m_model->rowOf(keep);
    if (row >= 0)
        m_view->selectRow(row);
    m_view->resizeColumnsToContents();
    setMessage(m_model->rowCount() == 1000 ? tr("Showing the newest 1000 sessions; narrow the filters to see older ones.")
                                           : tr("%n session(s)", nullptr, m_model->rowCount()),
               false);
    Q_EMIT loaded(m_model->rowCount());
}

void SessionsPage::openSelected()
{
    const QString id = selectedId();
    if (id.isEmpty())
        return setMessage(tr("Select a session to replay."), true);
    Q_EMIT openReplay(id);
}

void SessionsPage::exportSelected()
{
    const QString id = selectedId();
    if (id.isEmpty())
        return setMessage(tr("Select a session to export."), true);
    const QString path = QFileDialog::getSaveFileName(this, tr("Export session"),
                                                      QDir::home().filePath(id + QStringLiteral(".jsonl")),
                                                      tr("JSON Lines (*.jsonl);;All files (*)"));
    if (!path.isEmpty())
        exportSession(id, path);
}

SessionExporter *SessionsPage::exportSession(const QString &id, const QString &path)
{
    if (!m_client) {
        setMessage(tr("Not connected to a gateway."), true);
        return nullptr;
    }
    const int row = m_model->rowOf(id);
    const qint64 expected = row >= 0 ? qint64(m_model->session(row).value(QLatin1String("event_count")).toDouble()) : 0;
    auto *exporter = new SessionExporter(m_client, id, expected, this);
    auto *dialog = new QProgressDialog(tr("Exporting session %1…").arg(id), tr("Cancel"), 0, 1000, this);
    dialog->setObjectName(QStringLiteral("sessionsExportProgress"));
    dialog->setWindowTitle(tr("Export session"));
    dialog->setAutoClose(false);
    dialog->setAutoReset(false);
    dialog->setMinimumDuration(300);
    dialog->setValue(0);
    connect(exporter, &SessionExporter::progressed, dialog, [dialog](qint64 written, qint64 expectedCount) {
        dialog->setValue(expectedCount > 0 ? int(written * 1000 / expectedCount) : 0);
        dialog->setLabelText(SessionsPage::tr("Exported %L1 of %L2 events…").arg(written).arg(expectedCount));
    });
    connect(dialog, &QProgressDialog::canceled, exporter, &SessionExporter::cancel);
    connect(exporter, &SessionExporter::finished, this, [this, exporter, dialog, path](bool ok, const QString &error) {
        dialog->hide();
        dialog->deleteLater();
        exporter->deleteLater();
        if (ok)
            setMessage(tr("Exported %n event(s) to %1.", nullptr, int(exporter->written())).arg(path), false);
        else if (error.isEmpty())
            setMessage(tr("Export cancelled; nothing was written."), false);
        else
            setMessage(tr("Export failed: %1").arg(error), true);
    });
    exporter->start(path);
    return exporter;
}

void SessionsPage::setMessage(const QString &text, bool error)
{
    m_message->setText(text);
    m_message->setStyleSheet(error ? QStringLiteral("color: #b00020;") : QString());
}

} // namespace gh
