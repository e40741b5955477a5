#include "RulesModel.h"

#include <QStringList>

namespace gh {

namespace {

// An absent list means the contract's default: every connection, every group.
QString listOrAll(const QJsonObject &o, QLatin1String key)
{
    const QJsonValue v = o.value(key);
    if (v.isUndefined() || v.isNull())
        return QStringLiteral("*");
    QStringList parts;
    for (const QJsonValue &item : v.toArray())
        parts.append(item.toString());
    return parts.join(QLatin1String(", "));
}

} // namespace

RulesModel::RulesModel(QObject *parent)
    : ResourceTableModel(QStringLiteral("rules"), parent)
{
    setColumns({
        {tr("Name"), [](const QJsonObject &o) { return o.value(QLatin1String("name")).toString(); }},
        {tr("Kind"), [](const QJsonObject &o) { return describeKind(o.value(QLatin1String("kind")).toString()); }},
        {tr("Connections"), [](const QJsonObject &o) { return listOrAll(o, QLatin1String("connections")); }},
        {tr("Groups"), [](const QJsonObject &o) { return listOrAll(o, QLatin1String("groups")); }},
        {tr("Match"), [](const QJsonObject &o) { return describeMatch(o); }},
        {tr("Effect"), [](const QJsonObject &o) { return describeEffect(o); }},
    });
}

QString RulesModel::describeKind(const QString &kind)
{
    if (kind == QLatin1String("deny"))
        return tr("deny");
    if (kind == QLatin1String("approve"))
        return tr("approve");
    if (kind == QLatin1String("mask"))
        return tr("mask");
    return kind;
}

QString RulesModel::describeMatch(const QJsonObject &rule)
{
    // Keys and patterns are shown as written: they are what the admin typed in the resource file.
    const QJsonObject match = rule.value(QLatin1String("match")).toObject();
    QStringList parts;
    for (auto it = match.constBegin(); it != match.constEnd(); ++it) {
        if (it.value().isObject()) {
            const QJsonObject inner = it.value().toObject();
            for (auto jt = inner.constBegin(); jt != inner.constEnd(); ++jt)
                parts.append(it.key() + QLatin1Char(' ') + jt.key() + QLatin1String(" ~ ") + jt.value().toString());
        } else {
            parts.append(it.key() + QLatin1String(" ~ ") + it.value().toString());
        }
    }
    return parts.join(QLatin1String("; "));
}

QString RulesModel::describeEffect(const QJsonObject &rule)
{
    const QString kind = rule.value(QLatin1String("kind")).toString();
    if (kind == QLatin1String("deny"))
        return tr("refused with 403");
    if (kind == QLatin1String("approve")) {
        QStringList approvers;
        for (const QJsonValue &v : rule.value(QLatin1String("approvers")).toArray())
            approvers.append(v.toString());
        const int approvals = rule.value(QLatin1String("approvals")).toInt(1);
        // Not a %n plural: English has no translation file to pick "approval" or "approvals".
        return tr("held until approved by %1 (%2 needed)").arg(approvers.join(QLatin1String(", "))).arg(approvals);
    }
    if (kind == QLatin1String("mask")) {
        const QString detector = rule.value(QLatin1String("detector")).toString();
        const QString what = detector.isEmpty() ? rule.value(QLatin1String("pattern")).toString() : detector;
        QString replace = rule.value(QLatin1String("replace")).toString();
        if (replace.isEmpty())
            replace = detector.isEmpty() ? QStringLiteral("[MASKED]") : QLatin1Char('[') + detector.toUpper() + QLatin1Char(']');
        return tr("%1 replaced by %2").arg(what, replace);
    }
    return {};
}

} // namespace gh
