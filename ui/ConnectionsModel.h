#pragma once

#include "ResourceTableModel.h"

namespace gh {

// The gateway's connections as a table: name, type, upstream, allowed groups, credential kind.
class ConnectionsModel final : public ResourceTableModel {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConnectionsModel)

public:
    explicit ConnectionsModel(QObject *parent = nullptr);

    // Names the kind of credential only: a value can be a literal secret, and a desk is seen by others.
    static QString describeCredential(const QJsonObject &credential);
};

} // namespace gh
