#include "identity/JwkSet.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>

namespace gh {

Result<JwkSet> JwkSet::fromJson(const QByteArray &json)
{
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &err);
    if (err.error != QJsonParseError::NoError)
        return Error(QStringLiteral("JWKS is not valid JSON: %1 at offset %2").arg(err.errorString()).arg(err.offset));
    if (!doc.isObject())
        return Error(QStringLiteral("JWKS must be a JSON object with a \"keys\" array"));
    return fromJsonObject(doc.object());
}

Result<JwkSet> JwkSet::fromJsonObject(const QJsonObject &jwks)
{
    const QJsonValue keys = jwks.value(QLatin1String("keys"));
    if (!keys.isArray())
        return Error(QStringLiteral("JWKS must be a JSON object with a \"keys\" array"));
    JwkSet set;
    const QJsonArray array = keys.toArray();
    for (qsizetype i = 0; i < array.size(); ++i) {
        const QString where = QStringLiteral("keys[%1]").arg(i);
        if (!array.at(i).isObject())
            return Error(QStringLiteral("not a JSON object"), QString(), 0, where);
        const QJsonObject key = array.at(i).toObject();
        const QString kty = key.value(QLatin1String("kty")).toString();
        // Encryption keys and key types we do not know never verify a signature: leave them out
        // rather than refusing the whole document, since IdPs publish them side by side.
        if (key.value(QLatin1String("use")).toString() == QLatin1String("enc") || !Jwk::isSupportedKty(kty)) {
            ++set.m_skipped;
            continue;
        }
        auto jwk = Jwk::fromJson(key);
        if (!jwk)
            return Error(jwk.error().message, QString(), 0, where);
        set.m_keys.append(std::move(jwk).value());
    }
    return set;
}

bool JwkSet::containsKid(const QString &kid) const
{
    for (const Jwk &k : m_keys)
        if (k.kid() == kid)
            return true;
    return false;
}

QJsonObject JwkSet::toJson() const
{
    QJsonArray array;
    for (const Jwk &k : m_keys)
        array.append(k.toJson());
    return QJsonObject{{QStringLiteral("keys"), array}};
}

} // namespace gh
