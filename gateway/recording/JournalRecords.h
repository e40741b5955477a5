#pragma once

#include "core/Result.h"
#include "recording/BodyCodec.h"
#include "recording/Store.h"

#include <QByteArray>
#include <QByteArrayView>

#include <optional>

namespace gh::journal {

// The records SqliteStore writes into its recording segments (RecordingJournal): one per session
// start, event and end, and a probe (a health check's write, ignored when read back). A compact
// binary form: a kind byte, then each field as a little-endian i64 or a u32 length and its bytes
// (text in UTF-8). StoredEvent ('V') is how events are kept for good since schema v5: its data as
// BodyCodec stores it (zstd above the threshold), with its raw size. Event ('E') is the form
// before, which only a journal left by an earlier version holds.
enum class Kind : char { SessionStart = 'B', Event = 'E', StoredEvent = 'V', SessionEnd = 'X', Probe = 'P' };

QByteArray encodeStart(const SessionStart &start);
QByteArray encodeEvent(const QString &sessionId, const Event &event);
// The data compressed when it is larger than compressThreshold (and compressing saves space).
QByteArray encodeStoredEvent(const QString &sessionId, const Event &event,
                             qsizetype compressThreshold = BodyCodec::defaultThreshold);

// The same record written straight where it goes (a segment's mapped bytes): size() bytes, which
// write() fills with exactly what encodeStoredEvent() returns. Two of these a proxied request, so the
// record is not first assembled in an array of its own and copied. `sessionId` and `event` must
// outlive it.
class StoredEventRecord final {
public:
    StoredEventRecord(const QString &sessionId, const Event &event,
                      qsizetype compressThreshold = BodyCodec::defaultThreshold);
    qsizetype size() const { return m_size; }
    void write(char *out) const;

private:
    const QString &m_sessionId;
    const Event &m_event;
    QByteArray m_sessionIdUtf8;   // set only when the id is not ASCII
    QByteArray m_kindUtf8;        // the same for the kind
    BodyCodec::Encoded m_compressed;
    bool m_zstd = false;
    qsizetype m_size = 0;
};
QByteArray encodeEnd(const QString &sessionId, const SessionEnd &end);
QByteArray encodeProbe();

struct Decoded {
    Kind kind = Kind::Probe;
    QString sessionId;    // for Event and SessionEnd; start.id for SessionStart
    SessionStart start;
    Event event;
    SessionEnd end;
};
// Fails on a record it cannot take apart (an unknown kind, a field cut short, bytes left over). A
// StoredEvent's data comes back decoded (inflated), as Event's.
Result<Decoded> decode(QByteArrayView record);

// An event record (Event or StoredEvent) taken apart without copying: views into `record`, valid
// while it is. The store's indexer and readers use it; `stored` is the data as kept at rest.
struct EventView {
    QByteArrayView sessionId;   // UTF-8
    qint64 seq = 0;
    qint64 tsUs = 0;
    QByteArrayView kind;        // UTF-8
    BodyCodec::Encoding encoding = BodyCodec::Encoding::Identity;
    qint64 rawSize = 0;
    QByteArrayView stored;
    QByteArrayView hash;
};
// Empty when `record` is no event record; an error when it is one that cannot be taken apart.
Result<std::optional<EventView>> peekEvent(QByteArrayView record);

} // namespace gh::journal
