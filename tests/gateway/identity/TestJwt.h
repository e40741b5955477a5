#pragma once

// Test-only helpers: generate keys with OpenSSL, publish them as JWKs and sign tokens with them,
// so verifier tests do not depend on checked-in key material.

#include "identity/Base64Url.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QString>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>

#include <memory>

namespace gh::test {

struct TestKey {
    std::shared_ptr<EVP_PKEY> pkey;
    QJsonObject jwk;   // public members plus kid
};

inline std::shared_ptr<EVP_PKEY> own(EVP_PKEY *k)
{
    return std::shared_ptr<EVP_PKEY>(k, [](EVP_PKEY *p) { EVP_PKEY_free(p); });
}

inline QString b64(const QByteArray &bytes)
{
    return QString::fromLatin1(Base64Url::encode(bytes));
}

inline QByteArray bnParam(EVP_PKEY *key, const char *name, int pad = 0)
{
    BIGNUM *bn = nullptr;
    if (EVP_PKEY_get_bn_param(key, name, &bn) != 1)
        return {};
    const int len = pad > 0 ? pad : BN_num_bytes(bn);
    QByteArray out(len, '\0');
    BN_bn2binpad(bn, reinterpret_cast<unsigned char *>(out.data()), len);
    BN_free(bn);
    return out;
}

inline TestKey makeRsaKey(const QString &kid, unsigned bits = 2048)
{
    TestKey k;
    k.pkey = own(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t(bits)));
    k.jwk = QJsonObject{{QStringLiteral("kty"), QStringLiteral("RSA")},
                        {QStringLiteral("kid"), kid},
                        {QStringLiteral("n"), b64(bnParam(k.pkey.get(), OSSL_PKEY_PARAM_RSA_N))},
                        {QStringLiteral("e"), b64(bnParam(k.pkey.get(), OSSL_PKEY_PARAM_RSA_E))}};
    return k;
}

// curve: "P-256", "P-384" or "P-521".
inline TestKey makeEcKey(const QString &kid, const QString &curve)
{
    const int bytes = curve == QLatin1String("P-256") ? 32 : curve == QLatin1String("P-384") ? 48 : 66;
    TestKey k;
    k.pkey = own(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve.toLatin1().constData()));
    k.jwk = QJsonObject{{QStringLiteral("kty"), QStringLiteral("EC")},
                        {QStringLiteral("kid"), kid},
                        {QStringLiteral("crv"), curve},
                        {QStringLiteral("x"), b64(bnParam(k.pkey.get(), OSSL_PKEY_PARAM_EC_PUB_X, bytes))},
                        {QStringLiteral("y"), b64(bnParam(k.pkey.get(), OSSL_PKEY_PARAM_EC_PUB_Y, bytes))}};
    return k;
}

inline TestKey makeEd25519Key(const QString &kid)
{
    TestKey k;
    k.pkey = own(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    QByteArray pub(32, '\0');
    size_t len = 32;
    EVP_PKEY_get_raw_public_key(k.pkey.get(), reinterpret_cast<unsigned char *>(pub.data()), &len);
    k.jwk = QJsonObject{{QStringLiteral("kty"), QStringLiteral("OKP")},
                        {QStringLiteral("kid"), kid},
                        {QStringLiteral("crv"), QStringLiteral("Ed25519")},
                        {QStringLiteral("x"), b64(pub)}};
    return k;
}

inline QByteArray jwksJson(const QList<QJsonObject> &keys)
{
    QJsonArray array;
    for (const QJsonObject &k : keys)
        array.append(k);
    return QJsonDocument(QJsonObject{{QStringLiteral("keys"), array}}).toJson(QJsonDocument::Compact);
}

// Signs `input` the way JWS alg `alg` wants it (JOSE r||s for ECDSA).
inline QByteArray signRaw(EVP_PKEY *key, const QString &alg, const QByteArray &input)
{
    const char *md = nullptr;
    if (alg.endsWith(QLatin1String("256")))
        md = "SHA256";
    else if (alg.endsWith(QLatin1String("384")))
        md = "SHA384";
    else if (alg.endsWith(QLatin1String("512")))
        md = "SHA512";
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = nullptr;
    EVP_DigestSignInit_ex(ctx, &pctx, alg == QLatin1String("EdDSA") ? nullptr : md, nullptr, nullptr, key, nullptr);
    if (alg.startsWith(QLatin1String("PS"))) {
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
        EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, md, nullptr);
    }
    size_t len = 0;
    EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char *>(input.constData()), size_t(input.size()));
    QByteArray sig(qsizetype(len), '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char *>(sig.data()), &len,
                   reinterpret_cast<const unsigned char *>(input.constData()), size_t(input.size()));
    sig.truncate(qsizetype(len));
    EVP_MD_CTX_free(ctx);
    if (alg.startsWith(QLatin1String("ES"))) {
        const int n = alg == QLatin1String("ES256") ? 32 : alg == QLatin1String("ES384") ? 48 : 66;
        const auto *p = reinterpret_cast<const unsigned char *>(sig.constData());
        ECDSA_SIG *ecdsa = d2i_ECDSA_SIG(nullptr, &p, long(sig.size()));
        QByteArray raw(2 * n, '\0');
        BN_bn2binpad(ECDSA_SIG_get0_r(ecdsa), reinterpret_cast<unsigned char *>(raw.data()), n);
        BN_bn2binpad(ECDSA_SIG_get0_s(ecdsa), reinterpret_cast<unsigned char *>(raw.data()) + n, n);
        ECDSA_SIG_free(ecdsa);
        return raw;
    }
    return sig;
}

inline QByteArray encodeParts(const QJsonObject &header, const QJsonObject &claims)
{
    return Base64Url::encode(QJsonDocument(header).toJson(QJsonDocument::Compact)) + '.'
           + Base64Url::encode(QJsonDocument(claims).toJson(QJsonDocument::Compact));
}

// A compact JWS; the header gets alg, and kid from the key's JWK unless `header` sets them.
inline QByteArray signJwt(const TestKey &key, const QString &alg, const QJsonObject &claims,
                          QJsonObject header = {})
{
    if (!header.contains(QLatin1String("alg")))
        header.insert(QStringLiteral("alg"), alg);
    if (!header.contains(QLatin1String("kid")) && key.jwk.contains(QLatin1String("kid")))
        header.insert(QStringLiteral("kid"), key.jwk.value(QLatin1String("kid")));
    const QByteArray input = encodeParts(header, claims);
    return input + '.' + Base64Url::encode(signRaw(key.pkey.get(), alg, input));
}

// An HS256 token keyed with arbitrary bytes: the classic alg-confusion attack uses a public key.
inline QByteArray signHs256(const QByteArray &secret, const QJsonObject &header, const QJsonObject &claims)
{
    const QByteArray input = encodeParts(header, claims);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int macLen = 0;
    HMAC(EVP_sha256(), secret.constData(), int(secret.size()), reinterpret_cast<const unsigned char *>(input.constData()),
         size_t(input.size()), mac, &macLen);
    return input + '.' + Base64Url::encode(QByteArray(reinterpret_cast<const char *>(mac), int(macLen)));
}

} // namespace gh::test
