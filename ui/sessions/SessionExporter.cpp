#include "sessions/SessionExporter.h"

#include "admin/AdminClient.h"

#include <QJsonObject>
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
    ++m_generation;   // a window still on its way is dropped
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
    const QString path = QStringLiteral("/api/v1/sessions/%1/events?from_seq=%2&limit=%3")
                             .arg(QString::fromLatin1(QUrl::toPercentEncoding(m_id)))
                             .arg(m_nextSeq)
                             .arg(windowSize);
    const quint64 generation = m_generation;
    m_client->call("GET", path, {}, {}, [this, generation, guard = QPointer<SessionExporter>(this)](AdminReply reply) {
        if (guard && generation == m_generation)
            onWindow(reply);
    });
}

void SessionExporter::onWindow(const AdminReply &reply)
{
    if (m_done)
        return;
    if (!reply.ok())
        return fail(reply.errorText);
    const QByteArray &body = reply.body;
    qsizetype lines = 0;
    qsizetype lastStart = 0;
    for (qsizetype at = body.indexOf('\n'); at >= 0; at = body.indexOf('\n', at + 1)) {
        if (at + 1 < body.size())
            lastStart = at + 1;
        ++lines;
    }
    if (lines > 0) {
        const QJsonObject last = QJsonDocument::fromJson(body.mid(lastStart).trimmed()).object();
        if (!last.contains(QLatin1String("seq")))
            return fail(tr("The gateway sent an event without a sequence number."));
        m_nextSeq = qint64(last.value(QLatin1String("seq")).toDouble()) + 1;
        if (m_file->write(body) != body.size())
            return fail(tr("Writing the file failed: %1").arg(m_file->errorString()));
        m_written += lines;
        Q_EMIT progressed(m_written, std::max(m_expected, m_written));
    }
    if (lines < windowSize) {
        m_done = true;
        if (!m_file->commit()) {
            const QString why = m_file->errorString();
            m_file.reset();
            Q_EMIT finished(false, tr("Writing the file failed: %1").arg(why));
            return;
        }
        m_file.reset();
        Q_EMIT finished(true, QString());
        return;
    }
    fetch();
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
