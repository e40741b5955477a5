#include "TablePrinter.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace gh {

namespace {

// One line per row, whatever the server put in a value.
QString flatten(QString text)
{
    text.replace(QLatin1Char('\n'), QLatin1Char(' '));
    text.replace(QLatin1Char('\r'), QLatin1Char(' '));
    text.replace(QLatin1Char('\t'), QLatin1Char(' '));
    return text;
}

} // namespace

TablePrinter::TablePrinter(QStringList headers) : m_headers(std::move(headers)) {}

void TablePrinter::addRow(QStringList cells)
{
    while (cells.size() < m_headers.size())
        cells.append(QStringLiteral("-"));
    m_rows.append(std::move(cells));
}

QString TablePrinter::render() const
{
    QList<qsizetype> widths;
    for (const QString &h : m_headers)
        widths.append(h.size());
    for (const QStringList &row : m_rows) {
        for (qsizetype i = 0; i < widths.size() && i < row.size(); ++i)
            widths[i] = qMax(widths[i], row[i].size());
    }
    QString out;
    auto line = [&](const QStringList &cells) {
        QString l;
        for (qsizetype i = 0; i < widths.size(); ++i) {
            const QString c = i < cells.size() ? cells[i] : QString();
            l += (i + 1 < widths.size()) ? c.leftJustified(widths[i] + 3, QLatin1Char(' ')) : c;
        }
        while (l.endsWith(QLatin1Char(' ')))
            l.chop(1);
        out += l + QLatin1Char('\n');
    };
    line(m_headers);
    for (const QStringList &row : m_rows)
        line(row);
    return out;
}

QString TablePrinter::cell(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        return QStringLiteral("-");
    case QJsonValue::Bool:
        return value.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case QJsonValue::Double: {
        const double d = value.toDouble();
        if (d == double(qint64(d)))
            return QString::number(qint64(d));
        return QString::number(d);
    }
    case QJsonValue::String: {
        const QString s = value.toString();
        return s.isEmpty() ? QStringLiteral("-") : flatten(s);
    }
    case QJsonValue::Array: {
        QStringList parts;
        for (const QJsonValue &v : value.toArray())
            parts.append(cell(v));
        return parts.isEmpty() ? QStringLiteral("-") : parts.join(QLatin1Char(','));
    }
    case QJsonValue::Object:
        return flatten(QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact)));
    }
    return QStringLiteral("-");
}

QString TablePrinter::fromObjects(const QJsonArray &rows, const QStringList &preferredColumns)
{
    QStringList columns;
    for (const QString &c : preferredColumns) {
        for (const QJsonValue &row : rows) {
            if (row.toObject().contains(c)) {
                columns.append(c);
                break;
            }
        }
    }
    if (columns.isEmpty()) {
        columns = rows.isEmpty() ? preferredColumns : rows.first().toObject().keys();
    }
    QStringList headers;
    for (const QString &c : columns)
        headers.append(c.toUpper());
    TablePrinter table(headers);
    for (const QJsonValue &row : rows) {
        const QJsonObject o = row.toObject();
        QStringList cells;
        for (const QString &c : columns)
            cells.append(cell(o.value(c)));
        table.addRow(cells);
    }
    return table.render();
}

} // namespace gh
