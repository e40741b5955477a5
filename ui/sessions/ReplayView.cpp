#include "sessions/ReplayView.h"

#include "GatewayLink.h"
#include "admin/AdminClient.h"
#include "sessions/EventDetailPane.h"
#include "sessions/TimelineWidget.h"

#include <QComboBox>
#include <QDateTime>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QUrl>
#include <QVBoxLayout>

#include <algorithm>

namespace gh {

ReplayView::ReplayView(GatewayLink *link, QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("replayView"));
    m_title = new QLabel(tr("No session open"), this);
    m_title->setObjectName(QStringLiteral("replayTitle"));
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_badge = new QLabel(tr("not verified yet"), this);
    m_badge->setObjectName(QStringLiteral("replayBadge"));
    m_badge->setMargin(3);
    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("replayProgress"));
    m_progress->setRange(0, 1000);
    m_progress->hide();
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setObjectName(QStringLiteral("replayCancel"));
    m_cancel->hide();
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("replayStatus"));
    m_status->setWordWrap(true);
    m_timeline = new TimelineWidget(this);
    m_timeline->setObjectName(QStringLiteral("replayTimeline"));
    m_prev = new QPushButton(tr("◀ Previous"), this);
    m_prev->setObjectName(QStringLiteral("replayPrev"));
    m_playButton = new QPushButton(tr("Play"), this);
    m_playButton->setObjectName(QStringLiteral("replayPlay"));
    m_next = new QPushButton(tr("Next ▶"), this);
    m_next->setObjectName(QStringLiteral("replayNext"));
    m_speedBox = new QComboBox(this);
    m_speedBox->setObjectName(QStringLiteral("replaySpeed"));
    for (double s : {0.5, 1.0, 2.0, 4.0, 8.0, 16.0})
        m_speedBox->addItem(tr("%1×").arg(QLocale().toString(s)), s);
    m_speedBox->setCurrentIndex(1);
    m_position = new QLabel(this);
    m_position->setObjectName(QStringLiteral("replayPosition"));
    auto *gapNote = new QLabel(tr("Pauses longer than %1 s play as %1 s.").arg(maxGapUs / 1'000'000), this);
    gapNote->setObjectName(QStringLiteral("replayGapNote"));
    gapNote->setEnabled(false);
    m_detail = new EventDetailPane(this);

    auto *head = new QHBoxLayout;
    head->addWidget(m_title, 1);
    head->addWidget(m_badge);
    auto *loading = new QHBoxLayout;
    loading->addWidget(m_status, 1);
    loading->addWidget(m_progress);
    loading->addWidget(m_cancel);
    auto *controls = new QHBoxLayout;
    controls->addWidget(m_prev);
    controls->addWidget(m_playButton);
    controls->addWidget(m_next);
    controls->addWidget(new QLabel(tr("Speed"), this));
    controls->addWidget(m_speedBox);
    controls->addWidget(gapNote);
    controls->addStretch();
    controls->addWidget(m_position);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(head);
    layout->addLayout(loading);
    layout->addWidget(m_timeline);
    layout->addLayout(controls);
    layout->addWidget(m_detail, 1);

    m_playTimer.setSingleShot(true);
    connect(&m_playTimer, &QTimer::timeout, this, [this] {
        if (!m_playing)
            return;
        if (m_timeline->cursor() + 1 >= m_timeline->count())
            return pause();
        m_timeline->step(1);
        scheduleNext();
    });
    m_detailTimer.setSingleShot(true);
    m_detailTimer.setInterval(50);
    connect(&m_detailTimer, &QTimer::timeout, this, &ReplayView::showCursorDetail);

    connect(m_cancel, &QPushButton::clicked, this, &ReplayView::cancelLoading);
    connect(m_timeline, &TimelineWidget::cursorMoved, this, &ReplayView::onCursor);
    connect(m_timeline, &TimelineWidget::playPauseRequested, this, [this] { m_playing ? pause() : play(); });
    connect(m_prev, &QPushButton::clicked, this, [this] { m_timeline->step(-1); });
    connect(m_next, &QPushButton::clicked, this, [this] { m_timeline->step(1); });
    connect(m_playButton, &QPushButton::clicked, this, [this] { m_playing ? pause() : play(); });
    connect(m_speedBox, &QComboBox::currentIndexChanged, this,
            [this](int i) { setSpeed(m_speedBox->itemData(i).toDouble()); });

    if (link) {
        connect(link, &GatewayLink::clientChanged, this, &ReplayView::setClient);
        setClient(link->client());
    }
}

void ReplayView::setClient(AdminClient *client)
{
    m_client = client;
    if (!m_id.isEmpty() && m_client && m_seqs.empty())
        open(m_id);
}

QString ReplayView::path(const QString &tail) const
{
    return QStringLiteral("/api/v1/sessions/") + QString::fromLatin1(QUrl::toPercentEncoding(m_id)) + tail;
}

void ReplayView::open(const QString &sessionId)
{
    pause();
    ++m_generation;
    m_id = sessionId;
    m_seqs.clear();
    m_windows.clear();
    m_pending.clear();
    m_total = 0;
    m_timeline->clear();
    m_title->setText(tr("Session %1").arg(sessionId));
    m_badge->setText(tr("not verified yet"));
    m_badge->setStyleSheet(QStringLiteral("background: #e0e0e0; border-radius: 3px;"));
    m_detail->showError(QString());
    if (!m_client) {
        m_status->setText(tr("Not connected to a gateway."));
        return;
    }
    m_loading = true;
    m_progress->setValue(0);
    m_progress->show();
    m_cancel->show();
    m_status->setText(tr("Loading the timeline…"));
    const quint64 generation = m_generation;
    m_client->call("GET", path(QStringLiteral("/verify")), {}, {},
                   [this, generation, guard = QPointer<ReplayView>(this)](AdminReply reply) {
                       if (guard)
                           onVerify(generation, reply);
                   });
    fetchSlice(0);
}

void ReplayView::fetchSlice(qint64 fromSeq)
{
    if (!m_client)
        return finishLoading(tr("The gateway connection changed while loading."));
    const quint64 generation = m_generation;
    m_client->call("GET", path(QStringLiteral("/timeline?from_seq=%1&limit=%2").arg(fromSeq).arg(sliceSize)), {}, {},
                   [this, generation, guard = QPointer<ReplayView>(this)](AdminReply reply) {
                       if (guard)
                           onSlice(generation, reply);
                   });
}

void ReplayView::onSlice(quint64 generation, const AdminReply &reply)
{
    if (generation != m_generation || !m_loading)
        return;
    if (!reply.ok())
        return finishLoading(tr("Loading the timeline failed: %1").arg(reply.errorText));
    const QJsonObject o = reply.json.object();
    const QJsonArray seq = o.value(QLatin1String("seq")).toArray();
    const QJsonArray ts = o.value(QLatin1String("ts_us")).toArray();
    const QJsonArray kind = o.value(QLatin1String("kind")).toArray();
    QStringList kinds;
    for (const QJsonValue &k : o.value(QLatin1String("kinds")).toArray())
        kinds << k.toString();
    m_total = qint64(o.value(QLatin1String("total")).toDouble());
    const qsizetype n = std::min({seq.size(), ts.size(), kind.size()});
    std::vector<qint64> tsUs;
    std::vector<quint16> kindIdx;
    tsUs.reserve(size_t(n));
    kindIdx.reserve(size_t(n));
    for (qsizetype i = 0; i < n; ++i) {
        m_seqs.push_back(qint64(seq.at(i).toDouble()));
        tsUs.push_back(qint64(ts.at(i).toDouble()));
        kindIdx.push_back(quint16(kind.at(i).toInt()));
    }
    m_timeline->appendEvents(tsUs, kindIdx, kinds);
    const qint64 loaded = qint64(m_seqs.size());
    m_progress->setValue(m_total > 0 ? int(std::min<qint64>(1000, loaded * 1000 / m_total)) : 1000);
    m_status->setText(tr("Loading the timeline: %L1 of %L2 events…").arg(loaded).arg(m_total));
    updatePosition();
    if (n < sliceSize || n == 0)
        return finishLoading(QString());
    fetchSlice(m_seqs.back() + 1);
}

void ReplayView::cancelLoading()
{
    if (!m_loading)
        return;
    finishLoading(tr("Loading cancelled: showing the first %L1 of %L2 events.")
                      .arg(qint64(m_seqs.size()))
                      .arg(m_total));
}

void ReplayView::finishLoading(const QString &status)
{
    m_loading = false;
    m_progress->hide();
    m_cancel->hide();
    m_status->setText(status.isEmpty() ? tr("%Ln event(s).", nullptr, int(m_seqs.size())) : status);
    updatePosition();
    Q_EMIT loaded(qint64(m_seqs.size()));
}

void ReplayView::onVerify(quint64 generation, const AdminReply &reply)
{
    if (generation != m_generation)
        return;
    if (!reply.ok()) {
        m_badge->setText(tr("not verified: %1").arg(reply.errorText));
        return;
    }
    const QJsonObject o = reply.json.object();
    const bool intact = o.value(QLatin1String("intact")).toBool();
    if (intact) {
        const QString reason = o.value(QLatin1String("reason")).toString();
        m_badge->setText(reason.isEmpty() ? tr("chain verified") : tr("chain verified (%1)").arg(reason));
        m_badge->setStyleSheet(QStringLiteral("background: #c8e6c9; color: #1b5e20; border-radius: 3px;"));
    } else {
        m_badge->setText(tr("chain BROKEN at seq %1").arg(qint64(o.value(QLatin1String("first_bad_seq")).toDouble())));
        m_badge->setStyleSheet(QStringLiteral("background: #ffcdd2; color: #b71c1c; font-weight: bold; border-radius: 3px;"));
    }
    m_badge->setToolTip(o.value(QLatin1String("reason")).toString());
    Q_EMIT verified(intact);
}

void ReplayView::onCursor(qsizetype)
{
    updatePosition();
    if (m_playing)
        m_detailTimer.start();   // at most every 50 ms, so fast playback does not queue work
    else
        showCursorDetail();
}

void ReplayView::showCursorDetail()
{
    const qsizetype i = m_timeline->cursor();
    if (i < 0 || size_t(i) >= m_seqs.size())
        return;
    const qint64 seq = m_seqs[size_t(i)];
    const qint64 key = seq / windowSize;
    auto it = m_windows.find(key);
    if (it != m_windows.end() && it->events.contains(seq)) {
        it->used = ++m_useClock;
        const QJsonObject event = it->events.value(seq);
        m_detail->display(event, maskingFor(event, key));
        Q_EMIT detailShown(seq);
        // The next window ahead, so stepping and playback rarely wait.
        if ((seq % windowSize) > windowSize * 3 / 4 && !m_windows.contains(key + 1))
            fetchWindow(key + 1);
        return;
    }
    m_detail->showPending(seq, m_timeline->kindAt(i), m_timeline->timeAt(i));
    fetchWindow(key);
}

void ReplayView::fetchWindow(qint64 key)
{
    if (!m_client || m_pending.contains(key) || m_windows.contains(key))
        return;
    m_pending.insert(key);
    const quint64 generation = m_generation;
    m_client->call("GET", path(QStringLiteral("/events?from_seq=%1&limit=%2").arg(key * windowSize).arg(windowSize)), {}, {},
                   [this, generation, key, guard = QPointer<ReplayView>(this)](AdminReply reply) {
                       if (guard)
                           onWindow(generation, key, reply);
                   });
}

void ReplayView::onWindow(quint64 generation, qint64 key, const AdminReply &reply)
{
    if (generation != m_generation)
        return;
    m_pending.remove(key);
    if (!reply.ok()) {
        m_detail->showError(tr("Loading the event failed: %1").arg(reply.errorText));
        return;
    }
    Window w;
    for (const QByteArray &line : reply.body.split('\n')) {
        if (line.trimmed().isEmpty())
            continue;
        const QJsonObject e = QJsonDocument::fromJson(line).object();
        w.events.insert(qint64(e.value(QLatin1String("seq")).toDouble()), e);
    }
    w.used = ++m_useClock;
    m_windows.insert(key, w);
    // A few windows around where the user has been; the least recently used goes.
    while (m_windows.size() > cachedWindows) {
        auto oldest = m_windows.begin();
        for (auto it = m_windows.begin(); it != m_windows.end(); ++it) {
            if (it->used < oldest->used)
                oldest = it;
        }
        m_windows.erase(oldest);
    }
    const qsizetype i = m_timeline->cursor();
    if (i >= 0 && size_t(i) < m_seqs.size() && m_seqs[size_t(i)] / windowSize == key)
        showCursorDetail();
}

QJsonObject ReplayView::maskingFor(const QJsonObject &event, qint64 key) const
{
    const QString kind = event.value(QLatin1String("kind")).toString();
    if (!kind.startsWith(QLatin1String("http.response")) && kind != QLatin1String("http.chunk"))
        return {};
    const QString requestId = event.value(QLatin1String("data")).toObject().value(QLatin1String("request_id")).toString();
    const qint64 seq = qint64(event.value(QLatin1String("seq")).toDouble());
    // The exchange's policy.masked event follows its response closely: look in this window and the next.
    for (qint64 k : {key, key + 1}) {
        const auto it = m_windows.constFind(k);
        if (it == m_windows.constEnd())
            continue;
        for (qint64 s = std::max(seq, k * windowSize); s < (k + 1) * windowSize; ++s) {
            const QJsonObject e = it->events.value(s);
            if (e.value(QLatin1String("kind")).toString() == QLatin1String("policy.masked")
                && e.value(QLatin1String("data")).toObject().value(QLatin1String("request_id")).toString() == requestId)
                return e.value(QLatin1String("data")).toObject();
        }
    }
    return {};
}

void ReplayView::play()
{
    if (m_timeline->count() == 0)
        return;
    if (m_timeline->cursor() + 1 >= m_timeline->count())
        m_timeline->setCursor(0);
    m_playing = true;
    m_playButton->setText(tr("Pause"));
    scheduleNext();
}

void ReplayView::pause()
{
    m_playing = false;
    m_playTimer.stop();
    m_playButton->setText(tr("Play"));
    if (m_detailTimer.isActive()) {
        m_detailTimer.stop();
        showCursorDetail();
    }
}

void ReplayView::setSpeed(double speed)
{
    m_speed = std::clamp(speed, 0.5, 16.0);
    const int at = m_speedBox->findData(m_speed);
    if (at >= 0 && at != m_speedBox->currentIndex())
        m_speedBox->setCurrentIndex(at);
}

void ReplayView::scheduleNext()
{
    const qsizetype i = m_timeline->cursor();
    if (i + 1 >= m_timeline->count())
        return pause();
    // The recorded gap, with idle stretches cut to maxGapUs so playback never sits still for minutes.
    const qint64 gap = std::min(m_timeline->timeAt(i + 1) - m_timeline->timeAt(i), maxGapUs);
    m_playTimer.start(int(double(gap) / 1000.0 / m_speed));
}

void ReplayView::updatePosition()
{
    const qsizetype i = m_timeline->cursor();
    if (i < 0) {
        m_position->clear();
        return;
    }
    const qint64 offsetUs = m_timeline->timeAt(i) - m_timeline->timeAt(0);
    m_position->setText(tr("event %L1 of %L2, +%3 s")
                            .arg(i + 1)
                            .arg(m_timeline->count())
                            .arg(QLocale().toString(double(offsetUs) / 1e6, 'f', 3)));
}

} // namespace gh
