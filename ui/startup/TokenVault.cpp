#include "TokenVault.h"

#include <qt6keychain/keychain.h>

#include <QPointer>

namespace gh {

TokenVault::TokenVault(QObject *parent)
    : QObject(parent)
{
}

TokenVault::~TokenVault() = default;

QString TokenVault::keyFor(const QUrl &server)
{
    QUrl url = server.adjusted(QUrl::RemoveQuery | QUrl::RemoveFragment | QUrl::RemoveUserInfo | QUrl::StripTrailingSlash);
    if (url.port() < 0)
        url.setPort(url.scheme() == QLatin1String("https") ? 443 : 80);
    url.setHost(url.host().toLower());
    if (url.path() == QLatin1String("/"))
        url.setPath(QString());
    return url.toString(QUrl::FullyEncoded);
}

void TokenVault::noKeychain(const QKeychain::Job *job)
{
    const QString before = m_problem;
    // QtKeychain's own text is often just "Unknown error": name it only when it says more.
    const QString detail = job->errorString();
    m_problem = detail.isEmpty() || detail == QLatin1String("Unknown error")
        ? tr("No keychain service is available: the token is kept in memory only and is gone when the app quits.")
        : tr("No keychain service is available (%1): the token is kept in memory only and is gone when the "
             "app quits.").arg(detail);
    if (before.isEmpty())
        Q_EMIT keychainUnavailable(m_problem);
}

void TokenVault::read(const QUrl &server, std::function<void(const QString &)> done)
{
    const QString key = keyFor(server);
    if (m_memory.contains(key)) {
        const QString token = m_memory.value(key);
        QMetaObject::invokeMethod(this, [done, token] { done(token); }, Qt::QueuedConnection);
        return;
    }
    auto *job = new QKeychain::ReadPasswordJob(m_service, this);
    job->setAutoDelete(true);
    job->setInsecureFallback(false);   // never a plain file
    job->setKey(key);
    QPointer<TokenVault> self(this);
    connect(job, &QKeychain::Job::finished, this, [self, done](QKeychain::Job *j) {
        if (!self)
            return;
        const auto *reader = static_cast<QKeychain::ReadPasswordJob *>(j);
        switch (j->error()) {
        case QKeychain::NoError:
            self->m_problem.clear();
            done(reader->textData());
            return;
        case QKeychain::EntryNotFound:
            self->m_problem.clear();
            done(QString());
            return;
        default:
            self->noKeychain(j);
            done(QString());
        }
    });
    job->start();
}

void TokenVault::store(const QUrl &server, const QString &token, std::function<void(bool)> done)
{
    const QString key = keyFor(server);
    auto *job = new QKeychain::WritePasswordJob(m_service, this);
    job->setAutoDelete(true);
    job->setInsecureFallback(false);
    job->setKey(key);
    job->setTextData(token);
    QPointer<TokenVault> self(this);
    connect(job, &QKeychain::Job::finished, this, [self, key, token, done](QKeychain::Job *j) {
        if (!self)
            return;
        const bool persisted = j->error() == QKeychain::NoError;
        if (persisted) {
            self->m_problem.clear();
            self->m_memory.remove(key);
        } else {
            self->m_memory.insert(key, token);
            self->noKeychain(j);
        }
        if (done)
            done(persisted);
    });
    job->start();
}

void TokenVault::forget(const QUrl &server)
{
    const QString key = keyFor(server);
    m_memory.remove(key);
    auto *job = new QKeychain::DeletePasswordJob(m_service, this);
    job->setAutoDelete(true);
    job->setInsecureFallback(false);
    job->setKey(key);
    job->start();
}

} // namespace gh
