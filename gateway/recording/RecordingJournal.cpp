#include "recording/RecordingJournal.h"

#include "core/BackgroundThread.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QMutexLocker>
#include <QThread>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <unistd.h>

namespace gh {

namespace {

// CRC-32C (Castagnoli): the SSE 4.2 instruction where the CPU has it, a table elsewhere; the same
// values either way.
constexpr std::array<quint32, 256> crcTable()
{
    std::array<quint32, 256> table{};
    for (quint32 i = 0; i < 256; ++i) {
        quint32 c = i;
        for (int k = 0; k < 8; ++k)
            c = (c & 1) ? 0x82F63B78u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    return table;
}
constexpr std::array<quint32, 256> kCrcTable = crcTable();

quint32 crcBytes(quint32 c, const char *p, qsizetype n)
{
    for (qsizetype i = 0; i < n; ++i)
        c = kCrcTable[(c ^ quint8(p[i])) & 0xFF] ^ (c >> 8);
    return c;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("sse4.2"))) quint32 crcHardware(quint32 c, const char *p, qsizetype n)
{
    quint64 wide = c;
    for (; n >= 8; p += 8, n -= 8) {
        quint64 word;
        std::memcpy(&word, p, 8);
        wide = __builtin_ia32_crc32di(wide, word);
    }
    c = quint32(wide);
    for (; n > 0; ++p, --n)
        c = __builtin_ia32_crc32qi(c, quint8(*p));
    return c;
}
const bool kHardwareCrc = __builtin_cpu_supports("sse4.2");
#endif

// The helper's work on a segment (faulting it in, unmapping it, writing it out, dropping its
// pages) goes a piece at a time, with the CPU offered to waiting threads in between
// (backgroundYield()): a whole segment's in one system call held the CPU for milliseconds.
constexpr qint64 kPieceBytes = 256 << 10;

template <typename Each>
void inPieces(qint64 bytes, Each &&each)
{
    for (qint64 at = 0; at < bytes; at += kPieceBytes) {
        each(at, std::min(kPieceBytes, bytes - at));
        backgroundYield();
    }
}

void putU32(char *out, quint32 v)
{
    for (int i = 0; i < 4; ++i)
        out[i] = char((v >> (8 * i)) & 0xFF);
}

quint32 getU32(const char *in)
{
    quint32 v = 0;
    for (int i = 0; i < 4; ++i)
        v |= quint32(quint8(in[i])) << (8 * i);
    return v;
}

QString systemError(const char *what, int error)
{
    return QStringLiteral("recording journal: %1: %2").arg(QLatin1String(what), QString::fromLocal8Bit(std::strerror(error)));
}

} // namespace

// ---- segments ---------------------------------------------------------------------------------

// A file of its full size from the start (blocks allocated, so a full disk fails the creation, not
// a later store into the mapping), mapped shared: appending is a copy into the page cache, which a
// killed process leaves to the kernel to write out. The unused tail is zeros: a zero length ends
// the records.
class RecordingJournal::Segment {
    Q_DISABLE_COPY_MOVE(Segment)
public:
    Segment(quint64 n, int file, QString filePath, char *mapped, qint64 bytes)
        : number(n), fd(file), path(std::move(filePath)), map(mapped), capacity(bytes)
    {
    }
    // No thread can append any more.
    ~Segment()
    {
        trim();
        ::close(fd);
    }

    // Sealed: the preallocated tail past the last record goes back to the disk (mapped no more, so
    // no store can land beyond the new end).
    void trim()
    {
        retire();
        if (trimmed)
            return;
        trimmed = true;
        if (::ftruncate(fd, off_t(published.load())) != 0)
            qWarning("recording journal: %s keeps its unused tail: %s", qPrintable(path), std::strerror(errno));
    }

    // Indexed and sealed: once its pages are on the disk, out of the page cache too. The recordings
    // would otherwise fill the machine's memory with pages nobody reads again (the store reads
    // events back through their index, seldom, and from the disk is fine), and every new segment
    // would take memory the kernel has not used for a while: on a virtual machine that hands free
    // memory back to its host, touching such a page costs about 12 us, and the first store into a
    // segment of them took the CPU from the proxy threads for over 10 ms at a time. Dropped, the
    // same few megabytes are taken again by the next segments.
    void dropCache()
    {
        trim();
        inPieces(published.load(), [this](qint64 at, qint64 n) {
            (void)::sync_file_range(fd, at, n, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
            (void)::posix_fadvise(fd, at, n, POSIX_FADV_DONTNEED);
        });
    }

    // Its pages on their way to the disk, without waiting for them.
    void startWriteback()
    {
        inPieces(published.load(), [this](qint64 at, qint64 n) { (void)::sync_file_range(fd, at, n, SYNC_FILE_RANGE_WRITE); });
    }

    // Full: its pages need not stay mapped (and counted in the process's memory) any more. By the
    // owning thread, or by the spares' helper once the owner has moved on to another segment.
    void retire()
    {
        if (map)
            inPieces(capacity, [this](qint64 at, qint64 n) { ::munmap(map + at, size_t(n)); });
        map = nullptr;
    }

    const quint64 number;
    const int fd;
    const QString path;
    char *map;
    const qint64 capacity;
    qint64 size = 0;                    // written by the owning thread only
    std::atomic<qint64> published{0};   // size, for other threads: the records before it are whole
    std::atomic<bool> sealed{false};    // nothing more is appended
    bool trimmed = false;               // by whichever thread holds the last reference, or the helper
};

// ---- the journal ------------------------------------------------------------------------------

namespace {

// The calling thread's current segment in the journal it last appended to (see m_slots).
struct SlotCache {
    quint64 journal = 0;
    RecordingJournal::Segment *segment = nullptr;
};
thread_local SlotCache t_slot;

std::atomic<quint64> g_nextInstance{1};

} // namespace

RecordingJournal::RecordingJournal(QString dir, Options options, QStringList leftovers, quint64 nextSegment)
    : m_dir(std::move(dir)), m_options(options), m_leftovers(std::move(leftovers)), m_nextSegment(nextSegment),
      m_instance(g_nextInstance.fetch_add(1))
{
    if (m_options.spareSegments > 0)
        m_preparer = std::thread([this] { prepareSpares(); });
}

RecordingJournal::~RecordingJournal()
{
    {
        QMutexLocker lock(&m_spareMutex);
        m_stopSpares = true;
        m_spareWanted.wakeAll();
    }
    if (m_preparer.joinable())
        m_preparer.join();
    // Spares nobody wrote to leave no file behind.
    for (const std::shared_ptr<Segment> &spare : std::as_const(m_spares))
        ::unlink(QFile::encodeName(spare->path).constData());
}

void RecordingJournal::prepareSpares()
{
    // Below the threads that append: this work is never urgent while a spare is left.
    markBackgroundThread("gh-segments");
    QMutexLocker lock(&m_spareMutex);
    bool failing = false, warned = false;
    QDeadlineTimer retryAt;
    while (!m_stopSpares) {
        // A spare first: a thread that finds none makes its own segment while its connections
        // wait. Retiring a full one (unmapping it, starting its writeback, which can wait for the
        // disk's queue) is never urgent.
        if (m_spares.size() < m_options.spareSegments && !failing) {
            lock.unlock();
            Result<std::shared_ptr<Segment>> spare = newSegment(0);
            lock.relock();
            if (!spare) {
                // The appending thread makes its own and reports why it cannot; said here once.
                if (!warned)
                    qWarning("store: cannot make a spare recording segment: %s", qPrintable(spare.error().message));
                failing = warned = true;
                retryAt = QDeadlineTimer(1000);
                continue;
            }
            warned = false;
            m_spares.append(*std::move(spare));
            continue;
        }
        if (!m_retired.isEmpty()) {
            const QList<std::shared_ptr<Segment>> retired = std::exchange(m_retired, {});
            lock.unlock();
            for (const std::shared_ptr<Segment> &segment : retired) {
                segment->retire();   // its thread has moved on: nothing writes to the mapping
                // Its pages to the disk now, a segment at a time, rather than in the kernel's
                // bursts once gigabytes are dirty: a burst of writeback takes the CPU from the
                // proxy threads for milliseconds (their slowest requests), this does not wait.
                segment->startWriteback();
            }
            lock.relock();
            m_writing.append(retired);
            continue;
        }
        // Indexed (forgotten: the helper's reference is the only one left, and nothing takes a new
        // one of a forgotten segment): out of the page cache.
        QList<std::shared_ptr<Segment>> done;
        for (qsizetype i = 0; i < m_writing.size();)
            if (m_writing.at(i).use_count() == 1)
                done.append(m_writing.takeAt(i));
            else
                ++i;
        if (!done.isEmpty()) {
            lock.unlock();
            for (const std::shared_ptr<Segment> &segment : std::as_const(done))
                segment->dropCache();
            done.clear();
            lock.relock();
            continue;
        }
        if (failing) {   // retried a second after a failure, or at once when a spare is taken
            if (m_spareWanted.wait(&m_spareMutex, retryAt) || retryAt.hasExpired())
                failing = false;
            continue;
        }
        m_spareWanted.wait(&m_spareMutex);
    }
}

Result<std::shared_ptr<RecordingJournal::Segment>> RecordingJournal::nextSegment(qint64 total)
{
    if (m_options.spareSegments > 0) {
        QMutexLocker lock(&m_spareMutex);
        if (!m_spares.isEmpty() && m_spares.first()->capacity >= total) {
            std::shared_ptr<Segment> spare = m_spares.takeFirst();
            m_spareWanted.wakeOne();
            return spare;
        }
    }
    return newSegment(total);
}

std::optional<quint64> RecordingJournal::segmentNumber(QStringView name)
{
    if (name.size() != 20 || !name.endsWith(QLatin1String(".seg")))
        return std::nullopt;
    bool ok = false;
    const quint64 n = name.chopped(4).toULongLong(&ok, 16);
    return ok ? std::optional<quint64>(n) : std::nullopt;
}

QString RecordingJournal::segmentPath(quint64 number) const
{
    return m_dir + QLatin1Char('/') + QString::asprintf("%016llx.seg", static_cast<unsigned long long>(number));
}

Result<std::unique_ptr<RecordingJournal>> RecordingJournal::open(const QString &dir, Options options)
{
    const QByteArray native = QFile::encodeName(dir);
    if (::mkdir(native.constData(), 0700) != 0 && errno != EEXIST)
        return Error(systemError("cannot create its directory", errno), dir, 0, QString());
    struct stat st {};
    if (::lstat(native.constData(), &st) != 0)
        return Error(systemError("cannot read its directory", errno), dir, 0, QString());
    if (!S_ISDIR(st.st_mode))
        return Error(QStringLiteral("recording journal: not a directory"), dir, 0, QString());
    if ((st.st_mode & 0077) != 0 && ::chmod(native.constData(), 0700) != 0)
        return Error(systemError("cannot make its directory private", errno), dir, 0, QString());

    QStringList leftovers;
    quint64 next = 1;
    const QStringList names = QDir(dir).entryList({QStringLiteral("*.seg")}, QDir::Files, QDir::Name);
    for (const QString &name : names) {
        const std::optional<quint64> n = segmentNumber(name);
        if (!n)
            continue;   // not ours
        leftovers << dir + QLatin1Char('/') + name;
        next = std::max(next, *n + 1);
    }
    const qint64 page = ::sysconf(_SC_PAGESIZE);
    options.segmentBytes = std::max<qint64>(options.segmentBytes, page) / page * page;
    return std::unique_ptr<RecordingJournal>(new RecordingJournal(dir, options, leftovers, next));
}

Result<std::shared_ptr<RecordingJournal::Segment>> RecordingJournal::newSegment(qint64 atLeast)
{
    const qint64 page = ::sysconf(_SC_PAGESIZE);
    const qint64 bytes = std::max(m_options.segmentBytes, (atLeast + page - 1) / page * page);
    const quint64 n = m_nextSegment.fetch_add(1);
    const QString path = segmentPath(n);
    const QByteArray native = QFile::encodeName(path);
    const int fd = ::open(native.constData(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return Error(systemError("cannot create a segment", errno), path, 0, QString());
    auto fail = [&](const char *what, int error) -> Error {
        ::close(fd);
        ::unlink(native.constData());
        return Error(systemError(what, error), path, 0, QString());
    };
    if (const int error = ::posix_fallocate(fd, 0, bytes); error != 0)
        return fail("cannot allocate a segment", error);
    // Zeros written into it before it is mapped: the write path puts the page cache's folios in
    // place whole and dirty, where faulting them in through the mapping reads each (unwritten)
    // page in and runs the file system's page_mkwrite on it. Per 4 MiB segment on ext4 that is
    // 0.7 ms instead of 3.4 ms to make, and 0.3 instead of 1.7 ms to write back and drop later
    // (large folios). Nothing reaches the disk twice: the pages are overwritten before writeback.
    int writeError = 0;
    inPieces(bytes, [fd, &writeError](qint64 at, qint64 piece) {
        static const char zeros[kPieceBytes] = {};
        for (qint64 done = 0; done < piece && writeError == 0;) {
            const ssize_t wrote = ::pwrite(fd, zeros, size_t(piece - done), off_t(at + done));
            if (wrote > 0)
                done += wrote;
            else if (wrote == 0)
                writeError = EIO;
            else if (errno != EINTR)
                writeError = errno;
        }
    });
    if (writeError != 0)
        return fail("cannot prepare a segment", writeError);
    void *map = ::mmap(nullptr, size_t(bytes), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED)
        return fail("cannot map a segment", errno);
    // Every page mapped writable up front, in one call: otherwise the first store into each page
    // faults (the file system's page_mkwrite) on the proxy thread, once per 4 KiB recorded.
    // MADV_POPULATE_WRITE is Linux 5.14's; on older kernels the pages fault in as they are written.
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
    inPieces(bytes, [map](qint64 at, qint64 piece) { (void)::madvise(static_cast<char *>(map) + at, size_t(piece), MADV_POPULATE_WRITE); });
    return std::make_shared<Segment>(n, fd, path, static_cast<char *>(map), bytes);
}

Result<RecordingJournal::Location> RecordingJournal::append(QByteArrayView record, bool sync)
{
    return appendInPlace(record.size(), [record](char *out) { std::memcpy(out, record.data(), size_t(record.size())); },
                         sync);
}

Result<RecordingJournal::Location> RecordingJournal::appendWith(qsizetype size, void (*fill)(void *, char *),
                                                                void *context, bool sync)
{
    if (size <= 0 || size > maxRecordBytes)
        return Error(QStringLiteral("recording journal: a record of %1 bytes cannot be written").arg(size));
    const qint64 total = headerBytes + size;
    void *const thread = QThread::currentThreadId();
    Segment *segment = t_slot.journal == m_instance ? t_slot.segment : nullptr;
    if (!segment) {
        QMutexLocker lock(&m_slotsMutex);
        segment = m_slots.value(thread).get();
    }
    if (!segment || segment->sealed.load(std::memory_order_relaxed) || segment->size + total > segment->capacity) {
        Result<std::shared_ptr<Segment>> fresh = nextSegment(total);
        if (!fresh)
            return fresh.error();
        if (segment) {
            std::shared_ptr<Segment> full;
            {
                QMutexLocker lock(&m_slotsMutex);
                full = m_slots.value(thread);
            }
            full->sealed.store(true);
            if (m_options.spareSegments > 0) {   // unmapping costs a TLB shootdown: not here
                QMutexLocker lock(&m_spareMutex);
                m_retired.append(full);
                m_spareWanted.wakeOne();
            } else {
                full->retire();
            }
        }
        segment = fresh->get();
        QMutexLocker lock(&m_slotsMutex);
        m_slots.insert(thread, *fresh);
        m_live.append(*fresh);
    }
    t_slot = SlotCache{m_instance, segment};

    // The bytes first, the length last: a process killed in between leaves a zero length, which
    // ends the records there (and the CRC catches anything else).
    char *at = segment->map + segment->size;
    fill(context, at + headerBytes);
    putU32(at + 4, crc32c(QByteArrayView(at + headerBytes, size)));
    putU32(at, quint32(size));
    const qint64 start = segment->size;
    segment->size += total;
    if (sync) {
        const qint64 page = ::sysconf(_SC_PAGESIZE);
        const qint64 from = start / page * page;
        if (::msync(segment->map + from, size_t(segment->size - from), MS_SYNC) != 0) {
            segment->size = start;   // not published: the next record overwrites it
            std::memset(at, 0, 4);
            return Error(systemError("cannot sync", errno), segment->path, 0, QString());
        }
    }
    segment->published.store(segment->size, std::memory_order_release);
    return Location{segment->number, start};
}

QList<RecordingJournal::LiveSegment> RecordingJournal::live() const
{
    QMutexLocker lock(&m_slotsMutex);
    QList<LiveSegment> out;
    out.reserve(m_live.size());
    for (const std::shared_ptr<Segment> &s : m_live) {
        // Sealed first: a segment seen sealed has published all it ever will.
        const bool sealed = s->sealed.load(std::memory_order_acquire);
        out.append({s->number, s->published.load(std::memory_order_acquire), sealed});
    }
    return out;
}

void RecordingJournal::forget(quint64 number)
{
    {
        QMutexLocker lock(&m_slotsMutex);
        m_live.removeIf([number](const std::shared_ptr<Segment> &s) { return s->number == number && s->sealed.load(); });
    }
    if (m_options.spareSegments > 0) {   // its pages may leave the page cache now
        QMutexLocker lock(&m_spareMutex);
        m_spareWanted.wakeOne();
    }
}

void RecordingJournal::sealAll()
{
    QMutexLocker lock(&m_slotsMutex);
    for (const std::shared_ptr<Segment> &s : std::as_const(m_live))
        s->sealed.store(true, std::memory_order_release);
}

Status RecordingJournal::removeLeftover(const QString &path)
{
    if (::unlink(QFile::encodeName(path).constData()) != 0 && errno != ENOENT)
        return Error(systemError("cannot remove a segment", errno), path, 0, QString());
    return {};
}

namespace {

// [from, to) of an open file, fewer bytes when it is shorter.
Result<QByteArray> preadRange(int fd, const QString &path, qint64 from, qint64 to)
{
    struct stat st {};
    if (::fstat(fd, &st) != 0)
        return Error(systemError("cannot read a segment", errno), path, 0, QString());
    to = std::min<qint64>(to, st.st_size);
    QByteArray out(qsizetype(std::max<qint64>(0, to - from)), Qt::Uninitialized);
    qint64 done = 0;
    while (done < out.size()) {
        if (done > 0)
            backgroundYield();   // read a piece at a time on the store's writer
        const ssize_t n = ::pread(fd, out.data() + done, size_t(std::min<qint64>(out.size() - done, kPieceBytes)),
                                  off_t(from + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return Error(systemError("cannot read a segment", errno), path, 0, QString());
        if (n == 0)
            break;
        done += n;
    }
    out.truncate(qsizetype(done));
    return out;
}

} // namespace

Result<QByteArray> RecordingJournal::readRange(const QString &path, qint64 from, qint64 to)
{
    if (from < 0 || to < from)
        return Error(QStringLiteral("recording segment: an invalid range %1..%2").arg(from).arg(to), path, 0, QString());
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return Error(systemError("cannot open a segment", errno), path, 0, QString());
    Result<QByteArray> out = preadRange(fd, path, from, to);
    ::close(fd);
    return out;
}

Result<QByteArray> RecordingJournal::readLive(quint64 number, qint64 from, qint64 to) const
{
    std::shared_ptr<Segment> segment;
    {
        QMutexLocker lock(&m_slotsMutex);
        for (const std::shared_ptr<Segment> &s : m_live)
            if (s->number == number)
                segment = s;
    }
    if (!segment)
        return Error(QStringLiteral("recording segment %1 is not one this journal writes").arg(number));
    if (from < 0 || to < from)
        return Error(QStringLiteral("recording segment: an invalid range %1..%2").arg(from).arg(to), segment->path, 0, QString());
    return preadRange(segment->fd, segment->path, from, to);
}

QString RecordingJournal::forEachRecord(QByteArrayView bytes, qint64 base,
                                        const std::function<void(qint64, QByteArrayView)> &each, qint64 *end,
                                        bool checkCrc)
{
    qsizetype at = 0;
    QString problem;
    while (at < bytes.size()) {
        if (bytes.size() - at < headerBytes) {
            problem = QStringLiteral("a torn record header at byte %1").arg(base + at);
            break;
        }
        const quint32 length = getU32(bytes.data() + at);
        const quint32 crc = getU32(bytes.data() + at + 4);
        if (length == 0) {
            // The unused, zeroed tail of the segment; anything else there is a torn record.
            const bool clean = std::all_of(bytes.begin() + at, bytes.end(), [](char c) { return c == 0; });
            if (!clean)
                problem = QStringLiteral("a torn record at byte %1").arg(base + at);
            break;
        }
        if (qint64(length) > maxRecordBytes || bytes.size() - at - headerBytes < qsizetype(length)) {
            problem = QStringLiteral("a torn record at byte %1").arg(base + at);
            break;
        }
        const QByteArrayView record = bytes.sliced(at + headerBytes, qsizetype(length));
        if (checkCrc && crc32c(record) != crc) {
            problem = QStringLiteral("a corrupt record at byte %1").arg(base + at);
            break;
        }
        each(base + at, record);
        at += headerBytes + qsizetype(length);
    }
    if (end)
        *end = base + at;
    return problem;
}

Result<RecordingJournal::Contents> RecordingJournal::read(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Error(QStringLiteral("recording journal: cannot read a segment: %1").arg(file.errorString()), path, 0, QString());
    const QByteArray bytes = file.readAll();
    Contents contents;
    contents.problem = forEachRecord(bytes, 0, [&](qint64, QByteArrayView record) { contents.records << record.toByteArray(); });
    return contents;
}

quint32 RecordingJournal::crc32c(QByteArrayView bytes)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (kHardwareCrc)
        return crcHardware(0xFFFFFFFFu, bytes.data(), bytes.size()) ^ 0xFFFFFFFFu;
#endif
    return crcBytes(0xFFFFFFFFu, bytes.data(), bytes.size()) ^ 0xFFFFFFFFu;
}

} // namespace gh
