#include "identity/Authenticator.h"

#include "identity/OidcProvider.h"
#include "identity/Sha256.h"
#include "identity/TokenIssuer.h"

#include <QMetaObject>

#include <openssl/crypto.h>

namespace gh {

namespace {

Error refused(const QString &reason)
{
    return Error(reason);
}

} // namespace

Authenticator::Authenticator(const QByteArray &adminToken, const TokenIssuer *issuer,
                             const QList<OidcProvider *> &providers, const Clock &clock, QObject *parent)
    : QObject(parent), m_issuer(issuer), m_clock(clock)
{
    if (!adminToken.isEmpty())
        m_adminDigest = sha256::digest(adminToken);
    for (OidcProvider *p : providers)
        m_providers.append(p);
}

Authenticator::~Authenticator() = default;

Result<Principal> Authenticator::authenticateNow(const QByteArray &bearer)
{
    Attempt a = attempt(bearer);
    if (a.refreshFrom) {
        // Nobody waits here, but the next caller should find the rotated key.
        QMetaObject::invokeMethod(a.refreshFrom, &OidcProvider::refreshForUnknownKey, Qt::QueuedConnection);
    }
    return std::move(a.result);
}

void Authenticator::authenticate(const QByteArray &bearer, QObject *context,
                                 std::function<void(Result<Principal>)> done)
{
    if (!context || !done)
        return;
    Attempt first = attempt(bearer);
    if (!first.refreshFrom) {
        done(std::move(first.result));
        return;
    }
    OidcProvider *provider = first.refreshFrom;
    QPointer<Authenticator> self(this);
    // Single-shot and owned by context: destroyed context drops the callback, and it runs in
    // context's thread. Connected before the refresh is asked for so the answer cannot be missed.
    connect(
        provider, &OidcProvider::refreshFinished, context,
        [self, bearer, done = std::move(done)](bool) {
            if (!self) {
                done(Error(QStringLiteral("authentication is shutting down")));
                return;
            }
            // One retry only: a second unknown key is final.
            done(std::move(self->attempt(bearer).result));
        },
        Qt::SingleShotConnection);
    QMetaObject::invokeMethod(provider, &OidcProvider::refreshForUnknownKey, Qt::AutoConnection);
}

Authenticator::Attempt Authenticator::attempt(const QByteArray &bearer)
{
    if (bearer.isEmpty())
        return {refused(QStringLiteral("no token")), nullptr};
    if (bearer.size() > JwtVerifier::kMaxTokenSize)
        return {refused(QStringLiteral("token is too large")), nullptr};

    // Runs on every proxied request (the cache key): OpenSSL's SHA-256 uses the CPU's SHA
    // extensions, where Qt's portable one cost a third of the proxy's instructions per request.
    const QByteArray digest = sha256::digest(bearer);
    if (digest.size() != sha256::size)   // never an empty digest: it would match an empty one
        return {refused(QStringLiteral("the token could not be checked")), nullptr};
    // Comparing digests keeps the comparison constant-time whatever the token's length.
    if (!m_adminDigest.isEmpty()
        && CRYPTO_memcmp(digest.constData(), m_adminDigest.constData(), size_t(digest.size())) == 0) {
        Principal admin;
        admin.kind = Principal::Kind::AdminToken;
        admin.subject = QStringLiteral("admin");
        admin.groups = {};
        return {admin, nullptr};
    }

    const QDateTime now = m_clock.now();
    {
        QReadLocker lock(&m_lock);
        const auto it = m_cache.constFind(digest);
        if (it != m_cache.constEnd() && now.toMSecsSinceEpoch() < it->expiresAtMs) {
            if (!it->principal.tokenId.isEmpty() && m_revoked.contains(it->principal.tokenId))
                return {refused(QStringLiteral("token has been revoked")), nullptr};
            return {it->principal, nullptr};
        }
    }

    auto decoded = JwtVerifier::decode(bearer);
    if (!decoded)
        return {decoded.failure().toError(), nullptr};
    const QString iss = decoded->claims.value(QLatin1String("iss")).toString();
    if (iss.isEmpty())
        return {refused(QStringLiteral("token has no issuer (iss)")), nullptr};

    Principal principal;
    JwtResult<VerifiedJwt> verified = JwtFailure{JwtError::WrongIssuer, QStringLiteral("token issuer is not trusted")};
    OidcProvider *provider = nullptr;
    if (m_issuer && iss == m_issuer->issuer()) {
        JwtPolicy policy{m_issuer->issuer(), TokenIssuer::audience()};
        policy.leeway = m_leeway;
        verified = JwtVerifier(policy).verify(*decoded, m_issuer->publicKeys(), now);
        principal.kind = Principal::Kind::Gateway;
    } else {
        for (const QPointer<OidcProvider> &p : std::as_const(m_providers)) {
            if (p && p->config().issuer == iss) {
                provider = p;
                break;
            }
        }
        if (provider) {
            JwtPolicy policy = provider->policy();
            policy.leeway = m_leeway;
            verified = JwtVerifier(policy).verify(*decoded, provider->keys(), now);
            principal.kind = Principal::Kind::Oidc;
        }
    }
    if (!verified) {
        return {verified.failure().toError(),
                verified.code() == JwtError::UnknownKey ? provider : nullptr};
    }

    principal.subject = verified->subject;
    principal.groups = verified->groups;
    principal.issuer = verified->issuer;
    principal.tokenId = verified->tokenId;
    principal.expiresAt = verified->expiresAt;
    if (!principal.tokenId.isEmpty() && isRevoked(principal.tokenId))
        return {refused(QStringLiteral("token has been revoked")), nullptr};
    remember(digest, principal);
    return {principal, nullptr};
}

void Authenticator::remember(const QByteArray &digest, const Principal &principal)
{
    const qint64 expiresAtMs = principal.expiresAt.toMSecsSinceEpoch();
    if (m_clock.now().toMSecsSinceEpoch() >= expiresAtMs)
        return;   // accepted only thanks to the leeway: not worth keeping
    QWriteLocker lock(&m_lock);
    if (m_cache.contains(digest))
        return;
    const quint64 sequence = m_nextSequence++;
    m_cache.insert(digest, CacheEntry{principal, expiresAtMs, sequence});
    m_cacheOrder.emplace(sequence, digest);
    while (m_cache.size() > kMaxCacheEntries && !m_cacheOrder.empty())
        forgetLocked(m_cacheOrder.begin()->second);
}

void Authenticator::forgetLocked(const QByteArray &digest)
{
    const auto it = m_cache.find(digest);
    if (it == m_cache.end())
        return;
    m_cacheOrder.erase(it->sequence);
    m_cache.erase(it);
}

void Authenticator::setRevoked(const QHash<QString, QDateTime> &jtiToExpiry)
{
    QWriteLocker lock(&m_lock);
    m_revoked = jtiToExpiry;
    m_revocations.fetch_add(1, std::memory_order_release);
}

void Authenticator::revoke(const QString &jti, const QDateTime &expiresAt)
{
    if (jti.isEmpty())
        return;
    const QDateTime now = m_clock.now();
    QWriteLocker lock(&m_lock);
    m_revoked.insert(jti, expiresAt);
    m_revocations.fetch_add(1, std::memory_order_release);
    // Once a token is past its expiry and the leeway, its revocation entry has nothing to stop.
    for (auto it = m_revoked.begin(); it != m_revoked.end();) {
        if (it.value().isValid() && it.value().addSecs(m_leeway.count() + 60) < now)
            it = m_revoked.erase(it);
        else
            ++it;
    }
}

bool Authenticator::isRevoked(const QString &jti) const
{
    QReadLocker lock(&m_lock);
    return m_revoked.contains(jti);
}

qsizetype Authenticator::cachedCount() const
{
    QReadLocker lock(&m_lock);
    return m_cache.size();
}

} // namespace gh
