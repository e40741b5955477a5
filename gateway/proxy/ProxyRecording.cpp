// The recording part of ProxyConnection: one session per client connection and caller, and the
// events that are not the request itself (bodies read by read, ends, refusals).
#include "proxy/ProxyConnection.h"

#include "proxy/ProxyContext.h"
#include "proxy/RouteTable.h"
#include "recording/EventJson.h"
#include "recording/Recorder.h"

#include <QDateTime>
#include <QJsonObject>

namespace gh {

bool ProxyConnection::ensureSession()
{
    Recorder *recorder = m_context.recorder;
    if (!recorder)
        return false;
    // A reference to the route's name, not a copy: its bytes are every connection's on both
    // proxy threads, and a copy per request counted references on them.
    QString unrouted;
    if (!m_route)
        unrouted = QString::fromUtf8(m_target.connection.first(qMin<qsizetype>(63, m_target.connection.size())));
    const QString &connection = m_route ? m_route->connection.name : unrouted;
    // Called for every request: compared field by field, nothing built (a keep-alive connection
    // keeps its session while the caller and the connection stay the same).
    if (m_session && m_sessionKey.issuer == m_principal.issuer && m_sessionKey.subject == m_principal.subject
        && m_sessionKey.connection == connection)
        return true;
    endSession();
    m_session = recorder->begin(m_principal, connection, QString::fromLatin1(m_peerText));
    m_sessionKey = {m_principal.issuer, m_principal.subject, connection};
    if (m_session && m_context.publish)
        m_context.publish(QStringLiteral("session.started"),
                          QJsonObject{{QStringLiteral("id"), m_session->id()},
                                      {QStringLiteral("connection"), connection},
                                      {QStringLiteral("subject"), m_principal.subject},
                                      {QStringLiteral("issuer"), m_principal.issuer},
                                      {QStringLiteral("client_addr"), QString::fromLatin1(m_peerText)},
                                      {QStringLiteral("started_at"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs)}});
    return bool(m_session);
}

void ProxyConnection::endSession()
{
    if (!m_session)
        return;
    const QString id = m_session->id();
    m_session->end();
    m_session.reset();
    if (m_context.publish)
        m_context.publish(QStringLiteral("session.ended"),
                          QJsonObject{{QStringLiteral("id"), id},
                                      {QStringLiteral("ended_at"), QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs)}});
}

void ProxyConnection::recordBody(const char *kind, const char *data, qsizetype size, qint64 &recorded)
{
    // Bodies are recorded up to the cap per message, read by read with their own timestamps;
    // the rest flows through unrecorded and the end event says how much there was.
    const qint64 cap = m_context.recorder ? m_context.recorder->options().bodyCap : 0;
    if (recorded >= cap || size <= 0)
        return;
    const qsizetype take = qsizetype(qMin<qint64>(size, cap - recorded));
    recorded += take;
    m_session->record(QLatin1String(kind), EventJson().addLatin1(QLatin1StringView("request_id"), m_requestId),
                      QByteArray::fromRawData(data, take));
}

void ProxyConnection::recordEnd(const char *kind, qint64 size, qint64 recorded, bool brokenOff)
{
    EventJson data;
    data.addNumber(QLatin1StringView("body_recorded"), recorded)
        .addNumber(QLatin1StringView("body_size"), size)
        .addBool(QLatin1StringView("body_truncated"), size > recorded);
    if (brokenOff)
        data.addBool(QLatin1StringView("broken_off"), true);
    data.addLatin1(QLatin1StringView("request_id"), m_requestId);
    m_session->record(QLatin1String(kind), std::move(data));
}

void ProxyConnection::recordRefusal(int status, const QByteArray &code, const QString &message)
{
    if (!m_context.recorder || status == 503)
        return;   // 503: the store is what failed
    if (m_principal.subject.isEmpty() && m_principal.issuer.isEmpty()) {
        // Nobody authenticated: the attempt goes into a session of its own, under "anonymous".
        m_principal = Principal{};
        m_principal.subject = QStringLiteral("anonymous");
    }
    ensureSession();
    if (!m_session)
        return;
    QJsonObject data = m_refusalExtra;
    data.insert(QStringLiteral("request_id"), QString::fromLatin1(m_requestId));
    data.insert(QStringLiteral("status"), status);
    data.insert(QStringLiteral("error"), QString::fromLatin1(code));
    data.insert(QStringLiteral("message"), message);
    data.insert(QStringLiteral("method"), QString::fromLatin1(m_method));
    data.insert(QStringLiteral("path"), QString::fromUtf8(m_url.left(2048)));
    m_session->record(QStringLiteral("policy.refused"), data);
}

} // namespace gh
