#pragma once

#include "core/Result.h"
#include "identity/Principal.h"
#include "recording/EventJson.h"
#include "recording/SessionChain.h"
#include "recording/Store.h"

#include <QJsonObject>
#include <QObject>
#include <QString>

#include <functional>
#include <memory>

namespace gh {

class TokenIssuer;
class SessionRecording;

// Gateway-wide: starts recorded sessions (contract §6). Thread-safe. The store and the signer must
// outlive every SessionRecording it hands out.
class Recorder final {
    Q_DISABLE_COPY_MOVE(Recorder)
public:
    struct Options {
        qint64 bodyCap = 1 << 20;   // recorded bytes per event body; the rest is noted as truncated,
                                    // traffic flows whole
    };
    Recorder(Store &store, const TokenIssuer &signer, Options options);
    Recorder(Store &store, const TokenIssuer &signer);   // default options

    // Begins a session (its row is queued first on the store's writer, so events that follow are
    // ordered after it). Never blocks.
    std::shared_ptr<SessionRecording> begin(const Principal &who, const QString &connection,
                                            const QString &clientAddr);
    Status health() const;   // the store's health: the proxy refuses traffic while it fails
    const Options &options() const;

private:
    Store &m_store;
    const TokenIssuer &m_signer;
    Options m_options;
};

// One recorded session (one client connection and one principal). Use from one thread at a time.
class SessionRecording final {
    Q_DISABLE_COPY_MOVE(SessionRecording)
public:
    // Only a Recorder makes these (passkey: make_shared needs a public constructor).
    class Key {
        friend class Recorder;
        Key() = default;
    };
    SessionRecording(Key, Store &store, const TokenIssuer &signer, qint64 bodyCap, QString id,
                     qint64 startedAtUs);
    ~SessionRecording();

    QString id() const;
    // Appends one event: `kind` such as "http.request", "http.response", "http.chunk",
    // "policy.refused"; `data` a JSON object; `body` (optional) the bytes seen, cut at bodyCap (data
    // then gets "body_truncated": true and "body_size": <full size if known>). The event is chained
    // (hash over the previous hash and a canonical encoding), queued on the store's writer, and
    // `durable(Status)` — when given — is called on `context`'s thread once it is committed (or
    // failed); without a context, on the store's writer thread, where it must not block. Returns
    // the event's seq, or -1 (durable told why) after end().
    qint64 record(const QString &kind, const QJsonObject &data, const QByteArray &body = {},
                  QObject *context = nullptr, std::function<void(Status)> durable = {});
    // The same from an EventJson, which costs a fraction of a QJsonObject (the proxy's form: an
    // event per request and per response). Stores the same bytes as the QJsonObject form given
    // the same members in key order.
    qint64 record(const QString &kind, EventJson data, const QByteArray &body = {},
                  QObject *context = nullptr, std::function<void(Status)> durable = {});
    // The proxy's form for a request: returns once the event survives a kill -9 of the process
    // (the store's journal has it), so what follows may go upstream; the commit comes later. The
    // event's seq, or why it could not be recorded (then it is not, and nothing may be forwarded).
    Result<qint64> recordDurable(const QString &kind, EventJson data, const QByteArray &body = {});
    // Bytes counted for the session's totals.
    void addBytes(qint64 in, qint64 out);
    // Ends the session: totals, end time, the chain head signed with the gateway key. Idempotent;
    // the destructor ends an unended session.
    void end();

private:
    qint64 nextTimestamp();
    // Appends the body members to `json` (a complete object), chains and queues the event; with
    // `now`, durably before it returns (Store::appendEventDurable), the outcome in `*now`.
    qint64 commit(const QString &kind, QByteArray json, const QByteArray &body, bool hasBodySize,
                  QObject *context, std::function<void(Status)> durable, Status *now = nullptr);
    // Tells `done` of a failure before the store saw the event, or logs it when there is none.
    void report(const Store::Completion &done, const Status &status) const;

    Store &m_store;
    const TokenIssuer &m_signer;
    qint64 m_bodyCap;
    QString m_id;
    SessionChain m_chain;
    qint64 m_lastTsUs;   // events never go back in time, even when the wall clock does
    qint64 m_bytesIn = 0;
    qint64 m_bytesOut = 0;
    bool m_ended = false;
};

// Checks a stored session: every event's hash chain, seq continuity (a removed event), order, and
// the signed head. Used by GET /api/v1/sessions/{id}/verify and `gatehousectl sessions verify`.
struct VerifyResult {
    bool intact = false;
    qint64 firstBadSeq = -1;
    QString reason;
    qint64 events = 0;
};
Result<VerifyResult> verifySession(const Store &store, const TokenIssuer &signer, const QString &id);

// Request/response headers as recorded: Authorization, Proxy-Authorization, Cookie and the
// connection's credential header (extraSecretNames) are left out; Set-Cookie values become
// "[redacted]". The proxy calls this before record(); headersJsonForRecord() (EventJson.h) is the
// same for the EventJson form.
QJsonObject headersForRecord(const QList<std::pair<QByteArray, QByteArray>> &headers,
                             const QList<QByteArray> &extraSecretNames = {});

} // namespace gh
