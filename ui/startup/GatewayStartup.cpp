#include "GatewayStartup.h"

#include "AttachDialog.h"
#include "GatewayLink.h"
#include "LocalGateway.h"
#include "TokenVault.h"

#include <QAction>
#include <QPointer>
#include <QWidget>

namespace gh {

GatewayStartup::GatewayStartup(GatewayLink *link, QWidget *window)
    : QObject(window)
    , m_link(link)
    , m_window(window)
    , m_vault(new TokenVault(this))
    , m_attach(new QAction(tr("&Attach to Gateway…"), this))
{
    m_attach->setObjectName(QStringLiteral("attachAction"));
    m_attach->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
    m_attach->setStatusTip(tr("Connect to another gateway by URL and token"));
    connect(m_attach, &QAction::triggered, this, &GatewayStartup::openAttachDialog);
    connect(m_vault, &TokenVault::keychainUnavailable, this, &GatewayStartup::notice);
}

void GatewayStartup::start(const QUrl &server, const QString &token)
{
    if (!m_link)
        return;
    if (!server.isValid() || server.isEmpty()) {
        m_link->attachLocal(LocalGateway(), LocalGateway::findDaemon());
        return;
    }
    if (!token.isEmpty()) {
        attach(server, token, true);
        return;
    }
    // Attach at once (the status bar shows progress) and add the token when the keychain answers.
    m_link->attachRemote(server, QString());
    QPointer<GatewayStartup> self(this);
    m_vault->read(server, [self, server](const QString &remembered) {
        if (!self || !self->m_link)
            return;
        if (remembered.isEmpty()) {
            Q_EMIT self->notice(tr("No token remembered for %1: use File > Attach to Gateway… to give one.")
                                    .arg(server.toDisplayString()));
            return;
        }
        self->m_link->attachRemote(server, remembered);
    });
}

void GatewayStartup::attach(const QUrl &server, const QString &token, bool remember)
{
    if (!m_link)
        return;
    m_link->attachRemote(server, token);
    if (remember) {
        QPointer<GatewayStartup> self(this);
        m_vault->store(server, token, [self](bool persisted) {
            if (self && !persisted)
                Q_EMIT self->notice(self->m_vault->problem());
        });
    } else {
        m_vault->forget(server);
    }
}

void GatewayStartup::openAttachDialog()
{
    AttachDialog dialog(m_vault, m_link ? m_link->server() : QUrl(), m_window);
    if (dialog.exec() != QDialog::Accepted)
        return;
    attach(dialog.server(), dialog.token(), dialog.remember());
}

} // namespace gh
