#include "ConnectionsModel.h"

namespace gh {

ConnectionsModel::ConnectionsModel(QObject *parent)
    : ResourceTableModel(QStringLiteral("connections"), parent)
{
    setColumns({
        {tr("Name"), [](const QJsonObject &o) { return o.value(QLatin1String("name")).toString(); }},
        {tr("Type"), [](const QJsonObject &o) { return o.value(QLatin1String("type")).toString(); }},
        {tr("Upstream"), [](const QJsonObject &o) { return o.value(QLatin1String("upstream")).toString(); }},
        {tr("Allowed groups"), [](const QJsonObject &o) { return joined(o.value(QLatin1String("allow_groups"))); }},
        {tr("Credential"), [](const QJsonObject &o) { return describeCredential(o.value(QLatin1String("credential")).toObject()); }},
    });
}

QString ConnectionsModel::describeCredential(const QJsonObject &credential)
{
    const QString header = credential.value(QLatin1String("header")).toString();
    if (!header.isEmpty())
        return tr("header %1").arg(header);
    const QString user = credential.value(QLatin1String("user")).toString();
    if (!user.isEmpty())
        return tr("user %1").arg(user);
    return tr("none");
}

} // namespace gh
