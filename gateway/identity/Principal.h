#pragma once

#include <QDateTime>
#include <QString>
#include <QStringList>

namespace gh {

// Who is calling, as established by the Authenticator from a bearer token.
struct Principal {
    enum class Kind {
        AdminToken,   // the data dir's admin.token: may do everything
        Gateway,      // a JWT this gateway issued
        Oidc,         // a JWT from a configured OIDC issuer
    };

    Kind kind = Kind::Oidc;
    QString subject;      // "sub"; "admin" for the admin token
    QStringList groups;   // from the issuer's groups claim
    QString issuer;       // "iss"
    QString tokenId;      // "jti" when present
    QDateTime expiresAt;  // UTC; invalid for the admin token (never expires)

    bool isAdminToken() const { return kind == Kind::AdminToken; }
    bool inAnyGroup(const QStringList &wanted) const
    {
        for (const QString &g : wanted)
            if (groups.contains(g))
                return true;
        return false;
    }
};

} // namespace gh
