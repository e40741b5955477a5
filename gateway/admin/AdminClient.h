#pragma once

#include "admin/HttpRequest.h"

#include <QByteArray>
#include <QJsonDocument>
#include <QObject>
#include <QTimer>
#include <QPointer>
#include <QSslConfiguration>
#include <QString>
#include <QUrl>

#include <chrono>
#include <functional>
#include <optional>

class QNetworkAccessManager;
class QNetworkReply;
class QNetworkRequest;

namespace gh {

// What the admin API answered, or why it did not.
struct AdminReply {
    int status = 0;               // HTTP status; 0 when no HTTP answer came (network error, timeout)
    QByteArray body;
    QByteArray contentType;
    QJsonDocument json;           // the body parsed, when it is JSON
    QString errorText;            // network error, or the server's JSON "message" (else "HTTP 404 Not Found")
    QString errorCode;            // the server's JSON "error" ("invalid", "not_found", ...)

    bool ok() const { return status >= 200 && status < 300 && !broken; }
    // downloadSync(): a 2xx answer that ended before it was whole (errorText says how).
    bool broken = false;
    HttpHeaders headers;          // download()'s answers: the response headers

    // A response header's value (names in any case); empty when absent.
    QByteArray header(QByteArrayView name) const
    {
        for (const auto &[k, v] : headers) {
            if (QByteArrayView(k).compare(name, Qt::CaseInsensitive) == 0)
                return v;
        }
        return {};
    }
};

// One Server-Sent Event.
struct AdminEvent {
    QByteArray type;              // "event:" field; "message" when none was given
    QByteArray id;
    QByteArray data;              // "data:" lines joined with '\n'
    QJsonDocument json;           // data parsed, when it is JSON
};

class AdminClient;

// A live Server-Sent Events subscription. Reconnects by itself (sending Last-Event-ID) until
// close() or destruction; owned by the AdminClient that made it.
class AdminEventStream final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AdminEventStream)
public:
    ~AdminEventStream() override;
    void close();
    bool isConnected() const { return m_connected; }

Q_SIGNALS:
    void connected();
    void disconnected(const QString &reason);   // it retries after this unless closed

private:
    friend class AdminClient;
    AdminEventStream(AdminClient *client, QString path, std::function<void(const AdminEvent &)> onEvent);
    void open();
    void onReadyRead();
    void onFinished();
    void dispatchLine(QByteArrayView line);

    AdminClient *m_client;
    QString m_path;
    std::function<void(const AdminEvent &)> m_onEvent;
    QPointer<QNetworkReply> m_reply;
    QByteArray m_buffer;
    AdminEvent m_pending;
    bool m_hasData = false;
    QByteArray m_lastEventId;
    int m_retryMs = 3000;
    bool m_connected = false;
    bool m_closed = false;
};

// One running AdminClient::download().
class AdminDownload final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AdminDownload)
public:
    static constexpr qint64 kReadBuffer = 1 << 20;   // the most onData gets at once, and what Qt is asked to read ahead
    static constexpr qint64 kErrorBody = 64 << 10;   // an error answer is a small JSON object
    // Stops reading; `done` follows (later, in this thread) with errorText "stopped".
    void abort();
    bool isFinished() const { return m_finished; }

private:
    friend class AdminClient;
    AdminDownload(QNetworkReply *reply, std::function<bool(const QByteArray &)> onData,
                  std::function<void(AdminReply)> done, std::chrono::milliseconds inactivity);
    void take();
    void onFinished();

    QNetworkReply *m_reply;   // child
    std::function<bool(const QByteArray &)> m_onData;
    std::function<void(AdminReply)> m_done;
    QByteArray m_errorBody;
    qint64 m_lines = 0;   // newlines in the 2xx body so far
    QTimer m_idle;   // runs only while waiting for the server, not while onData works
    std::chrono::milliseconds m_inactivity;
    bool m_stopped = false;
    bool m_timedOut = false;
    bool m_finished = false;
};

// Talks to a gatehoused admin API (JSON over HTTP(S), bearer token). Used by the desktop app
// and gatehousectl; knows nothing about either.
class AdminClient final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AdminClient)
public:
    AdminClient(QUrl server, QString token, QObject *parent = nullptr);
    ~AdminClient() override;

    QUrl server() const { return m_server; }
    void setToken(const QString &token) { m_token = token; }
    bool hasToken() const { return !m_token.isEmpty(); }
    // For https servers with a private CA or a pinned certificate.
    void setSslConfiguration(const QSslConfiguration &configuration) { m_ssl = configuration; }
    // Inactivity limit for call(); default 30 s.
    void setTimeout(std::chrono::milliseconds timeout) { m_timeout = timeout; }

    // `path` is relative to the server URL and may carry a query ("/api/v1/sessions?limit=5");
    // callers percent-encode path segments. `done` runs exactly once, in this object's thread,
    // unless the client is destroyed first.
    void call(const QByteArray &method, const QString &path, const QByteArray &body,
              const QByteArray &contentType, std::function<void(AdminReply)> done,
              const HttpHeaders &extraHeaders = {});

    // Blocking variant for command-line tools: runs a local event loop until the reply or the
    // timeout (then status 0 and errorText says it timed out).
    AdminReply callSync(const QByteArray &method, const QString &path, const QByteArray &body = {},
                        const QByteArray &contentType = {},
                        std::chrono::milliseconds timeout = std::chrono::milliseconds(30'000),
                        const HttpHeaders &extraHeaders = {});

    // GET `path` for a long answer (a session's events) without holding it: `onData` gets the body
    // of a 2xx answer piece by piece as it arrives, and the server is read no faster than onData
    // returns. onData returning false, or AdminDownload::abort(), stops the download (errorText:
    // "stopped"). `inactivity` limits the time spent waiting for the server's next byte, not the
    // whole download, nor the time onData takes (a paused pipe, a replay waiting out a pause). `done` runs
    // once at the end, in this object's thread; its reply carries no body when 2xx, and says
    // `broken` when the answer ended early (the server broke it off, the connection dropped).
    // The download deletes itself after `done`. An answer announcing its number of lines
    // (X-Gatehouse-Lines, as a session's events do) and bringing fewer is `broken` too: Qt does not
    // always report a chunked answer that stopped short.
    AdminDownload *download(const QString &path, std::function<bool(const QByteArray &)> onData,
                            std::function<void(AdminReply)> done,
                            std::chrono::milliseconds inactivity = std::chrono::milliseconds(30'000),
                            const HttpHeaders &extraHeaders = {});
    // The same, blocking, for command-line tools: runs a local event loop until the end.
    AdminReply downloadSync(const QString &path, const std::function<bool(const QByteArray &)> &onData,
                            std::chrono::milliseconds inactivity = std::chrono::milliseconds(30'000),
                            const HttpHeaders &extraHeaders = {});

    // GET `path` as an event stream; `onEvent` runs for every event, in this object's thread.
    AdminEventStream *subscribeEvents(const QString &path, std::function<void(const AdminEvent &)> onEvent);

    QUrl urlFor(const QString &path) const;

private:
    friend class AdminEventStream;
    friend class AdminDownload;
    QNetworkRequest makeRequest(const QString &path, const QByteArray &contentType,
                                const HttpHeaders &extraHeaders) const;
    static AdminReply toReply(QNetworkReply *reply);
    // A refusal's code and message from its JSON body, else "HTTP 404 Not Found".
    static void explainRefusal(AdminReply &r, QNetworkReply *reply);

    QUrl m_server;
    QString m_token;
    std::optional<QSslConfiguration> m_ssl;
    std::chrono::milliseconds m_timeout{30'000};
    QNetworkAccessManager *m_nam;   // child
};

} // namespace gh
