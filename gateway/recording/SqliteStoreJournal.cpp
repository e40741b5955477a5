// The journal of rows a version before schema v5 kept (<file>.journal/): session writes that
// survived a kill -9 before they were committed, committed as rows when the store opens.
#include "recording/SqliteStore.h"

#include "recording/JournalRecords.h"
#include "recording/SqliteSessionWriter.h"
#include "recording/SqliteConnection.h"
#include "recording/StoreWriter.h"

#include <QLoggingCategory>

namespace gh {

namespace {

struct ReplayCounts {
    qint64 sessions = 0;
    qint64 events = 0;
    qint64 ends = 0;
    qint64 skipped = 0;   // records the database could not take (their session is unknown)
};

} // namespace

Status SqliteStore::replayJournal(SqliteConnection &db, RecordingJournal &journal, qsizetype compressThreshold)
{
    const QStringList segments = journal.leftovers();
    if (segments.isEmpty())
        return {};
    // Starts first, then events, then ends: a session's records may sit in segments of several
    // threads, and an event needs its session's row, an end its events.
    QList<journal::Decoded> starts, events, ends;
    for (const QString &path : segments) {
        Result<RecordingJournal::Contents> contents = RecordingJournal::read(path);
        if (!contents)
            return contents.error();
        if (!contents->problem.isEmpty())
            qWarning("store: journal segment %s ends in %s; the records before it are kept", qPrintable(path),
                     qPrintable(contents->problem));
        for (const QByteArray &record : std::as_const(contents->records)) {
            Result<journal::Decoded> d = journal::decode(record);
            if (!d) {
                qWarning("store: journal segment %s: %s, skipped", qPrintable(path), qPrintable(d.error().message));
                continue;
            }
            switch (d->kind) {
            case journal::Kind::SessionStart: starts << std::move(*d); break;
            case journal::Kind::Event:
            case journal::Kind::StoredEvent: events << std::move(*d); break;
            case journal::Kind::SessionEnd: ends << std::move(*d); break;
            case journal::Kind::Probe: break;
            }
        }
    }

    SqliteSessionWriter writer;
    ReplayCounts counts;
    if (Status s = db.exec("BEGIN IMMEDIATE"); !s)
        return s;
    auto fail = [&db](const Status &s) {
        (void)db.exec("ROLLBACK");
        return Error(QStringLiteral("cannot replay the recording journal: %1").arg(s.error().message));
    };
    for (const journal::Decoded &d : std::as_const(starts)) {
        const qint64 before = db.totalChanges();
        if (Status s = writer.replaySession(db, d.start); !s)
            return fail(s);
        counts.sessions += db.totalChanges() - before;
    }
    for (const journal::Decoded &d : std::as_const(events)) {
        SqliteSessionWriter::EncodedEvent e{d.event, BodyCodec::encode(d.event.data, compressThreshold), d.event.data.size()};
        e.event.data.clear();
        const qint64 before = db.totalChanges();
        // A statement that fails (its session's row is missing) is undone alone by SQLite.
        if (Status s = writer.replayEvent(db, d.sessionId, e); !s) {
            if (!db.inTransaction())
                return fail(s);
            ++counts.skipped;
            continue;
        }
        counts.events += db.totalChanges() - before;
    }
    for (const journal::Decoded &d : std::as_const(ends)) {
        if (Status s = writer.endSession(db, d.sessionId, d.end); s)
            ++counts.ends;   // a session already ended (or unknown) stays as it is
        else if (!db.inTransaction())
            return fail(s);
    }
    if (Status s = writer.flushCounts(db); !s)
        return fail(s);
    if (Status s = db.exec("COMMIT"); !s)
        return fail(s);
    for (const QString &path : segments)
        if (Status s = journal.removeLeftover(path); !s)
            return s;
    if (counts.sessions + counts.events + counts.ends > 0 || counts.skipped > 0)
        qInfo("store: committed %lld sessions, %lld events and %lld session ends from the recording journal that "
              "the database did not have yet (left by a process that was killed or could not commit)%s",
              static_cast<long long>(counts.sessions), static_cast<long long>(counts.events),
              static_cast<long long>(counts.ends),
              counts.skipped ? qPrintable(QStringLiteral("; %1 events of unknown sessions skipped").arg(counts.skipped)) : "");
    return {};
}

} // namespace gh
