#pragma once

#include <QAbstractTableModel>
#include <QJsonObject>
#include <QList>
#include <QTimer>

#include <functional>

namespace gh {

class ApprovalsModel;
struct AdminReply;

// The time-boxed grants running on the gateway the inbox follows: approvals approved "for a while"
// whose grant_until is still ahead. Reloaded when the inbox's gateway changes and on each approval
// decision or revocation it hears; rows leave by themselves when their grant runs out.
class GrantsModel final : public QAbstractTableModel {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GrantsModel)

public:
    enum Column { Subject, Connection, Rule, TimeLeft, ColumnCount };
    static constexpr int IdRole = Qt::UserRole + 1;

    explicit GrantsModel(ApprovalsModel *approvals, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    QJsonObject grant(int row) const { return m_rows.value(row); }
    // Ends the grant of approval `id` now; `done` gets the API's answer, and a success drops the row.
    void revoke(const QString &id, const QString &reason, std::function<void(const AdminReply &)> done = {});

public Q_SLOTS:
    void reload();

private:
    void tick();

    ApprovalsModel *m_approvals;
    QList<QJsonObject> m_rows;
    QTimer m_tick;   // the time left, and run-out grants leaving
    quint64 m_loadGeneration = 0;
};

} // namespace gh
