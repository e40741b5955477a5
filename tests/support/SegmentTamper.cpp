#include "support/SegmentTamper.h"

#include "recording/RecordingJournal.h"

#include <QDir>
#include <QFile>

namespace gh::test {

Result<int> editEventRecords(const QString &recordingsDir, const QString &sessionId,
                             const std::function<void(journal::Decoded &)> &edit)
{
    int changed = 0;
    for (const QString &name : QDir(recordingsDir).entryList({QStringLiteral("*.seg")}, QDir::Files)) {
        QFile f(recordingsDir + QLatin1Char('/') + name);
        if (!f.open(QIODevice::ReadWrite))
            return Error(f.errorString());
        QByteArray bytes = f.readAll();
        QString problem;
        QList<std::pair<qint64, QByteArray>> rewrites;
        (void)RecordingJournal::forEachRecord(bytes, 0, [&](qint64 offset, QByteArrayView record) {
            Result<journal::Decoded> d = journal::decode(record);
            if (!d || d->kind != journal::Kind::Event || d->sessionId != sessionId)
                return;
            edit(*d);
            // Never compressed: the tests' events are small, and a stored form must stay as long.
            const QByteArray again = journal::encodeStoredEvent(d->sessionId, d->event, 1 << 30);
            if (again.size() != record.size())
                problem = QStringLiteral("an edit changed the length of the record at %1 of %2").arg(offset).arg(name);
            else if (again != record)
                rewrites.append({offset, again});
        });
        if (!problem.isEmpty())
            return Error(problem);
        // Only the records changed are written: a running gateway may be appending to the file.
        for (const auto &[offset, record] : std::as_const(rewrites)) {
            QByteArray crc(4, Qt::Uninitialized);
            const quint32 c = RecordingJournal::crc32c(record);
            for (int i = 0; i < 4; ++i)
                crc[i] = char((c >> (8 * i)) & 0xFF);
            if (!f.seek(offset + 4) || f.write(crc + record) != 4 + record.size())
                return Error(f.errorString());
            ++changed;
        }
    }
    return changed;
}

} // namespace gh::test
