#pragma once

#include <QJsonObject>
#include <QStringList>
#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QTableWidget;
class QTreeWidget;
class QTreeWidgetItem;

namespace gh {

// One recorded event in full: kind, time, headers in a table, the body pretty-printed and as a
// folded JSON tree, with what masking put in place of the original values highlighted.
class EventDetailPane final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EventDetailPane)

public:
    explicit EventDetailPane(QWidget *parent = nullptr);

    // `event` is one line of GET /sessions/{id}/events; `masking` the policy.masked event of the
    // same exchange when there is one (its ranges locate the replacements in a response body).
    void display(const QJsonObject &event, const QJsonObject &masking = {});
    // While the event's window is on its way.
    void showPending(qint64 seq, const QString &kind, qint64 tsUs);
    void showError(const QString &text);

    qint64 seq() const { return m_seq; }
    // The replacement texts highlighted in the body, in order of appearance.
    QStringList maskedSpans() const { return m_maskedSpans; }

private:
    void clearContent();
    void fillTree(QTreeWidgetItem *parent, const QString &key, const QJsonValue &value);
    void highlight(const QString &text, const QList<QPair<qsizetype, qsizetype>> &spans);

    QLabel *m_kind;
    QLabel *m_time;
    QLabel *m_summary;
    QTableWidget *m_headers;
    QTreeWidget *m_tree;
    QPlainTextEdit *m_body;
    qint64 m_seq = -1;
    QStringList m_maskedSpans;
    QStringList m_tokens;   // the replacements of the event being shown
};

} // namespace gh
