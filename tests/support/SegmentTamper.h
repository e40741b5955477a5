#pragma once

#include "recording/JournalRecords.h"

#include <QString>

#include <functional>

namespace gh::test {

// Rewrites the event records of session `sessionId` in the segment files of `recordingsDir` (a
// store's "<file>.recordings") in place, as someone with write access to them could: `edit` may
// change any field, and the record is written back with a CRC that matches again. Every record must
// keep its length (and with it every offset the store's index holds). Returns how many records
// changed, or a message saying why it could not.
Result<int> editEventRecords(const QString &recordingsDir, const QString &sessionId,
                             const std::function<void(journal::Decoded &)> &edit);

} // namespace gh::test
