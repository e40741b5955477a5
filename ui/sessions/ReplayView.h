#pragma once

#include <QHash>
#include <QJsonObject>
#include <QPointer>
#include <QSet>
#include <QTimer>
#include <QWidget>

#include <vector>

class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;

namespace gh {

class AdminClient;
class EventDetailPane;
class GatewayLink;
class TimelineWidget;
struct AdminReply;

// One recorded session replayed: the timeline of all its events (loaded as a compact index, in
// slices, with progress and cancel), the chain verification badge, playback with the recorded
// timing, and the selected event in full, fetched by window around the cursor.
class ReplayView final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ReplayView)

public:
    ReplayView(GatewayLink *link, QWidget *parent = nullptr);

    void open(const QString &sessionId);
    QString sessionId() const { return m_id; }
    bool isLoading() const { return m_loading; }
    void cancelLoading();

    TimelineWidget *timeline() const { return m_timeline; }
    EventDetailPane *detail() const { return m_detail; }
    qint64 seqAt(qsizetype index) const { return m_seqs.at(size_t(index)); }

    void play();
    void pause();
    bool isPlaying() const { return m_playing; }
    void setSpeed(double speed);
    double speed() const { return m_speed; }
    // Playback waits at most this long between two events, however long the recorded gap was.
    static constexpr qint64 maxGapUs = 2'000'000;
    // Timeline slice and detail window sizes, in events.
    static constexpr int sliceSize = 20000;
    static constexpr int windowSize = 200;
    static constexpr int cachedWindows = 6;

Q_SIGNALS:
    void loaded(qint64 events);          // the whole timeline is in (or what was, after cancel)
    void verified(bool intact);
    void detailShown(qint64 seq);        // the detail pane shows this event in full

private:
    struct Window {
        QHash<qint64, QJsonObject> events;   // seq -> event line
        quint64 used = 0;
    };

    void setClient(AdminClient *client);
    void fetchSlice(qint64 fromSeq);
    void onSlice(quint64 generation, const AdminReply &reply);
    void onVerify(quint64 generation, const AdminReply &reply);
    void finishLoading(const QString &status);
    void onCursor(qsizetype index);
    void showCursorDetail();
    void fetchWindow(qint64 key);
    void onWindow(quint64 generation, qint64 key, const AdminReply &reply);
    QJsonObject maskingFor(const QJsonObject &event, qint64 key) const;
    void scheduleNext();
    void updatePosition();
    QString path(const QString &tail) const;

    QPointer<AdminClient> m_client;
    QString m_id;
    quint64 m_generation = 0;
    bool m_loading = false;
    qint64 m_total = 0;
    std::vector<qint64> m_seqs;
    QHash<qint64, Window> m_windows;   // by seq / windowSize
    QSet<qint64> m_pending;
    quint64 m_useClock = 0;

    bool m_playing = false;
    double m_speed = 1.0;
    QTimer m_playTimer;
    QTimer m_detailTimer;   // while playing, the detail follows at most every 50 ms

    QLabel *m_title;
    QLabel *m_badge;
    QProgressBar *m_progress;
    QPushButton *m_cancel;
    QLabel *m_status;
    TimelineWidget *m_timeline;
    QPushButton *m_prev;
    QPushButton *m_playButton;
    QPushButton *m_next;
    QComboBox *m_speedBox;
    QLabel *m_position;
    EventDetailPane *m_detail;
};

} // namespace gh
