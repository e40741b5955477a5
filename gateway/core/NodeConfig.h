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

// [proxy]: the HTTP proxy's limits and timeouts. The defaults are HttpProxyOptions' own
// (GatewayNode checks at compile time that they agree).
struct ProxyConfig {
    int workers = 0;                                    // 0 = one per core; else 1..64
    std::chrono::milliseconds connectTimeout{5'000};   // to the upstream (TCP and TLS)
    std::chrono::milliseconds readTimeout{300'000};    // between bytes from the upstream
    std::chrono::milliseconds headerTimeout{30'000};   // a client's request head, and each body read
    std::chrono::milliseconds idleTimeout{60'000};     // a keep-alive client with nothing in flight
    qint64 maxRequestHeaders = 64 * 1024;               // request line + headers
    qint64 maxRequestBody = 0;                          // 0 = unlimited
    int maxIdleUpstreams = 32;                          // pooled per proxy thread and upstream
    qint64 ruleBodyLimit = 1 << 20;                     // request body bytes read for body rules; beyond: 413
    qint64 maskBodyLimit = 8 << 20;                     // a response masked whole (json_fields); beyond: 502
};

// [recording]: what the recorder keeps, and how hard the store syncs it. Default: Recorder::Options'
// and SqliteStore::Options' (GatewayNode checks that they agree).
struct RecordingConfig {
    qint64 bodyCap = 1 << 20;                           // recorded bytes per event body
    // synchronous = "normal" (false): a committed event survives kill -9 of the process, which is
    // what the contract promises, not power loss; "full" (true): power loss too, at an fsync per
    // group commit (measured in docs/recording.md).
    bool syncOnCommit = false;
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

    ProxyConfig proxy;                  // [proxy]
    RecordingConfig recording;          // [recording]

    // Unknown keys, wrong types, bad durations, sizes and addresses, and values out of range are
    // errors naming file, line, key.
    static Result<NodeConfig> load(const QString &path);
    static Result<NodeConfig> parse(const QByteArray &toml, const QString &sourceName);
};

// $XDG_DATA_HOME/gatehouse, else ~/.local/share/gatehouse.
QString defaultDataDir();

// "250ms", "30s", "15m", "1h", "1h30m", "7d". Positive; overflow and unknown units are errors.
Result<std::chrono::milliseconds> parseDuration(QStringView text);
// The shortest form parseDuration() reads back: "15m", "1h30m", "500ms".
QString formatDuration(std::chrono::milliseconds d);

// Byte counts: "0", "1048576", "512B", "64KiB", "1MiB", "2GiB" (1 KiB = 1024 B). Not negative;
// fractions, spaces, decimal units (KB, MB) and overflow are errors.
Result<qint64> parseSize(QStringView text);

} // namespace gh
