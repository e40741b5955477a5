#pragma once

#include <QObject>
#include <QPointer>
#include <QUrl>

class QAction;
class QWidget;

namespace gh {

class GatewayLink;
class TokenVault;

// How the app reaches its gateway: this machine's (started when none answers, see GatewayLink),
// or a remote one by URL and token (contract §2a: gatehouse [--server URL] [--token TOKEN]),
// with tokens kept per URL in the keychain. Also owns the "Attach to gateway…" action.
class GatewayStartup final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GatewayStartup)

public:
    // `window` parents the dialog; both must outlive this object (make it the window's child).
    GatewayStartup(GatewayLink *link, QWidget *window);

    TokenVault *vault() const { return m_vault; }
    // "Attach to gateway…" for the File menu.
    QAction *attachAction() const { return m_attach; }

    // The command line's choice: empty server = this machine's gateway. A server without a token
    // uses the one the keychain holds for it; a token given is remembered for that server.
    void start(const QUrl &server, const QString &token);
    void attach(const QUrl &server, const QString &token, bool remember);
    void openAttachDialog();

Q_SIGNALS:
    // Something the user should read (no keychain, no remembered token); for the status bar.
    void notice(const QString &text);

private:
    QPointer<GatewayLink> m_link;
    QPointer<QWidget> m_window;
    TokenVault *m_vault;
    QAction *m_attach;
};

} // namespace gh
