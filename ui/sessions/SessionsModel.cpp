#include "sessions/SessionsModel.h"

#include <QDateTime>
#include <QLocale>

namespace gh {

namespace {

QDateTime parseTime(const QJsonValue &v)
{
    return v.isString() ? QDateTime::fromString(v.toString(), Qt::ISODateWithMs) : QDateTime();
}

QString duration(qint64 ms)
{
    if (ms < 1000)
        return SessionsModel::tr("%1 ms").arg(ms);
    const qint64 s = ms / 1000;
    if (s < 60)
        return SessionsModel::tr("%1 s").arg(QLocale().toString(double(ms) / 1000.0, 'f', 1));
    if (s < 3600)
        return SessionsModel::tr("%1 min %2 s").arg(s / 60).arg(s % 60);
    return SessionsModel::tr("%1 h %2 min").arg(s / 3600).arg((s / 60) % 60);
}

} // namespace

SessionsModel::SessionsModel(QObject *parent)
    : QAbstractTableModel(parent)
{
}

void SessionsModel::setSessions(const QJsonArray &sessions)
{
    beginResetModel();
    m_rows.clear();
    for (const QJsonValue &v : sessions) {
        if (v.isObject())
            m_rows.append(v.toObject());
    }
    endResetModel();
}

QString SessionsModel::sessionId(int row) const
{
    return m_rows.value(row).value(QLatin1String("id")).toString();
}

int SessionsModel::rowOf(const QString &id) const
{
    for (int i = 0; i < m_rows.size(); ++i) {
        if (sessionId(i) == id)
            return i;
    }
    return -1;
}

int SessionsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int SessionsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant SessionsModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const QJsonObject &s = m_rows.at(index.row());
    if (role == Qt::ToolTipRole)
        return s.value(QLatin1String("id")).toString();
    if (role == Qt::TextAlignmentRole && index.column() == Events)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole)
        return {};
    const QDateTime started = parseTime(s.value(QLatin1String("started_at")));
    switch (index.column()) {
    case Started: return started.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
    case Subject: return s.value(QLatin1String("subject")).toString();
    case Connection: return s.value(QLatin1String("connection")).toString();
    case Client: return s.value(QLatin1String("client_addr")).toString();
    case Events: return QLocale().toString(qint64(s.value(QLatin1String("event_count")).toDouble()));
    case Duration: {
        const QDateTime ended = parseTime(s.value(QLatin1String("ended_at")));
        if (!ended.isValid())
            return tr("open");
        return duration(started.msecsTo(ended));
    }
    case Id: return s.value(QLatin1String("id")).toString();
    default: return {};
    }
}

QVariant SessionsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Started: return tr("Started");
    case Subject: return tr("Subject");
    case Connection: return tr("Connection");
    case Client: return tr("Client");
    case Events: return tr("Events");
    case Duration: return tr("Duration");
    case Id: return tr("Session");
    default: return {};
    }
}

} // namespace gh
