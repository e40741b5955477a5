#include "ResourcePage.h"

#include "GatewayLink.h"
#include "ResourceTableModel.h"
#include "admin/AdminClient.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
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

    auto *bar = new QHBoxLayout;
    bar->addWidget(m_status, 1);
    bar->addWidget(m_refreshButton);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(bar);
    layout->addWidget(m_view, 1);

    m_timer.setInterval(15s);
    connect(&m_timer, &QTimer::timeout, this, &ResourcePage::refresh);
    connect(m_refreshButton, &QPushButton::clicked, this, &ResourcePage::refresh);
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
        if (!self->m_model->setJson(reply.json)) {
            self->m_status->setText(tr("Could not load: the gateway sent an unexpected answer."));
            return;
        }
        self->m_status->setText(tr("Entries: %1, updated %2")
                                    .arg(self->m_model->rowCount())
                                    .arg(QLocale().toString(QTime::currentTime(), QLocale::ShortFormat)));
    });
}

} // namespace gh
