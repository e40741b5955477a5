#include "support/TestTools.h"

#include <QElapsedTimer>
#include <QFile>

namespace gh::test {

CurlResult curl(const QStringList &args, int timeoutMs)
{
    QProcess p;
    p.start(QStringLiteral("curl"), QStringList{QStringLiteral("-sS")} + args);
    CurlResult r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

bool waitFinished(QProcess &p, int timeoutMs)
{
    if (p.state() == QProcess::NotRunning)
        return p.error() != QProcess::FailedToStart;
    return p.waitForFinished(timeoutMs);
}

TestUpstream::~TestUpstream()
{
    if (m_process.state() != QProcess::NotRunning) {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
}

bool TestUpstream::start(const QString &logPath, const QStringList &extraArgs)
{
    const QString script = qEnvironmentVariable("GATEHOUSE_SOURCE_DIR") + QStringLiteral("/tests/support/upstream.py");
    if (!QFile::exists(script))
        return false;
    m_log = logPath;
    QStringList args{script};
    if (!logPath.isEmpty())
        args << QStringLiteral("--log") << logPath;
    m_process.start(QStringLiteral("python3"), args + extraArgs);
    if (!m_process.waitForStarted(5000))
        return false;
    QByteArray line;
    QElapsedTimer t;
    t.start();
    while (!line.contains('\n') && t.elapsed() < 10000) {
        m_process.waitForReadyRead(200);
        line += m_process.readAllStandardOutput();
    }
    if (!line.startsWith("PORT "))
        return false;
    m_port = quint16(line.mid(5).trimmed().toUInt());
    return m_port != 0;
}

int TestUpstream::requests() const
{
    QFile f(m_log);
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    return int(f.readAll().count('\n'));
}

qint64 processMemoryBytes(qint64 pid, const char *field)
{
    QFile f(QStringLiteral("/proc/%1/status").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray key = QByteArray(field) + ':';
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith(key))
            return line.mid(key.size()).trimmed().split(' ').value(0).toLongLong() * 1024;   // kB
    }
    return -1;
}

} // namespace gh::test
