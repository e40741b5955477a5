#include "AttachDialog.h"

#include "TokenVault.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPointer>
#include <QPushButton>

namespace gh {

AttachDialog::AttachDialog(TokenVault *vault, const QUrl &current, QWidget *parent)
    : QDialog(parent)
    , m_vault(vault)
{
    setWindowTitle(tr("Attach to gateway"));
    setObjectName(QStringLiteral("attachDialog"));
    auto *form = new QFormLayout(this);
    m_url = new QLineEdit(current.toString(), this);
    m_url->setObjectName(QStringLiteral("attachUrl"));
    m_url->setPlaceholderText(QStringLiteral("https://gateway.example.com:8700"));
    m_token = new QLineEdit(this);
    m_token->setObjectName(QStringLiteral("attachToken"));
    m_token->setEchoMode(QLineEdit::Password);
    m_token->setPlaceholderText(tr("the admin token or a JWT"));
    m_remember = new QCheckBox(tr("Remember the token in the keychain"), this);
    m_remember->setObjectName(QStringLiteral("attachRemember"));
    m_remember->setChecked(true);
    m_note = new QLabel(this);
    m_note->setObjectName(QStringLiteral("attachNote"));
    m_note->setWordWrap(true);
    m_buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("Attach"));
    form->addRow(tr("Admin API URL:"), m_url);
    form->addRow(tr("Token:"), m_token);
    form->addRow(QString(), m_remember);
    form->addRow(m_note);
    form->addRow(m_buttons);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &AttachDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_url, &QLineEdit::editingFinished, this, &AttachDialog::lookUpToken);
    if (m_vault && !m_vault->keychainAvailable())
        m_note->setText(m_vault->problem());
    lookUpToken();
}

QUrl AttachDialog::parseServer(const QString &text)
{
    const QUrl url(text.trimmed(), QUrl::StrictMode);
    const QString scheme = url.scheme();
    if (!url.isValid() || url.host().isEmpty() || (scheme != QLatin1String("http") && scheme != QLatin1String("https")))
        return {};
    return url;
}

QUrl AttachDialog::server() const
{
    return parseServer(m_url->text());
}

QString AttachDialog::token() const
{
    return m_token->text().trimmed();
}

bool AttachDialog::remember() const
{
    return m_remember->isChecked();
}

void AttachDialog::lookUpToken()
{
    const QUrl url = server();
    if (!m_vault || !url.isValid() || !m_token->text().isEmpty())
        return;
    QPointer<AttachDialog> self(this);
    m_vault->read(url, [self, url](const QString &token) {
        if (!self || token.isEmpty() || !self->m_token->text().isEmpty() || self->server() != url)
            return;
        self->m_token->setText(token);
        self->m_note->setText(tr("Using the token remembered for this gateway."));
    });
    if (!m_vault->keychainAvailable())
        m_note->setText(m_vault->problem());
}

void AttachDialog::accept()
{
    if (!server().isValid()) {
        m_note->setText(tr("Enter the gateway's admin API as an http:// or https:// URL, e.g. https://gateway.example.com:8700."));
        m_url->setFocus();
        return;
    }
    if (token().isEmpty()) {
        m_note->setText(tr("Enter a token: the gateway's admin token or a JWT with an admin, auditor or approver group."));
        m_token->setFocus();
        return;
    }
    QDialog::accept();
}

} // namespace gh
