#pragma once

#include "editors/FormGrid.h"

#include <QDialog>
#include <QHash>
#include <QJsonObject>
#include <QPointer>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace gh {

class GatewayLink;
class RulePreview;

// Creates or edits one deny / approve / mask rule, with the live preview beside the form: the
// draft is checked by the gateway as it is typed (an error such as a bad RE2 pattern appears under
// its field), and saved with PUT /api/v1/rules/{name}.
class RuleEditor final : public QDialog {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RuleEditor)

public:
    // `existing` empty: a new rule.
    RuleEditor(GatewayLink *link, const QJsonObject &existing, QWidget *parent = nullptr);

    QJsonObject ruleJson() const;
    RulePreview *preview() const { return m_preview; }

Q_SIGNALS:
    void saved(const QString &name);

private:
    void changed();
    void updateRows();
    void showServerError(const QString &key, const QString &message);
    void save();
    void loadExisting(const QJsonObject &o);
    QLabel *addField(const QString &label, QWidget *field, const QString &key);
    QString localProblem();

    QPointer<GatewayLink> m_link;
    bool m_editing = false;
    QJsonObject m_original;   // the rule as loaded: keys this editor has no field for are kept
    editors::FormGrid m_form;
    QLineEdit *m_name;
    QComboBox *m_kind;
    QLineEdit *m_connections;
    QLineEdit *m_groups;
    QLineEdit *m_method;
    QLineEdit *m_path;
    QLineEdit *m_headerName;
    QLineEdit *m_headerValue;
    QLineEdit *m_body;
    QLineEdit *m_approvers;
    QSpinBox *m_approvals;
    QLineEdit *m_timeout;
    QCheckBox *m_justification;
    QComboBox *m_detector;
    QLineEdit *m_pattern;
    QLineEdit *m_replace;
    QLineEdit *m_jsonFields;
    QHash<QString, QLabel *> m_hints;   // by the key the gateway names in its errors
    QString m_serverKey;                // the field showing the gateway's error
    QLabel *m_error;
    QPushButton *m_saveButton;
    QDialogButtonBox *m_buttons;
    RulePreview *m_preview;
    bool m_busy = false;
};

} // namespace gh
