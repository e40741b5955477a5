#pragma once

#include "core/Result.h"
#include "recording/RecordingJournal.h"
#include "recording/Store.h"

#include <QByteArray>
#include <QHash>
#include <QHashFunctions>
#include <QList>
#include <QMutex>
#include <QString>

#include <tuple>
#include <unordered_map>

namespace gh {

class SqliteConnection;

// The kinds an event_runs row marks with a bit of its own (schema v5); any other kind is listed in
// the row's other_kinds. Bit numbers are stored: append, never renumber.
#define GH_FOR_EACH_INDEXED_KIND(X)                                                                  \
    X(0, "http.request") X(1, "http.response") X(2, "http.chunk") X(3, "http.request.body")          \
    X(4, "http.request.end") X(5, "http.response.end") X(6, "policy.refused")                       \
    X(7, "approval.requested") X(8, "approval.decided") X(9, "policy.masked") X(10, "pg.query")
// The bit of policy.refused, as the partial index event_runs_refused spells it.
#define GH_RUN_REFUSED_WHERE(t) t "kinds & 64 != 0"
// The bits of the rare kinds (policy.refused, approval.requested, approval.decided, policy.masked),
// as the partial index event_runs_rare (schema v6) spells it.
#define GH_RUN_RARE_WHERE(t) t "kinds & 960 != 0"

namespace runkinds {
// The kind's bit (0..62), or -1 for a kind without one.
int bitOf(QByteArrayView kind);
} // namespace runkinds

// Schema v5's writer side, on the store's writer thread only: reads what proxy threads appended to
// the recording segments and indexes it in SQLite. Per pass and per session and segment one
// event_runs row (seq, time and offset ranges, the kinds); session starts and ends applied to
// `sessions`; requests, refusals, approval requests and masked values counted per connection and
// second in event_counts; each segment's indexed offset in `segments`. A pass runs inside the
// writer's transaction: committed() or rolledBack() after it tells the indexer which it was, so
// what it remembers always matches the database.
class SegmentIndexer final {
    Q_DISABLE_COPY_MOVE(SegmentIndexer)
public:
    explicit SegmentIndexer(RecordingJournal &journal);

    // Indexes the live segments from where the last committed pass stopped, at most maxPassBytes
    // of them (the rest is the next pass's). The bound is the pass's time holding the database's
    // write lock, which the approvals' own connection waits for: 8 MiB is about 10 ms here, where
    // 64 MiB after a burst held a held request's approval.requested back by 100 ms.
    Status pass(SqliteConnection &db);
    static constexpr qint64 maxPassBytes = 8 << 20;

    // At open, before the writer starts: every leftover segment (a process before this one wrote
    // it) indexed from its recorded offset to its last whole record, marked sealed, and cut to that
    // size (its unused tail freed). Its own transaction.
    Status indexLeftovers(SqliteConnection &db);

    void committed();
    void rolledBack();

    // Any thread: some live segment holds records not yet indexed by a committed pass.
    bool behind() const;
    // Any thread: the last committed pass stopped at maxPassBytes with records left over (not
    // merely records appended while it ran).
    bool backlogged() const;

private:
    struct Run {
        qint64 firstSeq = 0, lastSeq = 0, firstTs = 0, lastTs = 0;
        qint64 firstOffset = 0, endOffset = 0, events = 0, kinds = 0;
        QByteArray otherKinds;   // ",a,b," or empty
        QByteArray lastHash;
    };
    // Every record looks its session up in both maps: hashed, one comparison a lookup (as ordered
    // maps, the session ids' comparisons were half the writer thread's time under load).
    struct KeyHash {
        size_t operator()(const std::pair<QByteArray, quint64> &k) const { return qHashMulti(0, k.first, k.second); }
        size_t operator()(const std::tuple<QByteArray, QByteArray, qint64> &k) const
        {
            return qHashMulti(0, std::get<0>(k), std::get<1>(k), std::get<2>(k));
        }
    };
    struct Fold {
        QList<SessionStart> starts;
        // (session id, segment) -> its run in this pass
        std::unordered_map<std::pair<QByteArray, quint64>, Run, KeyHash> runs;
        // (session id, kind, second) -> n: requests, refusals and approval requests one each,
        // policy.masked the values it masked
        std::unordered_map<std::tuple<QByteArray, QByteArray, qint64>, qint64, KeyHash> counts;
        QList<std::pair<QString, SessionEnd>> ends;
    };
    struct State {
        QHash<quint64, qint64> indexed;   // segment -> offset up to which it is indexed
        QList<std::pair<QString, SessionEnd>> deferredEnds;   // ends whose session row is not there yet
        bool cut = false;   // the pass stopped at its bound
    };

    Status indexBytes(quint64 segment, QByteArrayView bytes, qint64 base, Fold &fold, qint64 *end, bool cutAllowed,
                      bool crcChecked);
    Status apply(SqliteConnection &db, Fold &fold);
    Result<QString> connectionOf(SqliteConnection &db, const QString &sessionId);

    RecordingJournal &m_journal;
    State m_staged;      // this transaction's, writer thread only
    State m_committed;   // what the database has
    mutable QMutex m_committedMutex;   // m_committed, for behind() and backlogged()
    QHash<QString, QString> m_connections;   // session -> connection, for the counts
};

} // namespace gh
