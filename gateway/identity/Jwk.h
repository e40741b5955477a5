#pragma once

#include "core/Result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>

#include <openssl/types.h>

#include <memory>

namespace gh {

// One public JSON Web Key (RFC 7517) turned into an OpenSSL key ready to verify signatures.
class Jwk final {
public:
    enum class Type { Rsa, Ec, Okp };

    // kty values this build can turn into a key; others are skipped by JwkSet, not refused.
    static bool isSupportedKty(const QString &kty);
    // A malformed key of a supported type is an error naming the kid.
    static Result<Jwk> fromJson(const QJsonObject &json);

    Type type() const { return m_type; }
    const QString &kid() const { return m_kid; }
    const QString &kty() const { return m_kty; }
    const QString &crv() const { return m_crv; }    // "P-256", "Ed25519"; empty for RSA
    const QString &alg() const { return m_alg; }    // the JWK's own "alg"; empty when absent
    const QString &use() const { return m_use; }
    int bits() const;                               // modulus or curve size
    EVP_PKEY *pkey() const { return m_pkey.get(); }

    // The public members, as a JWKS would publish them again.
    QJsonObject toJson() const;
    // RFC 7638 JWK thumbprint: base64url(SHA-256(canonical required members)).
    QByteArray thumbprint() const;

private:
    Jwk() = default;

    Type m_type = Type::Rsa;
    QString m_kid;
    QString m_kty;
    QString m_crv;
    QString m_alg;
    QString m_use;
    // The required members re-encoded from their bytes, so the thumbprint is canonical.
    QByteArray m_n, m_e, m_x, m_y;
    std::shared_ptr<EVP_PKEY> m_pkey;   // immutable once built, so copies share it
};

} // namespace gh
