#include "recording/SqliteSchema.h"

#include "recording/SqliteConnection.h"

namespace gh {

namespace {

// Times: resources, tokens and approvals in milliseconds since the epoch (UTC); sessions and
// events in microseconds, the resolution recordings are replayed at.
constexpr const char schemaV1[] = R"sql(
CREATE TABLE store_meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value ANY
) STRICT;
-- Grows with every committed resource change; persisted so it never goes back across restarts.
INSERT INTO store_meta (key, value) VALUES ('resource_revision', 0);

CREATE TABLE connections (
    name       TEXT PRIMARY KEY NOT NULL,
    json       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE rules (
    name       TEXT PRIMARY KEY NOT NULL,
    position   INTEGER NOT NULL UNIQUE,
    json       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

-- issued_at IS NULL marks a revocation of a token this gateway never recorded;
-- expires_at IS NULL an expiry nobody told us (kept until deleted).
CREATE TABLE issued_tokens (
    jti        TEXT PRIMARY KEY NOT NULL,
    subject    TEXT NOT NULL DEFAULT '',
    groups     TEXT NOT NULL DEFAULT '[]',
    issued_at  INTEGER,
    expires_at INTEGER,
    revoked_at INTEGER
) STRICT;
CREATE INDEX issued_tokens_revoked ON issued_tokens (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX issued_tokens_expires ON issued_tokens (expires_at);

-- connection is a name, not a foreign key: the record of a session outlives its connection.
CREATE TABLE sessions (
    id             TEXT PRIMARY KEY NOT NULL,
    connection     TEXT NOT NULL,
    subject        TEXT NOT NULL,
    groups         TEXT NOT NULL DEFAULT '[]',
    issuer         TEXT NOT NULL DEFAULT '',
    client_addr    TEXT NOT NULL DEFAULT '',
    started_at_us  INTEGER NOT NULL,
    ended_at_us    INTEGER,
    bytes_in       INTEGER NOT NULL DEFAULT 0,
    bytes_out      INTEGER NOT NULL DEFAULT 0,
    event_count    INTEGER NOT NULL DEFAULT 0,
    head_hash      BLOB,
    head_signature BLOB
) STRICT;
-- id breaks ties so "newest first ... LIMIT n" is read straight off the index, no sort.
CREATE INDEX sessions_started    ON sessions (started_at_us, id);
CREATE INDEX sessions_connection ON sessions (connection, started_at_us, id);
CREATE INDEX sessions_subject    ON sessions (subject, started_at_us, id);

-- raw_size lets a reader refuse an oversized body before inflating it.
CREATE TABLE events (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL CHECK (seq >= 0),
    ts_us      INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    encoding   TEXT NOT NULL CHECK (encoding IN ('identity', 'zstd')),
    raw_size   INTEGER NOT NULL,
    data       BLOB NOT NULL,
    hash       BLOB NOT NULL,
    PRIMARY KEY (session_id, seq)
) STRICT;

CREATE TABLE approvals (
    id         TEXT PRIMARY KEY NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'denied', 'expired')),
    connection TEXT NOT NULL,
    subject    TEXT NOT NULL,
    rule       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    decided_at INTEGER,
    json       TEXT NOT NULL
) STRICT;
CREATE INDEX approvals_state ON approvals (state, created_at);
)sql";

// The overview's statistics (SqliteStats.cpp) read the counted kinds by time. Partial, so body and
// chunk events, the bulk of a store, stay out of it and cost nothing more to append; covering (the
// session id in the index, the connection in sessions_stats) so a count never visits a table row.
constexpr const char schemaV2[] = R"sql(
CREATE INDEX events_stats ON events (kind, ts_us, session_id)
    WHERE kind IN ('http.request', 'policy.refused', 'approval.requested', 'policy.masked');
CREATE INDEX sessions_stats ON sessions (id, connection);
)sql";

// The same index with its WHERE written as ORs (see GH_EVENTS_STATS_WHERE): appending an event no
// longer builds a temporary b-tree. Rebuilding it reads each event's row head, not its body.
constexpr const char schemaV3[] =
    "DROP INDEX events_stats;"
    "CREATE INDEX events_stats ON events (kind, ts_us, session_id) WHERE " GH_EVENTS_STATS_WHERE_V3("") ";";

// Requests counted per connection and second, by the writer once per transaction, instead of an
// entry per http.request in events_stats: the index cost every request about 1.5 us on the writer
// (bench/store/rowcost.c), and an overview of a busy week read every request of the week. The
// counts of the events already stored are taken over; events_stats keeps the rare kinds.
constexpr const char schemaV4[] =
    "CREATE TABLE event_counts ("
    "    connection TEXT NOT NULL,"
    "    kind       TEXT NOT NULL,"
    "    second_us  INTEGER NOT NULL,"
    "    n          INTEGER NOT NULL,"
    "    PRIMARY KEY (kind, second_us, connection)"
    ") STRICT, WITHOUT ROWID;"
    "INSERT INTO event_counts (connection, kind, second_us, n) "
    "SELECT s.connection, e.kind, e.ts_us / 1000000 * 1000000, count(*) "
    "FROM events e CROSS JOIN sessions s ON s.id = e.session_id "
    "WHERE " GH_EVENTS_STATS_WHERE_V3("e.") " AND e.kind = '" GH_COUNTED_KIND "' GROUP BY 1, 2, 3;"
    "DROP INDEX events_stats;"
    "CREATE INDEX events_stats ON events (kind, ts_us, session_id) WHERE " GH_EVENTS_STATS_WHERE("") ";";

// Events leave SQLite: they stay in the recording segments they were first written to, and SQLite
// keeps what finds them again (docs/recording-store.md). A row costs the writer 6-8 us, the same
// bytes appended to a file well under 1 us (bench/store/rowcost.c); one run row covers all of a
// session's events in one segment that one indexing pass saw. `events` stays for what was recorded
// before, read-only.
constexpr const char schemaV5[] = R"sql(
CREATE TABLE segments (
    id            INTEGER PRIMARY KEY,        -- the file's number: <16 hex digits>.seg
    indexed_bytes INTEGER NOT NULL,           -- the records before this offset are indexed
    sealed        INTEGER NOT NULL DEFAULT 0  -- 1: nothing more is appended, all of it is indexed
) STRICT;

-- The records of a run lie in [first_offset, end_offset) of its segment, among other sessions'.
-- kinds: a bit per kind the gateway records (SegmentIndexer.h), other_kinds: the rest as ",a,b,".
CREATE TABLE event_runs (
    session_id   TEXT NOT NULL,
    first_seq    INTEGER NOT NULL,
    last_seq     INTEGER NOT NULL,
    first_ts_us  INTEGER NOT NULL,
    last_ts_us   INTEGER NOT NULL,
    segment_id   INTEGER NOT NULL,
    first_offset INTEGER NOT NULL,
    end_offset   INTEGER NOT NULL,
    events       INTEGER NOT NULL,
    kinds        INTEGER NOT NULL,
    other_kinds  TEXT,
    last_hash    BLOB NOT NULL,
    PRIMARY KEY (session_id, first_seq)
) STRICT, WITHOUT ROWID;
-- The overview's latest refusals, newest first, without a look at any other run.
CREATE INDEX event_runs_refused ON event_runs (last_ts_us) WHERE kinds & 64 != 0;
)sql";

// The sessions search's `has=` asks for rare kinds only (refusals, approvals, masking): the runs
// that hold one, by session, so a long session's thousands of runs of requests are never read for
// it. Bits 6-9 (GH_RUN_RARE_WHERE); the query repeats the WHERE word for word.
constexpr const char schemaV6[] = "CREATE INDEX event_runs_rare ON event_runs (session_id) WHERE kinds & 960 != 0;";

constexpr SqliteSchema::Step allSteps[] = {
    {1, schemaV1},
    {2, schemaV2},
    {3, schemaV3},
    {4, schemaV4},
    {5, schemaV5},
    {6, schemaV6},
};

} // namespace

std::span<const SqliteSchema::Step> SqliteSchema::steps()
{
    return allSteps;
}

int SqliteSchema::latestVersion()
{
    return steps().back().version;
}

Result<int> SqliteSchema::version(SqliteConnection &db)
{
    Result<std::optional<qint64>> v = db.firstInt64("PRAGMA user_version");
    if (!v)
        return v.error();
    return int(v->value_or(0));
}

Status SqliteSchema::migrate(SqliteConnection &db, std::span<const Step> steps)
{
    const int latest = steps.empty() ? 0 : steps.back().version;
    // IMMEDIATE: two processes opening the same file at once must not both migrate.
    if (Status s = db.exec("BEGIN IMMEDIATE"); !s)
        return s;
    auto fail = [&db](Error e) -> Status {
        (void)db.exec("ROLLBACK");
        return e;
    };
    Result<int> current = version(db);
    if (!current)
        return fail(current.error());
    if (*current > latest)
        return fail(Error(QStringLiteral("database schema version %1 is newer than this Gatehouse "
                                         "supports (%2); upgrade Gatehouse or use a matching data dir")
                              .arg(*current)
                              .arg(latest),
                          db.path(), 0, QStringLiteral("user_version")));
    for (const Step &step : steps) {
        if (step.version <= *current)
            continue;
        if (Status s = db.exec(step.sql); !s)
            return fail(Error(QStringLiteral("schema migration to version %1 failed: %2")
                                  .arg(step.version)
                                  .arg(s.error().message),
                              db.path(), 0, QString()));
    }
    if (latest > *current) {
        // PRAGMA takes no bound parameters; the number is ours, not user input.
        const QByteArray setVersion = "PRAGMA user_version = " + QByteArray::number(latest);
        if (Status s = db.exec(setVersion.constData()); !s)
            return fail(s.error());
    }
    return db.exec("COMMIT");
}

} // namespace gh
