#pragma once

#include "admin/HttpRequest.h"
#include "admin/HttpResponder.h"

#include <QByteArray>
#include <QJsonValue>
#include <QObject>
#include <QThreadPool>

#include <functional>
#include <memory>

namespace gh {

// A reply built away from the admin thread, sent from it: the same calls as HttpResponder's, so a
// route's code reads alike wherever it runs. The last call wins.
class DeferredReply final {
public:
    void send(int status, const QByteArray &contentType, const QByteArray &body, const HttpHeaders &extra = {});
    void sendJson(int status, const QJsonValue &json, const HttpHeaders &extra = {});
    void sendError(int status, const QByteArray &code, const QString &message);
    // The store failed: 503 store_unavailable, logged.
    void storeError(const QString &message);

    void deliver(const HttpResponder &res) const;

private:
    int m_status = 500;
    QByteArray m_contentType = QByteArrayLiteral("application/json");
    QByteArray m_body = HttpResponder::errorBody("internal", QStringLiteral("no reply was made"));
    HttpHeaders m_extra;
};

// Runs the admin API's long store reads (session lists and searches, event pages, verification,
// statistics) on threads of their own. The admin thread also carries the live event stream and
// approval decisions; a read over a large store there would hold every approval notification up
// for as long as it takes.
class AdminReads final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AdminReads)
public:
    static constexpr int kThreads = 2;
    explicit AdminReads(QObject *parent = nullptr);
    // Waits for the reads in flight; what they return is dropped (nothing is answered).
    ~AdminReads() override;

    // Runs `work` on a read thread, then `done` with its result on this object's thread.
    template <typename Result>
    void run(std::function<Result()> work, std::function<void(Result)> done)
    {
        auto task = [this, work = std::move(work), done = std::move(done)]() {
            auto result = std::make_shared<Result>(work());
            releaseThreadState();
            // `this` outlives the task: the destructor waits for the pool first.
            QMetaObject::invokeMethod(this, [done, result]() { done(std::move(*result)); }, Qt::QueuedConnection);
        };
        m_pool.start(std::function<void()>(std::move(task)));
    }

    // Builds a reply on a read thread and sends it from this one (when the client still waits).
    void reply(const HttpResponder &res, std::function<void(DeferredReply &)> work);

private:
    // OpenSSL keeps per-thread state (its error queue) for a thread that verified a signature or
    // hashed a chain; a pool thread may outlive the reads that made it, so it goes after each one.
    static void releaseThreadState();

    QThreadPool m_pool;
};

} // namespace gh
