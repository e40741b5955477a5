#pragma once

#include <QDialog>
#include <QUrl>

class QCheckBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;

namespace gh {

class TokenVault;

// "Attach to gateway…": the URL of a gateway's admin API, a token, and whether to remember the
// token in the keychain. Fills in a remembered token when the URL is one it knows.
class AttachDialog final : public QDialog {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AttachDialog)

public:
    AttachDialog(TokenVault *vault, const QUrl &current, QWidget *parent = nullptr);

    QUrl server() const;
    QString token() const;
    bool remember() const;

    // An http(s) URL with a host, or an invalid QUrl.
    static QUrl parseServer(const QString &text);

    void accept() override;

private:
    void lookUpToken();

    TokenVault *m_vault;
    QLineEdit *m_url;
    QLineEdit *m_token;
    QCheckBox *m_remember;
    QLabel *m_note;
    QDialogButtonBox *m_buttons;
};

} // namespace gh
