#pragma once

#include "core/Result.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QString>
#include <QStringList>

#include <optional>

// How the SQLite store writes values that have no SQLite type of their own (times in ms since the
// epoch, group lists as JSON arrays), and reads them back, naming what is corrupt when it is.
namespace gh::stored {

std::optional<qint64> toMs(const QDateTime &t);
QDateTime fromMs(const std::optional<qint64> &ms);
QString groupsJson(const QStringList &groups);
// `what` names the row in the error ("token 1f2e...").
Result<QJsonDocument> parseJson(const QString &text, const QString &what);
Result<QStringList> parseGroups(const QString &text, const QString &what);

} // namespace gh::stored
