#pragma once

#include "core/Result.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <chrono>

namespace gh {

// host:port a listener binds; port 0 lets the OS choose (tests use it).
struct ListenAddress {
    QString host;
    quint16 port = 0;

    static Result<ListenAddress> parse(const QString &text);   // "127.0.0.1:8700", "[::1]:8700"
    QString toString() const;                                  // brackets IPv6 hosts
    friend bool operator==(const ListenAddress &, const ListenAddress &) = default;
};

struct OidcProviderConfig {
    QString issuer;
    QString audience;
    QString jwksFile;
    QString jwksUrl;
    QString groupsClaim = QStringLiteral("groups");
};

// gatehoused.toml: what belongs to this machine (contract §2). Resources live in the store.
struct NodeConfig {
    QString sourceFile;                 // empty for the embedded default

    QString dataDir;                    // empty = defaultDataDir()
    ListenAddress adminListen{QStringLiteral("127.0.0.1"), 8700};
    ListenAddress httpListen{QStringLiteral("127.0.0.1"), 8701};
    ListenAddress pgListen{QStringLiteral("127.0.0.1"), 8702};
    QString store = QStringLiteral("sqlite");
    QString tlsCert;
    QString tlsKey;

    std::chrono::seconds maxTokenTtl{std::chrono::hours(1)};
    QList<OidcProviderConfig> oidc;

    QStringList adminGroups;            // [roles] admin
    QStringList auditorGroups;          // [roles] auditor

    // Unknown keys, wrong types, bad durations and bad addresses are errors naming file, line, key.
    static Result<NodeConfig> load(const QString &path);
    static Result<NodeConfig> parse(const QByteArray &toml, const QString &sourceName);
};

// $XDG_DATA_HOME/gatehouse, else ~/.local/share/gatehouse.
QString defaultDataDir();

// "250ms", "30s", "15m", "1h", "1h30m", "7d". Positive; overflow and unknown units are errors.
Result<std::chrono::milliseconds> parseDuration(QStringView text);
// The shortest form parseDuration() reads back: "15m", "1h30m", "500ms".
QString formatDuration(std::chrono::milliseconds d);

} // namespace gh
