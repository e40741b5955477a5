#pragma once

#include "core/Result.h"

#include <span>

// The rare event kinds the overview reads one by one and the sessions search looks for: the WHERE
// of the partial index events_stats (schema v4), with `t` the table qualifier ("" or "e."). A query
// must repeat it word for word for SQLite to use the index. Written with OR, not IN: SQLite
// evaluates an IN list of more than two values through a temporary b-tree built for every row
// inserted, which cost 2 us per event (schema v2). Requests, one per exchange, are counted in
// event_counts instead (schema v4). GH_FOR_EACH_RARE_KIND lists the same kinds.
#define GH_EVENTS_STATS_WHERE(t)                                                                    \
    "(" t "kind = 'policy.refused' OR " t "kind = 'approval.requested' OR " t "kind = 'approval.decided' OR " t \
    "kind = 'policy.masked')"
#define GH_FOR_EACH_RARE_KIND(X) X("policy.refused") X("approval.requested") X("approval.decided") X("policy.masked")

// Schema v3's WHERE of events_stats, which also held every http.request: only for the steps
// that build and leave it.
#define GH_EVENTS_STATS_WHERE_V3(t)                                                                 \
    "(" t "kind = 'http.request' OR " t "kind = 'policy.refused' OR " t "kind = 'approval.requested' OR " t \
    "kind = 'policy.masked')"

// Counted per connection and second in event_counts by the store writer, not read off the events.
#define GH_COUNTED_KIND "http.request"

// A session row's columns as stored::sessionFromRow reads them. An open session's count and head are
// read off its events (schema v5: its runs; before: its rows), which the writer does not copy into
// the row until the session ends; an ended session's are the ones it was closed with, which
// verification holds the events against.
#define GH_SESSION_COLUMNS                                                                         \
    "id, connection, subject, groups, issuer, client_addr, started_at_us, ended_at_us, bytes_in, " \
    "bytes_out, CASE WHEN ended_at_us IS NULL THEN (SELECT coalesce(sum(r.events), 0) FROM event_runs r " \
    "WHERE r.session_id = sessions.id) + (SELECT count(*) FROM events WHERE events.session_id = sessions.id) " \
    "ELSE event_count END, "                                                                       \
    "CASE WHEN ended_at_us IS NULL THEN coalesce((SELECT r.last_hash FROM event_runs r WHERE "      \
    "r.session_id = sessions.id ORDER BY r.last_seq DESC LIMIT 1), (SELECT hash FROM events WHERE " \
    "events.session_id = sessions.id ORDER BY seq DESC LIMIT 1)) ELSE head_hash END, head_signature"

namespace gh {

class SqliteConnection;

// The store's SQLite schema as an ordered list of migration steps. PRAGMA user_version holds
// the number of steps applied; all pending steps run in one transaction, so a failure leaves
// the database exactly as it was.
class SqliteSchema final {
public:
    struct Step {
        int version;       // user_version after this step
        const char *sql;   // one or more statements
    };

    static std::span<const Step> steps();
    static int latestVersion();

    // Brings `db` to the last of `steps`. A database newer than the code is refused untouched.
    static Status migrate(SqliteConnection &db, std::span<const Step> steps = SqliteSchema::steps());
    static Result<int> version(SqliteConnection &db);
};

} // namespace gh
