#pragma once

#include <QString>

namespace gh {

// Routes Qt's message handler to one line per event on stderr: "<program>: <level>: <message>",
// with a UTC timestamp in front when stderr is a terminal or a file, and syslog priority prefixes
// ("<6>") when journald reads the stream, so `journalctl -p warning` works.
void installLogHandler(const QString &program);

// Minimum level to print: "debug", "info" (default), "warning", "error". Unknown names are ignored.
void setLogLevel(const QString &level);

} // namespace gh
