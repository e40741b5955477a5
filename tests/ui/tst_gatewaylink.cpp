#include "GatewayLink.h"
#include "LocalGateway.h"
#include "admin/AdminClient.h"

#include <QFile>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <csignal>
#include <sys/types.h>

using namespace std::chrono_literals;

using State = gh::GatewayLink::State;

class tst_GatewayLink final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        m_dataDir = m_dir->path() + QLatin1String("/gatehouse");
        // Port 1 never answers on loopback: a real gatehoused on the default 8700 must not interfere.
        QVERIFY(QDir().mkpath(m_dataDir));
        QFile url(m_dataDir + QLatin1String("/admin.url"));
        QVERIFY(url.open(QIODevice::WriteOnly));
        url.write("http://127.0.0.1:1\n");
    }

    void cleanup()
    {
        // The fake daemon was started detached, as the real one is: stop it by the pid it wrote.
        QFile pidFile(m_dataDir + QLatin1String("/gatehoused.pid"));
        if (pidFile.open(QIODevice::ReadOnly)) {
            const pid_t pid = pid_t(pidFile.readAll().trimmed().toLongLong());
            if (pid > 0)
                ::kill(pid, SIGTERM);
        }
    }

    void readsWhatTheDaemonPublishes()
    {
        gh::LocalGateway local(m_dataDir);
        QCOMPARE(local.adminUrl(), QUrl(QStringLiteral("http://127.0.0.1:1")));
        QFile::remove(m_dataDir + QLatin1String("/admin.url"));
        // Before its first start the daemon has written nothing: the default address applies.
        QCOMPARE(local.adminUrl(), gh::LocalGateway::defaultAdminUrl());
        QVERIFY(local.adminToken().isEmpty());
        QFile token(m_dataDir + QLatin1String("/admin.token"));
        QVERIFY(token.open(QIODevice::WriteOnly));
        token.write("s3cret\n");
        token.close();
        QCOMPARE(local.adminToken(), QStringLiteral("s3cret"));
    }

    void startsTheLocalGatewayWhenNothingAnswers()
    {
        const QString python = QStandardPaths::findExecutable(QStringLiteral("python3"));
        if (python.isEmpty())
            QSKIP("python3 is needed for the stand-in daemon");

        gh::LocalGateway local(m_dataDir);
        QVERIFY(local.adminToken().isEmpty());

        gh::GatewayLink link;
        QList<State> states;
        connect(&link, &gh::GatewayLink::stateChanged, this, [&states](State s) {
            if (states.isEmpty() || states.constLast() != s)
                states.append(s);
        });
        link.setProbeInterval(100ms);

        link.attachLocal(local, QStringLiteral(FAKE_DAEMON));
        QTRY_COMPARE_WITH_TIMEOUT(link.state(), State::Connected, 15000);
        QVERIFY(states.contains(State::Starting));
        QCOMPARE(states.constLast(), State::Connected);
        // The data dir holds the daemon's secrets; nobody else may list it.
        QCOMPARE(QFile::permissions(m_dataDir) & (QFile::ReadGroup | QFile::ReadOther), QFileDevice::Permissions());

        // Connected where the daemon said, with the token it wrote.
        QCOMPARE(link.server(), local.adminUrl());
        QVERIFY(link.server().port() != 1);
        int status = 0;
        QByteArray body;
        link.get(QStringLiteral("/api/v1/connections"), [&](const gh::AdminReply &reply) {
            status = reply.status;
            body = reply.body;
        });
        QTRY_COMPARE(status, 200);
        QVERIFY(body.contains("local-llm"));
    }

    void saysSoWhenThereIsNoDaemonToStart()
    {
        gh::GatewayLink link;
        link.setProbeInterval(100ms);

        link.attachLocal(gh::LocalGateway(m_dataDir), QString());
        QTRY_COMPARE(link.state(), State::Unreachable);
        QCOMPARE(link.describe(),
                 QStringLiteral("http://127.0.0.1:1 unreachable, retrying (no gatehoused found to start)"));
    }

    void givesUpWaitingForADaemonThatNeverAnswers()
    {
        gh::GatewayLink link;
        link.setProbeInterval(100ms);
        link.setStartTimeout(500ms);

        link.attachLocal(gh::LocalGateway(m_dataDir), QStandardPaths::findExecutable(QStringLiteral("true")));
        QTRY_COMPARE(link.state(), State::Starting);
        QTRY_COMPARE(link.state(), State::Unreachable);
        QVERIFY(link.problem().contains(m_dataDir + QLatin1String("/gatehoused.log")));
    }

    void neverStartsADaemonForARemoteGateway()
    {
        gh::GatewayLink link;
        link.setProbeInterval(100ms);
        QList<State> states;
        connect(&link, &gh::GatewayLink::stateChanged, this, [&states](State s) { states.append(s); });
        link.attachRemote(QUrl(QStringLiteral("http://127.0.0.1:1")), QStringLiteral("t"));
        QTRY_COMPARE(link.state(), State::Unreachable);
        QVERIFY(!states.contains(State::Starting));
    }

private:
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_dataDir;
};

QTEST_GUILESS_MAIN(tst_GatewayLink)
#include "tst_gatewaylink.moc"
