#pragma once

#include "core/Result.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QHash>
#include <QList>
#include <QMutex>
#include <QString>
#include <QStringList>

#include <QWaitCondition>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <type_traits>

namespace gh {

// The recording store's segment files: what makes "recorded before forwarded" cheap, and, since
// schema v5, where recorded events are kept. A proxy thread appends each record to a segment file of
// its own; once append() returns, the record is in the OS and survives a kill -9 of the process, so
// the request may go upstream without waiting for anything on another thread. The store's writer
// indexes what was appended (live(), readRange()) into SQLite in large batches; the files stay, and
// readers find events through that index. Segments a crashed process left are leftovers(), indexed
// when the store opens. (Before schema v5 this was a write-ahead journal of SQLite rows, emptied as
// they committed: the store still commits such a journal when it finds one.)
//
// Layout: <dir>/<16 hex digits>.seg, mode 0600 in a 0700 directory, numbered in creation order,
// each of segmentBytes allocated up front and mapped shared, so an append is a copy into the page
// cache and no system call. Each record is its length (u32, little endian), the CRC-32C of its bytes
// (u32) and the bytes; the unused tail is zeros. A torn or corrupt record (power loss, a process
// killed while appending) ends a segment's readable records.
class RecordingJournal final {
    Q_DISABLE_COPY_MOVE(RecordingJournal)
public:
    struct Options {
        qint64 segmentBytes = 4 << 20;   // each segment's size (a larger record gets one of its own)
        // Segments made ahead by a helper thread (created, allocated, mapped, every page faulted
        // in), so the thread whose segment fills takes one ready: making it there cost that
        // thread about 1 ms, every few thousand requests, with the requests behind it waiting.
        // One spare: each is 4 MiB of resident pages (the 1 GiB figure's peak RSS counts them), and
        // making the next takes the helper under a millisecond of CPU, against ~75 ms between
        // switches at 35k requests/s. Two spares measured no better (bench/README.md).
        // 0: each is made when needed, by the thread that needs it.
        int spareSegments = 1;
    };
    static constexpr qint64 maxRecordBytes = 256 << 20;
    static constexpr qint64 headerBytes = 8;

    // Creates `dir` (0700) when missing. The segments already in it are the leftovers.
    static Result<std::unique_ptr<RecordingJournal>> open(const QString &dir, Options options);
    static Result<std::unique_ptr<RecordingJournal>> open(const QString &dir) { return open(dir, Options()); }
    ~RecordingJournal();

    class Segment;
    // Where an appended record is: its segment's number and the offset of its header.
    struct Location {
        quint64 segment = 0;
        qint64 offset = 0;
    };

    // Appends one record (not empty) to the calling thread's segment (a new one when it is full).
    // Ok: the record is in the OS's page cache, which a kill -9 cannot undo (with `sync`, on the
    // disk: msync). An error leaves nothing of the record in the journal.
    Result<Location> append(QByteArrayView record, bool sync = false);
    // The same for a record of `size` bytes (not 0) that `fill(char *out)` writes straight into the
    // segment, exactly `size` of them: the record is not assembled anywhere else first.
    template <typename Fill>
    Result<Location> appendInPlace(qsizetype size, Fill &&fill, bool sync = false)
    {
        using F = std::remove_reference_t<Fill>;
        return appendWith(size, [](void *f, char *out) { (*static_cast<F *>(f))(out); }, &fill, sync);
    }

    // A segment this journal created and still tracks: its records in [0, published) are complete
    // and may be read; `sealed` once no more will be appended (its thread moved on to a new one, or
    // sealAll()). A segment leaves the list once forget() is called for it, sealed.
    struct LiveSegment {
        quint64 number = 0;
        qint64 published = 0;
        bool sealed = false;
    };
    QList<LiveSegment> live() const;
    // Stops tracking a sealed segment (its records are all indexed); an open one stays.
    void forget(quint64 number);
    // Seals every tracked segment: the next append of any thread starts a new one.
    void sealAll();

    QString directory() const { return m_dir; }
    QString segmentPath(quint64 number) const;
    // The number in a segment file's name ("<16 hex digits>.seg"), or empty for another name.
    static std::optional<quint64> segmentNumber(QStringView fileName);
    // Segments from before this journal was opened, oldest first.
    QStringList leftovers() const { return m_leftovers; }
    Status removeLeftover(const QString &path);

    struct Contents {
        QList<QByteArray> records;
        QString problem;   // set when the segment ends in a torn or corrupt record (the rest is lost)
    };
    static Result<Contents> read(const QString &path);
    // The bytes [from, to) of a segment file (fewer when the file is shorter).
    static Result<QByteArray> readRange(const QString &path, qint64 from, qint64 to);
    // The same of a live segment, through the journal's own descriptor: what was appended is read
    // even if its file was renamed or removed meanwhile.
    Result<QByteArray> readLive(quint64 number, qint64 from, qint64 to) const;
    // Calls `each` with every whole record in `bytes` (which start at a record boundary, at file
    // offset `base`) and the offset of its header. Stops at a zero length (the unused tail) or at
    // the end of `bytes`; returns what ended the records early (a torn or corrupt record), or
    // nothing. `end`, when given, is set to the offset after the last whole record. `checkCrc`
    // false: the records' CRCs are not checked (bytes this process appended and published, which
    // the file has not yet been out of its hands to change).
    static QString forEachRecord(QByteArrayView bytes, qint64 base,
                                 const std::function<void(qint64 offset, QByteArrayView record)> &each,
                                 qint64 *end = nullptr, bool checkCrc = true);

    // CRC-32C (Castagnoli, as iSCSI and ext4 use it).
    static quint32 crc32c(QByteArrayView bytes);

private:
    RecordingJournal(QString dir, Options options, QStringList leftovers, quint64 nextSegment);
    Result<Location> appendWith(qsizetype size, void (*fill)(void *, char *), void *context, bool sync);
    Result<std::shared_ptr<Segment>> newSegment(qint64 atLeast);
    // A segment for a record of `total` bytes: a spare when one is ready and large enough.
    Result<std::shared_ptr<Segment>> nextSegment(qint64 total);
    void prepareSpares();   // the helper thread

    const QString m_dir;
    const Options m_options;
    const QStringList m_leftovers;
    std::atomic<quint64> m_nextSegment;

    // Which journal a thread's cached segment (RecordingJournal.cpp) belongs to: never reused, so a
    // journal opened where a closed one was is not taken for it.
    const quint64 m_instance;
    mutable QMutex m_slotsMutex;
    // thread id -> its current segment. Only that thread replaces its entry, so the thread keeps a
    // plain pointer to it as well and appends without this lock, which the proxy threads would
    // otherwise take turns pulling from each other's cache twice a request.
    QHash<void *, std::shared_ptr<Segment>> m_slots;
    QList<std::shared_ptr<Segment>> m_live;             // created here and not forgotten, oldest first

    QMutex m_spareMutex;
    QWaitCondition m_spareWanted;
    QList<std::shared_ptr<Segment>> m_spares;      // ready, not yet any thread's (oldest first)
    QList<std::shared_ptr<Segment>> m_retired;     // full: to be unmapped by the helper
    // Unmapped, their writeback started, and kept here until the store has indexed them (forget()):
    // then the helper waits for their writeback and drops their pages (see prepareSpares()).
    QList<std::shared_ptr<Segment>> m_writing;
    bool m_stopSpares = false;
    std::thread m_preparer;
};

} // namespace gh
