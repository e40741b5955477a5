#include "ResourceTableModel.h"

#include <QJsonDocument>
#include <QStringList>

namespace gh {

ResourceTableModel::ResourceTableModel(QString listKey, QObject *parent)
    : QAbstractTableModel(parent)
    , m_listKey(std::move(listKey))
{
}

void ResourceTableModel::setColumns(QList<Column> columns)
{
    beginResetModel();
    m_columns = std::move(columns);
    endResetModel();
}

bool ResourceTableModel::setJson(const QJsonDocument &doc)
{
    if (doc.isArray()) {
        setRows(doc.array());
        return true;
    }
    const QJsonObject object = doc.object();
    for (const QString &key : {m_listKey, QStringLiteral("items")}) {
        if (object.value(key).isArray()) {
            setRows(object.value(key).toArray());
            return true;
        }
    }
    return false;
}

void ResourceTableModel::setRows(const QJsonArray &rows)
{
    beginResetModel();
    m_rows.clear();
    m_rows.reserve(rows.size());
    for (const QJsonValue &v : rows) {
        if (v.isObject())
            m_rows.append(v.toObject());
    }
    endResetModel();
}

int ResourceTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ResourceTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_columns.size());
}

QVariant ResourceTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    return m_columns.at(index.column()).text(m_rows.at(index.row()));
}

QVariant ResourceTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole || section < 0 || section >= m_columns.size())
        return {};
    return m_columns.at(section).title;
}

QString ResourceTableModel::joined(const QJsonValue &list)
{
    if (list.isString())
        return list.toString();
    QStringList parts;
    const QJsonArray array = list.toArray();
    for (const QJsonValue &v : array)
        parts.append(v.toString());
    return parts.join(QLatin1String(", "));
}

} // namespace gh
