#pragma once

#include <QObject>
#include <QPointer>
#include <QSaveFile>

#include <memory>

namespace gh {

class AdminClient;
struct AdminReply;

// Writes one session's events to a JSON Lines file, a window of events at a time, so a session
// of any length never sits in memory whole; cancel() stops it and leaves no file behind.
class SessionExporter final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SessionExporter)

public:
    SessionExporter(AdminClient *client, QString sessionId, qint64 expectedEvents, QObject *parent = nullptr);
    ~SessionExporter() override;

    void start(const QString &path);
    void cancel();
    qint64 written() const { return m_written; }
    static constexpr int windowSize = 1000;

Q_SIGNALS:
    void progressed(qint64 written, qint64 expected);
    // ok false: error names why (empty when cancelled).
    void finished(bool ok, const QString &error);

private:
    void fetch();
    void onWindow(const AdminReply &reply);
    void fail(const QString &error);

    QPointer<AdminClient> m_client;
    QString m_id;
    qint64 m_expected = 0;
    qint64 m_written = 0;
    qint64 m_nextSeq = 0;
    std::unique_ptr<QSaveFile> m_file;
    bool m_done = false;
    quint64 m_generation = 0;
};

} // namespace gh
