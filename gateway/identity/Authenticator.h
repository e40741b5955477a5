#pragma once

#include "core/Clock.h"
#include "core/Result.h"
#include "identity/JwtVerifier.h"
#include "identity/Principal.h"

#include <QByteArray>
#include <QDateTime>
#include <QHash>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QReadWriteLock>

#include <atomic>

#include <functional>
#include <map>

namespace gh {

class OidcProvider;
class TokenIssuer;

// The one place a bearer token becomes a Principal: the admin token, this gateway's own JWTs,
// or a configured OIDC issuer's. Verified tokens are cached until they expire; revocation is
// checked on every call. authenticateNow() may be called from any thread.
class Authenticator final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Authenticator)
public:
    static constexpr qsizetype kMaxCacheEntries = 10000;

    // issuer and providers must outlive the Authenticator; providers are already start()ed.
    Authenticator(const QByteArray &adminToken, const TokenIssuer *issuer, const QList<OidcProvider *> &providers,
                  const Clock &clock, QObject *parent = nullptr);
    ~Authenticator() override;

    // Calls back at once when it can decide now. When the token names a key its issuer has not
    // published (yet), waits for one JWKS refresh and tries once more. The callback runs in
    // context's thread and is dropped if context is destroyed first.
    void authenticate(const QByteArray &bearer, QObject *context, std::function<void(Result<Principal>)> done);
    // Never waits: an unknown key fails now (and a refresh is started for the next caller).
    Result<Principal> authenticateNow(const QByteArray &bearer);

    void setRevoked(const QHash<QString, QDateTime> &jtiToExpiry);   // from the store at start
    void revoke(const QString &jti, const QDateTime &expiresAt);     // takes effect at once
    bool isRevoked(const QString &jti) const;
    // Goes up with every revocation (revoke(), setRevoked()), after it has taken effect: a caller
    // that kept a principal may skip isRevoked() while this has not moved since before it was
    // authenticated. A load of a value that rarely changes, where isRevoked() takes a lock.
    quint64 revocations() const { return m_revocations.load(std::memory_order_acquire); }

    void setLeeway(std::chrono::seconds leeway) { m_leeway = leeway; }
    qsizetype cachedCount() const;

private:
    struct Attempt {
        Result<Principal> result;
        OidcProvider *refreshFrom = nullptr;   // set when the key was unknown
    };
    struct CacheEntry {
        Principal principal;
        qint64 expiresAtMs = 0;
        quint64 sequence = 0;
    };

    Attempt attempt(const QByteArray &bearer);
    void remember(const QByteArray &digest, const Principal &principal);
    void forgetLocked(const QByteArray &digest);

    QByteArray m_adminDigest;   // SHA-256 of the admin token; empty when there is none
    const TokenIssuer *m_issuer = nullptr;
    QList<QPointer<OidcProvider>> m_providers;
    const Clock &m_clock;
    std::chrono::seconds m_leeway{60};

    mutable QReadWriteLock m_lock;   // guards everything below
    QHash<QByteArray, CacheEntry> m_cache;      // SHA-256(token) -> principal
    std::map<quint64, QByteArray> m_cacheOrder; // insertion sequence -> digest, oldest first
    quint64 m_nextSequence = 0;
    QHash<QString, QDateTime> m_revoked;        // jti -> the token's expiry
    std::atomic<quint64> m_revocations{0};
};

} // namespace gh
