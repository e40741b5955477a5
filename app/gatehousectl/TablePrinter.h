#pragma once

#include <QJsonArray>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <QStringList>

namespace gh {

// Aligned, space-separated columns for `-o table` (what kubectl users expect).
class TablePrinter final {
public:
    explicit TablePrinter(QStringList headers);

    void addRow(QStringList cells);
    QString render() const;

    // One cell's text: arrays joined with ",", null or missing "-", objects as compact JSON.
    static QString cell(const QJsonValue &value);
    // A table of JSON objects: the preferred columns present in any row, in that order;
    // when none is present, the keys of the first row.
    static QString fromObjects(const QJsonArray &rows, const QStringList &preferredColumns);

private:
    QStringList m_headers;
    QList<QStringList> m_rows;
};

} // namespace gh
