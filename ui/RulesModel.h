#pragma once

#include "ResourceTableModel.h"

namespace gh {

// The gateway's policy rules as a table: name, kind, where and to whom they apply, what they do.
class RulesModel final : public ResourceTableModel {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RulesModel)

public:
    explicit RulesModel(QObject *parent = nullptr);

    static QString describeKind(const QString &kind);
    static QString describeMatch(const QJsonObject &rule);
    static QString describeEffect(const QJsonObject &rule);
};

} // namespace gh
