// SqliteStore's journal: session writes that survive a kill -9 before they are committed, and the
// replay of what a killed process left behind.
#include "recording/SqliteStore.h"

#include "recording/JournalRecords.h"
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

QString SqliteStore::journalDirectory() const
{
    return m_journal ? m_journal->directory() : QString();
}

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
            case journal::Kind::Event: events << std::move(*d); break;
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

Status SqliteStore::submitJournaled(const QByteArray &record, WriteJob job, Completion done, bool sync)
{
    Result<RecordingJournal::Receipt> receipt = m_journal->append(record, sync);
    if (!receipt) {
        m_writer->reportFault(QStringLiteral("database cannot be written: %1").arg(receipt.error().message));
        if (done)
            done(receipt.error());
        return receipt.error();
    }
    job.urgent = false;
    job.bytes = record.size();   // about what the queued job holds: the event, encoded
    job.done = [receipt = *receipt, done = std::move(done)](Status s) mutable {
        receipt.settle(s.ok());
        if (done)
            done(std::move(s));
    };
    m_writer->submit(std::move(job));
    return {};
}

} // namespace gh
