#include "admin/AdminClient.h"

#include <QEventLoop>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QTimer>

#include <algorithm>
#include <limits>
#include <utility>

namespace gh {

namespace {

int clampMs(std::chrono::milliseconds d)
{
    return int(std::clamp<qint64>(d.count(), 0, std::numeric_limits<int>::max()));
}

constexpr int kMaxRetryMs = 30'000;

} // namespace

// ---- AdminClient ------------------------------------------------------------------------

AdminClient::AdminClient(QUrl server, QString token, QObject *parent)
    : QObject(parent), m_server(std::move(server)), m_token(std::move(token)), m_nam(new QNetworkAccessManager(this))
{
    // A token must never follow a redirect to somewhere else.
    m_nam->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
}

AdminClient::~AdminClient() = default;

QUrl AdminClient::urlFor(const QString &path) const
{
    QUrl url = m_server;
    QString pathPart = path;
    QString query;
    if (const qsizetype q = path.indexOf(QLatin1Char('?')); q >= 0) {
        pathPart = path.left(q);
        query = path.mid(q + 1);
    }
    QString base = m_server.path(QUrl::FullyEncoded);
    while (base.endsWith(QLatin1Char('/')))
        base.chop(1);
    if (!pathPart.startsWith(QLatin1Char('/')))
        pathPart.prepend(QLatin1Char('/'));
    url.setPath(base + pathPart, QUrl::TolerantMode);
    url.setQuery(query.isEmpty() ? QString() : query, QUrl::TolerantMode);
    url.setFragment(QString());
    return url;
}

QNetworkRequest AdminClient::makeRequest(const QString &path, const QByteArray &contentType,
                                         const HttpHeaders &extraHeaders) const
{
    QNetworkRequest request(urlFor(path));
    if (!m_token.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + m_token.toUtf8());
    if (!contentType.isEmpty())
        request.setRawHeader("Content-Type", contentType);
    request.setRawHeader("Accept", "application/json");
    request.setRawHeader("User-Agent", "gatehouse-admin-client/" GATEHOUSE_VERSION);
    for (const auto &h : extraHeaders)
        request.setRawHeader(h.first, h.second);
    request.setAttribute(QNetworkRequest::CacheLoadControlAttribute, QNetworkRequest::AlwaysNetwork);
    request.setAttribute(QNetworkRequest::CacheSaveControlAttribute, false);
    if (m_ssl)
        request.setSslConfiguration(*m_ssl);
    return request;
}

AdminReply AdminClient::toReply(QNetworkReply *reply)
{
    AdminReply r;
    r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    r.body = reply->readAll();
    r.contentType = reply->rawHeader("Content-Type");
    if (!r.body.isEmpty()) {
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(r.body, &error);
        if (error.error == QJsonParseError::NoError)
            r.json = doc;
    }
    if (r.status == 0) {
        r.errorText = reply->errorString();
        if (r.errorText.isEmpty())
            r.errorText = QStringLiteral("no answer");
        return r;
    }
    if (!r.ok())
        explainRefusal(r, reply);
    return r;
}

void AdminClient::explainRefusal(AdminReply &r, QNetworkReply *reply)
{
    const QJsonObject o = r.json.object();
    r.errorCode = o.value(QStringLiteral("error")).toString();
    r.errorText = o.value(QStringLiteral("message")).toString();
    if (r.errorText.isEmpty()) {
        const QString reason = reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString();
        r.errorText = QString(QStringLiteral("HTTP ") + QString::number(r.status) + QLatin1Char(' ') + reason).trimmed();
    }
}

void AdminClient::call(const QByteArray &method, const QString &path, const QByteArray &body,
                       const QByteArray &contentType, std::function<void(AdminReply)> done,
                       const HttpHeaders &extraHeaders)
{
    QNetworkRequest request = makeRequest(path, contentType, extraHeaders);
    request.setTransferTimeout(clampMs(m_timeout));
    QNetworkReply *reply = m_nam->sendCustomRequest(request, method, body);
    connect(reply, &QNetworkReply::finished, this, [reply, done = std::move(done)] {
        AdminReply r = toReply(reply);
        reply->deleteLater();
        if (done)
            done(std::move(r));
    });
}

AdminReply AdminClient::callSync(const QByteArray &method, const QString &path, const QByteArray &body,
                                 const QByteArray &contentType, std::chrono::milliseconds timeout,
                                 const HttpHeaders &extraHeaders)
{
    QNetworkRequest request = makeRequest(path, contentType, extraHeaders);
    request.setTransferTimeout(clampMs(timeout));
    QNetworkReply *reply = m_nam->sendCustomRequest(request, method, body);
    QEventLoop loop;
    bool timedOut = false;
    connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer deadline;
    deadline.setSingleShot(true);
    connect(&deadline, &QTimer::timeout, &loop, [&] {
        timedOut = true;
        reply->abort();
        loop.quit();
    });
    deadline.start(clampMs(timeout));
    if (!reply->isFinished())
        loop.exec();
    AdminReply r;
    if (timedOut)
        r.errorText = QStringLiteral("no answer within %1 s").arg(double(timeout.count()) / 1000.0);
    else
        r = toReply(reply);
    reply->deleteLater();
    return r;
}

AdminDownload *AdminClient::download(const QString &path, std::function<bool(const QByteArray &)> onData,
                                    std::function<void(AdminReply)> done, std::chrono::milliseconds inactivity,
                                    const HttpHeaders &extraHeaders)
{
    QNetworkRequest request = makeRequest(path, {}, extraHeaders);
    // Not Qt's transfer timeout: it also fires while onData is what holds the transfer up (a paused
    // pipe, `play` waiting out a recorded pause), once Qt's read buffer is full. AdminDownload
    // counts only the time it waits for the server.
    request.setTransferTimeout(0);
    auto *d = new AdminDownload(m_nam->get(request), std::move(onData), std::move(done), inactivity);
    d->setParent(this);
    return d;
}

AdminReply AdminClient::downloadSync(const QString &path, const std::function<bool(const QByteArray &)> &onData,
                                     std::chrono::milliseconds inactivity, const HttpHeaders &extraHeaders)
{
    QEventLoop loop;
    AdminReply result;
    AdminDownload *d = download(path, onData, [&](AdminReply r) {
        result = std::move(r);
        loop.quit();
    }, inactivity, extraHeaders);
    if (!d->isFinished())
        loop.exec();
    return result;
}

// ---- AdminDownload ----------------------------------------------------------------------

AdminDownload::AdminDownload(QNetworkReply *reply, std::function<bool(const QByteArray &)> onData,
                             std::function<void(AdminReply)> done, std::chrono::milliseconds inactivity)
    : m_reply(reply), m_onData(std::move(onData)), m_done(std::move(done)), m_inactivity(inactivity)
{
    reply->setParent(this);
    reply->setReadBufferSize(kReadBuffer);
    connect(reply, &QNetworkReply::readyRead, this, &AdminDownload::take);
    connect(reply, &QNetworkReply::finished, this, &AdminDownload::onFinished);
    m_idle.setSingleShot(true);
    m_idle.setInterval(clampMs(inactivity));
    connect(&m_idle, &QTimer::timeout, this, [this] {
        m_timedOut = true;
        m_reply->abort();
    });
    m_idle.start();
}

void AdminDownload::abort()
{
    if (m_finished)
        return;
    m_stopped = true;
    m_reply->abort();   // finished() follows, and with it `done`
}

void AdminDownload::take()
{
    const int status = m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    bool took = false;
    // The read buffer size is Qt's aim, not a bound (its HTTP thread can hand over more at once,
    // above all as the reply finishes): onData gets pieces of at most kReadBuffer either way.
    while (!m_stopped && m_reply->bytesAvailable() > 0) {
        const QByteArray data = m_reply->read(kReadBuffer);
        if (data.isEmpty())
            break;
        took = true;
        if (status >= 200 && status < 300) {
            m_lines += data.count('\n');
            if (!m_onData(data)) {
                m_stopped = true;
                m_reply->abort();
                return;
            }
        } else if (m_errorBody.size() < kErrorBody) {
            m_errorBody += data.left(kErrorBody - m_errorBody.size());
        }
    }
    if (took)
        m_idle.start();   // from now on the wait is for the server again
}

void AdminDownload::onFinished()
{
    if (m_finished)
        return;
    take();
    m_finished = true;
    m_idle.stop();
    AdminReply r;
    r.status = m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    r.contentType = m_reply->rawHeader("Content-Type");
    for (const auto &[name, value] : m_reply->rawHeaderPairs())
        r.headers.append({name, value});
    bool announced = false;
    const qint64 lines = r.header("X-Gatehouse-Lines").toLongLong(&announced);
    if (m_stopped) {
        r.broken = true;
        r.errorText = QStringLiteral("stopped");
    } else if (m_timedOut) {
        r.broken = r.status >= 200 && r.status < 300;
        r.errorText = QStringLiteral("nothing came for %1 s").arg(double(m_inactivity.count()) / 1000.0);
    } else if (r.status == 0 || m_reply->error() != QNetworkReply::NoError) {
        if (r.status >= 200 && r.status < 300)
            r.broken = true;
        r.errorText = m_reply->errorString();
    } else if (r.status >= 200 && r.status < 300 && announced && m_lines < lines) {
        r.broken = true;
        r.errorText = QStringLiteral("the answer ended after %1 of the %2 lines it announced").arg(m_lines).arg(lines);
    }
    if (r.status != 0 && !(r.status >= 200 && r.status < 300)) {
        r.body = m_errorBody;
        r.json = QJsonDocument::fromJson(m_errorBody);
        AdminClient::explainRefusal(r, m_reply);
    }
    deleteLater();
    if (auto done = std::exchange(m_done, nullptr))
        done(std::move(r));
}

AdminEventStream *AdminClient::subscribeEvents(const QString &path, std::function<void(const AdminEvent &)> onEvent)
{
    auto *stream = new AdminEventStream(this, path, std::move(onEvent));
    stream->setParent(this);
    stream->open();
    return stream;
}

// ---- AdminEventStream -------------------------------------------------------------------

AdminEventStream::AdminEventStream(AdminClient *client, QString path, std::function<void(const AdminEvent &)> onEvent)
    : m_client(client), m_path(std::move(path)), m_onEvent(std::move(onEvent))
{
}

AdminEventStream::~AdminEventStream()
{
    close();
}

void AdminEventStream::close()
{
    m_closed = true;
    if (m_reply) {
        QNetworkReply *reply = m_reply;
        m_reply = nullptr;
        disconnect(reply, nullptr, this, nullptr);
        reply->abort();
        reply->deleteLater();
    }
    m_connected = false;
}

void AdminEventStream::open()
{
    if (m_closed)
        return;
    HttpHeaders headers{{QByteArrayLiteral("Accept"), QByteArrayLiteral("text/event-stream")}};
    if (!m_lastEventId.isEmpty())
        headers.append({QByteArrayLiteral("Last-Event-ID"), m_lastEventId});
    QNetworkRequest request = m_client->makeRequest(m_path, {}, headers);
    request.setRawHeader("Accept", "text/event-stream");
    request.setTransferTimeout(0);   // a quiet stream is not a dead one
    m_buffer.clear();
    m_pending = AdminEvent{};
    m_hasData = false;
    m_reply = m_client->m_nam->get(request);
    connect(m_reply, &QNetworkReply::readyRead, this, &AdminEventStream::onReadyRead);
    connect(m_reply, &QNetworkReply::finished, this, &AdminEventStream::onFinished);
}

void AdminEventStream::onReadyRead()
{
    if (!m_reply)
        return;
    const int status = m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status != 200)
        return;   // an error body: read whole in onFinished
    if (!m_connected) {
        m_connected = true;
        m_retryMs = qMin(m_retryMs, 3000);
        Q_EMIT connected();
    }
    m_buffer += m_reply->readAll();
    QPointer<AdminEventStream> self(this);
    qsizetype start = 0;
    while (true) {
        const qsizetype nl = m_buffer.indexOf('\n', start);
        if (nl < 0)
            break;
        QByteArrayView line(m_buffer.constData() + start, nl - start);
        if (line.endsWith('\r'))
            line.chop(1);
        dispatchLine(line);
        if (!self || m_closed)
            return;   // the callback closed or deleted us
        start = nl + 1;
    }
    m_buffer.remove(0, start);
}

void AdminEventStream::dispatchLine(QByteArrayView line)
{
    if (line.isEmpty()) {
        if (!m_hasData)
            return;
        AdminEvent event = std::move(m_pending);
        m_pending = AdminEvent{};
        m_hasData = false;
        if (event.data.endsWith('\n'))
            event.data.chop(1);
        if (event.type.isEmpty())
            event.type = QByteArrayLiteral("message");
        if (!event.id.isEmpty())
            m_lastEventId = event.id;
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(event.data, &error);
        if (error.error == QJsonParseError::NoError)
            event.json = doc;
        if (m_onEvent)
            m_onEvent(event);
        return;
    }
    if (line.startsWith(':'))
        return;   // comment / keep-alive
    const qsizetype colon = line.indexOf(':');
    const QByteArrayView field = colon < 0 ? line : line.first(colon);
    QByteArrayView value = colon < 0 ? QByteArrayView() : line.sliced(colon + 1);
    if (value.startsWith(' '))
        value = value.sliced(1);
    if (field == "data") {
        m_pending.data += value.toByteArray() + '\n';
        m_hasData = true;
    } else if (field == "event") {
        m_pending.type = value.toByteArray();
    } else if (field == "id") {
        m_pending.id = value.toByteArray();
    } else if (field == "retry") {
        bool ok = false;
        const int ms = value.toByteArray().toInt(&ok);
        if (ok && ms >= 0)
            m_retryMs = ms;
    }
}

void AdminEventStream::onFinished()
{
    if (!m_reply)
        return;
    QNetworkReply *reply = m_reply;
    m_reply = nullptr;
    const AdminReply r = AdminClient::toReply(reply);
    reply->deleteLater();
    const bool wasConnected = m_connected;
    m_connected = false;
    if (m_closed)
        return;
    QString reason;
    if (r.status == 0)
        reason = r.errorText;
    else if (!r.ok())
        reason = QStringLiteral("HTTP %1: %2").arg(r.status).arg(r.errorText);
    else
        reason = QStringLiteral("the server ended the stream");
    if (!wasConnected)
        m_retryMs = qMin(qMax(m_retryMs, 1000) * 2, kMaxRetryMs);   // back off while it keeps failing
    Q_EMIT disconnected(reason);
    QPointer<AdminEventStream> self(this);
    if (self && !m_closed)
        QTimer::singleShot(m_retryMs, this, &AdminEventStream::open);
}

} // namespace gh
