#include "sessions/TimelineWidget.h"

#include <QDateTime>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace gh {

namespace {

constexpr int labelWidth = 96;    // the lane labels on the left are the legend
constexpr int axisHeight = 16;    // times of the view's ends along the bottom
constexpr double minSpanUs = 1000;   // zoomed in to 1 ms across at most

} // namespace

TimelineWidget::Category TimelineWidget::categoryOf(const QString &kind)
{
    if (kind.startsWith(QLatin1String("http.request")))
        return Category::Request;
    if (kind == QLatin1String("http.chunk"))
        return Category::Chunk;
    if (kind.startsWith(QLatin1String("http.response")))
        return Category::Response;
    if (kind == QLatin1String("policy.refused") || kind.contains(QLatin1String("deny")))
        return Category::Deny;
    if (kind.startsWith(QLatin1String("approval.")))
        return Category::Approval;
    if (kind == QLatin1String("policy.masked"))
        return Category::Masking;
    return Category::Other;
}

QColor TimelineWidget::colorOf(Category c)
{
    switch (c) {
    case Category::Request: return QColor(0x1f, 0x77, 0xb4);
    case Category::Response: return QColor(0x2c, 0xa0, 0x2c);
    case Category::Chunk: return QColor(0x8c, 0xc0, 0x8c);
    case Category::Deny: return QColor(0xd6, 0x27, 0x28);
    case Category::Approval: return QColor(0xff, 0x7f, 0x0e);
    case Category::Masking: return QColor(0x94, 0x67, 0xbd);
    case Category::Other: break;
    }
    return QColor(0x7f, 0x7f, 0x7f);
}

QString TimelineWidget::nameOf(Category c)
{
    switch (c) {
    case Category::Request: return tr("request");
    case Category::Response: return tr("response");
    case Category::Chunk: return tr("stream chunk");
    case Category::Deny: return tr("deny");
    case Category::Approval: return tr("approval");
    case Category::Masking: return tr("masking");
    case Category::Other: break;
    }
    return tr("other");
}

TimelineWidget::TimelineWidget(QWidget *parent)
    : QWidget(parent)
{
    setFocusPolicy(Qt::StrongFocus);
    setMinimumHeight(categoryCount * 12 + axisHeight + 4);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    setAttribute(Qt::WA_OpaquePaintEvent);
    setToolTip(tr("Drag or click to move the cursor, wheel or +/- to zoom, Shift+wheel to pan, "
                  "Left/Right to step, Space to play or pause"));
}

quint16 TimelineWidget::internKind(const QString &kind)
{
    const qsizetype at = m_kinds.indexOf(kind);
    if (at >= 0)
        return quint16(at);
    m_kinds.append(kind);
    m_kindCategory.push_back(quint8(categoryOf(kind)));
    return quint16(m_kinds.size() - 1);
}

void TimelineWidget::setEvents(std::vector<qint64> tsUs, std::vector<quint16> kind, const QStringList &kinds)
{
    m_ts.clear();
    m_kind.clear();
    m_kinds.clear();
    m_kindCategory.clear();
    m_cursor = -1;
    appendEvents(tsUs, kind, kinds);
    showAll();
    setCursor(0);
}

void TimelineWidget::appendEvents(const std::vector<qint64> &tsUs, const std::vector<quint16> &kind,
                                  const QStringList &kinds)
{
    std::vector<quint16> map;
    map.reserve(size_t(kinds.size()));
    for (const QString &k : kinds)
        map.push_back(internKind(k));
    const bool wasAll = m_ts.empty()
        || (m_viewStart <= double(m_ts.front()) && m_viewStart + m_viewSpan >= double(m_ts.back()));
    const size_t n = std::min(tsUs.size(), kind.size());
    m_ts.reserve(m_ts.size() + n);
    m_kind.reserve(m_kind.size() + n);
    for (size_t i = 0; i < n; ++i) {
        // Kept sorted for the binary searches: a clock step backwards shows as simultaneous events.
        m_ts.push_back(m_ts.empty() ? tsUs[i] : std::max(tsUs[i], m_ts.back()));
        m_kind.push_back(kind[i] < map.size() ? map[kind[i]] : internKind(QStringLiteral("?")));
    }
    if (wasAll)
        showAll();
    if (m_cursor < 0 && !m_ts.empty())
        setCursor(0);
    update();
}

void TimelineWidget::clear()
{
    setEvents({}, {}, {});
}

QString TimelineWidget::kindAt(qsizetype index) const
{
    return m_kinds.value(m_kind.at(size_t(index)));
}

void TimelineWidget::setCursor(qsizetype index)
{
    if (m_ts.empty())
        return;
    index = std::clamp<qsizetype>(index, 0, qsizetype(m_ts.size()) - 1);
    if (index == m_cursor)
        return;
    m_cursor = index;
    ensureCursorVisible();
    update();
    Q_EMIT cursorMoved(index);
}

void TimelineWidget::ensureCursorVisible()
{
    const double t = double(m_ts[size_t(m_cursor)]);
    if (t < m_viewStart || t > m_viewStart + m_viewSpan)
        setView(t - m_viewSpan / 2, m_viewSpan);
}

void TimelineWidget::setView(double startUs, double spanUs)
{
    m_viewStart = startUs;
    m_viewSpan = std::max(spanUs, minSpanUs);
    clampView();
    update();
}

void TimelineWidget::showAll()
{
    if (m_ts.empty()) {
        m_viewStart = 0;
        m_viewSpan = minSpanUs;
    } else {
        const double span = std::max(double(m_ts.back() - m_ts.front()), minSpanUs);
        // A little room either side so the first and last marks are not on the edge.
        m_viewStart = double(m_ts.front()) - span * 0.01;
        m_viewSpan = span * 1.02;
    }
    update();
}

void TimelineWidget::clampView()
{
    if (m_ts.empty())
        return;
    const double lo = double(m_ts.front());
    const double hi = double(m_ts.back());
    const double total = std::max(hi - lo, minSpanUs) * 1.02;
    m_viewSpan = std::min(m_viewSpan, total);
    const double margin = total * 0.01;
    m_viewStart = std::clamp(m_viewStart, lo - margin, std::max(lo - margin, hi + margin - m_viewSpan));
}

void TimelineWidget::zoomAt(double x, double factor)
{
    if (factor <= 0)
        return;
    const double anchor = xToTime(x);
    const double newSpan = std::max(m_viewSpan / factor, minSpanUs);
    const QRect a = marksArea();
    const double frac = a.width() > 0 ? (x - a.left()) / double(a.width()) : 0.5;
    m_viewSpan = newSpan;
    m_viewStart = anchor - frac * newSpan;
    clampView();
    update();
}

QRect TimelineWidget::marksArea() const
{
    return QRect(labelWidth, 2, std::max(1, width() - labelWidth - 4), std::max(1, height() - axisHeight - 4));
}

double TimelineWidget::xToTime(double x) const
{
    const QRect a = marksArea();
    return m_viewStart + (x - a.left()) * m_viewSpan / double(a.width());
}

double TimelineWidget::timeToX(double tUs) const
{
    const QRect a = marksArea();
    return a.left() + (tUs - m_viewStart) * double(a.width()) / m_viewSpan;
}

qsizetype TimelineWidget::nearestIndex(double tUs) const
{
    if (m_ts.empty())
        return -1;
    const auto it = std::lower_bound(m_ts.begin(), m_ts.end(), tUs, [](qint64 v, double t) { return double(v) < t; });
    if (it == m_ts.end())
        return qsizetype(m_ts.size()) - 1;
    qsizetype i = qsizetype(it - m_ts.begin());
    // On equal times the first of them, so stepping from it reaches the others.
    if (i > 0 && tUs - double(m_ts[size_t(i - 1)]) <= double(m_ts[size_t(i)]) - tUs) {
        const qint64 earlier = m_ts[size_t(i - 1)];
        i = qsizetype(std::lower_bound(m_ts.begin(), m_ts.end(), earlier) - m_ts.begin());
    }
    return i;
}

void TimelineWidget::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    paintTo(p, rect());
}

void TimelineWidget::paintTo(QPainter &p, const QRect &area) const
{
    p.fillRect(area, palette().base());
    const QRect a = marksArea();
    const int laneH = std::max(1, a.height() / categoryCount);

    // Lane labels with their colour: the legend.
    QFont small = font();
    small.setPointSizeF(std::max(6.0, small.pointSizeF() * 0.8));
    p.setFont(small);
    for (int c = 0; c < categoryCount; ++c) {
        const QRect lane(0, a.top() + c * laneH, labelWidth - 4, laneH);
        p.fillRect(QRect(2, lane.top() + 2, 8, std::max(2, laneH - 4)), colorOf(Category(c)));
        p.setPen(palette().color(QPalette::Text));
        p.drawText(lane.adjusted(14, 0, 0, 0), Qt::AlignVCenter | Qt::AlignLeft, nameOf(Category(c)));
        if (c % 2)
            p.fillRect(QRect(a.left(), lane.top(), a.width(), laneH), palette().alternateBase());
    }

    if (!m_ts.empty()) {
        // The visible events only (binary search), folded into category bits per pixel column, so
        // the cost is one pass over them plus one rectangle per run of columns per lane.
        const auto first = std::lower_bound(m_ts.begin(), m_ts.end(), qint64(std::floor(m_viewStart)));
        const auto last = std::upper_bound(first, m_ts.end(), qint64(std::ceil(m_viewStart + m_viewSpan)));
        const int cols = a.width();
        m_columns.assign(size_t(cols), 0);
        const double scale = double(cols) / m_viewSpan;
        const quint16 *kinds = m_kind.data();
        const quint8 *cats = m_kindCategory.data();
        for (auto it = first; it != last; ++it) {
            const int col = int((double(*it) - m_viewStart) * scale);
            if (col >= 0 && col < cols)
                m_columns[size_t(col)] |= quint8(1u << cats[kinds[it - m_ts.begin()]]);
        }
        for (int c = 0; c < categoryCount; ++c) {
            const quint8 bit = quint8(1u << c);
            const QColor color = colorOf(Category(c));
            const int top = a.top() + c * laneH + 1;
            const int h = std::max(1, laneH - 2);
            for (int x = 0; x < cols;) {
                if (!(m_columns[size_t(x)] & bit)) {
                    ++x;
                    continue;
                }
                int end = x + 1;
                while (end < cols && (m_columns[size_t(end)] & bit))
                    ++end;
                // A lone mark gets 2 px so it stays visible.
                p.fillRect(QRect(a.left() + x, top, std::max(2, end - x), h), color);
                x = end;
            }
        }
        // The cursor: a thin line, a notch on top, and its event's mark drawn again over the line
        // with an outline so the selected event stays visible in its lane.
        if (m_cursor >= 0) {
            const double cx = timeToX(double(m_ts[size_t(m_cursor)]));
            if (cx >= a.left() && cx <= a.right()) {
                const QColor hl = palette().color(QPalette::Highlight);
                p.setPen(QPen(hl, 1));
                p.drawLine(QPointF(cx, a.top()), QPointF(cx, a.bottom()));
                const QPointF notch[3] = {{cx - 5, double(a.top())}, {cx + 5, double(a.top())}, {cx, a.top() + 6.0}};
                p.setBrush(hl);
                p.drawPolygon(notch, 3);
                const int c = cats[kinds[m_cursor]];
                const QRectF mark(cx - 2, a.top() + c * laneH + 1, 4, std::max(1, laneH - 2));
                p.setPen(QPen(palette().color(QPalette::Text), 1));
                p.setBrush(colorOf(Category(c)));
                p.drawRect(mark);
                p.setBrush(Qt::NoBrush);
            }
        }
    }

    // The times at the view's ends.
    p.setPen(palette().color(QPalette::Text));
    const QRect axis(a.left(), a.bottom() + 2, a.width(), axisHeight);
    auto stamp = [](double us) {
        return QDateTime::fromMSecsSinceEpoch(qint64(us / 1000), Qt::UTC).toString(QStringLiteral("HH:mm:ss.zzz"));
    };
    if (!m_ts.empty()) {
        p.drawText(axis, Qt::AlignLeft | Qt::AlignVCenter, stamp(m_viewStart));
        p.drawText(axis, Qt::AlignRight | Qt::AlignVCenter, stamp(m_viewStart + m_viewSpan));
    }
    if (hasFocus()) {
        p.setPen(QPen(palette().color(QPalette::Highlight), 1, Qt::DotLine));
        p.drawRect(area.adjusted(0, 0, -1, -1));
    }
}

void TimelineWidget::wheelEvent(QWheelEvent *event)
{
    const double steps = event->angleDelta().y() / 120.0;
    if (steps == 0 || m_ts.empty())
        return;
    if (event->modifiers() & Qt::ShiftModifier)
        setView(m_viewStart - steps * m_viewSpan * 0.1, m_viewSpan);
    else
        zoomAt(event->position().x(), std::pow(1.25, steps));
    event->accept();
}

void TimelineWidget::mousePressEvent(QMouseEvent *event)
{
    if (event->button() == Qt::LeftButton && !m_ts.empty())
        setCursor(nearestIndex(xToTime(event->position().x())));
}

void TimelineWidget::mouseMoveEvent(QMouseEvent *event)
{
    if (!(event->buttons() & Qt::LeftButton) || m_ts.empty())
        return;
    // Scrubbing: the cursor follows the mouse; the view does not jump under it.
    const QRect a = marksArea();
    const double x = std::clamp(event->position().x(), double(a.left()), double(a.right()));
    const qsizetype i = nearestIndex(xToTime(x));
    if (i == m_cursor)
        return;
    m_cursor = i;
    update();
    Q_EMIT cursorMoved(i);
}

void TimelineWidget::keyPressEvent(QKeyEvent *event)
{
    switch (event->key()) {
    case Qt::Key_Left: step(-1); return;
    case Qt::Key_Right: step(1); return;
    case Qt::Key_Space: Q_EMIT playPauseRequested(); return;
    case Qt::Key_Plus:
    case Qt::Key_Equal:
        zoomAt(m_cursor >= 0 ? timeToX(double(m_ts[size_t(m_cursor)])) : width() / 2.0, 2.0);
        return;
    case Qt::Key_Minus:
        zoomAt(m_cursor >= 0 ? timeToX(double(m_ts[size_t(m_cursor)])) : width() / 2.0, 0.5);
        return;
    case Qt::Key_0: showAll(); return;
    default: QWidget::keyPressEvent(event);
    }
}

void TimelineWidget::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    update();
}

} // namespace gh
