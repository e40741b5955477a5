#pragma once

#include <QAbstractTableModel>
#include <QJsonObject>
#include <QList>
#include <QPointer>
#include <QTimer>

#include <functional>

namespace gh {

class AdminClient;
class AdminEventStream;
struct AdminReply;

// The pending approvals of one gateway: loaded from the admin API, then kept current by the live
// event stream. The inbox, the notifier and the tray all read this one model.
class ApprovalsModel final : public QAbstractTableModel {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ApprovalsModel)

public:
    enum Column { Requester, Connection, Request, Rule, Progress, TimeLeft, ColumnCount };
    static constexpr int IdRole = Qt::UserRole + 1;

    explicit ApprovalsModel(QObject *parent = nullptr);
    ~ApprovalsModel() override;

    // Follows the gateway behind `client` (nullptr: none); the model empties when it changes.
    void setClient(AdminClient *client);
    AdminClient *client() const;
    bool isLive() const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    QJsonObject approval(int row) const { return m_rows.value(row); }
    int rowOf(const QString &id) const;
    QString timeLeftText(const QJsonObject &approval) const;
    // "1 h 05 min" from an hour on, else "4:07": the inbox's and the grants' time left.
    static QString durationText(qint64 seconds);

    // Decides one approval. `forDuration` empty: approve once; else "15m", "1h", ...
    // `done` gets the API's answer; a success also updates the model at once.
    void approve(const QString &id, const QString &forDuration, const QString &reason,
                 std::function<void(const AdminReply &)> done = {});
    void deny(const QString &id, const QString &reason, std::function<void(const AdminReply &)> done = {});

public Q_SLOTS:
    void reload();

Q_SIGNALS:
    // A request was just held (from the live stream, never from a reload).
    void approvalRequested(const QJsonObject &approval);
    // It is no longer pending: `state` is approved, denied or expired.
    void approvalFinished(const QString &id, const QString &state);
    void pendingCountChanged(int count);
    // A time-boxed grant was ended early (approval.revoked on the live stream).
    void grantRevoked(const QString &id);
    void loadFailed(const QString &why);

private:
    void onEvent(const QByteArray &type, const QJsonObject &data);
    void upsert(const QJsonObject &approval);
    void remove(const QString &id, const QString &state);
    void decide(const QString &id, const QByteArray &verb, const QJsonObject &body,
                std::function<void(const AdminReply &)> done);
    void tick();

    QPointer<AdminClient> m_client;
    QPointer<AdminEventStream> m_stream;
    QList<QJsonObject> m_rows;
    QTimer m_tick;              // one timer refreshes every row's time left
    quint64 m_loadGeneration = 0;
};

} // namespace gh
