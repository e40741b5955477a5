#include "ApprovalsModel.h"

#include "admin/AdminClient.h"

#include <QDateTime>
#include <QJsonArray>
#include <QUrl>

using namespace std::chrono_literals;

namespace gh {

namespace {

QString idOf(const QJsonObject &approval)
{
    return approval.value(QLatin1String("id")).toString();
}

int approvalsSoFar(const QJsonObject &approval)
{
    int n = 0;
    for (const QJsonValue &step : approval.value(QLatin1String("approvals")).toArray())
        if (step.toObject().value(QLatin1String("decision")).toString() == u"approve")
            ++n;
    return n;
}

} // namespace

ApprovalsModel::ApprovalsModel(QObject *parent)
    : QAbstractTableModel(parent)
{
    m_tick.setInterval(1s);
    connect(&m_tick, &QTimer::timeout, this, &ApprovalsModel::tick);
}

ApprovalsModel::~ApprovalsModel()
{
    if (m_stream)
        m_stream->close();
}

void ApprovalsModel::setClient(AdminClient *client)
{
    if (client == m_client)
        return;
    if (m_stream) {
        m_stream->close();
        m_stream->deleteLater();
    }
    ++m_loadGeneration;
    m_client = client;
    beginResetModel();
    m_rows.clear();
    endResetModel();
    Q_EMIT pendingCountChanged(0);
    if (!m_client) {
        m_tick.stop();
        return;
    }
    m_stream = m_client->subscribeEvents(QStringLiteral("/api/v1/events"), [this](const AdminEvent &event) {
        if (event.type.startsWith("approval."))
            onEvent(event.type, event.json.object());
    });
    // Whatever was held while the stream was down arrives with the reload.
    connect(m_stream, &AdminEventStream::connected, this, &ApprovalsModel::reload);
    reload();
}

AdminClient *ApprovalsModel::client() const
{
    return m_client;
}

bool ApprovalsModel::isLive() const
{
    return m_stream && m_stream->isConnected();
}

void ApprovalsModel::reload()
{
    if (!m_client)
        return;
    const quint64 generation = ++m_loadGeneration;
    QPointer<ApprovalsModel> self(this);
    m_client->call("GET", QStringLiteral("/api/v1/approvals?state=pending"), {}, {},
                   [self, generation](const AdminReply &reply) {
        if (!self || generation != self->m_loadGeneration)
            return;   // a newer load or another gateway answers for the list
        if (!reply.ok() || !reply.json.isArray()) {
            Q_EMIT self->loadFailed(reply.errorText);
            return;
        }
        QList<QJsonObject> rows;
        for (const QJsonValue &v : reply.json.array())
            if (v.toObject().value(QLatin1String("state")).toString() == u"pending")
                rows.append(v.toObject());
        std::reverse(rows.begin(), rows.end());   // the API answers newest first; the inbox reads oldest first
        self->beginResetModel();
        self->m_rows = rows;
        self->endResetModel();
        if (self->m_rows.isEmpty())
            self->m_tick.stop();
        else
            self->m_tick.start();
        Q_EMIT self->pendingCountChanged(int(self->m_rows.size()));
    });
}

void ApprovalsModel::onEvent(const QByteArray &type, const QJsonObject &data)
{
    if (idOf(data).isEmpty())
        return;
    const QString state = data.value(QLatin1String("state")).toString();
    if (type == "approval.requested" || type == "approval.updated") {
        if (state != u"pending") {
            remove(idOf(data), state);
            return;
        }
        const bool isNew = rowOf(idOf(data)) < 0;
        upsert(data);
        if (type == "approval.requested" && isNew)
            Q_EMIT approvalRequested(data);
    } else if (type == "approval.decided" || type == "approval.expired") {
        remove(idOf(data), state);
    } else if (type == "approval.revoked") {
        Q_EMIT grantRevoked(idOf(data));
    }
}

int ApprovalsModel::rowOf(const QString &id) const
{
    for (int i = 0; i < m_rows.size(); ++i)
        if (idOf(m_rows.at(i)) == id)
            return i;
    return -1;
}

void ApprovalsModel::upsert(const QJsonObject &approval)
{
    const int row = rowOf(idOf(approval));
    if (row >= 0) {
        m_rows[row] = approval;
        Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
        return;
    }
    const int at = int(m_rows.size());
    beginInsertRows({}, at, at);
    m_rows.append(approval);
    endInsertRows();
    m_tick.start();
    Q_EMIT pendingCountChanged(int(m_rows.size()));
}

void ApprovalsModel::remove(const QString &id, const QString &state)
{
    const int row = rowOf(id);
    if (row >= 0) {
        beginRemoveRows({}, row, row);
        m_rows.removeAt(row);
        endRemoveRows();
        if (m_rows.isEmpty())
            m_tick.stop();
        Q_EMIT pendingCountChanged(int(m_rows.size()));
    }
    // Also when it was never listed here: a notification may be showing for it.
    Q_EMIT approvalFinished(id, state);
}

void ApprovalsModel::approve(const QString &id, const QString &forDuration, const QString &reason,
                             std::function<void(const AdminReply &)> done)
{
    QJsonObject body;
    if (!forDuration.isEmpty())
        body.insert(QStringLiteral("for"), forDuration);
    if (!reason.isEmpty())
        body.insert(QStringLiteral("reason"), reason);
    decide(id, "approve", body, std::move(done));
}

void ApprovalsModel::deny(const QString &id, const QString &reason, std::function<void(const AdminReply &)> done)
{
    QJsonObject body;
    if (!reason.isEmpty())
        body.insert(QStringLiteral("reason"), reason);
    decide(id, "deny", body, std::move(done));
}

void ApprovalsModel::decide(const QString &id, const QByteArray &verb, const QJsonObject &body,
                            std::function<void(const AdminReply &)> done)
{
    if (!m_client) {
        AdminReply reply;
        reply.errorText = tr("not connected to a gateway");
        if (done)
            done(reply);
        return;
    }
    const QString path = QStringLiteral("/api/v1/approvals/")
        + QString::fromLatin1(QUrl::toPercentEncoding(id)) + QLatin1Char('/') + QString::fromLatin1(verb);
    QPointer<ApprovalsModel> self(this);
    m_client->call("POST", path, QJsonDocument(body).toJson(QJsonDocument::Compact), "application/json",
                   [self, done = std::move(done)](const AdminReply &reply) {
        if (self && reply.ok() && reply.json.isObject()) {
            // The answer is the approval as it now stands; the stream will say the same a bit later.
            const QJsonObject now = reply.json.object();
            if (now.value(QLatin1String("state")).toString() == u"pending")
                self->upsert(now);
            else
                self->remove(idOf(now), now.value(QLatin1String("state")).toString());
        }
        if (done)
            done(reply);
    });
}

void ApprovalsModel::tick()
{
    if (!m_rows.isEmpty())
        Q_EMIT dataChanged(index(0, TimeLeft), index(int(m_rows.size()) - 1, TimeLeft), {Qt::DisplayRole});
}

QString ApprovalsModel::timeLeftText(const QJsonObject &approval) const
{
    const QDateTime expires = QDateTime::fromString(approval.value(QLatin1String("expires_at")).toString(), Qt::ISODateWithMs);
    if (!expires.isValid())
        return tr("no limit");
    const qint64 seconds = QDateTime::currentDateTimeUtc().secsTo(expires);
    if (seconds <= 0)
        return tr("expiring");
    return durationText(seconds);
}

QString ApprovalsModel::durationText(qint64 seconds)
{
    seconds = qMax<qint64>(0, seconds);
    if (seconds >= 3600)
        return tr("%1 h %2 min").arg(seconds / 3600).arg((seconds % 3600) / 60, 2, 10, QLatin1Char('0'));
    return tr("%1:%2").arg(seconds / 60).arg(seconds % 60, 2, 10, QLatin1Char('0'));
}

int ApprovalsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int ApprovalsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ApprovalsModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_rows.size())
        return {};
    const QJsonObject &a = m_rows.at(index.row());
    if (role == IdRole)
        return idOf(a);
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    switch (index.column()) {
    case Requester:
        return a.value(QLatin1String("subject")).toString();
    case Connection:
        return a.value(QLatin1String("connection")).toString();
    case Request:
        return QString(a.value(QLatin1String("method")).toString() + QLatin1Char(' ') + a.value(QLatin1String("path")).toString());
    case Rule:
        return a.value(QLatin1String("rule")).toString();
    case Progress:
        return tr("%1 of %2").arg(approvalsSoFar(a)).arg(qMax(1, a.value(QLatin1String("required")).toInt(1)));
    case TimeLeft:
        return timeLeftText(a);
    default:
        return {};
    }
}

QVariant ApprovalsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Requester:
        return tr("Requester");
    case Connection:
        return tr("Connection");
    case Request:
        return tr("Request");
    case Rule:
        return tr("Rule");
    case Progress:
        return tr("Approvals");
    case TimeLeft:
        return tr("Time left");
    default:
        return {};
    }
}

} // namespace gh
