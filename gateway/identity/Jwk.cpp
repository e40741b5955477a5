#include "identity/Jwk.h"

#include "identity/Base64Url.h"
#include "identity/OpenSslUtil.h"

#include <QCryptographicHash>
#include <QJsonDocument>

#include <openssl/core_names.h>

namespace gh {

namespace {

constexpr int kMinRsaBits = 2048;
constexpr int kMaxRsaBits = 16384;   // larger moduli only make verification slow

struct Curve {
    const char *jose;
    const char *openssl;
    int coordinateBytes;
};

constexpr Curve kCurves[] = {
    {"P-256", "prime256v1", 32},
    {"P-384", "secp384r1", 48},
    {"P-521", "secp521r1", 66},
};

const Curve *findCurve(const QString &crv)
{
    for (const Curve &c : kCurves)
        if (crv == QLatin1String(c.jose))
            return &c;
    return nullptr;
}

QString describeKid(const QString &kid)
{
    if (kid.isEmpty())
        return QStringLiteral("key without kid");
    // A kid comes from a file or the network: keep error lines short and printable.
    QString shown = kid.left(64);
    for (QChar &c : shown)
        if (!c.isPrint())
            c = QLatin1Char('?');
    return QStringLiteral("key \"%1\"").arg(shown);
}

Result<QByteArray> member(const QJsonObject &json, const char *name, const QString &kid)
{
    const QJsonValue v = json.value(QLatin1String(name));
    if (!v.isString() || v.toString().isEmpty())
        return Error(QStringLiteral("%1: member \"%2\" is missing or not a string")
                         .arg(describeKid(kid), QLatin1String(name)));
    auto bytes = Base64Url::decode(v.toString().toLatin1());
    if (!bytes)
        return Error(QStringLiteral("%1: member \"%2\": %3")
                         .arg(describeKid(kid), QLatin1String(name), bytes.error().message));
    if (bytes->isEmpty())
        return Error(QStringLiteral("%1: member \"%2\" is empty").arg(describeKid(kid), QLatin1String(name)));
    return std::move(bytes).value();
}

Result<std::shared_ptr<EVP_PKEY>> fromData(const char *type, OSSL_PARAM_BLD *bld, const QString &kid)
{
    ossl::Ptr<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(bld));
    ossl::Ptr<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1)
        return Error(QStringLiteral("%1: %2").arg(describeKid(kid), ossl::lastError()));
    EVP_PKEY *raw = nullptr;
    if (EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1 || !raw)
        return Error(QStringLiteral("%1: not a valid public key (%2)").arg(describeKid(kid), ossl::lastError()));
    return ossl::share(raw);
}

Result<std::shared_ptr<EVP_PKEY>> rsaKey(const QByteArray &n, const QByteArray &e, const QString &kid)
{
    ossl::Ptr<BIGNUM> bnN(BN_bin2bn(reinterpret_cast<const unsigned char *>(n.constData()), int(n.size()), nullptr));
    ossl::Ptr<BIGNUM> bnE(BN_bin2bn(reinterpret_cast<const unsigned char *>(e.constData()), int(e.size()), nullptr));
    if (!bnN || !bnE)
        return Error(QStringLiteral("%1: %2").arg(describeKid(kid), ossl::lastError()));
    const int bits = BN_num_bits(bnN.get());
    if (bits < kMinRsaBits)
        return Error(QStringLiteral("%1: RSA modulus has %2 bits; at least %3 are required")
                         .arg(describeKid(kid)).arg(bits).arg(kMinRsaBits));
    if (bits > kMaxRsaBits)
        return Error(QStringLiteral("%1: RSA modulus has %2 bits; at most %3 are supported")
                         .arg(describeKid(kid)).arg(bits).arg(kMaxRsaBits));
    if (!BN_is_odd(bnE.get()) || BN_num_bits(bnE.get()) < 2 || BN_num_bits(bnE.get()) > 64)
        return Error(QStringLiteral("%1: RSA exponent is not usable").arg(describeKid(kid)));
    ossl::Ptr<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
    if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bnN.get()) != 1
        || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bnE.get()) != 1)
        return Error(QStringLiteral("%1: %2").arg(describeKid(kid), ossl::lastError()));
    return fromData("RSA", bld.get(), kid);
}

Result<std::shared_ptr<EVP_PKEY>> ecKey(const Curve &curve, const QByteArray &x, const QByteArray &y,
                                        const QString &kid)
{
    if (x.size() != curve.coordinateBytes || y.size() != curve.coordinateBytes)
        return Error(QStringLiteral("%1: %2 coordinates must be %3 bytes each")
                         .arg(describeKid(kid), QLatin1String(curve.jose)).arg(curve.coordinateBytes));
    QByteArray point;
    point.reserve(1 + x.size() + y.size());
    point.append(char(0x04));   // uncompressed SEC1 point
    point.append(x);
    point.append(y);
    ossl::Ptr<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
    if (!bld
        || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, curve.openssl, 0) != 1
        || OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.constData(),
                                            size_t(point.size())) != 1)
        return Error(QStringLiteral("%1: %2").arg(describeKid(kid), ossl::lastError()));
    auto key = fromData("EC", bld.get(), kid);
    if (!key)
        return Error(QStringLiteral("%1: the point is not on curve %2")
                         .arg(describeKid(kid), QLatin1String(curve.jose)));
    // Decoding usually catches an off-curve point already; this makes it explicit.
    ossl::Ptr<EVP_PKEY_CTX> check(EVP_PKEY_CTX_new_from_pkey(nullptr, key->get(), nullptr));
    if (!check || EVP_PKEY_public_check(check.get()) != 1) {
        ERR_clear_error();
        return Error(QStringLiteral("%1: the point is not on curve %2")
                         .arg(describeKid(kid), QLatin1String(curve.jose)));
    }
    return key;
}

Result<std::shared_ptr<EVP_PKEY>> ed25519Key(const QByteArray &x, const QString &kid)
{
    if (x.size() != 32)
        return Error(QStringLiteral("%1: an Ed25519 public key is 32 bytes").arg(describeKid(kid)));
    ossl::Ptr<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
    if (!bld
        || OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, x.constData(), size_t(x.size()))
            != 1)
        return Error(QStringLiteral("%1: %2").arg(describeKid(kid), ossl::lastError()));
    return fromData("ED25519", bld.get(), kid);
}

QByteArray stripLeadingZeros(QByteArray bytes)
{
    qsizetype i = 0;
    while (i + 1 < bytes.size() && bytes.at(i) == '\0')
        ++i;
    return bytes.mid(i);
}

} // namespace

bool Jwk::isSupportedKty(const QString &kty)
{
    return kty == QLatin1String("RSA") || kty == QLatin1String("EC") || kty == QLatin1String("OKP");
}

Result<Jwk> Jwk::fromJson(const QJsonObject &json)
{
    Jwk jwk;
    const auto optionalString = [&json](const char *name, QString *out) -> bool {
        const QJsonValue v = json.value(QLatin1String(name));
        if (v.isUndefined())
            return true;
        if (!v.isString())
            return false;
        *out = v.toString();
        return true;
    };
    if (!optionalString("kid", &jwk.m_kid))
        return Error(QStringLiteral("key: member \"kid\" is not a string"));
    if (!optionalString("kty", &jwk.m_kty) || !optionalString("crv", &jwk.m_crv)
        || !optionalString("alg", &jwk.m_alg) || !optionalString("use", &jwk.m_use))
        return Error(QStringLiteral("%1: kty, crv, alg and use must be strings").arg(describeKid(jwk.m_kid)));
    if (json.contains(QLatin1String("d")) || json.contains(QLatin1String("p")))
        return Error(QStringLiteral("%1: holds private key material; publish only the public key")
                         .arg(describeKid(jwk.m_kid)));

    if (jwk.m_kty == QLatin1String("RSA")) {
        jwk.m_type = Type::Rsa;
        auto n = member(json, "n", jwk.m_kid);
        if (!n)
            return n.error();
        auto e = member(json, "e", jwk.m_kid);
        if (!e)
            return e.error();
        auto key = rsaKey(*n, *e, jwk.m_kid);
        if (!key)
            return key.error();
        jwk.m_pkey = std::move(key).value();
        jwk.m_n = Base64Url::encode(stripLeadingZeros(*n));
        jwk.m_e = Base64Url::encode(stripLeadingZeros(*e));
    } else if (jwk.m_kty == QLatin1String("EC")) {
        jwk.m_type = Type::Ec;
        const Curve *curve = findCurve(jwk.m_crv);
        if (!curve)
            return Error(QStringLiteral("%1: unsupported EC curve (P-256, P-384 and P-521 are)")
                             .arg(describeKid(jwk.m_kid)));
        auto x = member(json, "x", jwk.m_kid);
        if (!x)
            return x.error();
        auto y = member(json, "y", jwk.m_kid);
        if (!y)
            return y.error();
        auto key = ecKey(*curve, *x, *y, jwk.m_kid);
        if (!key)
            return key.error();
        jwk.m_pkey = std::move(key).value();
        jwk.m_x = Base64Url::encode(*x);
        jwk.m_y = Base64Url::encode(*y);
    } else if (jwk.m_kty == QLatin1String("OKP")) {
        jwk.m_type = Type::Okp;
        if (jwk.m_crv != QLatin1String("Ed25519"))
            return Error(QStringLiteral("%1: unsupported OKP curve (Ed25519 is)").arg(describeKid(jwk.m_kid)));
        auto x = member(json, "x", jwk.m_kid);
        if (!x)
            return x.error();
        auto key = ed25519Key(*x, jwk.m_kid);
        if (!key)
            return key.error();
        jwk.m_pkey = std::move(key).value();
        jwk.m_x = Base64Url::encode(*x);
    } else {
        return Error(QStringLiteral("%1: unsupported kty").arg(describeKid(jwk.m_kid)));
    }
    return jwk;
}

int Jwk::bits() const
{
    return m_pkey ? EVP_PKEY_get_bits(m_pkey.get()) : 0;
}

QJsonObject Jwk::toJson() const
{
    QJsonObject o;
    o.insert(QStringLiteral("kty"), m_kty);
    if (!m_kid.isEmpty())
        o.insert(QStringLiteral("kid"), m_kid);
    if (!m_alg.isEmpty())
        o.insert(QStringLiteral("alg"), m_alg);
    if (!m_use.isEmpty())
        o.insert(QStringLiteral("use"), m_use);
    if (!m_crv.isEmpty())
        o.insert(QStringLiteral("crv"), m_crv);
    switch (m_type) {
    case Type::Rsa:
        o.insert(QStringLiteral("n"), QString::fromLatin1(m_n));
        o.insert(QStringLiteral("e"), QString::fromLatin1(m_e));
        break;
    case Type::Ec:
        o.insert(QStringLiteral("x"), QString::fromLatin1(m_x));
        o.insert(QStringLiteral("y"), QString::fromLatin1(m_y));
        break;
    case Type::Okp:
        o.insert(QStringLiteral("x"), QString::fromLatin1(m_x));
        break;
    }
    return o;
}

QByteArray Jwk::thumbprint() const
{
    // RFC 7638 §3.2: required members only, lexicographic order, no whitespace. All values are
    // base64url or fixed names, so no JSON escaping is needed.
    QByteArray canonical;
    switch (m_type) {
    case Type::Rsa:
        canonical = "{\"e\":\"" + m_e + "\",\"kty\":\"RSA\",\"n\":\"" + m_n + "\"}";
        break;
    case Type::Ec:
        canonical = "{\"crv\":\"" + m_crv.toLatin1() + "\",\"kty\":\"EC\",\"x\":\"" + m_x + "\",\"y\":\"" + m_y
                    + "\"}";
        break;
    case Type::Okp:
        canonical = "{\"crv\":\"" + m_crv.toLatin1() + "\",\"kty\":\"OKP\",\"x\":\"" + m_x + "\"}";
        break;
    }
    return Base64Url::encode(QCryptographicHash::hash(canonical, QCryptographicHash::Sha256));
}

} // namespace gh
