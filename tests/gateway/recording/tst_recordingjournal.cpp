#include "recording/RecordingJournal.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSemaphore>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <algorithm>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

using namespace gh;

// The segments' promises: what was appended is there, in order, per thread, for the store's indexer
// while the process runs and for the next start after it; a torn or corrupt tail loses only itself;
// the files are private.
class tst_RecordingJournal : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_tmp;
    int m_n = 0;

    QString freshDir() { return m_tmp.filePath(QStringLiteral("j%1").arg(++m_n)); }

    static QStringList segments(const QString &dir)
    {
        return QDir(dir).entryList({QStringLiteral("*.seg")}, QDir::Files, QDir::Name);
    }

    static QList<QByteArray> readAll(const RecordingJournal &journal, QString *problem = nullptr)
    {
        QList<QByteArray> out;
        for (const QString &path : journal.leftovers()) {
            Result<RecordingJournal::Contents> c = RecordingJournal::read(path);
            if (!c)
                qFatal("read: %s", qPrintable(c.error().toString()));
            out << c->records;
            if (problem && !c->problem.isEmpty())
                *problem = c->problem;
        }
        return out;
    }

    // How many of a file's pages are in the page cache (-1: it cannot be told).
    static int residentPages(const QString &path)
    {
        const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return -1;
        struct stat st {};
        int resident = -1;
        if (::fstat(fd, &st) == 0 && st.st_size > 0) {
            void *map = ::mmap(nullptr, size_t(st.st_size), PROT_READ, MAP_SHARED, fd, 0);
            if (map != MAP_FAILED) {
                const long page = ::sysconf(_SC_PAGESIZE);
                std::vector<unsigned char> in(size_t((st.st_size + page - 1) / page));
                if (::mincore(map, size_t(st.st_size), in.data()) == 0)
                    resident = int(std::count_if(in.begin(), in.end(), [](unsigned char c) { return c & 1; }));
                ::munmap(map, size_t(st.st_size));
            }
        }
        ::close(fd);
        return resident;
    }

    // Segments made only when needed: the tests below count the files.
    static RecordingJournal::Options exact()
    {
        RecordingJournal::Options o;
        o.spareSegments = 0;
        return o;
    }

private Q_SLOTS:
    void crcIsCastagnoli()
    {
        // The check value of CRC-32C, and the same from the table and the instruction paths
        // (which one runs depends on the CPU; the value may not).
        QCOMPARE(RecordingJournal::crc32c("123456789"), 0xE3069283u);
        QCOMPARE(RecordingJournal::crc32c(""), 0u);
        QCOMPARE(RecordingJournal::crc32c(QByteArray(1000, 'a')), RecordingJournal::crc32c(QByteArray(1000, 'a')));
        QVERIFY(RecordingJournal::crc32c(QByteArray(1000, 'a')) != RecordingJournal::crc32c(QByteArray(QByteArray(999, 'a') + 'b')));
    }

    void appendedRecordsStayForTheNextStart()
    {
        const QString dir = freshDir();
        {
            auto journal = RecordingJournal::open(dir, exact());
            QVERIFY2(journal.ok(), qPrintable(journal.ok() ? QString() : journal.error().toString()));
            QVERIFY((*journal)->leftovers().isEmpty());
            for (int i = 0; i < 100; ++i)
                QVERIFY((*journal)->append(QByteArray(QByteArray("record ") + QByteArray::number(i))).ok());
        }   // as when the process is killed: nothing but the file is left
        auto again = RecordingJournal::open(dir, exact());
        QVERIFY(again.ok());
        QCOMPARE((*again)->leftovers().size(), 1);
        const QList<QByteArray> records = readAll(**again);
        QCOMPARE(records.size(), 100);
        for (int i = 0; i < 100; ++i)
            QCOMPARE(records.at(i), QByteArray("record ") + QByteArray::number(i));
        // New segments never reuse a leftover's name.
        auto r = (*again)->append("after");
        QVERIFY(r.ok());
        QCOMPARE(segments(dir).size(), 2);
        QVERIFY(r->segment > *RecordingJournal::segmentNumber(segments(dir).first()));
        QCOMPARE((*again)->segmentPath(r->segment), dir + QLatin1Char('/') + segments(dir).last());
    }

    // Spares are made ahead in the background; a thread whose segment fills takes the oldest, and
    // the ones nobody wrote to leave no file behind.
    void sparesAreMadeAheadAndTakenInOrder()
    {
        const QString dir = freshDir();
        RecordingJournal::Options o;
        o.segmentBytes = 4096;
        o.spareSegments = 2;
        QList<quint64> used;
        {
            auto journal = RecordingJournal::open(dir, o);
            QVERIFY(journal.ok());
            RecordingJournal &j = **journal;
            QTRY_COMPARE_WITH_TIMEOUT(segments(dir).size(), 2, 5000);   // ready before any append
            const quint64 firstSpare = *RecordingJournal::segmentNumber(segments(dir).first());
            for (int i = 0; i < 10; ++i) {
                auto r = j.append(QByteArray(1000, char('a' + i)));
                QVERIFY(r.ok());
                if (used.isEmpty() || used.last() != r->segment)
                    used << r->segment;
                QTest::qWait(i % 4 == 3 ? 100 : 0);   // the helper catches up between segments
            }
            QCOMPARE(used.size(), 3);
            QCOMPARE(used.first(), firstSpare);   // the spare, not a segment made on the spot
            QVERIFY(used.at(0) < used.at(1) && used.at(1) < used.at(2));
            QTRY_COMPARE_WITH_TIMEOUT(segments(dir).size(), 3 + 2, 5000);   // replenished
            const QList<RecordingJournal::LiveSegment> live = j.live();
            QCOMPARE(live.size(), 3);
            QCOMPARE(live.at(0).number, used.at(0));
            QCOMPARE(live.at(0).published, qint64(4 * 1008));
        }
        QCOMPARE(segments(dir).size(), 3);   // the two unused spares are gone
        auto again = RecordingJournal::open(dir, exact());
        QVERIFY(again.ok());
        QCOMPARE((*again)->leftovers().size(), 3);
        QCOMPARE(readAll(**again).size(), 10);
    }

    // A segment the store has indexed (forgotten) leaves the page cache once it is on the disk:
    // recording at the proxy's rate would otherwise fill the machine's memory with pages nobody
    // reads again. One not yet indexed stays, and what leaves the cache is still in the file.
    void indexedSegmentsLeaveThePageCache()
    {
        const QString dir = freshDir();
        QVERIFY(QDir().mkpath(dir));
        struct statfs fs {};
        QVERIFY(::statfs(QFile::encodeName(dir).constData(), &fs) == 0);
        if (fs.f_type == TMPFS_MAGIC)
            QSKIP("the test directory is on tmpfs, whose pages are the files themselves");
        RecordingJournal::Options o;
        o.segmentBytes = 64 << 10;
        o.spareSegments = 1;
        auto journal = RecordingJournal::open(dir, o);
        QVERIFY(journal.ok());
        RecordingJournal &j = **journal;
        QList<QByteArray> written;
        for (int i = 0; i < 20; ++i) {   // 16 fill the first segment, the rest start the second
            written << QByteArray(4000, char('a' + i));
            QVERIFY(j.append(written.last()).ok());
        }
        const QList<RecordingJournal::LiveSegment> live = j.live();
        QCOMPARE(live.size(), 2);
        QVERIFY(live.at(0).sealed);
        const QString first = j.segmentPath(live.at(0).number);
        QTest::qWait(300);   // the helper has retired it meanwhile, but it is not indexed
        QVERIFY2(residentPages(first) > 0, "a segment not yet indexed left the page cache");

        j.forget(live.at(0).number);
        QTRY_COMPARE_WITH_TIMEOUT(residentPages(first), 0, 10000);
        QVERIFY(residentPages(j.segmentPath(live.at(1).number)) > 0);   // the open one is kept
        Result<RecordingJournal::Contents> back = RecordingJournal::read(first);
        QVERIFY(back.ok());
        QVERIFY(back->problem.isEmpty());
        QCOMPARE(back->records, written.first(16));
    }

    // What the store's indexer relies on: each record's location, a live list that publishes only
    // whole records, and segments that seal when full and leave the list once forgotten.
    void liveSegmentsPublishWholeRecordsAndSealWhenFull()
    {
        const QString dir = freshDir();
        RecordingJournal::Options small = exact();
        small.segmentBytes = 4096;
        auto journal = RecordingJournal::open(dir, small);
        QVERIFY(journal.ok());
        RecordingJournal &j = **journal;
        QList<RecordingJournal::Location> at;
        for (int i = 0; i < 10; ++i) {
            auto r = j.append(QByteArray(1000, char('a' + i)));
            QVERIFY(r.ok());
            at << *r;
        }
        // Four 1008-byte records fit a 4 KiB segment: three segments, the first two full.
        QCOMPARE(segments(dir).size(), 3);
        const QList<RecordingJournal::LiveSegment> live = j.live();
        QCOMPARE(live.size(), 3);
        QCOMPARE(live.at(0).published, qint64(4 * 1008));
        QVERIFY(live.at(0).sealed && live.at(1).sealed && !live.at(2).sealed);
        QCOMPARE(live.at(2).published, qint64(2 * 1008));
        QCOMPARE(at.at(5).segment, live.at(1).number);
        QCOMPARE(at.at(5).offset, qint64(1008));

        // A location reads back its record, and a published range holds whole records only.
        Result<QByteArray> bytes = RecordingJournal::readRange(j.segmentPath(at.at(5).segment), at.at(5).offset,
                                                               live.at(1).published);
        QVERIFY(bytes.ok());
        QList<QByteArray> seen;
        qint64 end = 0;
        const QString problem = RecordingJournal::forEachRecord(
            *bytes, at.at(5).offset, [&](qint64 offset, QByteArrayView r) { seen << QByteArray::number(offset) + r.first(1).toByteArray(); },
            &end);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        QCOMPARE(seen, (QList<QByteArray>{"1008f", "2016g", "3024h"}));
        QCOMPARE(end, live.at(1).published);
        // Cut short, a range ends in a torn record, which is said.
        QVERIFY(!RecordingJournal::forEachRecord(QByteArrayView(*bytes).first(1500), 1008, [](qint64, QByteArrayView) {}).isEmpty());

        // A live segment reads through the journal's own descriptor, even with its file gone.
        QVERIFY(QFile::remove(j.segmentPath(live.at(1).number)));
        QVERIFY(!RecordingJournal::readRange(j.segmentPath(live.at(1).number), 0, 8).ok());
        Result<QByteArray> still = j.readLive(live.at(1).number, at.at(5).offset, live.at(1).published);
        QVERIFY(still.ok());
        QCOMPARE(*still, *bytes);
        QVERIFY(!j.readLive(12345, 0, 8).ok());   // not one of its segments

        // Forgetting lets a sealed segment go (its file stays); the open one is kept.
        j.forget(live.at(0).number);
        j.forget(live.at(2).number);
        QCOMPARE(j.live().size(), 2);
        QCOMPARE(segments(dir).size(), 2);   // the one removed above
        // Sealed, the open one takes no more: the next record starts a new segment.
        j.sealAll();
        QVERIFY(j.live().at(1).sealed);
        auto next = j.append("next");
        QVERIFY(next.ok());
        QCOMPARE(next->offset, qint64(0));
        QVERIFY(next->segment > live.at(2).number);
        QCOMPARE(j.live().size(), 3);
    }

    void aRecordLargerThanASegmentGetsOneOfItsOwn()
    {
        const QString dir = freshDir();
        RecordingJournal::Options small = exact();
        small.segmentBytes = 4096;
        {
            auto journal = RecordingJournal::open(dir, small);
            QVERIFY(journal.ok());
            QVERIFY((*journal)->append("small").ok());
            QVERIFY((*journal)->append(QByteArray(100000, 'L')).ok());
            QVERIFY((*journal)->append("after").ok());
            QVERIFY(!(*journal)->append(QByteArray()).ok());   // nothing to record is refused
        }
        auto again = RecordingJournal::open(dir, small);
        QVERIFY(again.ok());
        const QList<QByteArray> records = readAll(**again);
        QCOMPARE(records.size(), 3);
        QCOMPARE(records.at(1).size(), 100000);
        QCOMPARE(records.at(2), QByteArray("after"));
    }

    void eachThreadWritesItsOwnSegment()
    {
        const QString dir = freshDir();
        {
            auto journal = RecordingJournal::open(dir, exact());
            QVERIFY(journal.ok());
            RecordingJournal *j = journal->get();
            std::atomic<int> failures{0};
            // All four stay alive until all have written: a thread that ended could hand its id,
            // and with it its segment, to the next one started (as proxy threads, which live as
            // long as the gateway, never do).
            QSemaphore written;
            QSemaphore finish;
            QList<QThread *> threads;
            for (int t = 0; t < 4; ++t) {
                threads << QThread::create([j, t, &failures, &written, &finish] {
                    for (int i = 0; i < 500; ++i)
                        if (!j->append(QByteArray(QByteArray::number(t) + ':' + QByteArray::number(i))).ok())
                            ++failures;
                    written.release();
                    finish.acquire();
                });
                threads.last()->start();
            }
            QVERIFY(written.tryAcquire(4, 30000));
            finish.release(4);
            for (QThread *t : threads) {
                QVERIFY(t->wait(30000));
                delete t;
            }
            QCOMPARE(failures.load(), 0);
        }
        auto again = RecordingJournal::open(dir, exact());
        QVERIFY(again.ok());
        QCOMPARE((*again)->leftovers().size(), 4);
        // Within a segment, one thread's records in the order it wrote them.
        for (const QString &path : (*again)->leftovers()) {
            auto c = RecordingJournal::read(path);
            QVERIFY(c.ok());
            QCOMPARE(c->records.size(), 500);
            const QByteArray thread = c->records.first().split(':').first();
            for (int i = 0; i < 500; ++i)
                QCOMPARE(c->records.at(i), thread + ':' + QByteArray::number(i));
        }
    }

    void recordsWrittenInPlaceReadBackWhole()
    {
        const QString dir = freshDir();
        {
            auto journal = RecordingJournal::open(dir, exact());
            QVERIFY(journal.ok());
            for (int i = 1; i <= 3; ++i) {
                const qsizetype size = 1000 * i;
                auto at = (*journal)->appendInPlace(size, [i, size](char *out) { std::memset(out, 'a' + i, size_t(size)); });
                QVERIFY(at.ok());
            }
            // Nothing to write is no record: refused, and nothing of it lands in the segment.
            QVERIFY(!(*journal)->appendInPlace(0, [](char *) { QFAIL("asked to fill nothing"); }).ok());
        }
        auto again = RecordingJournal::open(dir, exact());
        QVERIFY(again.ok());
        QString problem;
        const QList<QByteArray> records = readAll(**again, &problem);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));   // each CRC is over what was filled in
        QCOMPARE(records, (QList<QByteArray>{QByteArray(1000, 'b'), QByteArray(2000, 'c'), QByteArray(3000, 'd')}));
    }

    // A thread remembers its current segment without the journal's lock: that memory must never
    // send a record to another journal, whether both are open or one replaced the other (a new
    // one may well be allocated where the closed one was).
    void eachJournalKeepsItsOwnRecordsInOneThread()
    {
        const QString first = freshDir(), second = freshDir(), third = freshDir();
        {
            auto a = RecordingJournal::open(first, exact());
            auto b = RecordingJournal::open(second, exact());
            QVERIFY(a.ok() && b.ok());
            for (int i = 0; i < 3; ++i) {
                QVERIFY((*a)->append(QByteArray("a" + QByteArray::number(i))).ok());
                QVERIFY((*b)->append(QByteArray("b" + QByteArray::number(i))).ok());
            }
            a->reset();
            auto c = RecordingJournal::open(third, exact());
            QVERIFY(c.ok());
            QVERIFY((*c)->append("c0").ok());
            QVERIFY((*b)->append("b3").ok());
        }
        auto records = [](const QString &dir) {
            auto j = RecordingJournal::open(dir, exact());
            return j.ok() ? readAll(**j) : QList<QByteArray>{"(cannot open)"};
        };
        QCOMPARE(records(first), (QList<QByteArray>{"a0", "a1", "a2"}));
        QCOMPARE(records(second), (QList<QByteArray>{"b0", "b1", "b2", "b3"}));
        QCOMPARE(records(third), (QList<QByteArray>{"c0"}));
    }

    void aTornOrCorruptTailLosesOnlyItself_data()
    {
        QTest::addColumn<QString>("damage");
        QTest::newRow("payload byte flipped") << "flip";
        QTest::newRow("length without its bytes") << "torn";
        QTest::newRow("garbage after the last record") << "garbage";
    }

    void aTornOrCorruptTailLosesOnlyItself()
    {
        QFETCH(QString, damage);
        const QString dir = freshDir();
        qint64 lastStart = 0;
        {
            auto journal = RecordingJournal::open(dir, exact());
            QVERIFY(journal.ok());
            for (int i = 0; i < 3; ++i)
                QVERIFY((*journal)->append(QByteArray(QByteArray("record-") + QByteArray::number(i))).ok());
            lastStart = 2 * (8 + 8);   // two records of 8 bytes, each after an 8-byte header
        }
        const QString path = dir + QLatin1Char('/') + segments(dir).first();
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadWrite));
        if (damage == u"flip") {
            f.seek(lastStart + 8 + 3);
            f.write("X");
        } else if (damage == u"torn") {
            // A fourth record whose length made it to the file but whose bytes did not.
            f.seek(lastStart + 16);
            f.write(QByteArray("\x20\0\0\0\0\0\0\0", 8));
        } else {
            f.seek(lastStart + 16 + 100);
            f.write("not a record");
        }
        f.close();
        auto again = RecordingJournal::open(dir, exact());
        QVERIFY(again.ok());
        QString problem;
        const QList<QByteArray> records = readAll(**again, &problem);
        QCOMPARE(records.size(), damage == u"flip" ? 2 : 3);
        QCOMPARE(records.first(), QByteArray("record-0"));
        QVERIFY2(!problem.isEmpty(), "the damage is reported");
    }

    void filesArePrivate()
    {
        const QString dir = freshDir();
        QVERIFY(QDir().mkpath(dir));
        QVERIFY(QFile::setPermissions(dir, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner
                                               | QFileDevice::ReadOther | QFileDevice::ExeOther));
        auto journal = RecordingJournal::open(dir, exact());
        QVERIFY(journal.ok());
        QVERIFY((*journal)->append("secret-ish").ok());
        struct stat st {};
        QCOMPARE(::stat(QFile::encodeName(dir).constData(), &st), 0);
        QCOMPARE(st.st_mode & 0777, 0700u);
        const QString seg = dir + QLatin1Char('/') + segments(dir).first();
        QCOMPARE(::stat(QFile::encodeName(seg).constData(), &st), 0);
        QCOMPARE(st.st_mode & 0777, 0600u);
    }

    void aFileInTheWayIsAClearError()
    {
        const QString path = freshDir();
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.close();
        auto journal = RecordingJournal::open(path, exact());
        QVERIFY(!journal.ok());
        QVERIFY2(journal.error().toString().contains(QLatin1String("not a directory")), qPrintable(journal.error().toString()));
    }
};

QTEST_GUILESS_MAIN(tst_RecordingJournal)
#include "tst_recordingjournal.moc"
