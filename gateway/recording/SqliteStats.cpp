// SqliteStore::stats(): the desktop overview's counts, from the per-second counts the writer keeps
// (event_counts: requests since schema v4, refusals, approval requests and masked values since v5),
// and the rare kinds recorded before v5 from their rows through the partial index events_stats
// (kind, ts_us), so the cost follows the window, not the size of the store. The latest refusals
// come from the runs that hold one (event_runs_refused), read from their segments.
#include "recording/JournalRecords.h"
#include "recording/SegmentIndexer.h"
#include "recording/SqliteConnection.h"
#include "recording/SqliteSchema.h"
#include "recording/SqliteStore.h"
#include "recording/StoreWriter.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>

namespace gh {

namespace {

// Must repeat the index's WHERE word for word: SQLite uses a partial index only for a query whose
// WHERE contains the index's own terms.
#define GH_STATS_KINDS GH_EVENTS_STATS_WHERE("e.")

// From the writer's per-second counts: the cost follows the seconds of the window that saw
// traffic, not the requests.
constexpr const char countedSql[] =
    "SELECT connection, (second_us - ?1) / ?3, SUM(n) FROM event_counts "
    "WHERE kind = ?4 AND second_us >= ?1 AND second_us < ?2 GROUP BY 1, 2";

// Runs holding a refusal that reach into the window, newest first (the partial index's WHERE,
// word for word).
constexpr const char refusalRunsSql[] =
    "SELECT r.session_id, r.segment_id, r.first_offset, r.end_offset, r.last_ts_us, s.connection, s.subject "
    "FROM event_runs r CROSS JOIN sessions s ON s.id = r.session_id "
    "WHERE " GH_RUN_REFUSED_WHERE("r.") " AND r.last_ts_us >= ?1 AND r.first_ts_us < ?2 ORDER BY r.last_ts_us DESC";

constexpr const char countSql[] =
    "SELECT s.connection, (e.ts_us - ?1) / ?3, COUNT(*) "
    "FROM events e CROSS JOIN sessions s ON s.id = e.session_id "
    "WHERE " GH_STATS_KINDS " AND e.kind = ?4 AND e.ts_us >= ?1 AND e.ts_us < ?2 "
    "GROUP BY 1, 2";

constexpr const char maskedSql[] =
    "SELECT s.connection, (e.ts_us - ?1) / ?3, e.encoding, e.data "
    "FROM events e CROSS JOIN sessions s ON s.id = e.session_id "
    "WHERE " GH_STATS_KINDS " AND e.kind = 'policy.masked' AND e.ts_us >= ?1 AND e.ts_us < ?2";

constexpr const char denialsSql[] =
    "SELECT e.ts_us, e.session_id, s.connection, s.subject, e.encoding, e.data "
    "FROM events e CROSS JOIN sessions s ON s.id = e.session_id "
    "WHERE " GH_STATS_KINDS " AND e.kind = 'policy.refused' AND e.ts_us >= ?1 AND e.ts_us < ?2 "
    "ORDER BY e.ts_us DESC LIMIT ?3";

#undef GH_STATS_KINDS

QJsonObject decodeData(const QString &encoding, const QByteArray &stored)
{
    Result<BodyCodec::Encoding> enc = BodyCodec::encodingFromName(encoding);
    if (!enc)
        return {};
    Result<QByteArray> raw = BodyCodec::decode(*enc, stored, 1024 * 1024);
    if (!raw)
        return {};
    return QJsonDocument::fromJson(*raw).object();
}

} // namespace

Result<StatsResult> SqliteStore::stats(const StatsQuery &query) const
{
    catchUp();   // see every session write made before this read
    if (query.bucketUs <= 0 || query.untilUs <= query.sinceUs)
        return Error(QStringLiteral("stats: an empty window or bucket"));
    const qint64 bucketCount = (query.untilUs - query.sinceUs + query.bucketUs - 1) / query.bucketUs;
    if (bucketCount > 10'000)
        return Error(QStringLiteral("stats: too many buckets"));

    // A connection of its own: the pool's lease type is private to SqliteStore.cpp, and an
    // overview asks at most every few seconds.
    Result<std::unique_ptr<SqliteConnection>> db =
        SqliteConnection::open(m_path, SqliteConnection::Access::ReadOnly, m_options.busyTimeoutMs);
    if (!db)
        return db.error();
    // One snapshot for all the queries, so the counts and the denials agree.
    if (Status s = (*db)->exec("BEGIN"); !s)
        return s.error();

    StatsResult out;
    auto slot = [&](const QString &connection, qint64 bucket) -> StatsCounts * {
        if (bucket < 0 || bucket >= bucketCount)
            return nullptr;
        QList<StatsCounts> &series = out.connections[connection];
        if (series.isEmpty())
            series.resize(bucketCount);
        return &series[bucket];
    };

    static const struct {
        const char *kind;
        qint64 StatsCounts::*field;
        bool rows;   // also recorded as rows before schema v5 (requests were counted since v4)
    } counted[] = {
        {GH_COUNTED_KIND, &StatsCounts::requests, false},
        {"policy.refused", &StatsCounts::refusals, true},
        {"approval.requested", &StatsCounts::approvals, true},
        {"policy.masked", &StatsCounts::masked, false},   // its rows: maskedSql below
    };
    for (const auto &c : counted) {
        for (const char *sql : {countedSql, c.rows ? countSql : nullptr}) {
            if (!sql)
                continue;
            Result<SqliteQuery> q = (*db)->query(sql);
            if (!q)
                return q.error();
            q->bind(1, query.sinceUs).bind(2, query.untilUs).bind(3, query.bucketUs);
            q->bindStaticText(4, c.kind);
            Status read = q->forEachRow([&] {
                if (StatsCounts *counts = slot(q->text(0), q->int64(1)))
                    counts->*c.field += q->int64(2);
            });
            if (!read)
                return read.error();
        }
    }

    {
        Result<SqliteQuery> q = (*db)->query(maskedSql);
        if (!q)
            return q.error();
        q->bind(1, query.sinceUs).bind(2, query.untilUs).bind(3, query.bucketUs);
        Status read = q->forEachRow([&] {
            StatsCounts *counts = slot(q->text(0), q->int64(1));
            if (!counts)
                return;
            const QJsonObject data = decodeData(q->text(2), q->blob(3));
            for (const QJsonValue &m : data.value(QLatin1String("masks")).toArray())
                counts->masked += qMax<qint64>(0, qint64(m.toObject().value(QLatin1String("count")).toDouble()));
        });
        if (!read)
            return read.error();
    }

    if (query.latestDenials > 0) {
        auto denial = [](qint64 tsUs, QString sessionId, QString connection, QString subject, const QJsonObject &data) {
            StatsDenial d;
            d.tsUs = tsUs;
            d.sessionId = std::move(sessionId);
            d.connection = std::move(connection);
            d.subject = std::move(subject);
            d.rule = data.value(QLatin1String("rule")).toString();
            d.method = data.value(QLatin1String("method")).toString();
            d.path = data.value(QLatin1String("path")).toString();
            d.error = data.value(QLatin1String("error")).toString();
            d.status = data.value(QLatin1String("status")).toInt();
            return d;
        };
        // Recorded since schema v5: the refusals in the runs that hold one, newest run first, until
        // the runs left end before the latest refusals found.
        Result<SqliteQuery> runs = (*db)->query(refusalRunsSql);
        if (!runs)
            return runs.error();
        runs->bind(1, query.sinceUs).bind(2, query.untilUs);
        QList<StatsDenial> found;
        auto enough = [&](qint64 runLastTs) {
            if (found.size() < query.latestDenials)
                return false;
            std::sort(found.begin(), found.end(), [](const StatsDenial &a, const StatsDenial &b) { return a.tsUs > b.tsUs; });
            found.resize(query.latestDenials);
            return runLastTs < found.last().tsUs;
        };
        for (;;) {
            Result<bool> row = runs->step();
            if (!row)
                return row.error();
            if (!*row || enough(runs->int64(4)))
                break;
            const QString sessionId = runs->text(0);
            const QString path = m_journal->segmentPath(quint64(runs->int64(1)));
            Result<QByteArray> bytes = RecordingJournal::readRange(path, runs->int64(2), runs->int64(3));
            if (!bytes)
                return bytes.error();
            const QByteArray id = sessionId.toUtf8();
            (void)RecordingJournal::forEachRecord(*bytes, runs->int64(2), [&](qint64, QByteArrayView record) {
                Result<std::optional<journal::EventView>> e = journal::peekEvent(record);
                if (!e || !e->has_value() || (*e)->sessionId != QByteArrayView(id) || (*e)->kind != QByteArrayView("policy.refused")
                    || (*e)->tsUs < query.sinceUs || (*e)->tsUs >= query.untilUs)
                    return;
                Result<QByteArray> raw = BodyCodec::decode((*e)->encoding, (*e)->stored.toByteArray(), 1024 * 1024);
                found.append(denial((*e)->tsUs, sessionId, runs->text(5), runs->text(6),
                                    raw ? QJsonDocument::fromJson(*raw).object() : QJsonObject()));
            });
        }
        // Recorded before: rows.
        Result<SqliteQuery> q = (*db)->query(denialsSql);
        if (!q)
            return q.error();
        q->bind(1, query.sinceUs).bind(2, query.untilUs).bind(3, qint64(query.latestDenials));
        Status read = q->forEachRow([&] {
            found.append(denial(q->int64(0), q->text(1), q->text(2), q->text(3), decodeData(q->text(4), q->blob(5))));
        });
        if (!read)
            return read.error();
        std::sort(found.begin(), found.end(), [](const StatsDenial &a, const StatsDenial &b) { return a.tsUs > b.tsUs; });
        if (found.size() > query.latestDenials)
            found.resize(query.latestDenials);
        out.latestDenials = std::move(found);
    }
    (void)(*db)->exec("COMMIT");
    return out;
}

} // namespace gh
