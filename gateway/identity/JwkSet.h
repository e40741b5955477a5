#pragma once

#include "core/Result.h"
#include "identity/Jwk.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>

namespace gh {

// The keys of one issuer: a JWKS document (RFC 7517 §5) without encryption or unknown-type keys.
class JwkSet final {
public:
    JwkSet() = default;

    static Result<JwkSet> fromJson(const QByteArray &json);
    static Result<JwkSet> fromJsonObject(const QJsonObject &jwks);

    const QList<Jwk> &keys() const { return m_keys; }
    bool isEmpty() const { return m_keys.isEmpty(); }
    qsizetype size() const { return m_keys.size(); }
    bool containsKid(const QString &kid) const;
    // Keys ignored while parsing: "use":"enc" or an unknown kty.
    int skippedCount() const { return m_skipped; }

    void add(const Jwk &key) { m_keys.append(key); }
    QJsonObject toJson() const;

private:
    QList<Jwk> m_keys;
    int m_skipped = 0;
};

} // namespace gh
