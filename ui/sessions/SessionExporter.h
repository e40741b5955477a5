#pragma once

#include <QObject>
#include <QPointer>
#include <QSaveFile>

#include <memory>

namespace gh {

class AdminClient;
class AdminDownload;
struct AdminReply;

// Writes one session's events to a JSON Lines file as they arrive (AdminClient::download: about a
// megabyte in memory, and the gateway sends no faster than the file takes them), so a session of
// any length never sits in memory whole; cancel() stops it and leaves no file behind, and so does
// an export the gateway breaks off.
class SessionExporter final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SessionExporter)

public:
    SessionExporter(AdminClient *client, QString sessionId, qint64 expectedEvents, QObject *parent = nullptr);
    ~SessionExporter() override;

    void start(const QString &path);
    void cancel();
    qint64 written() const { return m_written; }

Q_SIGNALS:
    void progressed(qint64 written, qint64 expected);
    // ok false: error names why (empty when cancelled).
    void finished(bool ok, const QString &error);

private:
    void fetch();
    void onEnd(const AdminReply &reply);
    void fail(const QString &error);

    QPointer<AdminClient> m_client;
    QString m_id;
    qint64 m_expected = 0;
    qint64 m_written = 0;
    std::unique_ptr<QSaveFile> m_file;
    QPointer<AdminDownload> m_download;
    QString m_writeError;
    bool m_done = false;
};

} // namespace gh
