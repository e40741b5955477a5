#include "GrantsModel.h"

#include "ApprovalsModel.h"
#include "admin/AdminClient.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QPointer>
#include <QUrl>

using namespace std::chrono_literals;

namespace gh {

namespace {

QDateTime grantUntil(const QJsonObject &approval)
{
    return QDateTime::fromString(approval.value(QLatin1String("grant_until")).toString(), Qt::ISODateWithMs);
}

bool running(const QJsonObject &approval, const QDateTime &now)
{
    const QDateTime until = grantUntil(approval);
    // A revoked grant's grant_until is the moment it ended.
    return approval.value(QLatin1String("state")).toString() == u"approved" && until.isValid() && until > now;
}

} // namespace

GrantsModel::GrantsModel(ApprovalsModel *approvals, QObject *parent)
    : QAbstractTableModel(parent)
    , m_approvals(approvals)
{
    m_tick.setInterval(1s);
    connect(&m_tick, &QTimer::timeout, this, &GrantsModel::tick);
    // Another gateway, or the inbox reloaded after the stream came back: the list is stale too.
    connect(m_approvals, &QAbstractItemModel::modelReset, this, &GrantsModel::reload);
    connect(m_approvals, &ApprovalsModel::approvalFinished, this, [this](const QString &, const QString &state) {
        if (state == u"approved")
            reload();
    });
    connect(m_approvals, &ApprovalsModel::grantRevoked, this, &GrantsModel::reload);
}

void GrantsModel::reload()
{
    const quint64 generation = ++m_loadGeneration;
    AdminClient *client = m_approvals->client();
    if (!client) {
        beginResetModel();
        m_rows.clear();
        endResetModel();
        m_tick.stop();
        return;
    }
    QPointer<GrantsModel> self(this);
    client->call("GET", QStringLiteral("/api/v1/approvals?state=approved"), {}, {}, [self, generation](const AdminReply &reply) {
        if (!self || generation != self->m_loadGeneration || !reply.ok() || !reply.json.isArray())
            return;   // a newer load answers for the list; a failed one leaves it as it was
        const QDateTime now = QDateTime::currentDateTimeUtc();
        QList<QJsonObject> rows;
        for (const QJsonValue &v : reply.json.array())
            if (running(v.toObject(), now))
                rows.append(v.toObject());
        self->beginResetModel();
        self->m_rows = rows;
        self->endResetModel();
        if (self->m_rows.isEmpty())
            self->m_tick.stop();
        else
            self->m_tick.start();
    });
}

void GrantsModel::revoke(const QString &id, const QString &reason, std::function<void(const AdminReply &)> done)
{
    AdminClient *client = m_approvals->client();
    if (!client) {
        AdminReply reply;
        reply.errorText = tr("not connected to a gateway");
        if (done)
            done(reply);
        return;
    }
    QJsonObject body;
    if (!reason.isEmpty())
        body.insert(QStringLiteral("reason"), reason);
    const QString path = QStringLiteral("/api/v1/approvals/") + QString::fromLatin1(QUrl::toPercentEncoding(id))
        + QStringLiteral("/revoke");
    QPointer<GrantsModel> self(this);
    client->call("POST", path, QJsonDocument(body).toJson(QJsonDocument::Compact), "application/json",
                 [self, id, done = std::move(done)](const AdminReply &reply) {
        if (self && reply.ok()) {
            for (int row = 0; row < self->m_rows.size(); ++row) {
                if (self->m_rows.at(row).value(QLatin1String("id")).toString() == id) {
                    self->beginRemoveRows({}, row, row);
                    self->m_rows.removeAt(row);
                    self->endRemoveRows();
                    break;
                }
            }
        }
        if (done)
            done(reply);
    });
}

void GrantsModel::tick()
{
    const QDateTime now = QDateTime::currentDateTimeUtc();
    for (int row = int(m_rows.size()) - 1; row >= 0; --row) {
        if (!running(m_rows.at(row), now)) {
            beginRemoveRows({}, row, row);
            m_rows.removeAt(row);
            endRemoveRows();
        }
    }
    if (m_rows.isEmpty())
        m_tick.stop();
    else
        Q_EMIT dataChanged(index(0, TimeLeft), index(int(m_rows.size()) - 1, TimeLeft), {Qt::DisplayRole});
}

int GrantsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int GrantsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant GrantsModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const QJsonObject &a = m_rows.at(index.row());
    if (role == IdRole)
        return a.value(QLatin1String("id")).toString();
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    switch (index.column()) {
    case Subject:
        return a.value(QLatin1String("subject")).toString();
    case Connection:
        return a.value(QLatin1String("connection")).toString();
    case Rule:
        return a.value(QLatin1String("rule")).toString();
    case TimeLeft:
        return ApprovalsModel::durationText(QDateTime::currentDateTimeUtc().secsTo(grantUntil(a)));
    default:
        return {};
    }
}

QVariant GrantsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Subject:
        return tr("Granted to");
    case Connection:
        return tr("Connection");
    case Rule:
        return tr("Rule");
    case TimeLeft:
        return tr("Time left");
    default:
        return {};
    }
}

} // namespace gh
