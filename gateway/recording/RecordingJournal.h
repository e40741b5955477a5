#pragma once

#include "core/Result.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QHash>
#include <QList>
#include <QMutex>
#include <QString>
#include <QStringList>

#include <atomic>
#include <memory>

namespace gh {

// The recording store's write-ahead journal: what makes "recorded before forwarded" cheap. A proxy
// thread appends each record to a segment file of its own with one write(2); once that returns the
// record is in the OS and survives a kill -9 of the process, so the request may go upstream without
// waiting for the database's commit on another thread. The store's writer commits the same records
// into SQLite in large batches and settles each record's Receipt; a segment file is removed once it
// is full (or the journal closes) and every record in it was committed. Segments a crashed process
// left behind are read back (leftovers(), read()) and committed when the store opens.
//
// Layout: <dir>/<16 hex digits>.seg, mode 0600 in a 0700 directory, each of segmentBytes allocated
// up front and mapped shared, so an append is a copy into the page cache and no system call. Each
// record is its length (u32, little endian), the CRC-32C of its bytes (u32) and the bytes; the
// unused tail is zeros. A torn or corrupt record (power loss, a process killed while appending)
// ends a segment's readable records.
class RecordingJournal final {
    Q_DISABLE_COPY_MOVE(RecordingJournal)
public:
    struct Options {
        qint64 segmentBytes = 4 << 20;   // each segment's size (a larger record gets one of its own)
    };
    static constexpr qint64 maxRecordBytes = 256 << 20;

    // Creates `dir` (0700) when missing. The segments already in it are the leftovers.
    static Result<std::unique_ptr<RecordingJournal>> open(const QString &dir, Options options);
    static Result<std::unique_ptr<RecordingJournal>> open(const QString &dir) { return open(dir, Options()); }
    // Closes every segment; removes those whose records were all settled as committed.
    ~RecordingJournal();

    class Segment;
    // One appended record, to settle once its fate is known: settle(true) when it is committed
    // elsewhere, settle(false) when that failed. A segment with a record that failed, or was never
    // settled, stays on disk for the next start. Copies share the record: settle one of them, once.
    class Receipt {
    public:
        Receipt() = default;
        explicit Receipt(std::shared_ptr<Segment> segment) : m_segment(std::move(segment)) {}
        void settle(bool committed);

    private:
        std::shared_ptr<Segment> m_segment;
    };

    // Appends one record (not empty) to the calling thread's segment (a new one when it is full).
    // Ok: the record is in the OS's page cache, which a kill -9 cannot undo (with `sync`, on the
    // disk: msync). An error leaves nothing of the record in the journal.
    Result<Receipt> append(QByteArrayView record, bool sync = false);

    QString directory() const { return m_dir; }
    // Segments from before this journal was opened, oldest first. Remove each with
    // removeLeftover() once its records are stored.
    QStringList leftovers() const { return m_leftovers; }
    Status removeLeftover(const QString &path);

    struct Contents {
        QList<QByteArray> records;
        QString problem;   // set when the segment ends in a torn or corrupt record (the rest is lost)
    };
    static Result<Contents> read(const QString &path);

    // CRC-32C (Castagnoli, as iSCSI and ext4 use it).
    static quint32 crc32c(QByteArrayView bytes);

private:
    RecordingJournal(QString dir, Options options, QStringList leftovers, quint64 nextSegment);
    Result<std::shared_ptr<Segment>> newSegment(qint64 atLeast);

    const QString m_dir;
    const Options m_options;
    const QStringList m_leftovers;
    std::atomic<quint64> m_nextSegment;

    QMutex m_slotsMutex;
    QHash<void *, std::shared_ptr<Segment>> m_slots;   // thread id -> its current segment
};

} // namespace gh
