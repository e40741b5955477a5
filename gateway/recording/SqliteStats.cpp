// SqliteStore::stats(): the desktop overview's counts: requests from the per-second counts the
// writer keeps (event_counts), the rare kinds from the recorded events through the partial index
// events_stats (kind, ts_us), so the cost follows the window, not the size of the store.
#include "recording/SqliteConnection.h"
#include "recording/SqliteSchema.h"
#include "recording/SqliteStore.h"
#include "recording/StoreWriter.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace gh {

namespace {

// Must repeat the index's WHERE word for word: SQLite uses a partial index only for a query whose
// WHERE contains the index's own terms.
#define GH_STATS_KINDS GH_EVENTS_STATS_WHERE("e.")

// Requests, from the writer's per-second counts (schema v4): the cost follows the seconds of the
// window that saw traffic, not the requests.
constexpr const char requestsSql[] =
    "SELECT connection, (second_us - ?1) / ?3, SUM(n) FROM event_counts "
    "WHERE kind = '" GH_COUNTED_KIND "' AND second_us >= ?1 AND second_us < ?2 GROUP BY 1, 2";

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
    m_writer->drain();   // see every session write queued before this read
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
        const char *kind;   // null: requests, from event_counts
        qint64 StatsCounts::*field;
    } counted[] = {
        {nullptr, &StatsCounts::requests},
        {"policy.refused", &StatsCounts::refusals},
        {"approval.requested", &StatsCounts::approvals},
    };
    for (const auto &c : counted) {
        Result<SqliteQuery> q = (*db)->query(c.kind ? countSql : requestsSql);
        if (!q)
            return q.error();
        q->bind(1, query.sinceUs).bind(2, query.untilUs).bind(3, query.bucketUs);
        if (c.kind)
            q->bindStaticText(4, c.kind);
        Status read = q->forEachRow([&] {
            if (StatsCounts *counts = slot(q->text(0), q->int64(1)))
                counts->*c.field += q->int64(2);
        });
        if (!read)
            return read.error();
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
        Result<SqliteQuery> q = (*db)->query(denialsSql);
        if (!q)
            return q.error();
        q->bind(1, query.sinceUs).bind(2, query.untilUs).bind(3, qint64(query.latestDenials));
        Status read = q->forEachRow([&] {
            StatsDenial d;
            d.tsUs = q->int64(0);
            d.sessionId = q->text(1);
            d.connection = q->text(2);
            d.subject = q->text(3);
            const QJsonObject data = decodeData(q->text(4), q->blob(5));
            d.rule = data.value(QLatin1String("rule")).toString();
            d.method = data.value(QLatin1String("method")).toString();
            d.path = data.value(QLatin1String("path")).toString();
            d.error = data.value(QLatin1String("error")).toString();
            d.status = data.value(QLatin1String("status")).toInt();
            out.latestDenials.append(std::move(d));
        });
        if (!read)
            return read.error();
    }
    (void)(*db)->exec("COMMIT");
    return out;
}

} // namespace gh
