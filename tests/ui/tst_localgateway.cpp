// LocalGateway's start of this machine's gateway: through the systemd user unit when one is installed
// and systemctl takes the job, else the program itself, detached. systemctl is a stand-in script on
// PATH that records how it was called, so no real user manager is touched.
#include "LocalGateway.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

class tst_LocalGateway final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void noUnitStartsTheProgram();
    void installedUnitIsStartedThroughSystemctl();
    void failingSystemctlFallsBackToTheProgram();

private:
    void writeScript(const QString &path, const QByteArray &body);
    void installUnit();
    QString log() const;

    std::unique_ptr<QTemporaryDir> m_tmp;
    QString m_daemon;   // a stand-in gatehoused that records its arguments
};

void tst_LocalGateway::writeScript(const QString &path, const QByteArray &body)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write("#!/bin/sh\n" + body);
    f.close();
    QVERIFY(f.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
}

void tst_LocalGateway::init()
{
    m_tmp = std::make_unique<QTemporaryDir>();
    QVERIFY(m_tmp->isValid());
    qputenv("XDG_CONFIG_HOME", QFile::encodeName(m_tmp->filePath(QStringLiteral("config"))));
    qputenv("XDG_DATA_HOME", QFile::encodeName(m_tmp->filePath(QStringLiteral("data"))));
    QDir().mkpath(m_tmp->filePath(QStringLiteral("bin")));
    qputenv("PATH", QFile::encodeName(m_tmp->filePath(QStringLiteral("bin"))) + ":/usr/bin:/bin");
    m_daemon = m_tmp->filePath(QStringLiteral("gatehoused"));
    writeScript(m_daemon, "echo \"daemon $*\" >> " + QFile::encodeName(m_tmp->filePath(QStringLiteral("log"))) + "\n");
}

void tst_LocalGateway::installUnit()
{
    const QString dir = m_tmp->filePath(QStringLiteral("config/systemd/user"));
    QVERIFY(QDir().mkpath(dir));
    QFile unit(dir + QStringLiteral("/gatehoused.service"));
    QVERIFY(unit.open(QIODevice::WriteOnly));
    unit.write("[Service]\nExecStart=/usr/bin/gatehoused\n");
}

QString tst_LocalGateway::log() const
{
    QFile f(m_tmp->filePath(QStringLiteral("log")));
    return f.open(QIODevice::ReadOnly) ? QString::fromUtf8(f.readAll()).trimmed() : QString();
}

void tst_LocalGateway::noUnitStartsTheProgram()
{
    if (!gh::LocalGateway::userUnitPath().isEmpty())
        QSKIP("a gatehoused user unit is installed system-wide here");
    writeScript(m_tmp->filePath(QStringLiteral("bin/systemctl")), "echo \"systemctl $*\" >> " + QFile::encodeName(m_tmp->filePath(QStringLiteral("log"))) + "\n");
    gh::LocalGateway local;
    QCOMPARE(local.dataDir(), m_tmp->filePath(QStringLiteral("data/gatehouse")));
    QString error;
    QVERIFY2(local.startDaemon(m_daemon, &error), qPrintable(error));
    QCOMPARE(local.startedBy(), QStringLiteral("process"));
    QTRY_COMPARE(log(), QString(QStringLiteral("daemon --data-dir ") + local.dataDir()));
}

void tst_LocalGateway::installedUnitIsStartedThroughSystemctl()
{
    installUnit();
    QCOMPARE(gh::LocalGateway::userUnitPath(), m_tmp->filePath(QStringLiteral("config/systemd/user/gatehoused.service")));
    writeScript(m_tmp->filePath(QStringLiteral("bin/systemctl")), "echo \"systemctl $*\" >> " + QFile::encodeName(m_tmp->filePath(QStringLiteral("log"))) + "\n");
    gh::LocalGateway local;
    QString error;
    QVERIFY2(local.startDaemon(m_daemon, &error), qPrintable(error));
    QCOMPARE(local.startedBy(), QStringLiteral("systemd"));
    QCOMPARE(log(), QStringLiteral("systemctl --user start --no-block gatehoused.service"));

    // Another data dir than the unit's: the unit would run the wrong gateway, so the program is started.
    gh::LocalGateway other(m_tmp->filePath(QStringLiteral("elsewhere")));
    QVERIFY(other.startDaemon(m_daemon, &error));
    QCOMPARE(other.startedBy(), QStringLiteral("process"));
}

void tst_LocalGateway::failingSystemctlFallsBackToTheProgram()
{
    installUnit();
    writeScript(m_tmp->filePath(QStringLiteral("bin/systemctl")), "echo \"systemctl $*\" >> " + QFile::encodeName(m_tmp->filePath(QStringLiteral("log"))) + "\nexit 1\n");
    gh::LocalGateway local;
    QString error;
    QVERIFY2(local.startDaemon(m_daemon, &error), qPrintable(error));
    QCOMPARE(local.startedBy(), QStringLiteral("process"));
    QTRY_VERIFY(log().endsWith(QString(QStringLiteral("daemon --data-dir ") + local.dataDir())));
    QVERIFY(log().startsWith(QStringLiteral("systemctl --user start")));
}

QTEST_GUILESS_MAIN(tst_LocalGateway)
#include "tst_localgateway.moc"
