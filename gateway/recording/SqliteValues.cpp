#include "recording/SqliteValues.h"

#include "recording/SqliteConnection.h"

#include <QJsonArray>

namespace gh::stored {

std::optional<qint64> toMs(const QDateTime &t)
{
    if (!t.isValid())
        return std::nullopt;
    return t.toMSecsSinceEpoch();
}

QDateTime fromMs(const std::optional<qint64> &ms)
{
    if (!ms)
        return {};
    return QDateTime::fromMSecsSinceEpoch(*ms, Qt::UTC);
}

QString groupsJson(const QStringList &groups)
{
    return QString::fromUtf8(QJsonDocument(QJsonArray::fromStringList(groups)).toJson(QJsonDocument::Compact));
}

Result<QJsonDocument> parseJson(const QString &text, const QString &what)
{
    QJsonParseError err;
    const QJsonDocument doc = QJsonDocument::fromJson(text.toUtf8(), &err);
    if (err.error != QJsonParseError::NoError)
        return Error(QStringLiteral("stored %1 is corrupt: %2 at offset %3")
                         .arg(what, err.errorString())
                         .arg(err.offset));
    return doc;
}

Result<QStringList> parseGroups(const QString &text, const QString &what)
{
    Result<QJsonDocument> doc = parseJson(text, what);
    if (!doc)
        return doc.error();
    if (!doc->isArray())
        return Error(QStringLiteral("stored %1 is corrupt: groups are not a JSON array").arg(what));
    QStringList groups;
    for (const QJsonValue &v : doc->array()) {
        if (!v.isString())
            return Error(QStringLiteral("stored %1 is corrupt: a group is not a string").arg(what));
        groups.append(v.toString());
    }
    return groups;
}

Result<SessionInfo> sessionFromRow(const SqliteQuery &q)
{
    SessionInfo s;
    s.id = q.text(0);
    s.connection = q.text(1);
    s.subject = q.text(2);
    Result<QStringList> groups = stored::parseGroups(q.text(3), QStringLiteral("session %1").arg(s.id));
    if (!groups)
        return groups.error();
    s.groups = *groups;
    s.issuer = q.text(4);
    s.clientAddr = q.text(5);
    s.startedAtUs = q.int64(6);
    s.endedAtUs = q.optionalInt64(7);
    s.bytesIn = q.int64(8);
    s.bytesOut = q.int64(9);
    s.eventCount = q.int64(10);
    s.headHash = q.blob(11);
    s.headSignature = q.blob(12);
    return s;
}

} // namespace gh::stored
