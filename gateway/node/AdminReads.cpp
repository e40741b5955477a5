#include "node/AdminReads.h"

#include <openssl/crypto.h>

namespace gh {

void DeferredReply::send(int status, const QByteArray &contentType, const QByteArray &body, const HttpHeaders &extra)
{
    m_status = status;
    m_contentType = contentType;
    m_body = body;
    m_extra = extra;
}

void DeferredReply::sendJson(int status, const QJsonValue &json, const HttpHeaders &extra)
{
    send(status, QByteArrayLiteral("application/json"), HttpResponder::jsonBody(json), extra);
}

void DeferredReply::sendError(int status, const QByteArray &code, const QString &message)
{
    send(status, QByteArrayLiteral("application/json"), HttpResponder::errorBody(code, message));
}

void DeferredReply::storeError(const QString &message)
{
    qWarning("admin API: store error: %s", qPrintable(message));
    sendError(503, "store_unavailable", QStringLiteral("the store failed: %1").arg(message));
}

void DeferredReply::deliver(const HttpResponder &res) const
{
    res.send(m_status, m_contentType, m_body, m_extra);
}

void AdminReads::releaseThreadState()
{
    OPENSSL_thread_stop();
}

AdminReads::AdminReads(QObject *parent) : QObject(parent)
{
    m_pool.setMaxThreadCount(kThreads);
    m_pool.setObjectName(QStringLiteral("admin-read"));
}

AdminReads::~AdminReads()
{
    m_pool.clear();
    m_pool.waitForDone();
}

void AdminReads::reply(const HttpResponder &res, std::function<void(DeferredReply &)> work)
{
    run<DeferredReply>(
        [work = std::move(work)]() {
            DeferredReply r;
            work(r);
            return r;
        },
        [res](DeferredReply r) { r.deliver(res); });
}

} // namespace gh
