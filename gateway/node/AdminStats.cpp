#include "node/AdminStats.h"

#include "admin/HttpRequest.h"
#include "admin/HttpResponder.h"
#include "core/Clock.h"
#include "core/NodeConfig.h"
#include "node/AdminApi.h"
#include "node/AdminReads.h"
#include "recording/Store.h"

#include <QJsonArray>
#include <QJsonObject>

#include <chrono>

using namespace std::chrono_literals;

namespace gh {

namespace {

constexpr auto kMaxWindow = std::chrono::milliseconds(std::chrono::hours(24 * 90));
constexpr auto kMinBucket = std::chrono::milliseconds(1min);
constexpr qint64 kMaxBuckets = 1000;

QString isoUs(qint64 us)
{
    return QDateTime::fromMSecsSinceEpoch(us / 1000, Qt::UTC).toString(Qt::ISODate);
}

QJsonArray series(const QList<StatsCounts> &buckets, qint64 StatsCounts::*field, qint64 *total)
{
    QJsonArray out;
    for (const StatsCounts &c : buckets) {
        out.append(double(c.*field));
        *total += c.*field;
    }
    return out;
}

} // namespace

static void statsReply(const Store &store, const StatsQuery &q, qint64 bucketCount, qint64 bucketMs,
                       DeferredReply &res);

void handleStatsRequest(const AdminServices &s, const HttpRequest &req, const HttpResponder &res)
{
    if (req.method != "GET")
        return res.sendError(405, "method_not_allowed", QStringLiteral("use GET /api/v1/stats"));
    auto duration = [&](const char *name, std::chrono::milliseconds fallback) -> std::optional<std::chrono::milliseconds> {
        const QString text = req.query.queryItemValue(QLatin1String(name), QUrl::FullyDecoded);
        if (text.isEmpty())
            return fallback;
        auto d = parseDuration(text);
        if (!d || d->count() <= 0)
            return std::nullopt;
        return *d;
    };
    const auto since = duration("since", std::chrono::hours(24));
    if (!since || *since > kMaxWindow)
        return res.sendError(400, "invalid", QStringLiteral("since: a duration such as 24h, at most 90 days"));
    const auto bucket = duration("bucket", std::chrono::hours(1));
    if (!bucket || *bucket < kMinBucket)
        return res.sendError(400, "invalid", QStringLiteral("bucket: a duration such as 1h, at least 1m"));
    const qint64 windowMs = since->count();
    const qint64 bucketMs = bucket->count();
    if ((windowMs + bucketMs - 1) / bucketMs > kMaxBuckets)
        return res.sendError(400, "invalid", QStringLiteral("since/bucket: at most %1 buckets").arg(kMaxBuckets));
    int limit = 20;
    const QString limitText = req.query.queryItemValue(QStringLiteral("denials"));
    if (!limitText.isEmpty()) {
        bool ok = false;
        limit = limitText.toInt(&ok);
        if (!ok || limit < 0 || limit > 200)
            return res.sendError(400, "invalid", QStringLiteral("denials: a number from 0 to 200"));
    }

    // Buckets end at the next whole bucket after now, so an hourly chart's columns are the clock's hours.
    const qint64 nowMs = s.clock->now().toMSecsSinceEpoch();
    const qint64 untilMs = (nowMs / bucketMs + 1) * bucketMs;
    const qint64 bucketCount = (windowMs + bucketMs - 1) / bucketMs;
    StatsQuery q;
    q.untilUs = untilMs * 1000;
    q.sinceUs = (untilMs - bucketCount * bucketMs) * 1000;
    q.bucketUs = bucketMs * 1000;
    q.latestDenials = limit;
    // Counting over a large store takes a while: on a read thread, not the admin thread.
    s.reads->reply(res, [store = s.store, q, bucketCount, bucketMs](DeferredReply &r) {
        statsReply(*store, q, bucketCount, bucketMs, r);
    });
}

static void statsReply(const Store &store, const StatsQuery &q, qint64 bucketCount, qint64 bucketMs,
                       DeferredReply &res)
{
    Result<StatsResult> stats = store.stats(q);
    if (!stats) {
        qWarning("admin API: stats failed: %s", qPrintable(stats.error().message));
        return res.sendError(503, "store_unavailable", QStringLiteral("the store failed: %1").arg(stats.error().message));
    }

    // Every configured connection appears, quiet ones with zeros; so do recorded ones since removed.
    QStringList names;
    if (auto set = store.resources(); set) {
        for (const Connection &c : set->connections)
            names << c.name;
    }
    for (auto it = stats->connections.cbegin(); it != stats->connections.cend(); ++it) {
        if (!names.contains(it.key()))
            names << it.key();
    }
    names.sort();

    QJsonArray starts;
    for (qint64 i = 0; i < bucketCount; ++i)
        starts.append(isoUs(q.sinceUs + i * q.bucketUs));
    QJsonArray connections;
    for (const QString &name : names) {
        QList<StatsCounts> buckets = stats->connections.value(name);
        if (buckets.isEmpty())
            buckets.resize(bucketCount);
        StatsCounts total;
        QJsonObject c{{QStringLiteral("name"), name}};
        c.insert(QStringLiteral("requests"), series(buckets, &StatsCounts::requests, &total.requests));
        c.insert(QStringLiteral("refusals"), series(buckets, &StatsCounts::refusals, &total.refusals));
        c.insert(QStringLiteral("approvals"), series(buckets, &StatsCounts::approvals, &total.approvals));
        c.insert(QStringLiteral("masked"), series(buckets, &StatsCounts::masked, &total.masked));
        c.insert(QStringLiteral("totals"), QJsonObject{{QStringLiteral("requests"), double(total.requests)},
                                                       {QStringLiteral("refusals"), double(total.refusals)},
                                                       {QStringLiteral("approvals"), double(total.approvals)},
                                                       {QStringLiteral("masked"), double(total.masked)}});
        connections.append(c);
    }
    QJsonArray denials;
    for (const StatsDenial &d : stats->latestDenials) {
        denials.append(QJsonObject{{QStringLiteral("time"), QDateTime::fromMSecsSinceEpoch(d.tsUs / 1000, Qt::UTC).toString(Qt::ISODateWithMs)},
                                   {QStringLiteral("session"), d.sessionId},
                                   {QStringLiteral("connection"), d.connection},
                                   {QStringLiteral("subject"), d.subject},
                                   {QStringLiteral("rule"), d.rule},
                                   {QStringLiteral("method"), d.method},
                                   {QStringLiteral("path"), d.path},
                                   {QStringLiteral("status"), d.status},
                                   {QStringLiteral("error"), d.error}});
    }
    res.sendJson(200, QJsonObject{{QStringLiteral("since"), isoUs(q.sinceUs)},
                                  {QStringLiteral("until"), isoUs(q.untilUs)},
                                  {QStringLiteral("bucket_seconds"), double(bucketMs / 1000)},
                                  {QStringLiteral("buckets"), starts},
                                  {QStringLiteral("connections"), connections},
                                  {QStringLiteral("latest_denials"), denials}});
}

} // namespace gh
