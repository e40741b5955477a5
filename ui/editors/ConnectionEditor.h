#pragma once

#include "editors/FormGrid.h"

#include <QDialog>
#include <QJsonObject>
#include <QPointer>

class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPushButton;

namespace gh {

class GatewayLink;

// Creates or edits one connection: every field checked as it is typed (a red hint under it, Save
// disabled while any is wrong), saved with PUT /api/v1/connections/{name}, and "Test" asks the
// gateway whether the upstream answers and the credential's references resolve.
class ConnectionEditor final : public QDialog {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConnectionEditor)

public:
    // `existing` empty: a new connection.
    ConnectionEditor(GatewayLink *link, const QJsonObject &existing, QWidget *parent = nullptr);

    // The connection object the fields describe, as PUT takes it.
    QJsonObject connectionJson() const;
    // Why the fields cannot be saved yet; empty when they can.
    QString firstProblem() const;

    // The credential value's kinds of source.
    enum class Source { Environment, File, Secret, Template };

Q_SIGNALS:
    void saved(const QString &name);

private:
    void validate();
    void updateRows();
    void save();
    void test();
    void setBusy(bool busy);
    QString credentialTemplate() const;
    void loadExisting(const QJsonObject &existing);

    QPointer<GatewayLink> m_link;
    bool m_editing = false;
    QString m_storedSecret;      // the existing ${sealed:} value, kept when the secret is left empty

    editors::FormGrid m_form;
    QLineEdit *m_name;
    QLabel *m_nameHint;
    QComboBox *m_type;
    QLineEdit *m_upstream;
    QLabel *m_upstreamHint;
    QLineEdit *m_groups;
    QLabel *m_groupsHint;
    QLineEdit *m_database;
    QLineEdit *m_caFile;
    QComboBox *m_credential;     // none / use one
    QLineEdit *m_header;
    QLineEdit *m_user;
    QLabel *m_credentialHint;
    QLineEdit *m_prefix;
    QComboBox *m_source;
    QLineEdit *m_reference;      // env name, file path or a whole template
    QLineEdit *m_secret;
    QLabel *m_error;
    QLabel *m_testResult;
    QPushButton *m_testButton;
    QPushButton *m_saveButton;
    QDialogButtonBox *m_buttons;
    bool m_busy = false;
};

} // namespace gh
