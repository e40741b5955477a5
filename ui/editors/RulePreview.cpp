#include "editors/RulePreview.h"

#include "editors/EditorCall.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHelpEvent>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QSplitter>
#include <QTextBlock>
#include <QToolTip>
#include <QVBoxLayout>

namespace gh {

namespace {

QList<QTextEdit::ExtraSelection> highlights(QPlainTextEdit *edit, const QJsonArray &matches, int offset,
                                            const char *startKey, const char *endKey, const QColor &color)
{
    QList<QTextEdit::ExtraSelection> out;
    const int length = edit->document()->characterCount() - 1;
    for (const QJsonValue &v : matches) {
        const QJsonObject m = v.toObject();
        const int start = offset + m.value(QLatin1String(startKey)).toInt();
        const int end = offset + m.value(QLatin1String(endKey)).toInt();
        if (start < 0 || end > length || start >= end)
            continue;
        QTextEdit::ExtraSelection s;
        s.cursor = QTextCursor(edit->document());
        s.cursor.setPosition(start);
        s.cursor.setPosition(end, QTextCursor::KeepAnchor);
        s.format.setBackground(color);
        s.format.setToolTip(RulePreview::tr("Rule %1, detector %2")
                                .arg(m.value(QLatin1String("rule")).toString(), m.value(QLatin1String("detector")).toString()));
        out.append(s);
    }
    return out;
}

} // namespace

RulePreview::RulePreview(GatewayLink *link, QWidget *parent)
    : QWidget(parent)
    , m_link(link)
    , m_side(new QComboBox(this))
    , m_useStored(new QCheckBox(tr("With the other &stored rules"), this))
    , m_connection(new QLineEdit(this))
    , m_load(new QPushButton(tr("&Load sample…"), this))
    , m_sample(new QPlainTextEdit(this))
    , m_masked(new QPlainTextEdit(this))
    , m_decision(new QLabel(this))
    , m_status(new QLabel(this))
    , m_list(new QListWidget(this))
{
    m_side->setObjectName(QStringLiteral("sideCombo"));
    m_side->addItem(tr("Response"), QStringLiteral("response"));
    m_side->addItem(tr("Request"), QStringLiteral("request"));
    m_useStored->setObjectName(QStringLiteral("useStoredCheck"));
    m_useStored->setChecked(true);
    m_connection->setObjectName(QStringLiteral("previewConnectionEdit"));
    m_connection->setPlaceholderText(tr("any connection"));
    m_connection->setToolTip(tr("Only the rules that apply to this connection; empty: every rule"));
    m_load->setObjectName(QStringLiteral("loadSampleButton"));
    m_sample->setObjectName(QStringLiteral("sampleEdit"));
    m_sample->setPlaceholderText(tr("Paste a body, or a whole message:\nHTTP/1.1 200 OK\nContent-Type: application/json\n\n{\"email\": \"ana@example.com\"}"));
    m_sample->viewport()->installEventFilter(this);
    m_masked->setObjectName(QStringLiteral("maskedView"));
    m_masked->setReadOnly(true);
    m_masked->setPlaceholderText(tr("The masked result appears here."));
    m_decision->setObjectName(QStringLiteral("decisionLabel"));
    m_decision->setWordWrap(true);
    m_status->setObjectName(QStringLiteral("previewStatus"));
    m_status->setWordWrap(true);
    m_list->setObjectName(QStringLiteral("matchList"));
    m_list->setMaximumHeight(100);

    auto *bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Sample:"), this));
    bar->addWidget(m_side);
    bar->addWidget(m_useStored);
    bar->addWidget(new QLabel(tr("On:"), this));
    bar->addWidget(m_connection);
    bar->addStretch(1);
    bar->addWidget(m_load);
    auto *split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(m_sample);
    split->addWidget(m_masked);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(bar);
    layout->addWidget(split, 1);
    layout->addWidget(m_decision);
    layout->addWidget(m_list);
    layout->addWidget(m_status);

    m_debounce.setSingleShot(true);
    m_debounce.setInterval(250);
    connect(&m_debounce, &QTimer::timeout, this, &RulePreview::send);
    connect(m_sample, &QPlainTextEdit::textChanged, this, &RulePreview::schedule);
    connect(m_side, &QComboBox::currentIndexChanged, this, &RulePreview::schedule);
    connect(m_useStored, &QCheckBox::toggled, this, &RulePreview::schedule);
    connect(m_connection, &QLineEdit::textChanged, this, &RulePreview::schedule);
    connect(m_load, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Load a sample request or response"));
        if (!path.isEmpty() && !loadSampleFile(path))
            m_status->setText(tr("Could not read %1.").arg(path));
    });
}

void RulePreview::setDraft(const QJsonObject &rule)
{
    m_draft = rule;
    schedule();
}

void RulePreview::setSample(const QString &text)
{
    m_sample->setPlainText(text);
}

void RulePreview::setSide(const QString &side)
{
    m_side->setCurrentIndex(qMax(0, m_side->findData(side)));
}

bool RulePreview::loadSampleFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return false;
    const QByteArray bytes = f.read(1024 * 1024 + 1);
    setSample(QString::fromUtf8(bytes));
    if (bytes.startsWith("HTTP/"))
        setSide(QStringLiteral("response"));
    return true;
}

RulePreview::Sample RulePreview::parseSample(const QString &text, bool response)
{
    // A start line the side expects makes the text a whole message: start line, headers, blank
    // line, body. Anything else is a bare body.
    Sample s;
    static const QRegularExpression requestLine(QStringLiteral("^([A-Z]+) (\\S+)( HTTP/\\d(\\.\\d)?)?\\r?$"));
    static const QRegularExpression statusLine(QStringLiteral("^HTTP/\\d(\\.\\d)? \\d{3}.*$"));
    const qsizetype firstEnd = text.indexOf(QLatin1Char('\n'));
    const QString first = text.left(firstEnd < 0 ? text.size() : firstEnd);
    const auto req = requestLine.match(first);
    const bool message = response ? statusLine.match(first).hasMatch() : req.hasMatch();
    if (!message) {
        s.body = text;
        return s;
    }
    if (!response) {
        s.method = req.captured(1);
        s.path = req.captured(2);
    }
    qsizetype pos = firstEnd < 0 ? text.size() : firstEnd + 1;
    while (pos < text.size()) {
        qsizetype end = text.indexOf(QLatin1Char('\n'), pos);
        if (end < 0)
            end = text.size();
        const QString line = text.mid(pos, end - pos).trimmed();
        pos = end + 1;
        if (line.isEmpty())
            break;
        const qsizetype colon = line.indexOf(QLatin1Char(':'));
        if (colon > 0)
            s.headers.insert(line.left(colon).trimmed(), line.mid(colon + 1).trimmed());
    }
    s.bodyOffset = int(qMin(pos, text.size()));
    s.body = text.mid(s.bodyOffset);
    return s;
}

void RulePreview::schedule()
{
    m_debounce.start();
}

void RulePreview::send()
{
    const bool response = m_side->currentData() == QLatin1String("response");
    const Sample s = parseSample(m_sample->toPlainText(), response);
    QJsonObject body{{QStringLiteral("side"), m_side->currentData().toString()},
                     {QStringLiteral("use_stored_rules"), m_useStored->isChecked()},
                     {QStringLiteral("sample"), QJsonObject{{QStringLiteral("method"), s.method},
                                                            {QStringLiteral("path"), s.path},
                                                            {QStringLiteral("headers"), s.headers},
                                                            {QStringLiteral("body"), s.body}}}};
    if (!m_draft.isEmpty())
        body.insert(QStringLiteral("rule"), m_draft);
    if (!m_connection->text().trimmed().isEmpty())
        body.insert(QStringLiteral("connection"), m_connection->text().trimmed());
    const quint64 serial = ++m_serial;
    const int offset = s.bodyOffset;
    ++m_inFlight;
    editors::call(m_link, "POST", QStringLiteral("/api/v1/preview"), body, this,
                  [this, serial, offset](const AdminReply &reply) {
                      --m_inFlight;
                      if (serial != m_serial)
                          return;   // an older draft or sample: a newer answer is on its way
                      if (reply.ok()) {
                          showResult(reply.json.object(), offset);
                          Q_EMIT draftChecked(QString(), QString());
                      } else if (reply.status == 400 && reply.errorCode == QLatin1String("invalid")) {
                          const QString key = reply.json.object().value(QLatin1String("key")).toString();
                          m_status->setText(tr("The draft rule is not valid yet: %1").arg(reply.errorText));
                          Q_EMIT draftChecked(key, reply.errorText);
                      } else {
                          // Not a verdict on the draft (no gateway, a sample too large): saving
                          // stays possible, and the gateway checks the rule then.
                          m_status->setText(tr("No preview: %1").arg(editors::errorOf(reply)));
                          Q_EMIT draftChecked(QString(), QString());
                      }
                      Q_EMIT updated();
                  });
}

void RulePreview::showResult(const QJsonObject &r, int bodyOffset)
{
    m_matches = r.value(QLatin1String("matches")).toArray();
    m_bodyOffset = bodyOffset;
    m_masked->setPlainText(r.value(QLatin1String("masked_body")).toString());
    m_sample->setExtraSelections(highlights(m_sample, m_matches, bodyOffset, "start", "end", QColor(255, 214, 102)));
    m_masked->setExtraSelections(highlights(m_masked, m_matches, 0, "masked_start", "masked_end", QColor(160, 220, 160)));

    const QString body = m_sample->toPlainText();
    m_list->clear();
    for (const QJsonValue &v : std::as_const(m_matches)) {
        const QJsonObject m = v.toObject();
        const int start = bodyOffset + m.value(QLatin1String("start")).toInt();
        const int end = bodyOffset + m.value(QLatin1String("end")).toInt();
        m_list->addItem(tr("%1 · %2: \"%3\"")
                            .arg(m.value(QLatin1String("rule")).toString(), m.value(QLatin1String("detector")).toString(),
                                 body.mid(start, end - start)));
    }

    const QJsonObject d = r.value(QLatin1String("decision")).toObject();
    const QString action = d.value(QLatin1String("action")).toString();
    QString line;
    if (action == QLatin1String("deny")) {
        line = tr("Denied by rule %1.").arg(d.value(QLatin1String("rule")).toString());
    } else if (action == QLatin1String("approve")) {
        QStringList approvers;
        for (const QJsonValue &a : d.value(QLatin1String("approvers")).toArray())
            approvers << a.toString();
        line = tr("Held for approval by %1 (rule %2).")
                   .arg(approvers.join(QLatin1String(", ")), d.value(QLatin1String("rule")).toString());
    } else if (action == QLatin1String("allow")) {
        line = tr("Allowed.");
    } else {
        line = tr("Response passed on.");
    }
    if (r.contains(QLatin1String("mask_error")))
        line = tr("Refused 502 unmaskable: %1").arg(r.value(QLatin1String("mask_error")).toString());
    else if (!m_matches.isEmpty())
        line += QLatin1Char(' ') + tr("Matches masked: %1.").arg(m_matches.size());
    m_decision->setText(line);
    m_status->setText(QString());
}

bool RulePreview::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_sample->viewport() && event->type() == QEvent::ToolTip) {
        showMatchTip(static_cast<QHelpEvent *>(event)->pos());
        return true;
    }
    return QWidget::eventFilter(watched, event);
}

void RulePreview::showMatchTip(const QPoint &pos)
{
    const int at = m_sample->cursorForPosition(pos).position() - m_bodyOffset;
    for (const QJsonValue &v : std::as_const(m_matches)) {
        const QJsonObject m = v.toObject();
        if (at >= m.value(QLatin1String("start")).toInt() && at < m.value(QLatin1String("end")).toInt()) {
            QToolTip::showText(m_sample->viewport()->mapToGlobal(pos),
                               tr("Rule %1, detector %2")
                                   .arg(m.value(QLatin1String("rule")).toString(), m.value(QLatin1String("detector")).toString()),
                               m_sample->viewport());
            return;
        }
    }
    QToolTip::hideText();
}

} // namespace gh
