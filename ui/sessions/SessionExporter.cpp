#include "sessions/SessionExporter.h"

#include "admin/AdminClient.h"

#include <QUrl>

namespace gh {

SessionExporter::SessionExporter(AdminClient *client, QString sessionId, qint64 expectedEvents, QObject *parent)
    : QObject(parent)
    , m_client(client)
    , m_id(std::move(sessionId))
    , m_expected(expectedEvents)
{
}

SessionExporter::~SessionExporter()
{
    if (m_file)
        m_file->cancelWriting();
}

void SessionExporter::start(const QString &path)
{
    m_file = std::make_unique<QSaveFile>(path);
    if (!m_file->open(QIODevice::WriteOnly)) {
        const QString why = m_file->errorString();
        m_file.reset();
        return fail(tr("Cannot write %1: %2").arg(path, why));
    }
    fetch();
}

void SessionExporter::cancel()
{
    if (m_done)
        return;
    m_done = true;
    if (m_download)
        m_download->abort();   // its end is ignored: m_done
    if (m_file) {
        m_file->cancelWriting();
        m_file->commit();
        m_file.reset();
    }
    Q_EMIT finished(false, QString());
}

void SessionExporter::fetch()
{
    if (!m_client)
        return fail(tr("The gateway connection changed during the export."));
    const QString path = QStringLiteral("/api/v1/sessions/%1/events").arg(QString::fromLatin1(QUrl::toPercentEncoding(m_id)));
    auto guard = QPointer<SessionExporter>(this);
    m_download = m_client->download(
        path,
        [this, guard](const QByteArray &data) {
            if (!guard || m_done)
                return false;
            if (m_file->write(data) != data.size()) {
                m_writeError = m_file->errorString();
                return false;
            }
            m_written += data.count('\n');
            Q_EMIT progressed(m_written, std::max(m_expected, m_written));
            return true;
        },
        [this, guard](AdminReply reply) {
            if (guard)
                onEnd(reply);
        },
        std::chrono::milliseconds(30'000), {{QByteArrayLiteral("Accept"), QByteArrayLiteral("application/x-ndjson")}});
}

void SessionExporter::onEnd(const AdminReply &reply)
{
    m_download = nullptr;
    if (m_done)
        return;
    if (!m_writeError.isEmpty())
        return fail(tr("Writing the file failed: %1").arg(m_writeError));
    if (reply.broken)
        return fail(tr("The gateway broke the export off: %1").arg(reply.errorText));
    if (!reply.ok())
        return fail(reply.errorText);
    m_done = true;
    if (!m_file->commit()) {
        const QString why = m_file->errorString();
        m_file.reset();
        Q_EMIT finished(false, tr("Writing the file failed: %1").arg(why));
        return;
    }
    m_file.reset();
    Q_EMIT finished(true, QString());
}

void SessionExporter::fail(const QString &error)
{
    if (m_done && !m_file)
        return;
    m_done = true;
    if (m_file) {
        m_file->cancelWriting();
        m_file->commit();
        m_file.reset();
    }
    Q_EMIT finished(false, error);
}

} // namespace gh
