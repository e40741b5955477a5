#include "recording/SegmentIndexer.h"

#include "core/BackgroundThread.h"

#include "recording/JournalRecords.h"
#include "recording/SqliteConnection.h"
#include "recording/SqliteSchema.h"
#include "recording/SqliteSessionWriter.h"

#include <QFile>
#include <QMutexLocker>

#include <cerrno>
#include <limits>
#include <map>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace gh {

namespace runkinds {

int bitOf(QByteArrayView kind)
{
#define GH_KIND_BIT(bit, name)                                                                     \
    if (kind == QByteArrayView(name))                                                              \
        return bit;
    GH_FOR_EACH_INDEXED_KIND(GH_KIND_BIT)
#undef GH_KIND_BIT
    return -1;
}

} // namespace runkinds

namespace {

// The kinds counted per connection and second for the overview (SqliteStats.cpp).
bool counted(QByteArrayView kind)
{
    return kind == QByteArrayView(GH_COUNTED_KIND) || kind == QByteArrayView("policy.refused")
        || kind == QByteArrayView("approval.requested") || kind == QByteArrayView("policy.masked");
}

// How many values a policy.masked event says it masked: the sum of its masks' counts. Read off
// the JSON text rather than parsed: one such event can follow every response, and the writer reads
// them all. `"count":` cannot occur inside a JSON string (a quote there is escaped), so each
// occurrence is a member; only masks have one (ProxyConnection::recordMasking).
qint64 maskedValues(const journal::EventView &e)
{
    QByteArray decoded;
    QByteArrayView data = e.stored;
    if (e.encoding != BodyCodec::Encoding::Identity) {
        Result<QByteArray> inflated = BodyCodec::decode(e.encoding, e.stored.toByteArray(), 1 << 20);
        if (!inflated)
            return 0;
        decoded = *std::move(inflated);
        data = decoded;
    }
    static const QByteArrayView key("\"count\":");
    qint64 n = 0;
    for (qsizetype at = data.indexOf(key); at >= 0; at = data.indexOf(key, at + key.size())) {
        qint64 value = 0;
        qsizetype i = at + key.size();
        for (; i < data.size() && data[i] >= '0' && data[i] <= '9' && value < (qint64(1) << 40); ++i)
            value = value * 10 + (data[i] - '0');
        n += value;
    }
    return n;
}

} // namespace

SegmentIndexer::SegmentIndexer(RecordingJournal &journal) : m_journal(journal) {}

bool SegmentIndexer::behind() const
{
    const QList<RecordingJournal::LiveSegment> live = m_journal.live();
    QMutexLocker lock(&m_committedMutex);
    for (const RecordingJournal::LiveSegment &s : live)
        if (s.published > m_committed.indexed.value(s.number, 0) || s.sealed)
            return true;
    return false;
}

bool SegmentIndexer::backlogged() const
{
    QMutexLocker lock(&m_committedMutex);
    return m_committed.cut;
}

void SegmentIndexer::committed()
{
    {
        QMutexLocker lock(&m_committedMutex);
        m_committed = m_staged;
    }
    // A sealed segment indexed to its end is in the database for good: the journal lets it go.
    for (const RecordingJournal::LiveSegment &s : m_journal.live())
        if (s.sealed && m_staged.indexed.value(s.number, 0) >= s.published) {
            m_journal.forget(s.number);
            m_staged.indexed.remove(s.number);
            QMutexLocker lock(&m_committedMutex);
            m_committed.indexed.remove(s.number);
        }
}

void SegmentIndexer::rolledBack()
{
    QMutexLocker lock(&m_committedMutex);
    m_staged = m_committed;
}

Status SegmentIndexer::indexBytes(quint64 segment, QByteArrayView bytes, qint64 base, Fold &fold, qint64 *end,
                                  bool cutAllowed, bool crcChecked)
{
    const QString problem = RecordingJournal::forEachRecord(bytes, base, [&](qint64 offset, QByteArrayView record) {
        backgroundYield();
        const journal::Kind kind = journal::Kind(record.front());
        if (kind == journal::Kind::Probe)
            return;
        if (kind == journal::Kind::SessionStart || kind == journal::Kind::SessionEnd) {
            Result<journal::Decoded> d = journal::decode(record);
            if (!d)
                qWarning("store: segment %llu at %lld: %s, skipped", static_cast<unsigned long long>(segment),
                         static_cast<long long>(offset), qPrintable(d.error().message));
            else if (kind == journal::Kind::SessionStart)
                fold.starts.append(d->start);
            else
                fold.ends.append({d->sessionId, d->end});
            return;
        }
        Result<std::optional<journal::EventView>> peeked = journal::peekEvent(record);
        if (!peeked || !peeked->has_value()) {
            qWarning("store: segment %llu at %lld: %s, skipped", static_cast<unsigned long long>(segment),
                     static_cast<long long>(offset),
                     peeked ? "a record of unknown kind" : qPrintable(peeked.error().message));
            return;
        }
        const journal::EventView &e = **peeked;
        const QByteArray session = QByteArray::fromRawData(e.sessionId.data(), e.sessionId.size());
        auto it = fold.runs.find({session, segment});
        if (it == fold.runs.end()) {
            Run fresh;
            fresh.firstSeq = fresh.lastSeq = e.seq;
            fresh.firstTs = fresh.lastTs = e.tsUs;
            fresh.firstOffset = offset;
            it = fold.runs.emplace(std::make_pair(e.sessionId.toByteArray(), segment), fresh).first;
        }
        Run &run = it->second;
        run.firstSeq = std::min(run.firstSeq, e.seq);
        run.firstTs = std::min(run.firstTs, e.tsUs);
        if (e.seq >= run.lastSeq) {
            run.lastSeq = e.seq;
            // Every event passes here: the run's hash is overwritten in place, not reallocated.
            if (run.lastHash.size() == e.hash.size())
                std::memcpy(run.lastHash.data(), e.hash.data(), size_t(e.hash.size()));
            else
                run.lastHash = e.hash.toByteArray();
        }
        run.lastTs = std::max(run.lastTs, e.tsUs);
        run.endOffset = offset + RecordingJournal::headerBytes + record.size();
        ++run.events;
        if (const int bit = runkinds::bitOf(e.kind); bit >= 0)
            run.kinds |= qint64(1) << bit;
        else {
            const QByteArray listed = ',' + e.kind.toByteArray() + ',';
            if (!run.otherKinds.contains(listed))
                run.otherKinds = run.otherKinds.isEmpty() ? listed : run.otherKinds + listed.mid(1);
        }
        if (counted(e.kind)) {
            const qint64 n = e.kind == QByteArrayView("policy.masked") ? maskedValues(e) : 1;
            if (n > 0) {
                // Looked up without copying the ids (every request is counted); copied once per key.
                const qint64 second = e.tsUs / 1'000'000 * 1'000'000;
                const auto key = std::make_tuple(QByteArray::fromRawData(e.sessionId.data(), e.sessionId.size()),
                                                 QByteArray::fromRawData(e.kind.data(), e.kind.size()), second);
                if (auto counted = fold.counts.find(key); counted != fold.counts.end())
                    counted->second += n;
                else
                    fold.counts.emplace(std::make_tuple(e.sessionId.toByteArray(), e.kind.toByteArray(), second), n);
            }
        }
    }, end, !crcChecked);
    if (!problem.isEmpty() && !(cutAllowed && problem.startsWith(QLatin1String("a torn"))))
        return Error(QStringLiteral("recording segment %1: %2").arg(m_journal.segmentPath(segment), problem));
    return {};
}

Result<QString> SegmentIndexer::connectionOf(SqliteConnection &db, const QString &sessionId)
{
    if (auto it = m_connections.constFind(sessionId); it != m_connections.constEnd())
        return *it;
    Result<std::optional<QString>> row = SqliteSessionWriter::connectionOf(db, sessionId);
    if (!row)
        return row.error();
    if (!row->has_value())
        return QString();   // not (yet) there: not counted, not remembered
    const QString connection = **row;
    m_connections.insert(sessionId, connection);
    return connection;
}

Status SegmentIndexer::apply(SqliteConnection &db, Fold &fold)
{
    SqliteSessionWriter rows;   // a session's row is written as it always was
    for (const SessionStart &s : std::as_const(fold.starts))
        if (Status st = rows.replaySession(db, s); !st)
            return st;
    for (const auto &[key, run] : fold.runs) {
        Result<SqliteQuery> q = db.query(
            "INSERT OR IGNORE INTO event_runs (session_id, first_seq, last_seq, first_ts_us, last_ts_us, segment_id, "
            "first_offset, end_offset, events, kinds, other_kinds, last_hash) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
        if (!q)
            return q.error();
        q->bind(1, QString::fromUtf8(key.first)).bind(2, run.firstSeq).bind(3, run.lastSeq);
        q->bind(4, run.firstTs).bind(5, run.lastTs).bind(6, qint64(key.second));
        q->bind(7, run.firstOffset).bind(8, run.endOffset).bind(9, run.events).bind(10, run.kinds);
        q->bindOrNull(11, QString::fromUtf8(run.otherKinds)).bindBlobView(12, run.lastHash);
        if (Status st = q->run(); !st)
            return st;
    }
    std::map<std::tuple<QString, QByteArray, qint64>, qint64> byConnection;
    for (const auto &[key, n] : fold.counts) {
        Result<QString> connection = connectionOf(db, QString::fromUtf8(std::get<0>(key)));
        if (!connection)
            return connection.error();
        if (!connection->isEmpty())
            byConnection[{*connection, std::get<1>(key), std::get<2>(key)}] += n;
    }
    for (const auto &[key, n] : byConnection) {
        Result<SqliteQuery> q = db.query(
            "INSERT INTO event_counts (connection, kind, second_us, n) VALUES (?1, ?2, ?3, ?4) "
            "ON CONFLICT (kind, second_us, connection) DO UPDATE SET n = n + excluded.n");
        if (!q)
            return q.error();
        if (Status st = q->bind(1, std::get<0>(key))
                            .bind(2, QString::fromUtf8(std::get<1>(key)))
                            .bind(3, std::get<2>(key))
                            .bind(4, n)
                            .run();
            !st)
            return st;
    }
    // Ends last: the count and head come from the recorder, or else from the runs just written.
    QList<std::pair<QString, SessionEnd>> ends = m_staged.deferredEnds + fold.ends;
    m_staged.deferredEnds.clear();
    for (const auto &[id, end] : ends) {
        Result<bool> closed = SqliteSessionWriter::closeRow(db, id, end);
        if (!closed)
            return closed.error();
        if (*closed) {
            m_connections.remove(id);
            continue;
        }
        Result<QString> known = connectionOf(db, id);
        if (!known)
            return known.error();
        if (known->isEmpty())   // its start is in a segment this pass did not reach yet
            m_staged.deferredEnds.append({id, end});
        else
            m_connections.remove(id);   // ended before: the first end stands
    }
    return {};
}

Status SegmentIndexer::pass(SqliteConnection &db)
{
    const State before = m_staged;
    Fold fold;
    qint64 budget = maxPassBytes;
    QList<std::pair<quint64, bool>> touched;   // segment, sealed and complete
    m_staged.cut = false;
    Status status = [&]() -> Status {
        for (const RecordingJournal::LiveSegment &s : m_journal.live()) {
            const qint64 from = m_staged.indexed.value(s.number, 0);
            qint64 to = s.published;
            if (to <= from) {
                if (s.sealed)
                    touched.append({s.number, true});
                continue;
            }
            if (budget <= 0) {
                m_staged.cut = true;
                break;
            }
            const bool cut = to - from > budget;
            m_staged.cut = m_staged.cut || cut;
            if (cut)
                to = from + budget;
            Result<QByteArray> bytes = m_journal.readLive(s.number, from, to);
            if (!bytes)
                return bytes.error();
            qint64 end = from;
            // A live segment's published records are this process's own, just written: no CRC to check.
            if (Status st = indexBytes(s.number, *bytes, from, fold, &end, cut, true); !st)
                return st;
            budget -= end - from;
            m_staged.indexed.insert(s.number, end);
            touched.append({s.number, s.sealed && end >= s.published});
        }
        if (Status st = apply(db, fold); !st)
            return st;
        for (const auto &[number, complete] : touched) {
            Result<SqliteQuery> q = db.query(
                "INSERT INTO segments (id, indexed_bytes, sealed) VALUES (?1, ?2, ?3) "
                "ON CONFLICT (id) DO UPDATE SET indexed_bytes = excluded.indexed_bytes, sealed = excluded.sealed");
            if (!q)
                return q.error();
            if (Status st = q->bind(1, qint64(number)).bind(2, m_staged.indexed.value(number)).bind(3, qint64(complete)).run(); !st)
                return st;
        }
        return {};
    }();
    if (!status)
        m_staged = before;
    return status;
}

Status SegmentIndexer::indexLeftovers(SqliteConnection &db)
{
    const QStringList leftovers = m_journal.leftovers();
    if (leftovers.isEmpty())
        return {};
    QHash<quint64, std::pair<qint64, bool>> known;   // id -> indexed bytes, sealed
    {
        Result<SqliteQuery> q = db.query("SELECT id, indexed_bytes, sealed FROM segments");
        if (!q)
            return q.error();
        Status read = q->forEachRow([&] { known.insert(quint64(q->int64(0)), {q->int64(1), q->int64(2) != 0}); });
        if (!read)
            return read;
    }
    Fold fold;
    QList<std::pair<quint64, qint64>> sealedAt;   // segment -> its last whole record's end
    qint64 added = 0;
    for (const QString &path : leftovers) {
        const std::optional<quint64> number =
            RecordingJournal::segmentNumber(QStringView(path).mid(path.lastIndexOf(QLatin1Char('/')) + 1));
        if (!number)
            continue;
        const auto [from, sealed] = known.value(*number, {0, false});
        if (sealed)
            continue;
        Result<QByteArray> bytes = RecordingJournal::readRange(path, from, std::numeric_limits<qint64>::max());
        if (!bytes) {
            // Not readable now (permissions?): left for the next start, said loudly.
            qWarning("store: recording segment %s cannot be read: %s", qPrintable(path), qPrintable(bytes.error().message));
            continue;
        }
        qint64 end = from;
        // Where its whole, intact records end (CRCs checked here, once).
        const QString problem = RecordingJournal::forEachRecord(*bytes, from, [](qint64, QByteArrayView) {}, &end);
        if (!problem.isEmpty())
            qWarning("store: recording segment %s ends in %s; the records before it are kept", qPrintable(path),
                     qPrintable(problem));
        if (from == 0 && end == 0 && problem.isEmpty()) {
            // Never written (a spare made ahead, or a segment opened just before the end): nothing
            // to keep.
            if (::unlink(QFile::encodeName(path).constData()) != 0 && errno != ENOENT)
                qWarning("store: empty recording segment %s cannot be removed: %s", qPrintable(path), std::strerror(errno));
            continue;
        }
        if (Status st = indexBytes(*number, QByteArrayView(*bytes).first(end - from), from, fold, nullptr, false, true); !st)
            return st;
        added += end - from;
        sealedAt.append({*number, end});
    }
    if (Status s = db.exec("BEGIN IMMEDIATE"); !s)
        return s;
    Status status = apply(db, fold);
    for (const auto &[number, end] : sealedAt) {
        if (!status)
            break;
        Result<SqliteQuery> q = db.query(
            "INSERT INTO segments (id, indexed_bytes, sealed) VALUES (?1, ?2, 1) "
            "ON CONFLICT (id) DO UPDATE SET indexed_bytes = excluded.indexed_bytes, sealed = 1");
        status = q ? q->bind(1, qint64(number)).bind(2, end).run() : Status(q.error());
    }
    if (status)
        status = db.exec("COMMIT");
    if (!status) {
        (void)db.exec("ROLLBACK");
        m_staged = m_committed;
        return Error(QStringLiteral("cannot index the recording segments: %1").arg(status.error().message));
    }
    for (const auto &[id, end] : std::as_const(m_staged.deferredEnds))
        qWarning("store: the end of session %s names no recorded session; ignored", qPrintable(id));
    m_staged.deferredEnds.clear();
    m_committed = m_staged;
    m_connections.clear();
    // Nothing is appended to a leftover again: its preallocated, unused tail goes back to the disk.
    for (const auto &[number, end] : std::as_const(sealedAt))
        if (::truncate(QFile::encodeName(m_journal.segmentPath(number)).constData(), off_t(end)) != 0)
            qWarning("store: recording segment %s cannot be cut to its records: %s",
                     qPrintable(m_journal.segmentPath(number)), std::strerror(errno));
    if (added > 0)
        qInfo("store: indexed %lld bytes of recordings that a process before this one had not indexed yet "
              "(it was killed, or could not write its database)",
              static_cast<long long>(added));
    return {};
}

} // namespace gh
