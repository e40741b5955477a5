#pragma once

#include <QJsonArray>
#include <QJsonObject>
#include <QPointer>
#include <QTimer>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QPushButton;

namespace gh {

class GatewayLink;

// The rule editor's live preview: a sample request or response (a bare body, or a whole message
// with its start line and headers), sent with the draft rule to POST /api/v1/preview ~250 ms after
// the last change; every match is highlighted in the sample (tooltip: rule and detector), the
// masked result shown beside it, and the decision under both. Replies to older drafts are dropped.
class RulePreview final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RulePreview)

public:
    explicit RulePreview(GatewayLink *link, QWidget *parent = nullptr);

    void setDraft(const QJsonObject &rule);
    void setSample(const QString &text);
    bool loadSampleFile(const QString &path);
    void setSide(const QString &side);   // "request" | "response"
    // How long after the last change the preview asks the gateway (default 250 ms).
    void setDebounce(int ms) { m_debounce.setInterval(ms); }

    // The sample split as the preview sends it.
    struct Sample {
        QString method = QStringLiteral("GET");
        QString path = QStringLiteral("/");
        QJsonObject headers;
        QString body;
        int bodyOffset = 0;   // where the body starts in the editor's text (UTF-16)
    };
    static Sample parseSample(const QString &text, bool response);

    QJsonArray matches() const { return m_matches; }
    int pendingRequests() const { return m_inFlight; }

Q_SIGNALS:
    // After each answer: empty key and message when the draft was valid.
    void draftChecked(const QString &key, const QString &message);
    void updated();

private:
    void schedule();
    void send();
    void showResult(const QJsonObject &result, int bodyOffset);
    void showMatchTip(const QPoint &pos);
    bool eventFilter(QObject *watched, QEvent *event) override;

    QPointer<GatewayLink> m_link;
    QJsonObject m_draft;
    QComboBox *m_side;
    QCheckBox *m_useStored;
    QLineEdit *m_connection;
    QPushButton *m_load;
    QPlainTextEdit *m_sample;
    QPlainTextEdit *m_masked;
    QLabel *m_decision;
    QLabel *m_status;
    QListWidget *m_list;
    QTimer m_debounce;
    quint64 m_serial = 0;
    int m_inFlight = 0;
    QJsonArray m_matches;
    int m_bodyOffset = 0;
};

} // namespace gh
