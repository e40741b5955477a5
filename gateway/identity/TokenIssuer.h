#pragma once

#include "core/Result.h"
#include "identity/JwkSet.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QDateTime>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <openssl/types.h>

#include <chrono>
#include <memory>

namespace gh {

// The gateway's own issuer: an Ed25519 key in the data dir that signs gateway tokens and
// recording chain heads. Thread-safe after construction (every call is const).
class TokenIssuer final {
    Q_DISABLE_COPY_MOVE(TokenIssuer)
public:
    struct Issued {
        QByteArray token;
        QString jti;
        QDateTime issuedAt;
        QDateTime expiresAt;
        bool capped = false;   // the requested ttl was longer than maxTtl and was cut down
    };

    static constexpr qsizetype kMaxSubjectLength = 256;
    static constexpr qsizetype kMaxGroups = 256;
    static QString keyFileName() { return QStringLiteral("signing.key"); }
    static QString audience() { return QStringLiteral("gatehouse"); }

    // Reads <dataDir>/signing.key, or creates it (mode 0600, written atomically) when absent.
    // A key file that group or others may read is refused: it has to be assumed leaked.
    static Result<std::unique_ptr<TokenIssuer>> loadOrCreate(const QString &dataDir);
    ~TokenIssuer();

    const QString &issuer() const { return m_issuer; }   // "gatehouse:" + the kid's first 16 chars
    const QString &keyId() const { return m_kid; }       // RFC 7638 thumbprint of the public key

    Result<Issued> issue(const QString &subject, const QStringList &groups, std::chrono::seconds ttl,
                         std::chrono::seconds maxTtl, const QDateTime &now) const;

    const JwkSet &publicKeys() const { return m_publicKeys; }
    QJsonObject publicJwks() const { return m_publicKeys.toJson(); }

    // Raw Ed25519 signature (64 bytes); empty only if OpenSSL fails.
    QByteArray sign(QByteArrayView data) const;
    bool verifySignature(QByteArrayView data, QByteArrayView signature) const;

private:
    TokenIssuer() = default;
    static Result<std::unique_ptr<TokenIssuer>> fromKey(EVP_PKEY *key);   // takes ownership

    EVP_PKEY *m_key = nullptr;
    QString m_kid;
    QString m_issuer;
    JwkSet m_publicKeys;
};

} // namespace gh
