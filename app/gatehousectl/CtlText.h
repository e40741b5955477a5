#pragma once

#include <QString>

// Small text helpers gatehousectl's commands share.
namespace gh::ctl {

// `s` percent-encoded as one path segment of an admin API URL.
QString segment(const QString &s);
// A server message on one line whatever it holds.
QString oneLine(QString s);
// On one line, cut to `max` characters with an ellipsis.
QString abbreviate(QString text, qsizetype max);

} // namespace gh::ctl
