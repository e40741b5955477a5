#pragma once

#include <QByteArray>
#include <QProcess>
#include <QString>
#include <QStringList>

namespace gh::test {

// A finished curl run: exit code (-1: killed or timed out), stdout, stderr.
struct CurlResult {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

// Runs the real curl with -sS and `args`, waiting at most timeoutMs.
CurlResult curl(const QStringList &args, int timeoutMs = 60000);

// Waits until `p` (started) has finished, at most timeoutMs; true when it has. Unlike
// QProcess::waitForFinished(), also true when it finished earlier and an event loop (a request, a
// QTRY_ macro) already took note of it.
bool waitFinished(QProcess &p, int timeoutMs = 30000);

// A memory figure of a running process from /proc/PID/status ("VmRSS", "VmHWM"), in bytes; -1
// when it cannot be read.
qint64 processMemoryBytes(qint64 pid, const char *field);

// tests/support/upstream.py as a child process on 127.0.0.1; stopped when destroyed.
class TestUpstream final {
public:
    TestUpstream() = default;
    ~TestUpstream();
    // Starts it (with --log `logPath` when given) and waits for its port; false on failure.
    bool start(const QString &logPath = {}, const QStringList &extraArgs = {});
    quint16 port() const { return m_port; }
    QByteArray url() const { return "http://127.0.0.1:" + QByteArray::number(m_port); }
    // How many requests reached it (lines in its log).
    int requests() const;

private:
    QProcess m_process;
    QString m_log;
    quint16 m_port = 0;
};

} // namespace gh::test
