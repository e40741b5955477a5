#pragma once

#include "core/Resources.h"
#include "core/Result.h"

#include <QByteArray>
#include <QDateTime>
#include <QHash>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QStringList>

#include <functional>
#include <optional>

namespace gh {

// What applyResources() did, as "connection/<name>" and "rule/<name>" items.
struct ApplyOutcome {
    QStringList created;
    QStringList updated;
    QStringList unchanged;
};

// What a single put did.
enum class PutOutcome { Created, Updated, Unchanged };

// A token this gateway issued, or (issuedAt invalid) a revocation of a token it did not record.
struct IssuedToken {
    QString jti;
    QString subject;
    QStringList groups;
    QDateTime issuedAt;    // UTC; invalid for a bare revocation
    QDateTime expiresAt;   // UTC; invalid when unknown (a bare revocation without expiry)
    QDateTime revokedAt;   // UTC; invalid while not revoked
};

// Who opened a recorded session, and where to. An empty id lets the store choose a UUID.
struct SessionStart {
    QString id;
    QString connection;
    QString subject;
    QStringList groups;
    QString issuer;
    QString clientAddr;
    qint64 startedAtUs = 0;   // microseconds since the epoch, UTC
};

// One recorded event as the recorder hands it over: the store keeps it as given, hash included.
struct Event {
    qint64 seq = 0;
    qint64 tsUs = 0;
    QString kind;             // "http.request", "pg.query", "policy.deny", ...
    QByteArray data;          // JSON; compressed at rest when large
    QByteArray hash;          // the chain hash the recorder computed
};

// An event read back; data is always the original bytes.
struct StoredEvent {
    QString sessionId;
    qint64 seq = 0;
    qint64 tsUs = 0;
    QString kind;
    QByteArray data;
    QByteArray hash;
    qint64 storedSize = 0;    // bytes at rest, after compression
};

// How a session closes: totals and the signed head of its chain.
struct SessionEnd {
    qint64 endedAtUs = 0;
    qint64 bytesIn = 0;
    qint64 bytesOut = 0;
    QByteArray headHash;      // empty keeps the head of the last appended event
    QByteArray headSignature;
    // How many events the session recorded; empty: count the stored ones. The recorder gives it,
    // so an event whose commit failed shows as missing rather than the session as shorter.
    std::optional<qint64> eventCount;
};

struct SessionInfo {
    QString id;
    QString connection;
    QString subject;
    QStringList groups;
    QString issuer;
    QString clientAddr;
    qint64 startedAtUs = 0;
    std::optional<qint64> endedAtUs;   // empty while the session is open (or its process died)
    qint64 bytesIn = 0;
    qint64 bytesOut = 0;
    qint64 eventCount = 0;
    QByteArray headHash;
    QByteArray headSignature;
};

// sessions() filter; empty fields do not filter. since is inclusive, until exclusive.
struct SessionFilter {
    QString connection;
    QString subject;
    std::optional<qint64> sinceUs;
    std::optional<qint64> untilUs;
    int limit = 100;
};

// stats() input: the window [sinceUs, untilUs) cut into buckets of bucketUs, the first starting at sinceUs.
struct StatsQuery {
    qint64 sinceUs = 0;
    qint64 untilUs = 0;
    qint64 bucketUs = 3'600'000'000;
    int latestDenials = 20;
};

// One bucket of one connection: requests seen, requests refused (deny rules, unauthorized,
// approval denied or expired), requests held for approval, values masked in responses.
struct StatsCounts {
    qint64 requests = 0;
    qint64 refusals = 0;
    qint64 approvals = 0;
    qint64 masked = 0;
};

// A refused request as the overview lists it.
struct StatsDenial {
    qint64 tsUs = 0;
    QString sessionId;
    QString connection;
    QString subject;
    QString rule;      // empty when no rule refused it (no token, unknown connection)
    QString method;
    QString path;
    QString error;     // the refusal's code: "denied", "unauthorized", "approval_denied", ...
    int status = 0;
};

struct StatsResult {
    QHash<QString, QList<StatsCounts>> connections;   // connection -> one entry per bucket
    QList<StatsDenial> latestDenials;                // newest first
};

// searchSessions(): the list filter plus a search and "has events of these kinds".
struct SessionSearch {
    SessionFilter filter;
    QString text;            // case-insensitive substring of id, subject, connection or client address
    QStringList withKinds;   // sessions with at least one event of any of these kinds; empty: any
};

// One slice of a session's events without their data, in seq order: what a timeline paints.
// kind[i] indexes kinds.
struct SessionTimeline {
    QList<qint64> seq;
    QList<qint64> tsUs;
    QList<quint16> kind;
    QStringList kinds;
};

// The gateway's durable state: resources, issued tokens, recorded sessions. SQLite on one node,
// PostgreSQL (later) for many; both sit behind this interface.
//
// Writes are serialised on one writer and grouped into transactions; the blocking forms return
// once the write is durable. The Async forms queue the write and report through `done`, called
// on the writer's thread (wrap it with deliverTo() to get it on your own thread). Reads of sessions
// see every session write made before them (a store that commits late catches up first). Every method may be called from any thread. The signals are emitted on
// the writer thread: connect with a receiver living elsewhere so they arrive queued.
class Store : public QObject {
    Q_OBJECT

public:
    using Completion = std::function<void(Status)>;

    ~Store() override = default;

    // A Completion that runs `f` on `context`'s thread; dropped when `context` is gone first.
    // Delete `context` only on its own thread (the usual rule for QObjects).
    static Completion deliverTo(QObject *context, Completion f)
    {
        return [ctx = QPointer<QObject>(context), f = std::move(f)](Status s) {
            if (ctx)
                QMetaObject::invokeMethod(ctx.data(), [f, s] { f(s); }, Qt::QueuedConnection);
        };
    }

    // Unhealthy (with the reason) from the moment a write cannot be committed until one can.
    // The gateway refuses traffic it would have to record while this is not ok.
    virtual Status health() const = 0;

    // ---- resources ----
    // All or nothing, in one transaction; upsert by name. Equal items are not written.
    virtual Result<ApplyOutcome> applyResources(const ResourceSet &set) = 0;
    virtual Result<ResourceSet> resources() const = 0;   // rules in their stored order
    virtual Result<std::optional<Connection>> connection(const QString &name) const = 0;
    virtual Result<std::optional<Rule>> rule(const QString &name) const = 0;
    virtual Result<PutOutcome> putConnection(const Connection &c) = 0;
    virtual Result<PutOutcome> putRule(const Rule &r) = 0;   // a new rule goes last
    virtual Result<bool> deleteConnection(const QString &name) = 0;   // false: there was none
    virtual Result<bool> deleteRule(const QString &name) = 0;
    // Grows by one with every committed change to resources, across restarts.
    virtual quint64 resourceRevision() const = 0;

    // ---- tokens ----
    virtual Status recordIssuedToken(const QString &jti, const QString &subject,
                                     const QStringList &groups, const QDateTime &issuedAt,
                                     const QDateTime &expiresAt) = 0;
    // Stores the revocation even for a jti this gateway never recorded (a leaked token from
    // elsewhere must be blockable); such a revocation without expiresAt is kept until deleted.
    // true: the jti was one this gateway issued. Revoking twice keeps the first time.
    virtual Result<bool> revokeToken(const QString &jti, const QDateTime &at,
                                     const QDateTime &expiresAt) = 0;
    // jti -> expiry (invalid when unknown) of every revoked token not yet expired.
    virtual Result<QHash<QString, QDateTime>> revokedTokens() const = 0;
    virtual Result<QList<IssuedToken>> issuedTokens() const = 0;   // issued by us, newest first
    // Drops tokens that expired more than a day ago; returns how many.
    virtual Result<qint64> pruneExpiredTokens() = 0;

    // ---- sessions ----
    virtual Result<QString> beginSession(const SessionStart &start) = 0;
    // Returns the session id at once (chosen here when start.id is empty).
    virtual QString beginSessionAsync(const SessionStart &start, Completion done) = 0;
    virtual Status appendEvent(const QString &sessionId, const Event &event) = 0;
    virtual void appendEventAsync(const QString &sessionId, const Event &event, Completion done) = 0;
    // Returns once the event survives a kill -9 of the process: "recorded before forwarded"
    // (contract §6). A store with a journal writes it there on the calling thread and commits it
    // later (`done` hears of that, as with appendEventAsync); this default commits before it
    // returns. An error: the event is not recorded, and `done` is not called.
    virtual Status appendEventDurable(const QString &sessionId, const Event &event, Completion done)
    {
        Status s = appendEvent(sessionId, event);
        if (s && done)
            done(s);
        return s;
    }
    virtual Status endSession(const QString &sessionId, const SessionEnd &end) = 0;
    virtual void endSessionAsync(const QString &sessionId, const SessionEnd &end, Completion done) = 0;
    virtual Result<QList<SessionInfo>> sessions(const SessionFilter &filter) const = 0;   // newest first
    virtual Result<std::optional<SessionInfo>> session(const QString &id) const = 0;
    // Up to `limit` events from fromSeq on. With maxBytes > 0 the page also ends after the event
    // that brings its decoded data to maxBytes (at least one event), so recorded bodies of a
    // megabyte each never fill memory a thousand at a time.
    virtual Result<QList<StoredEvent>> events(const QString &sessionId, qint64 fromSeq, int limit,
                                              qint64 maxBytes = 0) const = 0;
    // Like sessions(), also honouring SessionSearch's text and withKinds (newest first).
    virtual Result<QList<SessionInfo>> searchSessions(const SessionSearch &search) const = 0;
    // seq, time and kind of up to `limit` events from fromSeq on (limit <= 0: all of them).
    virtual Result<SessionTimeline> timeline(const QString &sessionId, qint64 fromSeq, int limit) const = 0;
    // The seq of the first event at or after tsUs; empty when there is none.
    virtual Result<std::optional<qint64>> seqAtOrAfter(const QString &sessionId, qint64 tsUs) const = 0;
    // How many events of the session are stored from fromSeq on.
    virtual Result<qint64> eventCount(const QString &sessionId, qint64 fromSeq) const = 0;

    // ---- statistics (the desktop overview) ----
    // Counts per connection and bucket from the recorded events, and the latest refusals.
    virtual Result<StatsResult> stats(const StatsQuery &) const
    {
        return Error(QStringLiteral("this store keeps no statistics"));
    }

Q_SIGNALS:
    void healthChanged(bool healthy, const QString &reason);
    void resourcesChanged(quint64 revision);

protected:
    explicit Store(QObject *parent = nullptr) : QObject(parent) {}
};

} // namespace gh
