#pragma once

#include "core/Result.h"
#include "recording/Store.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QString>
#include <QStringList>

#include <optional>

// How the SQLite store writes values that have no SQLite type of their own (times in ms since the
// epoch, group lists as JSON arrays), and reads them back, naming what is corrupt when it is.
namespace gh {
class SqliteQuery;
}

namespace gh::stored {

std::optional<qint64> toMs(const QDateTime &t);
QDateTime fromMs(const std::optional<qint64> &ms);
QString groupsJson(const QStringList &groups);
// `what` names the row in the error ("token 1f2e...").
Result<QJsonDocument> parseJson(const QString &text, const QString &what);
Result<QStringList> parseGroups(const QString &text, const QString &what);
// A session row in the column order of SqliteStore's session list: id, connection, subject, groups,
// issuer, client_addr, started_at_us, ended_at_us, bytes_in, bytes_out, event count, head hash,
// head signature.
Result<SessionInfo> sessionFromRow(const SqliteQuery &q);

} // namespace gh::stored
