#pragma once

#include "core/Clock.h"
#include "core/NodeConfig.h"
#include "core/Result.h"
#include "identity/JwkSet.h"
#include "identity/JwtVerifier.h"

#include <QDateTime>
#include <QObject>
#include <QPointer>
#include <QReadWriteLock>
#include <QUrl>

#include <chrono>

class QNetworkAccessManager;
class QNetworkReply;
class QTimer;

namespace gh {

// One configured external issuer and its signing keys, read from jwks_file or fetched from
// jwks_url and refreshed when a token names a key we have not seen. keys() is thread-safe; the
// refreshing happens in this object's thread.
class OidcProvider final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(OidcProvider)
public:
    static constexpr std::chrono::seconds kFetchTimeout{10};
    static constexpr qint64 kMaxJwksBytes = 1024 * 1024;
    static constexpr std::chrono::seconds kMinRefreshInterval{30};
    static constexpr std::chrono::seconds kPeriodicRefresh{3600};

    explicit OidcProvider(OidcProviderConfig config, const Clock &clock = Clock::system(), QObject *parent = nullptr);
    ~OidcProvider() override;

    // jwks_file: read now; unreadable or invalid is an error. jwks_url: checked (https, or http
    // to a loopback address) and the first fetch started; keys() is empty until it lands.
    Status start();

    const OidcProviderConfig &config() const { return m_config; }
    JwtPolicy policy() const;
    JwkSet keys() const;
    QString lastError() const;   // why the last refresh failed; empty when it did not

    // A token named a kid we do not have: re-read the file if it changed, or fetch the URL
    // unless a fetch ran less than kMinRefreshInterval ago. Always ends in refreshFinished(),
    // immediately when there is nothing to do. Safe to invoke from any thread through
    // QMetaObject::invokeMethod.
    void refreshForUnknownKey();

signals:
    void refreshFinished(bool keysChanged);

private:
    Status loadFile();
    void startFetch();
    void onFetchFinished();
    void setKeys(const JwkSet &keys);
    void setError(const QString &error);

    OidcProviderConfig m_config;
    const Clock &m_clock;
    QUrl m_url;

    mutable QReadWriteLock m_lock;   // guards m_keys and m_lastError
    JwkSet m_keys;
    QString m_lastError;

    // File source.
    QDateTime m_fileMtime;
    qint64 m_fileSize = -1;

    // URL source; touched only in this object's thread.
    QNetworkAccessManager *m_network = nullptr;
    QPointer<QNetworkReply> m_reply;
    QTimer *m_periodic = nullptr;
    QDateTime m_lastFetchStarted;
    bool m_replyTooLarge = false;
};

} // namespace gh
