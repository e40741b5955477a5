// gatehousectl's approval commands: get approvals as a table, approve, deny, approvals watch and
// approvals revoke.
#include "CtlText.h"
#include "Gatehousectl.h"
#include "TablePrinter.h"
#include "core/NodeConfig.h"
#include "core/Result.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>

namespace gh {

using ctl::abbreviate;
using ctl::oneLine;
using ctl::segment;

namespace {

// "4m12s" from now to `to` (negative spans read "0s"); minutes only past an hour, hours past a day.
QString span(const QDateTime &from, const QDateTime &to)
{
    qint64 ms = std::max<qint64>(0, from.msecsTo(to));
    if (ms >= 86'400'000)
        ms -= ms % 3'600'000;
    else if (ms >= 3'600'000)
        ms -= ms % 60'000;
    else
        ms -= ms % 1000;
    return formatDuration(std::chrono::milliseconds(ms));
}

QDateTime isoTime(const QJsonValue &v)
{
    return v.isString() ? QDateTime::fromString(v.toString(), Qt::ISODateWithMs) : QDateTime();
}

// One line per approval event for `approvals watch`: when, what, which, then the details that
// event is about.
QString approvalEventLine(const QString &type, const QJsonObject &a)
{
    QStringList parts{a.value(QStringLiteral("at")).toString(), type, a.value(QStringLiteral("id")).toString(),
                      a.value(QStringLiteral("state")).toString(),
                      QStringLiteral("connection=") + a.value(QStringLiteral("connection")).toString(),
                      QStringLiteral("subject=") + a.value(QStringLiteral("subject")).toString(),
                      QStringLiteral("rule=") + a.value(QStringLiteral("rule")).toString()};
    if (type == QLatin1String("approval.requested")) {
        parts << a.value(QStringLiteral("method")).toString() + QLatin1Char(' ') + a.value(QStringLiteral("path")).toString();
        const int required = a.value(QStringLiteral("required")).toInt(1);
        if (required > 1)
            parts << QStringLiteral("needs=%1").arg(required);
        const QString why = a.value(QStringLiteral("justification")).toString();
        if (!why.isEmpty())
            parts << QStringLiteral("justification=\"%1\"").arg(abbreviate(why, 120));
        parts << QStringLiteral("expires=") + a.value(QStringLiteral("expires_at")).toString();
    } else {
        QStringList by;
        for (const QJsonValue &step : a.value(QStringLiteral("approvals")).toArray())
            by << step.toObject().value(QStringLiteral("by")).toString();
        if (!by.isEmpty())
            parts << QStringLiteral("by=") + by.join(QLatin1Char(','));
        const QString grant = a.value(QStringLiteral("grant_until")).toString();
        if (!grant.isEmpty())
            parts << QStringLiteral("grant_until=") + grant;
        const QString reason = a.value(QStringLiteral("reason")).toString();
        if (!reason.isEmpty())
            parts << QStringLiteral("reason=\"%1\"").arg(abbreviate(reason, 120));
        const QJsonObject revoked = a.value(QStringLiteral("grant_revoked")).toObject();
        if (!revoked.isEmpty()) {
            parts << QStringLiteral("revoked_by=") + revoked.value(QStringLiteral("by")).toString();
            const QString why = revoked.value(QStringLiteral("reason")).toString();
            if (!why.isEmpty())
                parts << QStringLiteral("revoke_reason=\"%1\"").arg(abbreviate(why, 120));
        }
    }
    return oneLine(parts.join(QLatin1Char(' ')));
}

} // namespace

int Gatehousectl::printApprovalsTable(const QJsonArray &rows)
{
    // Relative times: how long a request has waited, and how long until it times out (pending) or
    // its grant runs out (approved for a duration).
    const QDateTime now = QDateTime::currentDateTimeUtc();
    TablePrinter table({QStringLiteral("ID"), QStringLiteral("STATE"), QStringLiteral("CONNECTION"),
                        QStringLiteral("SUBJECT"), QStringLiteral("RULE"), QStringLiteral("AGE"),
                        QStringLiteral("TIME LEFT")});
    for (const QJsonValue &v : rows) {
        const QJsonObject a = v.toObject();
        const QString state = a.value(QStringLiteral("state")).toString();
        const QDateTime created = isoTime(a.value(QStringLiteral("created_at")));
        QDateTime until;
        if (state == QLatin1String("pending"))
            until = isoTime(a.value(QStringLiteral("expires_at")));
        else if (state == QLatin1String("approved"))
            until = isoTime(a.value(QStringLiteral("grant_until")));
        QString left = QStringLiteral("-");
        if (until.isValid() && until > now)
            left = state == QLatin1String("approved") ? QStringLiteral("grant ") + span(now, until) : span(now, until);
        table.addRow({TablePrinter::cell(a.value(QStringLiteral("id"))), state.isEmpty() ? QStringLiteral("-") : state,
                      TablePrinter::cell(a.value(QStringLiteral("connection"))),
                      TablePrinter::cell(a.value(QStringLiteral("subject"))),
                      TablePrinter::cell(a.value(QStringLiteral("rule"))),
                      created.isValid() ? span(created, now) : QStringLiteral("-"), left});
    }
    out(table.render().toUtf8());
    return Ok;
}

int Gatehousectl::cmdApprovals()
{
    if (m_args.positional.value(0) == QLatin1String("revoke"))
        return cmdRevokeGrant();
    if (m_args.positional.size() != 1 || m_args.positional.first() != QLatin1String("watch"))
        return usageError(QStringLiteral("use approvals watch [-o json] or approvals revoke ID [--reason TEXT]"));
    if (m_args.has(QStringLiteral("reason")))
        return usageError(QStringLiteral("approvals watch takes no --reason"));
    QString format;
    if (const int rc = outputFormat(&format))
        return rc;
    // The stream itself retries forever; ask once first so a refused token or an unreachable
    // gateway ends the command with its reason instead of a silent wait.
    const AdminReply probe = call("GET", QStringLiteral("/api/v1/approvals?state=pending"));
    if (!probe.ok())
        return reportFailure(probe, QStringLiteral("approvals watch"));
    const bool json = format == QLatin1String("json");
    AdminEventStream *stream = m_client->subscribeEvents(QStringLiteral("/api/v1/events"), [json](const AdminEvent &e) {
        const QString type = QString::fromUtf8(e.type);
        if (!type.startsWith(QLatin1String("approval.")) || !e.json.isObject())
            return;
        if (json) {
            QJsonObject o = e.json.object();
            o.insert(QStringLiteral("type"), type);
            out(QJsonDocument(o).toJson(QJsonDocument::Compact) + '\n');
        } else {
            out(approvalEventLine(type, e.json.object()).toUtf8() + '\n');
        }
    });
    bool wasConnected = false;
    QObject::connect(stream, &AdminEventStream::connected, stream, [&wasConnected] { wasConnected = true; });
    QObject::connect(stream, &AdminEventStream::disconnected, stream, [&wasConnected](const QString &reason) {
        if (wasConnected)
            err(QStringLiteral("lost the event stream (%1); reconnecting").arg(reason));
        wasConnected = false;
    });
    // Until interrupted (SIGINT/SIGTERM end the process, as for any follower).
    QCoreApplication::exec();
    return Ok;
}

int Gatehousectl::cmdRevokeGrant()
{
    if (m_args.positional.size() != 2)
        return usageError(QStringLiteral("approvals revoke needs the approval ID"));
    if (m_args.has(QStringLiteral("output")))
        return usageError(QStringLiteral("approvals revoke takes no -o"));
    const QString id = m_args.positional.at(1);
    QJsonObject body;
    if (m_args.has(QStringLiteral("reason")))
        body.insert(QStringLiteral("reason"), m_args.value(QStringLiteral("reason")));
    const AdminReply reply = call("POST", QStringLiteral("/api/v1/approvals/%1/revoke").arg(segment(id)),
                                  QJsonDocument(body).toJson(QJsonDocument::Compact), "application/json");
    if (!reply.ok())
        return reportFailure(reply, QStringLiteral("approvals revoke %1").arg(id));
    out(QStringLiteral("approval %1: grant revoked\n").arg(id).toUtf8());
    return Ok;
}

int Gatehousectl::cmdDecide(bool approve)
{
    const QString verb = approve ? QStringLiteral("approve") : QStringLiteral("deny");
    if (m_args.positional.size() != 1)
        return usageError(QStringLiteral("%1 needs the approval ID").arg(verb));
    const QString id = m_args.positional.first();
    QJsonObject body;
    if (m_args.has(QStringLiteral("for"))) {
        const QString d = m_args.value(QStringLiteral("for"));
        const auto parsed = parseDuration(d);
        if (!parsed.ok())
            return usageError(QStringLiteral("--for %1: %2").arg(d, parsed.error().message));
        body.insert(QStringLiteral("for"), d);
    }
    if (m_args.has(QStringLiteral("reason")))
        body.insert(QStringLiteral("reason"), m_args.value(QStringLiteral("reason")));
    const AdminReply reply = call("POST", QStringLiteral("/api/v1/approvals/%1/%2").arg(segment(id), verb),
                                  QJsonDocument(body).toJson(QJsonDocument::Compact), "application/json");
    if (!reply.ok())
        return reportFailure(reply, QStringLiteral("%1 %2").arg(verb, id));
    const QString state = reply.json.object().value(QStringLiteral("state")).toString();
    out(QStringLiteral("approval %1 %2\n")
            .arg(id, state.isEmpty() ? (approve ? QStringLiteral("approved") : QStringLiteral("denied")) : state)
            .toUtf8());
    return Ok;
}

} // namespace gh
