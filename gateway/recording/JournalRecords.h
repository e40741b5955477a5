#pragma once

#include "core/Result.h"
#include "recording/Store.h"

#include <QByteArray>
#include <QByteArrayView>

namespace gh::journal {

// The records SqliteStore writes into its RecordingJournal: one per session start, event and end,
// and a probe (a health check's write, ignored when read back). A compact binary form: a kind
// byte, then each field as a little-endian i64 or a u32 length and its bytes (text in UTF-8).
enum class Kind : char { SessionStart = 'B', Event = 'E', SessionEnd = 'X', Probe = 'P' };

QByteArray encodeStart(const SessionStart &start);
QByteArray encodeEvent(const QString &sessionId, const Event &event);
QByteArray encodeEnd(const QString &sessionId, const SessionEnd &end);
QByteArray encodeProbe();

struct Decoded {
    Kind kind = Kind::Probe;
    QString sessionId;    // for Event and SessionEnd; start.id for SessionStart
    SessionStart start;
    Event event;
    SessionEnd end;
};
// Fails on a record it cannot take apart (an unknown kind, a field cut short, bytes left over).
Result<Decoded> decode(QByteArrayView record);

} // namespace gh::journal
