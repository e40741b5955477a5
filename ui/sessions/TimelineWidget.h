#pragma once

#include <QColor>
#include <QList>
#include <QString>
#include <QStringList>
#include <QWidget>

#include <vector>

namespace gh {

// A session's events as marks on a time axis, one lane per kind of event (the lanes' labels are
// the legend): zoom with the wheel or +/- around the point under the mouse, drag or click to move
// the cursor to the nearest event, Left/Right to step, Space to play or pause. Paints any number
// of events in one pass over the visible ones, merged per pixel column.
class TimelineWidget final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TimelineWidget)

public:
    // What a mark's colour and lane say about an event.
    enum class Category { Request, Response, Chunk, Deny, Approval, Masking, Other };
    static constexpr int categoryCount = 7;
    static Category categoryOf(const QString &kind);
    static QColor colorOf(Category c);
    static QString nameOf(Category c);   // translated

    explicit TimelineWidget(QWidget *parent = nullptr);

    // Times in microseconds, ascending; kind[i] indexes kinds. Shows everything, cursor on the first.
    void setEvents(std::vector<qint64> tsUs, std::vector<quint16> kind, const QStringList &kinds);
    // Adds events after the ones already set (a timeline loaded in slices); keeps view and cursor.
    void appendEvents(const std::vector<qint64> &tsUs, const std::vector<quint16> &kind, const QStringList &kinds);
    void clear();
    qsizetype count() const { return qsizetype(m_ts.size()); }
    qint64 timeAt(qsizetype index) const { return m_ts.at(size_t(index)); }
    QString kindAt(qsizetype index) const;

    // -1 when there are no events.
    qsizetype cursor() const { return m_cursor; }
    void setCursor(qsizetype index);   // clamps; emits cursorMoved when it changes
    void step(int delta) { setCursor(m_cursor + delta); }

    // The visible window [viewStart, viewStart + viewSpan) in microseconds.
    double viewStart() const { return m_viewStart; }
    double viewSpan() const { return m_viewSpan; }
    void setView(double startUs, double spanUs);
    void showAll();
    // Zooms by `factor` (> 1 zooms in) keeping the time under x where it is.
    void zoomAt(double x, double factor);

    // The mapping between widget x and time, over the marks' area.
    double xToTime(double x) const;
    double timeToX(double tUs) const;
    // The index of the event nearest to tUs (the earlier one on a tie); -1 when empty.
    qsizetype nearestIndex(double tUs) const;

    QSize sizeHint() const override { return QSize(800, 140); }

    // Paints into any device (the bench paints into a QImage of the widget's size).
    void paintTo(QPainter &p, const QRect &area) const;

Q_SIGNALS:
    void cursorMoved(qsizetype index);
    void playPauseRequested();

protected:
    void paintEvent(QPaintEvent *event) override;
    void wheelEvent(QWheelEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseMoveEvent(QMouseEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    QRect marksArea() const;
    void clampView();
    void ensureCursorVisible();
    quint16 internKind(const QString &kind);

    std::vector<qint64> m_ts;
    std::vector<quint16> m_kind;        // per event, indexes m_kinds
    QStringList m_kinds;
    std::vector<quint8> m_kindCategory; // per entry of m_kinds
    double m_viewStart = 0;
    double m_viewSpan = 1;
    qsizetype m_cursor = -1;
    mutable std::vector<quint8> m_columns;   // paint scratch: category bits per pixel column
};

} // namespace gh
