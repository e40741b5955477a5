#pragma once

#include <QAbstractTableModel>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <functional>

namespace gh {

// A read-only table over a list of admin API resource objects (connections, rules), one row per
// object, whose columns the subclass chooses.
class ResourceTableModel : public QAbstractTableModel {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ResourceTableModel)

public:
    struct Column {
        QString title;
        std::function<QString(const QJsonObject &)> text;
    };

    // Accepts the API's bare list, or an object holding it under `listKey` or "items".
    // Returns false, leaving the rows as they were, when the document holds no such list.
    bool setJson(const QJsonDocument &doc);
    void setRows(const QJsonArray &rows);
    QJsonObject row(int index) const { return m_rows.value(index); }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

protected:
    ResourceTableModel(QString listKey, QObject *parent);
    void setColumns(QList<Column> columns);

    static QString joined(const QJsonValue &list);

private:
    QString m_listKey;
    QList<Column> m_columns;
    QList<QJsonObject> m_rows;
};

} // namespace gh
