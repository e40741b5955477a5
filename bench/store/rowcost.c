/* What one recorded event costs SQLite, as the store writer inserts it: rows shaped like the
 * events table's, spread over 32 open sessions, committed in groups like the writer's, WAL with
 * synchronous=NORMAL. Prints CPU (user+system) and wall time per row.
 *
 *   cc -O2 bench/store/rowcost.c -o /tmp/rowcost -lsqlite3
 *   /tmp/rowcost [ROW_BYTES] [VARIANT] [DB]     defaults: 1300 0 /tmp/gatehouse-rowcost.db
 *
 * VARIANT is a sum of: 1 integer session key instead of the text UUID, 2 foreign keys not
 * enforced, 4 a 64 MiB page cache, 8 without the events_stats partial index. 0 is schema v3;
 * schema v4 costs these rows what 8 does (its events_stats holds only rare kinds, counted
 * requests go to event_counts once per transaction). VARIANT 16 is the baseline: the same records (a small header, the
 * hash, the data) appended to a plain file, one write() per group, no SQLite at all: what an
 * append-only log of recordings would cost. See bench/README.md, "What a recorded event costs". */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static double cpuSeconds(void)
{
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return r.ru_utime.tv_sec + r.ru_utime.tv_usec / 1e6 + r.ru_stime.tv_sec + r.ru_stime.tv_usec / 1e6;
}

static double wallSeconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void exec(sqlite3 *db, const char *sql)
{
    char *error = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &error) != SQLITE_OK) {
        fprintf(stderr, "rowcost: %s: %s\n", sql, error);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    const int rowBytes = argc > 1 ? atoi(argv[1]) : 1300;
    const int variant = argc > 2 ? atoi(argv[2]) : 0;
    const char *path = argc > 3 ? argv[3] : "/tmp/gatehouse-rowcost.db";
    enum { sessions = 32, rows = 400000, group = 1300 };
    if (rowBytes <= 0) {
        fprintf(stderr, "usage: rowcost [ROW_BYTES] [VARIANT] [DB]\n");
        return 2;
    }
    char wal[4096], shm[4096];
    snprintf(wal, sizeof wal, "%s-wal", path);
    snprintf(shm, sizeof shm, "%s-shm", path);
    unlink(path);
    unlink(wal);
    unlink(shm);

    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK) {
        fprintf(stderr, "rowcost: cannot open %s\n", path);
        return 1;
    }
    exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL");
    if (variant & 4)
        exec(db, "PRAGMA cache_size = -65536");
    exec(db, (variant & 2) ? "PRAGMA foreign_keys = OFF" : "PRAGMA foreign_keys = ON");
    exec(db, "CREATE TABLE sessions (id TEXT PRIMARY KEY NOT NULL, connection TEXT NOT NULL) STRICT");
    if (variant & 1)
        exec(db, "CREATE TABLE events (session_id INTEGER NOT NULL, seq INTEGER NOT NULL, ts_us INTEGER NOT NULL, "
                 "kind TEXT NOT NULL, encoding TEXT NOT NULL, raw_size INTEGER NOT NULL, data BLOB NOT NULL, "
                 "hash BLOB NOT NULL, PRIMARY KEY (session_id, seq)) STRICT");
    else
        exec(db, "CREATE TABLE events (session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE, "
                 "seq INTEGER NOT NULL, ts_us INTEGER NOT NULL, kind TEXT NOT NULL, encoding TEXT NOT NULL, "
                 "raw_size INTEGER NOT NULL, data BLOB NOT NULL, hash BLOB NOT NULL, "
                 "PRIMARY KEY (session_id, seq)) STRICT");
    if (!(variant & 8))
        exec(db, "CREATE INDEX events_stats ON events (kind, ts_us, session_id) WHERE (kind = 'http.request' OR "
                 "kind = 'policy.refused' OR kind = 'approval.requested' OR kind = 'policy.masked')");

    char ids[sessions][37];
    srand(1);
    for (int s = 0; s < sessions; ++s) {
        for (int i = 0; i < 36; ++i)
            ids[s][i] = (i == 8 || i == 13 || i == 18 || i == 23) ? '-' : "0123456789abcdef"[rand() % 16];
        ids[s][36] = 0;
        char sql[160];
        snprintf(sql, sizeof sql, "INSERT INTO sessions VALUES ('%.36s', 'origin')", ids[s]);
        exec(db, sql);
    }
    sqlite3_stmt *insert;
    if (sqlite3_prepare_v2(db, "INSERT INTO events VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", -1, &insert, NULL)
        != SQLITE_OK) {
        fprintf(stderr, "rowcost: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    char *data = malloc((size_t)rowBytes);
    for (int i = 0; i < rowBytes; ++i)
        data[i] = (char)('a' + rand() % 26);
    unsigned char hash[32];
    memset(hash, 7, sizeof hash);
    long long seq[sessions] = {0};

    if (variant & 16) {   // the baseline: an append-only file
        sqlite3_finalize(insert);
        sqlite3_close(db);
        const int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) {
            perror("rowcost");
            return 1;
        }
        const size_t recordBytes = 8 + 8 + 8 + 2 + sizeof hash + (size_t)rowBytes;
        char *buffer = malloc(recordBytes * group);
        const double cpu0 = cpuSeconds(), wall0 = wallSeconds();
        size_t used = 0;
        for (int i = 0; i < rows; ++i) {
            const int s = rand() % sessions;
            char *at = buffer + used;
            const uint32_t length = (uint32_t)recordBytes, id = (uint32_t)s;
            memcpy(at, &length, 4);
            memcpy(at + 4, &id, 4);
            memcpy(at + 8, &seq[s], 8);
            ++seq[s];
            const long long ts = 1764720000000000LL + i;
            memcpy(at + 16, &ts, 8);
            at[24] = (char)(i & 1);
            at[25] = 0;
            memcpy(at + 26, hash, sizeof hash);
            memcpy(at + 26 + sizeof hash, data, (size_t)rowBytes);
            used += recordBytes;
            if (i % group == group - 1 || i == rows - 1) {
                if (write(fd, buffer, used) != (ssize_t)used) {
                    perror("rowcost");
                    return 1;
                }
                used = 0;
            }
        }
        const double cpu = cpuSeconds() - cpu0, wall = wallSeconds() - wall0;
        printf("rows of %d bytes, variant %d (append-only file): %.2f us CPU per row, %.2f us wall per row\n",
               rowBytes, variant, cpu * 1e6 / rows, wall * 1e6 / rows);
        close(fd);
        free(buffer);
        free(data);
        unlink(path);
        unlink(wal);
        unlink(shm);
        return 0;
    }

    const double cpu0 = cpuSeconds(), wall0 = wallSeconds();
    for (int i = 0; i < rows; ++i) {
        if (i % group == 0)
            exec(db, "BEGIN");
        const int s = rand() % sessions;
        if (variant & 1)
            sqlite3_bind_int64(insert, 1, s + 1);
        else
            sqlite3_bind_text(insert, 1, ids[s], 36, SQLITE_STATIC);
        sqlite3_bind_int64(insert, 2, seq[s]++);
        sqlite3_bind_int64(insert, 3, 1764720000000000LL + i);
        sqlite3_bind_text(insert, 4, (i & 1) ? "http.response" : "http.request", -1, SQLITE_STATIC);
        sqlite3_bind_text(insert, 5, "identity", -1, SQLITE_STATIC);
        sqlite3_bind_int64(insert, 6, rowBytes);
        sqlite3_bind_blob(insert, 7, data, rowBytes, SQLITE_STATIC);
        sqlite3_bind_blob(insert, 8, hash, sizeof hash, SQLITE_STATIC);
        if (sqlite3_step(insert) != SQLITE_DONE) {
            fprintf(stderr, "rowcost: %s\n", sqlite3_errmsg(db));
            return 1;
        }
        sqlite3_reset(insert);
        if (i % group == group - 1)
            exec(db, "COMMIT");
    }
    if (!sqlite3_get_autocommit(db))
        exec(db, "COMMIT");
    const double cpu = cpuSeconds() - cpu0, wall = wallSeconds() - wall0;
    printf("rows of %d bytes, variant %d: %.2f us CPU per row, %.2f us wall per row\n", rowBytes, variant,
           cpu * 1e6 / rows, wall * 1e6 / rows);
    sqlite3_finalize(insert);
    sqlite3_close(db);
    free(data);
    unlink(path);
    unlink(wal);
    unlink(shm);
    return 0;
}
