#include "recording/RecordingJournal.h"

#include <QDir>
#include <QFile>
#include <QMutexLocker>
#include <QThread>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include <fcntl.h>
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

constexpr qsizetype kHeader = 8;

} // namespace

// ---- segments ---------------------------------------------------------------------------------

// A file of its full size from the start (blocks allocated, so a full disk fails the creation, not
// a later store into the mapping), mapped shared: appending is a copy into the page cache, which a
// killed process leaves to the kernel to write out. The unused tail is zeros: a zero length ends
// the records.
class RecordingJournal::Segment {
    Q_DISABLE_COPY_MOVE(Segment)
public:
    Segment(int file, QString filePath, char *mapped, qint64 bytes)
        : fd(file), path(std::move(filePath)), map(mapped), capacity(bytes)
    {
    }
    ~Segment()
    {
        retire();
        ::close(fd);
        if (!keep.load() && unsettled.load() == 0)
            ::unlink(QFile::encodeName(path).constData());
    }

    // Full: its pages need not stay mapped (and counted in the process's memory) while the
    // writer commits what is in it. Owning thread only.
    void retire()
    {
        if (map)
            ::munmap(map, size_t(capacity));
        map = nullptr;
    }

    const int fd;
    const QString path;
    char *map;
    const qint64 capacity;
    qint64 size = 0;                 // written by the owning thread only
    std::atomic<bool> keep{false};   // a record was not committed: the next start reads it back
    std::atomic<qint64> unsettled{0};   // records whose fate is not known: kept for the next start too
};

void RecordingJournal::Receipt::settle(bool committed)
{
    if (!m_segment)
        return;
    if (!committed)
        m_segment->keep.store(true);
    m_segment->unsettled.fetch_sub(1);
    m_segment.reset();
}

// ---- the journal ------------------------------------------------------------------------------

RecordingJournal::RecordingJournal(QString dir, Options options, QStringList leftovers, quint64 nextSegment)
    : m_dir(std::move(dir)), m_options(options), m_leftovers(std::move(leftovers)), m_nextSegment(nextSegment)
{
}

RecordingJournal::~RecordingJournal() = default;

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
        bool ok = false;
        const quint64 n = QStringView(name).chopped(4).toULongLong(&ok, 16);
        if (!ok || name.size() != 20)
            continue;   // not ours
        leftovers << dir + QLatin1Char('/') + name;
        next = std::max(next, n + 1);
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
    const QString path = m_dir + QLatin1Char('/') + QString::asprintf("%016llx.seg", static_cast<unsigned long long>(n));
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
    void *map = ::mmap(nullptr, size_t(bytes), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED)
        return fail("cannot map a segment", errno);
    return std::make_shared<Segment>(fd, path, static_cast<char *>(map), bytes);
}

Result<RecordingJournal::Receipt> RecordingJournal::append(QByteArrayView record, bool sync)
{
    if (record.isEmpty() || record.size() > maxRecordBytes)
        return Error(QStringLiteral("recording journal: a record of %1 bytes cannot be written").arg(record.size()));
    const qint64 total = kHeader + record.size();
    void *const thread = QThread::currentThreadId();
    std::shared_ptr<Segment> segment;
    {
        QMutexLocker lock(&m_slotsMutex);
        segment = m_slots.value(thread);
    }
    if (!segment || segment->size + total > segment->capacity) {
        Result<std::shared_ptr<Segment>> fresh = newSegment(total);
        if (!fresh)
            return fresh.error();
        if (segment)
            segment->retire();
        segment = *fresh;
        QMutexLocker lock(&m_slotsMutex);
        m_slots.insert(thread, segment);   // the full one goes once its receipts are settled
    }

    // The bytes first, the length last: a process killed in between leaves a zero length, which
    // ends the records there (and the CRC catches anything else).
    char *at = segment->map + segment->size;
    std::memcpy(at + kHeader, record.data(), size_t(record.size()));
    putU32(at + 4, crc32c(record));
    putU32(at, quint32(record.size()));
    const qint64 start = segment->size;
    segment->size += total;
    if (sync) {
        const qint64 page = ::sysconf(_SC_PAGESIZE);
        const qint64 from = start / page * page;
        if (::msync(segment->map + from, size_t(segment->size - from), MS_SYNC) != 0)
            return Error(systemError("cannot sync", errno), segment->path, 0, QString());
    }
    segment->unsettled.fetch_add(1);
    return Receipt(segment);
}

Status RecordingJournal::removeLeftover(const QString &path)
{
    if (::unlink(QFile::encodeName(path).constData()) != 0 && errno != ENOENT)
        return Error(systemError("cannot remove a segment", errno), path, 0, QString());
    return {};
}

Result<RecordingJournal::Contents> RecordingJournal::read(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return Error(QStringLiteral("recording journal: cannot read a segment: %1").arg(file.errorString()), path, 0, QString());
    const QByteArray bytes = file.readAll();
    Contents contents;
    qsizetype at = 0;
    while (at < bytes.size()) {
        if (bytes.size() - at < kHeader) {
            contents.problem = QStringLiteral("a torn record header at byte %1").arg(at);
            break;
        }
        const quint32 length = getU32(bytes.constData() + at);
        const quint32 crc = getU32(bytes.constData() + at + 4);
        if (length == 0) {
            // The unused, zeroed tail of the segment; anything else there is a torn record.
            const bool clean = std::all_of(bytes.cbegin() + at, bytes.cend(), [](char c) { return c == 0; });
            if (!clean)
                contents.problem = QStringLiteral("a torn record at byte %1").arg(at);
            break;
        }
        if (qint64(length) > maxRecordBytes || bytes.size() - at - kHeader < qsizetype(length)) {
            contents.problem = QStringLiteral("a torn record at byte %1").arg(at);
            break;
        }
        const QByteArray record = bytes.mid(at + kHeader, qsizetype(length));
        if (crc32c(record) != crc) {
            contents.problem = QStringLiteral("a corrupt record at byte %1").arg(at);
            break;
        }
        contents.records << record;
        at += kHeader + qsizetype(length);
    }
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
