#pragma once

// A real gatehoused in front of tests/support/upstream.py with three recorded sessions by alice:
// two allowed requests, one refused by a deny rule, one response with an email masked. Shared by
// the sessions API, sessions page and replay view tests.

#include "support/DaemonProcess.h"
#include "support/TestTools.h"

#include <QDeadlineTimer>
#include <QJsonArray>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

namespace gh::test {

class SessionsTestGateway final {
public:
    bool start(QString *why)
    {
        if (!m_tmp.isValid() || !m_upstream.start(m_tmp.filePath(QStringLiteral("upstream.log")))) {
            *why = QStringLiteral("the test upstream did not start");
            return false;
        }
        m_daemon.setExtraConfig("[roles]\nadmin = [\"gatehouse-admins\"]\nauditor = [\"auditors\"]\n");
        if (!m_daemon.start()) {
            *why = m_daemon.error();
            return false;
        }
        const QByteArray rules =
            "[[connection]]\nname = \"llm\"\ntype = \"http\"\nupstream = \"" + m_upstream.url()
            + "\"\nallow_groups = [\"ml-eng\"]\n\n"
              "[[connection]]\nname = \"pii\"\ntype = \"http\"\nupstream = \"" + m_upstream.url()
            + "\"\nallow_groups = [\"ml-eng\"]\n\n"
              "[[rule]]\nname = \"no-secrets\"\nkind = \"deny\"\nconnections = [\"llm\"]\n"
              "match = { path = \"^/v1/secret\" }\n\n"
              "[[rule]]\nname = \"mask-email\"\nkind = \"mask\"\nconnections = [\"pii\"]\ndetector = \"email\"\n";
        if (const QString failed = m_daemon.applyResources(rules); !failed.isEmpty()) {
            *why = failed;
            return false;
        }
        alice = m_daemon.issueToken(QStringLiteral("alice"), QStringLiteral("ml-eng"));
        audrey = m_daemon.issueToken(QStringLiteral("audrey"), QStringLiteral("auditors"));
        rita = m_daemon.issueToken(QStringLiteral("rita"), QStringLiteral("ml-eng"));
        if (alice.isEmpty() || audrey.isEmpty() || rita.isEmpty()) {
            *why = QStringLiteral("gatehousectl token issue failed");
            return false;
        }
        // Three client connections, so three sessions, oldest first.
        const QString proxy = m_daemon.proxyUrl();
        const QString auth = QStringLiteral("Authorization: Bearer ") + QString::fromLatin1(alice);
        auto run = [&](const QStringList &args) {
            const CurlResult r = curl(QStringList{QStringLiteral("-H"), auth} + args);
            return r.exitCode == 0;
        };
        if (!run({proxy + QStringLiteral("/llm/v1/models"), proxy + QStringLiteral("/llm/v1/models?page=2")})) {
            *why = QStringLiteral("curl through the proxy failed");
            return false;
        }
        QThread::msleep(20);
        run({proxy + QStringLiteral("/llm/v1/secret")});   // refused 403 by no-secrets
        QThread::msleep(20);
        run({QStringLiteral("-H"), QStringLiteral("Content-Type: application/json"), QStringLiteral("--data-binary"),
             QStringLiteral("{\"user\":\"bob@example.com\",\"note\":\"hello\"}"),
             proxy + QStringLiteral("/pii/reflect?type=application/json")});
        // Sessions end when their connections close; wait until all three are listed as ended.
        QDeadlineTimer deadline(15000);
        while (!deadline.hasExpired()) {
            const QJsonArray list = m_daemon.request("GET", QStringLiteral("/api/v1/sessions"), m_daemon.adminToken()).json().array();
            int ended = 0;
            for (const QJsonValue &s : list)
                ended += s.toObject().value(QLatin1String("ended_at")).isString() ? 1 : 0;
            if (list.size() == 3 && ended == 3) {
                sessions = list;   // newest first: masked, denied, allowed
                return true;
            }
            QTest::qWait(100);
        }
        *why = QStringLiteral("the three sessions were not recorded");
        return false;
    }

    DaemonProcess &daemon() { return m_daemon; }
    QByteArray admin() const { return m_daemon.adminToken(); }
    QString id(int newestFirst) const { return sessions.at(newestFirst).toObject().value(QLatin1String("id")).toString(); }
    QString maskedId() const { return id(0); }
    QString deniedId() const { return id(1); }
    QString allowedId() const { return id(2); }

    QByteArray alice;    // ml-eng: uses the connections
    QByteArray audrey;   // auditors: may read sessions
    QByteArray rita;     // ml-eng only: may not
    QJsonArray sessions;

private:
    QTemporaryDir m_tmp;
    TestUpstream m_upstream;
    DaemonProcess m_daemon;
};

} // namespace gh::test
