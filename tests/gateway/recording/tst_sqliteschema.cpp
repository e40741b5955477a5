#include "recording/SegmentIndexer.h"
#include "recording/SqliteConnection.h"
#include "recording/SqliteSchema.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <array>

using namespace gh;

namespace {

qint64 scalar(SqliteConnection &db, const char *sql)
{
    Result<SqliteQuery> q = db.query(sql);
    if (!q)
        return -1;
    Result<bool> row = q->step();
    return row && *row ? q->int64(0) : -1;
}

// Column `column` of every row `sql` gives, one per line ("" when it cannot run): what EXPLAIN
// and EXPLAIN QUERY PLAN say.
QString column(SqliteConnection &db, const char *sql, int column)
{
    Result<SqliteQuery> q = db.query(sql);
    QString out;
    while (q && q->step().value())
        out += q->text(column) + QLatin1Char('\n');
    return out;
}

} // namespace

// Upgrades must be all or nothing: a half-migrated database would be neither version.
class tst_SqliteSchema : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<SqliteConnection> m_db;

private slots:
    void init()
    {
        const QString path = m_dir.filePath(QLatin1String(QTest::currentTestFunction()) + QLatin1String(".db"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.close();
        Result<std::unique_ptr<SqliteConnection>> db =
            SqliteConnection::open(path, SqliteConnection::Access::ReadWrite, 1000);
        QVERIFY(db.ok());
        m_db = std::move(*db);
    }

    void pendingStepsRunInOrderAndSetTheVersion()
    {
        const std::array<SqliteSchema::Step, 3> steps{{
            {1, "CREATE TABLE a (x INTEGER)"},
            {2, "ALTER TABLE a ADD COLUMN y TEXT"},
            {3, "CREATE INDEX a_y ON a (y)"},
        }};
        QVERIFY(SqliteSchema::migrate(*m_db, std::span(steps).first(1)).ok());
        QCOMPARE(SqliteSchema::version(*m_db).value(), 1);
        QVERIFY(SqliteSchema::migrate(*m_db, steps).ok());
        QCOMPARE(SqliteSchema::version(*m_db).value(), 3);
        QCOMPARE(scalar(*m_db, "SELECT count(*) FROM sqlite_master WHERE name = 'a_y'"), qint64(1));
        // Applied steps are not applied again.
        QVERIFY(SqliteSchema::migrate(*m_db, steps).ok());
    }

    void aFailingStepLeavesTheDatabaseAsItWas()
    {
        const std::array<SqliteSchema::Step, 3> steps{{
            {1, "CREATE TABLE a (x INTEGER)"},
            {2, "CREATE TABLE b (x INTEGER)"},
            {3, "CREATE TABLE c (x INTEGER"},   // syntax error
        }};
        const Status s = SqliteSchema::migrate(*m_db, steps);
        QVERIFY(!s.ok());
        QVERIFY2(s.error().message.contains(QLatin1String("version 3")), qPrintable(s.error().message));
        QCOMPARE(SqliteSchema::version(*m_db).value(), 0);
        QCOMPARE(scalar(*m_db, "SELECT count(*) FROM sqlite_master WHERE name IN ('a', 'b')"), qint64(0));
        QVERIFY(!m_db->inTransaction());
    }

    void newerDatabaseIsRefused()
    {
        QVERIFY(m_db->exec("PRAGMA user_version = 7").ok());
        const Status s = SqliteSchema::migrate(*m_db);
        QVERIFY(!s.ok());
        QCOMPARE(s.error().key, QStringLiteral("user_version"));
        QCOMPARE(SqliteSchema::version(*m_db).value(), 7);
    }

    void shippedSchemaAppliesToAnEmptyDatabase()
    {
        QVERIFY(SqliteSchema::migrate(*m_db).ok());
        QCOMPARE(SqliteSchema::version(*m_db).value(), SqliteSchema::latestVersion());
        // Listing sessions newest first by connection or subject must not scan the table.
        const QString detail = column(*m_db,
                                      "EXPLAIN QUERY PLAN SELECT id FROM sessions WHERE subject = 'a' "
                                      "ORDER BY started_at_us DESC, id DESC LIMIT 10",
                                      3);
        QVERIFY2(detail.contains(QLatin1String("sessions_subject")), qPrintable(detail));
        QVERIFY2(!detail.contains(QLatin1String("TEMP B-TREE")), qPrintable(detail));
    }

    void overviewCountsReadTheStatsIndex()
    {
        QVERIFY(SqliteSchema::migrate(*m_db).ok());
        const QString detail = column(*m_db,
                                      "EXPLAIN QUERY PLAN SELECT COUNT(*) FROM events e WHERE " GH_EVENTS_STATS_WHERE("e.")
                                      " AND e.kind = 'policy.refused' AND e.ts_us >= 0 AND e.ts_us < 100",
                                      3);
        QVERIFY2(detail.contains(QLatin1String("COVERING INDEX events_stats")), qPrintable(detail));
        // Requests are read off the per-second counts, by a range of their key, not a scan.
        const QString requests = column(*m_db,
                                        "EXPLAIN QUERY PLAN SELECT connection, SUM(n) FROM event_counts WHERE kind = '"
                                        GH_COUNTED_KIND "' AND second_us >= 0 AND second_us < 100 GROUP BY 1",
                                        3);
        QVERIFY2(requests.contains(QLatin1String("SEARCH event_counts USING PRIMARY KEY (kind=? AND second_us>? AND second_us<?)")),
                 qPrintable(requests));
    }

    // The sessions search picks its index path by GH_FOR_EACH_RARE_KIND: every kind it lists must
    // be one events_stats holds, or a search for it would find nothing.
    void theRareKindsAreTheIndexedOnes()
    {
        QVERIFY(SqliteSchema::migrate(*m_db).ok());
        QVERIFY(m_db->exec("INSERT INTO sessions (id, connection, subject, started_at_us) VALUES ('s', 'c', 'u', 1)").ok());
        qint64 seq = 0;
#define GH_INSERT_KIND(k)                                                                                   \
        QVERIFY(m_db->exec(QByteArray("INSERT INTO events VALUES ('s', " + QByteArray::number(seq++)            \
                                      + ", 10, '" k "', 'identity', 2, x'7b7d', x'00')").constData()).ok());
        GH_FOR_EACH_RARE_KIND(GH_INSERT_KIND)
#undef GH_INSERT_KIND
        QCOMPARE(scalar(*m_db, "SELECT count(*) FROM events INDEXED BY events_stats WHERE " GH_EVENTS_STATS_WHERE("")),
                 seq);
    }

    // Schema v5's readers find a session's runs, and the runs holding a refusal, through their
    // indexes: never a scan of every run in the store.
    void runsAreReadThroughTheirIndexes()
    {
        QVERIFY(SqliteSchema::migrate(*m_db).ok());
        const QString bySession = column(*m_db,
                                         "EXPLAIN QUERY PLAN SELECT segment_id, first_offset, end_offset FROM event_runs "
                                         "WHERE session_id = 's' AND last_seq >= 0 AND last_ts_us >= 0 ORDER BY first_seq",
                                         3);
        QVERIFY2(bySession.contains(QLatin1String("SEARCH event_runs USING PRIMARY KEY (session_id=?)")), qPrintable(bySession));
        QVERIFY2(!bySession.contains(QLatin1String("TEMP B-TREE")), qPrintable(bySession));
        const QString refusals = column(*m_db,
                                        "EXPLAIN QUERY PLAN SELECT r.session_id FROM event_runs r WHERE " GH_RUN_REFUSED_WHERE("r.")
                                        " AND r.last_ts_us >= 0 AND r.first_ts_us < 100 ORDER BY r.last_ts_us DESC",
                                        3);
        QVERIFY2(refusals.contains(QLatin1String("event_runs_refused")), qPrintable(refusals));
        QVERIFY2(!refusals.contains(QLatin1String("TEMP B-TREE")), qPrintable(refusals));
        // `has=`: a session's runs holding a rare kind, not all of its runs.
        const QString rare = column(*m_db,
                                    "EXPLAIN QUERY PLAN SELECT 1 FROM event_runs r INDEXED BY event_runs_rare WHERE r.session_id = 's' AND "
                                    GH_RUN_RARE_WHERE("r.") " AND r.kinds & 64 != 0",
                                    3);
        QVERIFY2(rare.contains(QLatin1String("event_runs_rare")), qPrintable(rare));
        // The partial indexes' bits are their kinds'.
        qint64 rareBits = 0;
#define GH_RARE_BIT(k) rareBits |= qint64(1) << runkinds::bitOf(k);
        GH_FOR_EACH_RARE_KIND(GH_RARE_BIT)
#undef GH_RARE_BIT
        QCOMPARE(rareBits, qint64(960));
        QCOMPARE(qint64(1) << runkinds::bitOf("policy.refused"), qint64(64));
        QVERIFY(runkinds::bitOf("http.request") >= 0);
        QCOMPARE(runkinds::bitOf("some.other.kind"), -1);
    }

    // Appending an event is the store's hot path: its program must not build a temporary b-tree
    // per row, as schema v2's "kind IN (...)" index made it do.
    void appendingAnEventBuildsNoTemporaryTable()
    {
        QVERIFY(SqliteSchema::migrate(*m_db).ok());
        const QStringList opcodes =
                column(*m_db,
                       "EXPLAIN INSERT INTO events (session_id, seq, ts_us, kind, encoding, raw_size, data, hash) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                       1)
                        .split(QLatin1Char('\n'));
        QVERIFY(opcodes.contains(QLatin1String("IdxInsert")));   // the statement does reach the indexes
        QVERIFY2(!opcodes.contains(QLatin1String("OpenEphemeral")), qPrintable(opcodes.join(QLatin1Char(' '))));
    }

    void version2StoresKeepTheirEventsAndCountsThroughTheUpgrade()
    {
        QVERIFY(SqliteSchema::migrate(*m_db, SqliteSchema::steps().first(2)).ok());
        QVERIFY(m_db->exec("INSERT INTO sessions (id, connection, subject, started_at_us) VALUES ('s', 'c', 'u', 1);"
                           "INSERT INTO sessions (id, connection, subject, started_at_us) VALUES ('t', 'd', 'u', 1);"
                           "INSERT INTO events VALUES ('s', 0, 10, 'http.request', 'identity', 2, x'7b7d', x'00');"
                           "INSERT INTO events VALUES ('s', 1, 11, 'http.response', 'identity', 2, x'7b7d', x'01');"
                           "INSERT INTO events VALUES ('s', 2, 999999, 'http.request', 'identity', 2, x'7b7d', x'02');"
                           "INSERT INTO events VALUES ('s', 3, 1000000, 'http.request', 'identity', 2, x'7b7d', x'03');"
                           "INSERT INTO events VALUES ('s', 4, 1000001, 'policy.refused', 'identity', 2, x'7b7d', x'04');"
                           "INSERT INTO events VALUES ('t', 0, 20, 'http.request', 'identity', 2, x'7b7d', x'05');")
                          .ok());
        QVERIFY(SqliteSchema::migrate(*m_db).ok());
        QCOMPARE(SqliteSchema::version(*m_db).value(), SqliteSchema::latestVersion());
        QCOMPARE(scalar(*m_db, "SELECT count(*) FROM events"), qint64(6));
        // The requests already stored are counted per connection and second (v4)...
        QCOMPARE(column(*m_db, "SELECT connection || ' ' || second_us || ' ' || n FROM event_counts "
                               "WHERE kind = 'http.request' ORDER BY 1", 0),
                 QStringLiteral("c 0 2\nc 1000000 1\nd 0 1\n"));
        // ...and the index keeps the rare kinds only.
        QCOMPARE(scalar(*m_db, "SELECT count(*) FROM events INDEXED BY events_stats WHERE " GH_EVENTS_STATS_WHERE("")
                               " AND kind = 'policy.refused'"),
                 qint64(1));
        QVERIFY(!m_db->query("SELECT count(*) FROM events INDEXED BY events_stats WHERE kind = 'http.request'").ok());
    }
};

QTEST_GUILESS_MAIN(tst_SqliteSchema)
#include "tst_sqliteschema.moc"
