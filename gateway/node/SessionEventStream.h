#pragma once

#include "admin/HttpResponder.h"

#include <QByteArray>
#include <QObject>
#include <QString>

#include <limits>

namespace gh {

class AdminReads;
class Store;

// GET /api/v1/sessions/{id}/events: one session's events as JSON Lines, read a page at a time on
// AdminReads' threads and written only as fast as the client takes them. A recording can hold a
// megabyte per event and run for hours; neither the daemon's memory nor its admin thread may
// depend on that, however slowly the client reads.
class SessionEventStream final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SessionEventStream)
public:
    struct Window {
        qint64 fromSeq = 0;
        qint64 fromUs = -1;   // >= 0: start at the first event at or after this time instead
        qint64 toUs = -1;     // >= 0: stop before the first event at or after this time
        qint64 limit = std::numeric_limits<qint64>::max();
    };
    // A page ends after this much recorded data (or 1000 events); the next is read once no more
    // than kLowWater bytes of the response wait for the client.
    static constexpr qint64 kPageBytes = 1 << 20;
    static constexpr qint64 kLowWater = 256 << 10;

    // Answers `res`: 404 when there is no such session, 503 when the store fails before anything
    // was sent; otherwise the stream, broken off (and logged) if the store fails midway.
    static void start(AdminReads &reads, const Store &store, const QString &sessionId, Window window,
                      const HttpResponder &res);

    struct Page {
        int status = 200;            // 404, 503: nothing streamed, `error` says why
        QString error;
        QByteArray lines;
        qint64 nextSeq = 0;
        qint64 left = 0;
        qint64 announced = -1;       // first page: how many lines the whole answer has, when known
        bool last = false;
    };
    // The header announcing the answer's number of lines, when it is known in advance (a session
    // that has ended, a window not bounded by time): a client can tell a whole answer from one that
    // stopped short, which HTTP/1.1 clients (Qt's among them) do not always report.
    static constexpr const char *kLinesHeader = "X-Gatehouse-Lines";

private:
    SessionEventStream(AdminReads &reads, const Store &store, QString sessionId, Window window,
                       const HttpResponder &res);
    void readNext();
    void onPage(Page page);

    AdminReads &m_reads;
    const Store &m_store;
    const QString m_sessionId;
    Window m_window;
    HttpResponder m_res;
    bool m_begun = false;
};

} // namespace gh
