#include "identity/JwtVerifier.h"

#include "identity/Base64Url.h"
#include "identity/OpenSslUtil.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>

#include <openssl/rsa.h>

#include <cmath>

namespace gh {

namespace {

JwtFailure fail(JwtError code, QString reason)
{
    return JwtFailure{code, std::move(reason)};
}

struct AlgInfo {
    const char *name;
    Jwk::Type type;
    const char *curve;     // required crv, or nullptr
    const char *digest;    // nullptr for EdDSA
    bool pss;
    int coordinateBytes;   // ECDSA only
};

constexpr AlgInfo kAlgorithms[] = {
    {"RS256", Jwk::Type::Rsa, nullptr, "SHA256", false, 0},
    {"RS384", Jwk::Type::Rsa, nullptr, "SHA384", false, 0},
    {"RS512", Jwk::Type::Rsa, nullptr, "SHA512", false, 0},
    {"PS256", Jwk::Type::Rsa, nullptr, "SHA256", true, 0},
    {"PS384", Jwk::Type::Rsa, nullptr, "SHA384", true, 0},
    {"PS512", Jwk::Type::Rsa, nullptr, "SHA512", true, 0},
    {"ES256", Jwk::Type::Ec, "P-256", "SHA256", false, 32},
    {"ES384", Jwk::Type::Ec, "P-384", "SHA384", false, 48},
    {"ES512", Jwk::Type::Ec, "P-521", "SHA512", false, 66},
    {"EdDSA", Jwk::Type::Okp, "Ed25519", nullptr, false, 0},
};

const AlgInfo *findAlg(const QString &alg)
{
    for (const AlgInfo &a : kAlgorithms)
        if (alg == QLatin1String(a.name))
            return &a;
    return nullptr;
}

// JOSE carries ECDSA signatures as fixed-width r||s; OpenSSL wants DER.
QByteArray joseToDer(const QByteArray &sig, int coordinateBytes)
{
    const auto *p = reinterpret_cast<const unsigned char *>(sig.constData());
    ossl::Ptr<ECDSA_SIG> ecdsa(ECDSA_SIG_new());
    BIGNUM *r = BN_bin2bn(p, coordinateBytes, nullptr);
    BIGNUM *s = BN_bin2bn(p + coordinateBytes, coordinateBytes, nullptr);
    if (!ecdsa || !r || !s || ECDSA_SIG_set0(ecdsa.get(), r, s) != 1) {
        BN_free(r);
        BN_free(s);
        return {};
    }
    unsigned char *der = nullptr;
    const int len = i2d_ECDSA_SIG(ecdsa.get(), &der);
    if (len <= 0)
        return {};
    QByteArray out(reinterpret_cast<const char *>(der), len);
    OPENSSL_free(der);
    return out;
}

bool verifyWith(const Jwk &key, const AlgInfo &alg, const QByteArray &input, const QByteArray &signature)
{
    QByteArray sig = signature;
    if (alg.type == Jwk::Type::Ec) {
        if (signature.size() != 2 * alg.coordinateBytes)
            return false;
        sig = joseToDer(signature, alg.coordinateBytes);
        if (sig.isEmpty())
            return false;
    }
    ossl::Ptr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
    EVP_PKEY_CTX *pctx = nullptr;   // owned by ctx
    if (!ctx || EVP_DigestVerifyInit_ex(ctx.get(), &pctx, alg.digest, nullptr, nullptr, key.pkey(), nullptr) != 1) {
        ERR_clear_error();
        return false;
    }
    if (alg.pss) {
        // RFC 7518 §3.5: MGF1 with the same hash, salt as long as the hash.
        if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1
            || EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1
            || EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, alg.digest, nullptr) != 1) {
            ERR_clear_error();
            return false;
        }
    }
    const int rc = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char *>(sig.constData()),
                                    size_t(sig.size()), reinterpret_cast<const unsigned char *>(input.constData()),
                                    size_t(input.size()));
    ERR_clear_error();
    return rc == 1;
}

// NumericDate (RFC 7519 §2): seconds, possibly fractional. Out-of-range values are malformed
// rather than silently wrapping.
enum class DateStatus { Absent, Bad, Ok };
DateStatus numericDate(const QJsonObject &claims, const char *name, qint64 *out)
{
    const QJsonValue v = claims.value(QLatin1String(name));
    if (v.isUndefined())
        return DateStatus::Absent;
    if (!v.isDouble())
        return DateStatus::Bad;
    const double d = v.toDouble();
    if (!std::isfinite(d) || d < 0 || d > 253402300799.0)   // up to 9999-12-31
        return DateStatus::Bad;
    *out = static_cast<qint64>(std::floor(d));
    return DateStatus::Ok;
}

} // namespace

QString jwtErrorName(JwtError code)
{
    switch (code) {
    case JwtError::Malformed: return QStringLiteral("malformed");
    case JwtError::TooLarge: return QStringLiteral("too_large");
    case JwtError::UnsupportedAlgorithm: return QStringLiteral("unsupported_algorithm");
    case JwtError::UnknownKey: return QStringLiteral("unknown_key");
    case JwtError::KeyMismatch: return QStringLiteral("key_mismatch");
    case JwtError::BadSignature: return QStringLiteral("bad_signature");
    case JwtError::Expired: return QStringLiteral("expired");
    case JwtError::NotYetValid: return QStringLiteral("not_yet_valid");
    case JwtError::WrongIssuer: return QStringLiteral("wrong_issuer");
    case JwtError::WrongAudience: return QStringLiteral("wrong_audience");
    case JwtError::MissingClaim: return QStringLiteral("missing_claim");
    case JwtError::Revoked: return QStringLiteral("revoked");
    }
    return QStringLiteral("unknown");
}

bool JwtVerifier::isSupportedAlgorithm(const QString &alg)
{
    return findAlg(alg) != nullptr;
}

bool JwtVerifier::algorithmFits(const QString &alg, const Jwk &key)
{
    const AlgInfo *info = findAlg(alg);
    if (!info || key.type() != info->type)
        return false;
    if (info->curve && key.crv() != QLatin1String(info->curve))
        return false;
    return key.alg().isEmpty() || key.alg() == alg;
}

JwtResult<DecodedJwt> JwtVerifier::decode(QByteArrayView compact)
{
    if (compact.size() > kMaxTokenSize)
        return fail(JwtError::TooLarge, QStringLiteral("token is larger than %1 bytes").arg(kMaxTokenSize));
    const qsizetype dot1 = compact.indexOf('.');
    const qsizetype dot2 = dot1 < 0 ? -1 : compact.indexOf('.', dot1 + 1);
    if (dot1 <= 0 || dot2 < 0 || compact.indexOf('.', dot2 + 1) >= 0)
        return fail(JwtError::Malformed, QStringLiteral("token is not a compact JWS (header.payload.signature)"));

    auto header = Base64Url::decode(compact.first(dot1));
    auto payload = Base64Url::decode(compact.sliced(dot1 + 1, dot2 - dot1 - 1));
    auto signature = Base64Url::decode(compact.sliced(dot2 + 1));
    if (!header || !payload || !signature)
        return fail(JwtError::Malformed, QStringLiteral("token is not valid base64url"));
    DecodedJwt out;
    QJsonParseError err;
    const QJsonDocument headerDoc = QJsonDocument::fromJson(*header, &err);
    if (err.error != QJsonParseError::NoError || !headerDoc.isObject())
        return fail(JwtError::Malformed, QStringLiteral("token header is not a JSON object"));
    out.header = headerDoc.object();
    // We understand no critical extension, and RFC 7515 §4.1.11 says to refuse what we do not.
    if (out.header.contains(QLatin1String("crit")))
        return fail(JwtError::Malformed, QStringLiteral("token header has a \"crit\" member, which is not supported"));
    const QJsonValue alg = out.header.value(QLatin1String("alg"));
    if (!alg.isString())
        return fail(JwtError::Malformed, QStringLiteral("token header has no \"alg\""));
    out.alg = alg.toString();
    const QJsonValue kid = out.header.value(QLatin1String("kid"));
    if (!kid.isUndefined() && !kid.isString())
        return fail(JwtError::Malformed, QStringLiteral("token header \"kid\" is not a string"));
    out.kid = kid.toString();

    const QJsonDocument payloadDoc = QJsonDocument::fromJson(*payload, &err);
    if (err.error == QJsonParseError::NoError && payloadDoc.isObject()) {
        out.claims = payloadDoc.object();
        out.payloadIsObject = true;
    }
    out.payload = std::move(payload).value();
    out.signature = std::move(signature).value();
    out.signingInput = compact.first(dot2).toByteArray();
    return out;
}

JwtResult<QString> JwtVerifier::verifySignature(const DecodedJwt &token, const JwkSet &keys)
{
    const AlgInfo *alg = findAlg(token.alg);
    if (!alg) {
        // "none" and the HMAC family never verify here: a public key is not a shared secret.
        return fail(JwtError::UnsupportedAlgorithm, QStringLiteral("token algorithm is not accepted"));
    }
    if (token.signature.isEmpty())
        return fail(JwtError::Malformed, QStringLiteral("token has no signature"));
    QList<const Jwk *> fitting;
    if (!token.kid.isEmpty()) {
        bool kidFound = false;
        for (const Jwk &k : keys.keys()) {
            if (k.kid() != token.kid)
                continue;
            kidFound = true;
            if (algorithmFits(token.alg, k))
                fitting.append(&k);
        }
        if (!kidFound)
            return fail(JwtError::UnknownKey, QStringLiteral("token is signed with a key the issuer does not publish"));
        if (fitting.isEmpty())
            return fail(JwtError::KeyMismatch, QStringLiteral("token algorithm %1 does not fit its key").arg(token.alg));
    } else {
        for (const Jwk &k : keys.keys())
            if (algorithmFits(token.alg, k))
                fitting.append(&k);
        if (fitting.isEmpty()) {
            if (keys.isEmpty())
                return fail(JwtError::UnknownKey, QStringLiteral("the issuer publishes no keys"));
            return fail(JwtError::KeyMismatch,
                        QStringLiteral("no key of the issuer fits token algorithm %1").arg(token.alg));
        }
        if (fitting.size() > 1)
            return fail(JwtError::UnknownKey, QStringLiteral("token names no kid and several keys fit"));
    }
    // Several keys may share a kid during rotation; any fitting one may have signed.
    for (const Jwk *k : std::as_const(fitting))
        if (verifyWith(*k, *alg, token.signingInput, token.signature))
            return k->kid();
    return fail(JwtError::BadSignature, QStringLiteral("token signature is invalid"));
}

JwtResult<DecodedJwt> JwtVerifier::verifySignatureOnly(QByteArrayView compact, const JwkSet &keys)
{
    auto decoded = decode(compact);
    if (!decoded)
        return decoded.failure();
    auto sig = verifySignature(*decoded, keys);
    if (!sig)
        return sig.failure();
    return decoded;
}

JwtResult<VerifiedJwt> JwtVerifier::verify(QByteArrayView compact, const JwkSet &keys, const QDateTime &now) const
{
    auto decoded = decode(compact);
    if (!decoded)
        return decoded.failure();
    return verify(*decoded, keys, now);
}

JwtResult<VerifiedJwt> JwtVerifier::verify(const DecodedJwt &token, const JwkSet &keys, const QDateTime &now) const
{
    // The signature first: nothing an unauthenticated sender wrote is interpreted before it.
    auto kid = verifySignature(token, keys);
    if (!kid)
        return kid.failure();
    auto verified = checkClaims(token, now);
    if (!verified)
        return verified;
    VerifiedJwt out = std::move(verified).value();
    out.keyId = kid.value();
    return out;
}

JwtResult<VerifiedJwt> JwtVerifier::checkClaims(const DecodedJwt &token, const QDateTime &now) const
{
    if (!token.payloadIsObject)
        return fail(JwtError::Malformed, QStringLiteral("token payload is not a JSON object"));
    const QJsonObject &claims = token.claims;
    VerifiedJwt out;
    out.algorithm = token.alg;
    out.claims = claims;

    const QJsonValue iss = claims.value(QLatin1String("iss"));
    if (!iss.isString() || iss.toString().isEmpty())
        return fail(JwtError::MissingClaim, QStringLiteral("token has no issuer (iss)"));
    if (iss.toString() != m_policy.issuer)
        return fail(JwtError::WrongIssuer, QStringLiteral("token issuer is not the expected one"));
    out.issuer = iss.toString();

    const QJsonValue aud = claims.value(QLatin1String("aud"));
    if (aud.isString()) {
        out.audience.append(aud.toString());
    } else if (aud.isArray()) {
        for (const QJsonValue &a : aud.toArray()) {
            if (!a.isString())
                return fail(JwtError::Malformed, QStringLiteral("token audience (aud) holds a non-string"));
            out.audience.append(a.toString());
        }
    } else if (aud.isUndefined()) {
        return fail(JwtError::MissingClaim, QStringLiteral("token has no audience (aud)"));
    } else {
        return fail(JwtError::Malformed, QStringLiteral("token audience (aud) is neither a string nor an array"));
    }
    if (!out.audience.contains(m_policy.audience))
        return fail(JwtError::WrongAudience, QStringLiteral("token is meant for another audience"));

    const qint64 nowSecs = now.toSecsSinceEpoch();
    const qint64 leeway = m_policy.leeway.count();
    qint64 exp = 0;
    switch (numericDate(claims, "exp", &exp)) {
    case DateStatus::Absent:
        return fail(JwtError::MissingClaim, QStringLiteral("token has no expiry (exp)"));
    case DateStatus::Bad:
        return fail(JwtError::Malformed, QStringLiteral("token expiry (exp) is not a valid date"));
    case DateStatus::Ok:
        break;
    }
    if (nowSecs >= exp + leeway)
        return fail(JwtError::Expired, QStringLiteral("token has expired"));
    out.expiresAt = QDateTime::fromSecsSinceEpoch(exp, Qt::UTC);

    qint64 nbf = 0;
    switch (numericDate(claims, "nbf", &nbf)) {
    case DateStatus::Absent:
        break;
    case DateStatus::Bad:
        return fail(JwtError::Malformed, QStringLiteral("token not-before (nbf) is not a valid date"));
    case DateStatus::Ok:
        if (nowSecs + leeway < nbf)
            return fail(JwtError::NotYetValid, QStringLiteral("token is not valid yet (nbf)"));
        out.notBefore = QDateTime::fromSecsSinceEpoch(nbf, Qt::UTC);
        break;
    }
    qint64 iat = 0;
    switch (numericDate(claims, "iat", &iat)) {
    case DateStatus::Absent:
        break;
    case DateStatus::Bad:
        return fail(JwtError::Malformed, QStringLiteral("token issued-at (iat) is not a valid date"));
    case DateStatus::Ok:
        if (nowSecs + leeway < iat)
            return fail(JwtError::NotYetValid, QStringLiteral("token is issued in the future (iat)"));
        out.issuedAt = QDateTime::fromSecsSinceEpoch(iat, Qt::UTC);
        break;
    }

    const QJsonValue sub = claims.value(QLatin1String("sub"));
    if (!sub.isString() || sub.toString().isEmpty())
        return fail(JwtError::MissingClaim, QStringLiteral("token has no subject (sub)"));
    out.subject = sub.toString();

    const QJsonValue jti = claims.value(QLatin1String("jti"));
    if (!jti.isUndefined() && !jti.isString())
        return fail(JwtError::Malformed, QStringLiteral("token id (jti) is not a string"));
    out.tokenId = jti.toString();

    const QJsonValue groups = claims.value(m_policy.groupsClaim);
    if (groups.isString()) {
        out.groups.append(groups.toString());
    } else if (groups.isArray()) {
        for (const QJsonValue &g : groups.toArray()) {
            if (!g.isString())
                return fail(JwtError::Malformed, QStringLiteral("token groups claim holds a non-string"));
            out.groups.append(g.toString());
        }
    } else if (!groups.isUndefined() && !groups.isNull()) {
        return fail(JwtError::Malformed, QStringLiteral("token groups claim is neither a string nor an array"));
    }
    return out;
}

} // namespace gh
