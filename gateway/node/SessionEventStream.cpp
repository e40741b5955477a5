#include "node/SessionEventStream.h"

#include "node/AdminReads.h"
#include "node/AdminSessions.h"
#include "recording/Store.h"

namespace gh {

namespace {

constexpr int kPageEvents = 1000;

// One page, read on a read thread. The first also finds the session and where the window starts.
SessionEventStream::Page readPage(const Store &store, const QString &id, const SessionEventStream::Window &w,
                                  bool first)
{
    SessionEventStream::Page page;
    page.nextSeq = w.fromSeq;
    page.left = w.limit;
    if (first) {
        auto s = store.session(id);
        if (!s) {
            page.status = 503;
            page.error = s.error().message;
            return page;
        }
        if (!s->has_value()) {
            page.status = 404;
            page.error = QStringLiteral("no session with id %1").arg(id);
            return page;
        }
        if (w.fromUs >= 0) {
            auto seq = store.seqAtOrAfter(id, w.fromUs);
            if (!seq) {
                page.status = 503;
                page.error = seq.error().message;
                return page;
            }
            if (!*seq) {   // nothing at or after that time: an empty window
                page.last = true;
                page.announced = 0;
                return page;
            }
            page.nextSeq = **seq;
        }
        if ((*s)->endedAtUs && w.toUs < 0) {   // an open session grows while it is read
            auto count = store.eventCount(id, page.nextSeq);
            if (!count) {
                page.status = 503;
                page.error = count.error().message;
                return page;
            }
            page.announced = std::min(*count, w.limit);
        }
    }
    auto events = store.events(id, page.nextSeq, int(std::min<qint64>(page.left, kPageEvents)),
                               SessionEventStream::kPageBytes);
    if (!events) {
        page.status = 503;
        page.error = events.error().message;
        return page;
    }
    for (const StoredEvent &e : std::as_const(*events)) {
        if (w.toUs >= 0 && e.tsUs >= w.toUs) {
            page.last = true;
            break;
        }
        page.lines += AdminSessions::eventLine(id, e);
        page.nextSeq = e.seq + 1;
        --page.left;
    }
    if (events->isEmpty() || page.left <= 0)
        page.last = true;
    return page;
}

} // namespace

void SessionEventStream::start(AdminReads &reads, const Store &store, const QString &sessionId, Window window,
                               const HttpResponder &res)
{
    // A child of `reads`, so a stream still waiting for its client goes when the node stops.
    auto *stream = new SessionEventStream(reads, store, sessionId, window, res);
    stream->readNext();
}

SessionEventStream::SessionEventStream(AdminReads &reads, const Store &store, QString sessionId, Window window,
                                       const HttpResponder &res)
    : QObject(&reads), m_reads(reads), m_store(store), m_sessionId(std::move(sessionId)), m_window(window), m_res(res)
{
}

void SessionEventStream::readNext()
{
    const Store &store = m_store;
    const bool first = !m_begun;
    m_reads.run<Page>([&store, id = m_sessionId, w = m_window, first]() { return readPage(store, id, w, first); },
                      [this](Page page) { onPage(std::move(page)); });
}

void SessionEventStream::onPage(Page page)
{
    if (page.status != 200) {
        if (!m_begun) {
            if (page.status == 404) {
                m_res.sendError(404, "not_found", page.error);
            } else {
                qWarning("admin API: store error: %s", qPrintable(page.error));
                m_res.sendError(503, "store_unavailable", QStringLiteral("the store failed: %1").arg(page.error));
            }
        } else {
            // The head went out long ago: break the answer off, so the client cannot take what it
            // got for the whole session, and say why in the log.
            qWarning("admin API: reading events of %s failed: %s", qPrintable(m_sessionId), qPrintable(page.error));
            m_res.abortStream();
        }
        deleteLater();
        return;
    }
    if (!m_begun) {
        m_begun = true;
        HttpHeaders extra;
        if (page.announced >= 0)
            extra.append({QByteArray(kLinesHeader), QByteArray::number(page.announced)});
        m_res.beginStream(200, QByteArrayLiteral("application/x-ndjson"), extra);
    }
    if (!page.lines.isEmpty())
        m_res.write(page.lines);
    if (page.last || !m_res.isOpen()) {
        m_res.end();
        deleteLater();
        return;
    }
    m_window.fromSeq = page.nextSeq;
    m_window.fromUs = -1;
    m_window.limit = page.left;
    m_res.onWritable(this, kLowWater, [this]() {
        if (m_res.isOpen()) {
            readNext();
        } else {
            deleteLater();
        }
    });
}

} // namespace gh
