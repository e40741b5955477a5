#pragma once

#include "core/Result.h"
#include "identity/JwkSet.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QDateTime>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <chrono>
#include <utility>
#include <variant>

namespace gh {

// Why a token was refused; callers map these to status codes and metrics, users read the reason.
enum class JwtError {
    Malformed,
    TooLarge,
    UnsupportedAlgorithm,
    UnknownKey,
    KeyMismatch,
    BadSignature,
    Expired,
    NotYetValid,
    WrongIssuer,
    WrongAudience,
    MissingClaim,
    Revoked,
};

QString jwtErrorName(JwtError code);   // "expired", "wrong_audience", ...

struct JwtFailure {
    JwtError code = JwtError::Malformed;
    QString reason;   // never contains the token

    Error toError() const { return Error(reason); }
};

// A verified value or a JwtFailure with its code.
template <typename T>
class [[nodiscard]] JwtResult {
public:
    JwtResult(T value) : m_v(std::in_place_index<0>, std::move(value)) {}
    JwtResult(JwtFailure failure) : m_v(std::in_place_index<1>, std::move(failure)) {}

    bool ok() const { return m_v.index() == 0; }
    explicit operator bool() const { return ok(); }
    const T &value() const & { return std::get<0>(m_v); }
    T &&value() && { return std::get<0>(std::move(m_v)); }
    const T *operator->() const { return &value(); }
    const T &operator*() const & { return value(); }
    const JwtFailure &failure() const { return std::get<1>(m_v); }
    JwtError code() const { return failure().code; }

private:
    std::variant<T, JwtFailure> m_v;
};

using JwtStatus = JwtResult<std::monostate>;

// A compact JWS split and decoded, nothing yet trusted: routing (by iss, kid) may look at it.
struct DecodedJwt {
    QJsonObject header;
    QByteArray payload;          // the raw payload bytes
    QJsonObject claims;          // the payload when it is a JSON object
    bool payloadIsObject = false;
    QByteArray signingInput;     // "header.payload" as sent
    QByteArray signature;
    QString alg;
    QString kid;                 // empty when the header names none
};

// The claims of a token whose signature and claim policy both checked out.
struct VerifiedJwt {
    QString algorithm;
    QString keyId;               // kid of the key that verified it
    QString issuer;
    QString subject;
    QStringList audience;
    QStringList groups;
    QString tokenId;             // jti; empty when absent
    QDateTime issuedAt;          // invalid when absent
    QDateTime notBefore;         // invalid when absent
    QDateTime expiresAt;
    QJsonObject claims;
};

// What a token must satisfy besides its signature.
struct JwtPolicy {
    QString issuer;                              // exact match
    QString audience;                            // exact match, or contained in an aud array
    QString groupsClaim = QStringLiteral("groups");
    std::chrono::seconds leeway{60};             // tolerated clock skew for exp, nbf, iat
};

// Verifies compact JWS tokens against a JwkSet and a claim policy. Stateless and thread-safe.
class JwtVerifier final {
public:
    static constexpr qsizetype kMaxTokenSize = 16 * 1024;

    explicit JwtVerifier(JwtPolicy policy) : m_policy(std::move(policy)) {}
    const JwtPolicy &policy() const { return m_policy; }

    // Splits and decodes; refuses oversize input before touching it, "crit", and non-object headers.
    static JwtResult<DecodedJwt> decode(QByteArrayView compact);
    // Whether a token signed with `alg` may be verified with `key` (type, curve and the key's own alg).
    static bool algorithmFits(const QString &alg, const Jwk &key);
    static bool isSupportedAlgorithm(const QString &alg);
    // Picks the key by kid (or the single fitting key when there is no kid) and checks the
    // signature; returns the kid of the key used. No claim is looked at.
    static JwtResult<QString> verifySignature(const DecodedJwt &token, const JwkSet &keys);
    // Signature only, payload left uninterpreted: for published vectors with no audience and an
    // exp long past. Never use it to authenticate anyone.
    static JwtResult<DecodedJwt> verifySignatureOnly(QByteArrayView compact, const JwkSet &keys);

    JwtResult<VerifiedJwt> verify(QByteArrayView compact, const JwkSet &keys, const QDateTime &now) const;
    JwtResult<VerifiedJwt> verify(const DecodedJwt &token, const JwkSet &keys, const QDateTime &now) const;

private:
    JwtResult<VerifiedJwt> checkClaims(const DecodedJwt &token, const QDateTime &now) const;

    JwtPolicy m_policy;
};

} // namespace gh
