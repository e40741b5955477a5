#include "sessions/EventDetailPane.h"

#include "sessions/TimelineWidget.h"

#include <QDateTime>
#include <QFontDatabase>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QPalette>
#include <QPlainTextEdit>
#include <QRegularExpression>
#include <QSplitter>
#include <QTabWidget>
#include <QTableWidget>
#include <QTextBlock>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace gh {

namespace {

QString timeText(qint64 tsUs)
{
    return QDateTime::fromMSecsSinceEpoch(tsUs / 1000, Qt::UTC).toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz"))
        + QStringLiteral("%1").arg(tsUs % 1000, 3, 10, QLatin1Char('0'));
}

// Byte ranges of UTF-8 text as character ranges of the decoded QString.
QList<QPair<qsizetype, qsizetype>> toCharRanges(const QByteArray &utf8, const QList<QPair<qint64, qint64>> &bytes)
{
    QList<QPair<qsizetype, qsizetype>> out;
    for (const auto &[offset, length] : bytes) {
        if (offset < 0 || length <= 0 || offset + length > utf8.size())
            continue;
        const qsizetype start = QString::fromUtf8(utf8.left(offset)).size();
        const qsizetype len = QString::fromUtf8(utf8.mid(offset, length)).size();
        out.append({start, len});
    }
    return out;
}

} // namespace

EventDetailPane::EventDetailPane(QWidget *parent)
    : QWidget(parent)
{
    setObjectName(QStringLiteral("eventDetail"));
    m_kind = new QLabel(this);
    m_kind->setObjectName(QStringLiteral("detailKind"));
    QFont larger = m_kind->font();
    larger.setPointSizeF(larger.pointSizeF() * 1.15);
    m_kind->setFont(larger);
    m_time = new QLabel(this);
    m_time->setObjectName(QStringLiteral("detailTime"));
    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("detailSummary"));
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    for (QLabel *l : {m_kind, m_time})
        l->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_headers = new QTableWidget(0, 2, this);
    m_headers->setObjectName(QStringLiteral("detailHeaders"));
    m_headers->setHorizontalHeaderLabels({tr("Header"), tr("Value")});
    m_headers->horizontalHeader()->setStretchLastSection(true);
    m_headers->verticalHeader()->hide();
    m_headers->setEditTriggers(QAbstractItemView::NoEditTriggers);

    m_tree = new QTreeWidget(this);
    m_tree->setObjectName(QStringLiteral("detailTree"));
    m_tree->setHeaderLabels({tr("Key"), tr("Value")});
    m_tree->setUniformRowHeights(true);

    m_body = new QPlainTextEdit(this);
    m_body->setObjectName(QStringLiteral("detailBody"));
    m_body->setReadOnly(true);
    m_body->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));

    auto *tabs = new QTabWidget(this);
    tabs->setObjectName(QStringLiteral("detailTabs"));
    tabs->addTab(m_body, tr("Body"));
    tabs->addTab(m_tree, tr("Tree"));
    auto *split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(m_headers);
    split->addWidget(tabs);
    split->setStretchFactor(1, 2);

    auto *head = new QHBoxLayout;
    head->addWidget(m_kind);
    head->addWidget(m_time);
    head->addStretch();
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(head);
    layout->addWidget(m_summary);
    layout->addWidget(split, 1);
}

void EventDetailPane::clearContent()
{
    m_headers->setRowCount(0);
    m_tree->clear();
    m_body->clear();
    m_summary->clear();
    m_maskedSpans.clear();
}

void EventDetailPane::showPending(qint64 seq, const QString &kind, qint64 tsUs)
{
    m_seq = seq;
    clearContent();
    m_kind->setText(QStringLiteral("#%1 %2").arg(seq).arg(kind));
    m_time->setText(timeText(tsUs));
    m_summary->setText(tr("Loading…"));
}

void EventDetailPane::showError(const QString &text)
{
    clearContent();
    m_summary->setText(text);
}

void EventDetailPane::display(const QJsonObject &event, const QJsonObject &masking)
{
    clearContent();
    m_seq = qint64(event.value(QLatin1String("seq")).toDouble());
    const QString kind = event.value(QLatin1String("kind")).toString();
    m_kind->setText(QStringLiteral("#%1 %2").arg(m_seq).arg(kind));
    // The colour of its lane on the timeline (a palette, not a style sheet, which would drop the font).
    QPalette pal = m_kind->palette();
    pal.setColor(QPalette::WindowText, TimelineWidget::colorOf(TimelineWidget::categoryOf(kind)).darker(120));
    m_kind->setPalette(pal);
    m_time->setText(timeText(qint64(event.value(QLatin1String("ts_us")).toDouble())));
    const QJsonValue dataValue = event.value(QLatin1String("data"));
    const QJsonObject fields = dataValue.toObject();

    // What the event is about, in one line: method and path, status, rule, error.
    QStringList summary;
    for (const char *key : {"method", "path", "status", "rule", "error", "message", "decision", "approver", "request_id"}) {
        const QJsonValue v = fields.value(QLatin1String(key));
        if (v.isString() && !v.toString().isEmpty())
            summary << QStringLiteral("%1: %2").arg(QLatin1String(key), v.toString());
        else if (v.isDouble())
            summary << QStringLiteral("%1: %2").arg(QLatin1String(key)).arg(v.toDouble());
    }
    if (fields.value(QLatin1String("body_truncated")).toBool())
        summary << tr("body truncated at %L1 of %L2 bytes")
                       .arg(qint64(fields.value(QLatin1String("body_recorded")).toDouble()))
                       .arg(qint64(fields.value(QLatin1String("body_size")).toDouble()));
    m_summary->setText(summary.join(QStringLiteral("   ")));

    const QJsonObject headers = fields.value(QLatin1String("headers")).toObject();
    for (auto it = headers.begin(); it != headers.end(); ++it) {
        const QJsonArray values = it.value().isArray() ? it.value().toArray() : QJsonArray{it.value()};
        for (const QJsonValue &v : values) {
            const int row = m_headers->rowCount();
            m_headers->insertRow(row);
            m_headers->setItem(row, 0, new QTableWidgetItem(it.key()));
            m_headers->setItem(row, 1, new QTableWidgetItem(v.toString()));
        }
    }
    m_headers->resizeColumnToContents(0);

    // The body: text as recorded, or base64 for binary. JSON is shown pretty-printed and as a tree.
    QByteArray body;
    bool binary = false;
    if (fields.contains(QLatin1String("body")))
        body = fields.value(QLatin1String("body")).toString().toUtf8();
    else if (fields.contains(QLatin1String("body_b64"))) {
        body = QByteArray::fromBase64(fields.value(QLatin1String("body_b64")).toString().toLatin1());
        binary = true;
    }

    // The replacement texts: from the exchange's masking ranges when they fit this body, else
    // the default replacement "[MASKED]" wherever it appears.
    QList<QPair<qint64, qint64>> byteRanges;
    for (const QJsonValue &m : masking.value(QLatin1String("masks")).toArray()) {
        for (const QJsonValue &r : m.toObject().value(QLatin1String("ranges")).toArray()) {
            const QJsonArray pair = r.toArray();
            byteRanges.append({qint64(pair.at(0).toDouble()), qint64(pair.at(1).toDouble())});
        }
    }
    QStringList tokens;
    if (!binary) {
        for (const auto &[offset, length] : byteRanges) {
            if (offset >= 0 && length > 0 && offset + length <= body.size())
                tokens << QString::fromUtf8(body.mid(offset, length));
        }
    }
    tokens.removeDuplicates();
    if (tokens.isEmpty() && body.contains("[MASKED]"))
        tokens << QStringLiteral("[MASKED]");

    m_tokens = tokens;
    const QJsonDocument json = binary ? QJsonDocument() : QJsonDocument::fromJson(body);
    QString text;
    QList<QPair<qsizetype, qsizetype>> spans;
    if (!body.isEmpty() && !json.isNull()) {
        text = QString::fromUtf8(json.toJson(QJsonDocument::Indented));
        fillTree(m_tree->invisibleRootItem(), tr("body"), json.isObject() ? QJsonValue(json.object()) : QJsonValue(json.array()));
    } else if (binary) {
        text = tr("(%n byte(s) of binary data)", nullptr, int(body.size())) + QLatin1Char('\n')
            + QString::fromLatin1(body.left(4096).toHex(' '));
    } else {
        text = QString::fromUtf8(body);
        spans = toCharRanges(body, byteRanges);   // the ranges are exact in the body as recorded
    }
    // The rest of the event's data, so nothing recorded is hidden.
    QJsonObject rest = fields;
    for (const char *key : {"headers", "body", "body_b64"})
        rest.remove(QLatin1String(key));
    if (!rest.isEmpty())
        fillTree(m_tree->invisibleRootItem(), tr("event"), rest);
    if (!dataValue.isObject() && !dataValue.isUndefined())
        fillTree(m_tree->invisibleRootItem(), tr("event"), dataValue);
    m_tree->resizeColumnToContents(0);

    if (spans.isEmpty()) {
        for (const QString &t : std::as_const(tokens)) {
            for (qsizetype at = text.indexOf(t); at >= 0 && !t.isEmpty(); at = text.indexOf(t, at + t.size()))
                spans.append({at, t.size()});
        }
        std::sort(spans.begin(), spans.end());
    }
    m_body->setPlainText(text.isEmpty() ? tr("(no body)") : text);
    highlight(text, spans);
}

void EventDetailPane::fillTree(QTreeWidgetItem *parent, const QString &key, const QJsonValue &value)
{
    auto *item = new QTreeWidgetItem(parent, {key});
    if (value.isObject()) {
        const QJsonObject o = value.toObject();
        item->setText(1, tr("{%n key(s)}", nullptr, int(o.size())));
        for (auto it = o.begin(); it != o.end(); ++it)
            fillTree(item, it.key(), it.value());
    } else if (value.isArray()) {
        const QJsonArray a = value.toArray();
        item->setText(1, tr("[%n item(s)]", nullptr, int(a.size())));
        for (qsizetype i = 0; i < a.size(); ++i)
            fillTree(item, QString::number(i), a.at(i));
    } else {
        item->setText(1, value.isString() ? value.toString() : QString::fromUtf8(QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact).mid(1).chopped(1)));
        const bool masked = value.isString() && std::any_of(m_tokens.begin(), m_tokens.end(), [&](const QString &t) {
            return value.toString().contains(t);
        });
        if (masked) {
            item->setBackground(1, QColor(0xff, 0xe0, 0x80));
            item->setToolTip(1, tr("masked by the gateway"));
        }
    }
    // Folded: the top level open, everything below closed until asked for.
    item->setExpanded(parent == m_tree->invisibleRootItem());
}

void EventDetailPane::highlight(const QString &text, const QList<QPair<qsizetype, qsizetype>> &spans)
{
    QList<QTextEdit::ExtraSelection> marks;
    QTextCharFormat format;
    format.setBackground(QColor(0xff, 0xe0, 0x80));
    format.setForeground(QColor(0x60, 0x20, 0x00));
    format.setToolTip(tr("masked by the gateway"));
    for (const auto &[start, length] : spans) {
        if (start < 0 || start + length > text.size())
            continue;
        QTextCursor c(m_body->document());
        c.setPosition(int(start));
        c.setPosition(int(start + length), QTextCursor::KeepAnchor);
        marks.append({c, format});
        m_maskedSpans << text.mid(start, length);
    }
    m_body->setExtraSelections(marks);
}

} // namespace gh
