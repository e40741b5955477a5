#include "OverviewPage.h"

#include "DemoLauncher.h"
#include "GatewayLink.h"
#include "admin/AdminClient.h"

#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QLineSeries>
#include <QListWidget>
#include <QPushButton>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableWidget>
#include <QTextEdit>
#include <QUrlQuery>
#include <QValueAxis>
#include <QVBoxLayout>

using namespace std::chrono_literals;

namespace gh {

namespace {

constexpr auto kRefresh = 30s;
constexpr auto kDebounce = 1s;

enum Page { ContentPage, EmptyPage };

struct Range {
    const char *since;
    const char *bucket;
};
constexpr Range kRanges[] = {{"1h", "5m"}, {"24h", "1h"}, {"7d", "6h"}};

// The series the chart draws, in the stats reply's keys.
const char *const kSeriesKeys[] = {"requests", "refusals", "approvals", "masked"};

QList<double> seriesOf(const QJsonObject &connection, const char *key)
{
    QList<double> out;
    for (const QJsonValue &v : connection.value(QLatin1String(key)).toArray())
        out.append(v.toDouble());
    return out;
}

} // namespace

OverviewPage::OverviewPage(GatewayLink *link, QWidget *parent)
    : QWidget(parent)
    , m_link(link)
    , m_demo(new DemoLauncher(this))
{
    m_stack = new QStackedWidget(this);
    m_stack->setObjectName(QStringLiteral("overviewStack"));
    auto *outer = new QVBoxLayout(this);
    m_error = new QLabel(this);
    m_error->setObjectName(QStringLiteral("overviewError"));
    m_error->setWordWrap(true);
    m_error->setStyleSheet(QStringLiteral("color: #b00020"));
    m_error->hide();
    outer->addWidget(m_error);
    outer->addWidget(m_stack);

    // ---- content ----
    auto *content = new QWidget(m_stack);
    content->setObjectName(QStringLiteral("overviewContent"));
    auto *layout = new QVBoxLayout(content);
    auto *bar = new QHBoxLayout;
    m_connection = new QComboBox(content);
    m_connection->setObjectName(QStringLiteral("overviewConnection"));
    m_connection->addItem(tr("All connections"));
    m_range = new QComboBox(content);
    m_range->setObjectName(QStringLiteral("overviewRange"));
    m_range->addItems({tr("Last hour"), tr("Last 24 hours"), tr("Last 7 days")});
    m_range->setCurrentIndex(1);
    bar->addWidget(new QLabel(tr("Connection:"), content));
    bar->addWidget(m_connection);
    bar->addWidget(new QLabel(tr("Period:"), content));
    bar->addWidget(m_range);
    bar->addStretch();
    layout->addLayout(bar);
    m_demoHelp = new QTextEdit(content);
    m_demoHelp->setObjectName(QStringLiteral("overviewDemoHelp"));
    m_demoHelp->setReadOnly(true);
    m_demoHelp->setMaximumHeight(160);
    m_demoHelp->hide();
    layout->addWidget(m_demoHelp);
    m_totals = new QLabel(content);
    m_totals->setObjectName(QStringLiteral("overviewTotals"));
    layout->addWidget(m_totals);

    m_chart = new QChart;
    m_chart->legend()->setAlignment(Qt::AlignBottom);
    m_chart->setMargins(QMargins(4, 4, 4, 4));
    m_chartView = new QChartView(m_chart, content);   // takes ownership of the chart
    m_chartView->setObjectName(QStringLiteral("overviewChart"));
    m_chartView->setRenderHint(QPainter::Antialiasing);
    m_chartView->setMinimumHeight(220);

    auto *lists = new QSplitter(Qt::Horizontal, content);
    auto *pendingBox = new QWidget(lists);
    auto *pendingLayout = new QVBoxLayout(pendingBox);
    pendingLayout->setContentsMargins(0, 0, 0, 0);
    pendingLayout->addWidget(new QLabel(tr("Waiting for approval"), pendingBox));
    m_pending = new QListWidget(pendingBox);
    m_pending->setObjectName(QStringLiteral("overviewPending"));
    pendingLayout->addWidget(m_pending);
    auto *denialBox = new QWidget(lists);
    auto *denialLayout = new QVBoxLayout(denialBox);
    denialLayout->setContentsMargins(0, 0, 0, 0);
    denialLayout->addWidget(new QLabel(tr("Latest refusals"), denialBox));
    m_denials = new QTableWidget(0, 7, denialBox);
    m_denials->setObjectName(QStringLiteral("overviewDenials"));
    m_denials->setHorizontalHeaderLabels({tr("Time"), tr("Connection"), tr("Subject"), tr("Rule"), tr("Method"),
                                          tr("Path"), tr("Status")});
    m_denials->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_denials->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_denials->verticalHeader()->hide();
    m_denials->horizontalHeader()->setStretchLastSection(true);
    denialLayout->addWidget(m_denials);
    lists->addWidget(pendingBox);
    lists->addWidget(denialBox);
    lists->setStretchFactor(1, 2);

    auto *split = new QSplitter(Qt::Vertical, content);
    split->addWidget(m_chartView);
    split->addWidget(lists);
    layout->addWidget(split, 1);
    m_stack->addWidget(content);

    // ---- empty state ----
    auto *empty = new QWidget(m_stack);
    empty->setObjectName(QStringLiteral("overviewEmpty"));
    auto *emptyLayout = new QVBoxLayout(empty);
    emptyLayout->addStretch();
    auto *welcome = new QLabel(tr("This gateway has no connections yet.\n"
                                  "Add one on the Connections tab, or start the demo: a local demo API, a "
                                  "connection to it with one mask rule and one approval rule, and the commands "
                                  "to try a masked answer, a held request and its replay."),
                               empty);
    welcome->setWordWrap(true);
    welcome->setAlignment(Qt::AlignCenter);
    emptyLayout->addWidget(welcome);
    m_startDemo = new QPushButton(tr("Start the demo"), empty);
    m_startDemo->setObjectName(QStringLiteral("overviewStartDemo"));
    emptyLayout->addWidget(m_startDemo, 0, Qt::AlignCenter);
    m_demoStatus = new QLabel(empty);
    m_demoStatus->setObjectName(QStringLiteral("overviewDemoStatus"));
    m_demoStatus->setWordWrap(true);
    m_demoStatus->setAlignment(Qt::AlignCenter);
    emptyLayout->addWidget(m_demoStatus);
    emptyLayout->addStretch();
    m_stack->addWidget(empty);

    connect(m_connection, &QComboBox::currentIndexChanged, this, &OverviewPage::showSeries);
    connect(m_range, &QComboBox::currentIndexChanged, this, &OverviewPage::reload);
    connect(m_pending, &QListWidget::itemClicked, this, [this](QListWidgetItem *item) {
        Q_EMIT approvalRequested(item->data(Qt::UserRole).toString());
    });
    connect(m_pending, &QListWidget::itemActivated, this, [this](QListWidgetItem *item) {
        Q_EMIT approvalRequested(item->data(Qt::UserRole).toString());
    });
    connect(m_startDemo, &QPushButton::clicked, this, &OverviewPage::startDemo);
    connect(m_demo, &DemoLauncher::finished, this, &OverviewPage::onDemoFinished);

    m_refresh.setInterval(kRefresh);
    connect(&m_refresh, &QTimer::timeout, this, &OverviewPage::reload);
    m_debounce.setSingleShot(true);
    m_debounce.setInterval(kDebounce);
    connect(&m_debounce, &QTimer::timeout, this, &OverviewPage::reload);

    if (m_link) {
        connect(m_link, &GatewayLink::clientChanged, this, &OverviewPage::setClient);
        // The first answer after a start or an outage fills the page without waiting for the timer.
        connect(m_link, &GatewayLink::stateChanged, this, [this](GatewayLink::State state) {
            if (state == GatewayLink::State::Connected)
                reload();
        });
        setClient(m_link->client());
    }
}

OverviewPage::~OverviewPage()
{
    if (m_stream)
        m_stream->close();
}

void OverviewPage::setClient(AdminClient *client)
{
    if (client == m_client)
        return;
    if (m_stream) {
        m_stream->close();
        m_stream->deleteLater();
    }
    m_client = client;
    ++m_generation;
    if (!m_client) {
        m_refresh.stop();
        return;
    }
    m_stream = m_client->subscribeEvents(QStringLiteral("/api/v1/events"), [this](const AdminEvent &event) {
        // Not restarted by every event: under steady traffic the page still reloads once per interval.
        if ((event.type.startsWith("session.") || event.type.startsWith("approval.") || event.type == "rule.changed")
            && !m_debounce.isActive())
            m_debounce.start();
    });
    connect(m_stream, &AdminEventStream::connected, this, &OverviewPage::reload);
    m_refresh.start();
    reload();
}

void OverviewPage::reload()
{
    if (!m_client)
        return;
    const quint64 generation = ++m_generation;
    const Range &range = kRanges[qBound(0, m_range->currentIndex(), int(std::size(kRanges)) - 1)];
    QUrlQuery query;
    query.addQueryItem(QStringLiteral("since"), QLatin1String(range.since));
    query.addQueryItem(QStringLiteral("bucket"), QLatin1String(range.bucket));
    QPointer<OverviewPage> self(this);
    m_client->call("GET", QString(QStringLiteral("/api/v1/stats?") + query.toString()), {}, {},
                   [self, generation](const AdminReply &reply) {
                       if (self)
                           self->onStats(generation, reply);
                   });
}

void OverviewPage::onStats(quint64 generation, const AdminReply &reply)
{
    if (generation != m_generation || !m_client)
        return;
    if (!reply.ok()) {
        m_error->setText(tr("Cannot read the statistics: %1").arg(reply.errorText));
        m_error->show();
        Q_EMIT reloaded();
        return;
    }
    m_error->hide();
    m_stats = reply.json.object();
    const QJsonArray connections = m_stats.value(QStringLiteral("connections")).toArray();
    m_stack->setCurrentIndex(connections.isEmpty() ? EmptyPage : ContentPage);

    // Keep the selection across reloads by name.
    const QString selected = m_connection->currentIndex() > 0 ? m_connection->currentText() : QString();
    {
        const QSignalBlocker block(m_connection);
        while (m_connection->count() > 1)
            m_connection->removeItem(1);
        for (const QJsonValue &c : connections)
            m_connection->addItem(c.toObject().value(QStringLiteral("name")).toString());
        const int index = selected.isEmpty() ? 0 : m_connection->findText(selected);
        m_connection->setCurrentIndex(qMax(0, index));
    }
    showSeries();
    showDenials(m_stats.value(QStringLiteral("latest_denials")).toArray());

    QPointer<OverviewPage> self(this);
    m_client->call("GET", QStringLiteral("/api/v1/approvals?state=pending"), {}, {},
                   [self, generation](const AdminReply &r) {
                       if (self)
                           self->onPending(generation, r);
                   });
}

void OverviewPage::onPending(quint64 generation, const AdminReply &reply)
{
    if (generation != m_generation)
        return;
    m_pending->clear();
    if (!reply.ok()) {
        // An auditor sees statistics but no approvals: say so in the list rather than fail the page.
        auto *item = new QListWidgetItem(tr("Cannot list approvals: %1").arg(reply.errorText), m_pending);
        item->setFlags(Qt::NoItemFlags);
        Q_EMIT reloaded();
        return;
    }
    for (const QJsonValue &v : reply.json.array()) {
        const QJsonObject a = v.toObject();
        const QDateTime created = QDateTime::fromString(a.value(QStringLiteral("created_at")).toString(), Qt::ISODate);
        auto *item = new QListWidgetItem(tr("%1 %2 on %3 by %4 (rule %5, %6)")
                                             .arg(a.value(QStringLiteral("method")).toString(),
                                                  a.value(QStringLiteral("path")).toString(),
                                                  a.value(QStringLiteral("connection")).toString(),
                                                  a.value(QStringLiteral("subject")).toString(),
                                                  a.value(QStringLiteral("rule")).toString(),
                                                  QLocale().toString(created.toLocalTime().time(), QLocale::ShortFormat)),
                                         m_pending);
        item->setData(Qt::UserRole, a.value(QStringLiteral("id")).toString());
        item->setToolTip(tr("Open in the approvals inbox"));
    }
    if (m_pending->count() == 0) {
        auto *item = new QListWidgetItem(tr("Nothing is waiting."), m_pending);
        item->setFlags(Qt::NoItemFlags);
    }
    Q_EMIT reloaded();
}

void OverviewPage::showSeries()
{
    const QJsonArray connections = m_stats.value(QStringLiteral("connections")).toArray();
    const QString only = m_connection->currentIndex() > 0 ? m_connection->currentText() : QString();
    const QJsonArray starts = m_stats.value(QStringLiteral("buckets")).toArray();
    const QString names[] = {tr("Requests"), tr("Refusals"), tr("Held for approval"), tr("Masked values")};

    QList<QList<double>> sums(std::size(kSeriesKeys), QList<double>(starts.size(), 0.0));
    for (const QJsonValue &v : connections) {
        const QJsonObject c = v.toObject();
        if (!only.isEmpty() && c.value(QStringLiteral("name")).toString() != only)
            continue;
        for (size_t k = 0; k < std::size(kSeriesKeys); ++k) {
            const QList<double> values = seriesOf(c, kSeriesKeys[k]);
            for (qsizetype i = 0; i < qMin(values.size(), sums[k].size()); ++i)
                sums[k][i] += values.at(i);
        }
    }

    m_chart->removeAllSeries();
    // removeAxis() hands the axis back to us: without the delete every reload leaked two axes.
    for (QAbstractAxis *axis : m_chart->axes()) {
        m_chart->removeAxis(axis);
        delete axis;
    }
    auto *time = new QDateTimeAxis;
    time->setFormat(m_range->currentIndex() == 2 ? QStringLiteral("ddd HH:mm") : QStringLiteral("HH:mm"));
    auto *count = new QValueAxis;
    count->setLabelFormat(QStringLiteral("%d"));
    m_chart->addAxis(time, Qt::AlignBottom);
    m_chart->addAxis(count, Qt::AlignLeft);
    double top = 0;
    qint64 totals[std::size(kSeriesKeys)] = {};
    for (size_t k = 0; k < std::size(kSeriesKeys); ++k) {
        auto *series = new QLineSeries;
        series->setName(names[k]);
        for (qsizetype i = 0; i < starts.size(); ++i) {
            const QDateTime at = QDateTime::fromString(starts.at(i).toString(), Qt::ISODate);
            series->append(double(at.toMSecsSinceEpoch()), sums[k].at(i));
            top = qMax(top, sums[k].at(i));
            totals[k] += qint64(sums[k].at(i));
        }
        m_chart->addSeries(series);
        series->attachAxis(time);
        series->attachAxis(count);
    }
    if (!starts.isEmpty()) {
        time->setRange(QDateTime::fromString(starts.first().toString(), Qt::ISODate).toLocalTime(),
                       QDateTime::fromString(m_stats.value(QStringLiteral("until")).toString(), Qt::ISODate).toLocalTime());
    }
    count->setRange(0, qMax(4.0, top * 1.1));
    count->applyNiceNumbers();
    m_totals->setText(tr("Requests: %1   Refusals: %2   Held for approval: %3   Masked values: %4")
                          .arg(totals[0])
                          .arg(totals[1])
                          .arg(totals[2])
                          .arg(totals[3]));
}

void OverviewPage::showDenials(const QJsonArray &denials)
{
    m_denials->setRowCount(int(denials.size()));
    for (int row = 0; row < denials.size(); ++row) {
        const QJsonObject d = denials.at(row).toObject();
        const QDateTime at = QDateTime::fromString(d.value(QStringLiteral("time")).toString(), Qt::ISODateWithMs);
        const QString cells[] = {QLocale().toString(at.toLocalTime(), QLocale::ShortFormat),
                                 d.value(QStringLiteral("connection")).toString(),
                                 d.value(QStringLiteral("subject")).toString(),
                                 d.value(QStringLiteral("rule")).toString(),
                                 d.value(QStringLiteral("method")).toString(),
                                 d.value(QStringLiteral("path")).toString(),
                                 QStringLiteral("%1 %2").arg(d.value(QStringLiteral("status")).toInt()).arg(d.value(QStringLiteral("error")).toString())};
        for (int col = 0; col < int(std::size(cells)); ++col)
            m_denials->setItem(row, col, new QTableWidgetItem(cells[col]));
    }
    m_denials->resizeColumnsToContents();
}

void OverviewPage::startDemo()
{
    m_startDemo->setEnabled(false);
    m_demoStatus->setText(tr("Starting the demo…"));
    m_demo->start(m_client);
}

void OverviewPage::onDemoFinished(bool ok, const QString &message)
{
    m_startDemo->setEnabled(true);
    if (!ok) {
        m_demoStatus->setText(message);
        return;
    }
    m_demoStatus->clear();
    m_demoHelp->setPlainText(message);
    m_demoHelp->show();
    reload();
}

} // namespace gh
