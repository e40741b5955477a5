#include "node/Logging.h"

#include <QByteArray>
#include <QDateTime>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace gh {

namespace {

QByteArray g_program = "gatehouse";
bool g_journald = false;
std::atomic<int> g_minLevel{1};   // 0 debug, 1 info, 2 warning, 3 error/fatal
std::mutex g_writeMutex;

int levelOf(QtMsgType type)
{
    switch (type) {
    case QtDebugMsg: return 0;
    case QtInfoMsg: return 1;
    case QtWarningMsg: return 2;
    case QtCriticalMsg:
    case QtFatalMsg: return 3;
    }
    return 1;
}

void handler(QtMsgType type, const QMessageLogContext &, const QString &message)
{
    const int level = levelOf(type);
    if (level < g_minLevel.load(std::memory_order_relaxed) && type != QtFatalMsg)
        return;
    static const char *const names[] = {"debug", "info", "warning", "error"};
    static const char *const priorities[] = {"<7>", "<6>", "<4>", "<3>"};

    QByteArray line;
    line.reserve(message.size() + 64);
    if (g_journald) {
        line += priorities[level];
    } else {
        line += QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs).toLatin1();
        line += ' ';
    }
    line += g_program;
    line += ": ";
    line += names[level];
    line += ": ";
    // One event, one line: a message never spans lines, whatever the caller passed.
    QByteArray text = message.toUtf8();
    text.replace('\n', "\\n").replace('\r', "\\r");
    line += text;
    line += '\n';
    {
        std::lock_guard lock(g_writeMutex);
        std::fwrite(line.constData(), 1, size_t(line.size()), stderr);
        std::fflush(stderr);
    }
    if (type == QtFatalMsg)
        std::abort();
}

} // namespace

void installLogHandler(const QString &program)
{
    g_program = program.toUtf8();
    g_journald = !qEnvironmentVariableIsEmpty("JOURNAL_STREAM");
    qInstallMessageHandler(handler);
}

void setLogLevel(const QString &level)
{
    static const char *const names[] = {"debug", "info", "warning", "error"};
    for (int i = 0; i < 4; ++i)
        if (level == QLatin1String(names[i]))
            g_minLevel.store(i);
}

} // namespace gh
