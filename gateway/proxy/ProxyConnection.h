#pragma once

#include "admin/HttpRequest.h"
#include "identity/Principal.h"
#include "proxy/ByteStream.h"
#include "proxy/LazyTimer.h"
#include "proxy/RequestTarget.h"
#include "proxy/UpstreamConnection.h"
#include "recording/EventJson.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QJsonObject>
#include <QObject>
#include <QPointer>

#include <http_parser.h>

#include <memory>
#include <optional>

namespace gh {

struct Rule;
class MaskPlan;
class PolicyPlan;
class ResponseMasker;
class CredentialSource;
class ProxyWorker;
class RouteTable;
class SessionRecording;
struct ProxyContext;
struct Route;

// One client connection of the HTTP proxy: parses requests with http-parser as they stream in,
// authenticates and routes each one, and pipes its body to an upstream connection and the
// response back, read by read, never holding more than a bounded amount of either.
class ProxyConnection final : public QObject, private UpstreamListener, private ByteStream::Handler {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ProxyConnection)
public:
    ProxyConnection(std::unique_ptr<ByteStream> stream, ProxyWorker *worker, const ProxyContext &context);
    ~ProxyConnection() override;

    // Finish the exchange in flight (if any), then close.
    void drain();

Q_SIGNALS:
    void closed(gh::ProxyConnection *self);

private:
    enum class Request { Idle, Head, Held, Body, Done };
    enum class Response { None, Streaming, Done };

    static int onMessageBegin(http_parser *p);
    static int onUrl(http_parser *p, const char *at, size_t len);
    static int onHeaderField(http_parser *p, const char *at, size_t len);
    static int onHeaderValue(http_parser *p, const char *at, size_t len);
    static int onHeadersComplete(http_parser *p);
    static int onBody(http_parser *p, const char *at, size_t len);
    static int onMessageComplete(http_parser *p);
    static const http_parser_settings &settings();

    // UpstreamListener
    void upstreamReady() override;
    void upstreamHead(UpstreamResponseHead &head) override;
    void upstreamBody(const char *data, qsizetype size) override;
    void upstreamReadDone() override;
    void upstreamComplete(bool reusable) override;
    void upstreamFailed(const QString &reason, bool timedOut) override;
    void upstreamWritable() override;

    bool countHeaderBytes(size_t len);
    int validateHead();
    // ByteStream::Handler: the client's side.
    void streamReadable() override;
    void streamWritten() override;
    void streamFailed(const QString &reason) override;
    void streamHangUp() override;
    void fillInput();   // what the client sent, into m_in while it has room
    void pump();
    void onClientDisconnected();
    void onTimeout();
    void armTimer(std::chrono::milliseconds timeout);

    void startRequest();
    void authorize();   // after authentication: access, route, then the rules
    // The proven token's principal still stands against revocations (see m_provenRevocations).
    bool stillNotRevoked();
    // A principal in strings of its own, for a connection to keep.
    static Principal detached(const Principal &p);
    // ProxyPolicy.cpp: deny -> approve, then proceed() records and forwards.
    void startBodyScan();
    void applyPolicy();
    void proceed();
    void refuseByRule(int status, const QByteArray &code, const QString &rule, const QString &message);
    void holdNextApproval();
    bool selectMaskPlan();
    bool startMasking(UpstreamResponseHead &head);          // false: refused (502)
    void writeBody(const char *data, qsizetype size);       // to the client, framed, and recorded
    void maskFailed(const QString &reason);
    void recordMasking(const QList<struct MaskSummary> &masks);
    QByteArray responseHeadBytes(const UpstreamResponseHead &head, bool masked, qint64 maskedLength);
    QByteArray maskedExcerpt(QByteArrayView body) const;   // what an approver may see of a body
    void onApprovalOutcome(quint64 serial, const struct ApprovalOutcome &outcome);
    bool ensureSession();
    void endSession();   // signs the session's head and tells the live event stream
    void recordRefusal(int status, const QByteArray &code, const QString &message);
    void recordBody(const char *kind, const char *data, qsizetype size, qint64 &recorded);
    void recordEnd(const char *kind, qint64 size, qint64 recorded, bool brokenOff = false);
    void connectUpstream();
    void forward();
    QByteArray upstreamHeadBytes(const QByteArray &credential) const;
    void finishExchange();
    void refuse(int status, const QByteArray &code, const QString &message, bool close = false);
    void sendError(int status, const QByteArray &code, const QString &message, bool close);
    void closeGracefully();
    void releaseUpstream(bool reusable);

    std::unique_ptr<ByteStream> m_stream;   // the client: FdStream, QtSocketStream for TLS
    ProxyWorker *m_worker;
    const ProxyContext &m_context;
    LazyTimer m_timer;
    http_parser m_parser{};
    QByteArray m_in;        // received from the client, not yet parsed
    bool m_inputReady = false;   // the stream may have more for m_in without telling us again
    bool m_inputEnded = false;   // the client closed its side
    bool m_inputPaused = false;  // m_in is full: the stream holds the rest
    QByteArray m_peerText;  // the client's address for X-Forwarded-For
    QByteArray m_proto;     // "http" | "https"

    // The request in flight.
    Request m_request = Request::Idle;
    Response m_response = Response::None;
    QByteArray m_url;
    HttpHeaders m_headers;
    QByteArray m_method;
    RequestTarget m_target;
    QByteArray m_requestId;
    std::shared_ptr<const RouteTable> m_routes;
    // The credential sent with the last request, and the source it came from when that source's
    // value cannot change (CredentialSource::readsFiles()): the next request reuses it as it is.
    QByteArray m_credential;
    std::shared_ptr<CredentialSource> m_credentialSource;
    const Route *m_route = nullptr;
    const PolicyPlan *m_policy = nullptr;   // m_routes keeps it alive
    QByteArray m_upstreamPath;              // what rules match and the record shows: path + query
    Principal m_principal;
    // The last token this connection proved and whom it named: a keep-alive client sends the
    // same token again and again, and hashing it for the Authenticator's cache costs more than
    // the rest of the request. Expiry and revocation are still checked every time.
    QByteArray m_provenToken;
    Principal m_provenPrincipal;
    qint64 m_provenExpiresMs = 0;
    quint64 m_provenRevocations = 0;   // Authenticator::revocations() from before it was proven
    QPointer<UpstreamConnection> m_upstream;
    QByteArray m_upstreamHead;
    QElapsedTimer m_sentAt;
    bool m_lastWasValue = false;
    bool m_valueAtChunkEnd = false;     // the last header value piece ended with the input
    const char *m_chunkEnd = nullptr;   // the end of the bytes handed to http-parser now
    bool m_obsFold = false;
    qsizetype m_headerBytes = 0;
    bool m_headReady = false;
    bool m_requestChunked = false;
    bool m_hasBody = false;
    quint64 m_contentLength = 0;
    qint64 m_bodyBytes = 0;
    bool m_expectContinue = false;
    bool m_headRequest = false;
    bool m_keepAlive = true;
    bool m_clientChunked = false;    // the response to the client is chunk-framed by us
    bool m_closeAfterResponse = false;
    bool m_draining = false;
    bool m_closing = false;
    bool m_closed = false;
    bool m_retried = false;
    bool m_pausedUpstream = false;
    int m_httpMinor = 1;
    // Recording (when the gateway has a recorder): one session per client connection and caller.
    std::shared_ptr<SessionRecording> m_session;
    struct SessionKey {   // whose session m_session is, and on which connection
        QString issuer;
        QString subject;
        QString connection;
    };
    SessionKey m_sessionKey;
    quint64 m_exchangeSerial = 0;
    qint64 m_requestRecorded = 0;
    qint64 m_responseBytes = 0;
    qint64 m_responseRecorded = 0;
    bool m_requestBodyInline = false;  // the request event carries the whole body
    bool m_responseInline = false;     // a small response, recorded as one event at its end
    bool m_brokenOff = false;          // the masker broke this response off (see ResponseMasker::brokenOff)
    int m_responseStatus = 0;
    EventJson m_responseHeaders;
    QByteArray m_responseBody;         // only while m_responseInline (bounded)
    // Rules: a body some rule must see is read whole (within ruleBodyLimit) before deciding.
    bool m_scanning = false;
    bool m_bodyBuffered = false;
    bool m_continueSent = false;
    QByteArray m_scanBody;
    QJsonObject m_refusalExtra;        // fields a refusal adds to its JSON body and record ("rule")
    QList<const Rule *> m_approvalsLeft;   // approve rules still to be decided for this request
    QString m_heldApproval;                // the approval the request waits for now
    // Masking: the plan for this caller on this connection, and the response's masker.
    std::shared_ptr<const MaskPlan> m_maskPlan;
    // The plan chosen for the last request: the next one by the same caller through the same
    // routes (a keep-alive client) takes it without selecting the rules again.
    struct MaskChoice {
        std::weak_ptr<const RouteTable> routes;
        const Route *route = nullptr;
        QStringList groups;
        std::shared_ptr<const MaskPlan> plan;
    } m_maskChoice;
    std::unique_ptr<ResponseMasker> m_masker;
    std::optional<UpstreamResponseHead> m_deferredHead;   // a whole-body masked response's head
    QByteArray m_maskedWhole;                              // its masked body, sent with the head
    int m_failStatus = 0;
    QByteArray m_failCode;
    QString m_failMessage;
};

} // namespace gh
