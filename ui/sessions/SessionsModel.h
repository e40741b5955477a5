#pragma once

#include <QAbstractTableModel>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>

namespace gh {

// The recorded sessions as GET /api/v1/sessions lists them, newest first.
class SessionsModel final : public QAbstractTableModel {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SessionsModel)

public:
    enum Column { Started, Subject, Connection, Client, Events, Duration, Id, ColumnCount };

    explicit SessionsModel(QObject *parent = nullptr);

    void setSessions(const QJsonArray &sessions);
    QJsonObject session(int row) const { return m_rows.value(row); }
    QString sessionId(int row) const;
    int rowOf(const QString &id) const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QList<QJsonObject> m_rows;
};

} // namespace gh
