#pragma once

#include <QHash>
#include <QObject>
#include <QString>
#include <QUrl>

#include <functional>

namespace QKeychain {
class Job;
}

namespace gh {

// Admin tokens per gateway URL, kept in the OS keychain through QtKeychain (Secret Service,
// KWallet, macOS Keychain, Windows Credential Store) and never in a plain file. Where no keychain
// service answers, a token is kept in this process's memory only, and problem() says so.
class TokenVault final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TokenVault)

public:
    explicit TokenVault(QObject *parent = nullptr);
    ~TokenVault() override;

    // The keychain's service name; tests use their own so they never touch the user's entries.
    void setServiceName(const QString &service) { m_service = service; }
    QString serviceName() const { return m_service; }

    // The token remembered for `server` (empty when none). `done` runs once, later, on this thread.
    void read(const QUrl &server, std::function<void(const QString &token)> done);
    // Remembers `token` for `server`. `done(persisted)`: true when the keychain holds it, false when
    // it lives in memory only (problem() says why).
    void store(const QUrl &server, const QString &token, std::function<void(bool persisted)> done = {});
    void forget(const QUrl &server);

    // Whether the last keychain call found a keychain service (true until one did not).
    bool keychainAvailable() const { return m_problem.isEmpty(); }
    // What the user is told when there is no keychain: empty while there is one.
    QString problem() const { return m_problem; }

    // The account a server's token is stored under: scheme://host:port/path, no trailing slash.
    static QString keyFor(const QUrl &server);

Q_SIGNALS:
    // The keychain could not be used; tokens are kept in memory only from now on.
    void keychainUnavailable(const QString &message);

private:
    void noKeychain(const QKeychain::Job *job);

    QString m_service = QStringLiteral("gatehouse");
    QHash<QString, QString> m_memory;   // tokens the keychain could not take, for this run only
    QString m_problem;
};

} // namespace gh
