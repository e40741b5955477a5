#pragma once

// A real gatehoused with an approve rule in front of tests/support/upstream.py, the tokens of a
// requester (alice) and an approver (rita), and held curl requests: shared by the approvals GUI tests.

#include "support/DaemonProcess.h"
#include "support/TestTools.h"

#include <QDeadlineTimer>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

namespace gh::test {

class ApprovalsTestGateway final {
public:
    bool start(QString *why)
    {
        if (!m_tmp.isValid() || !m_upstream.start(m_tmp.filePath(QStringLiteral("upstream.log")))) {
            *why = QStringLiteral("the test upstream did not start");
            return false;
        }
        if (!m_daemon.start()) {
            *why = m_daemon.error();
            return false;
        }
        const QByteArray rules =
            "[[connection]]\nname = \"llm\"\ntype = \"http\"\nupstream = \"" + m_upstream.url()
            + "\"\nallow_groups = [\"ml-eng\", \"security\"]\n\n"
              "[[rule]]\nname = \"approve-hold\"\nkind = \"approve\"\nconnections = [\"llm\"]\n"
              "match = { path = \"^/v1/hold\" }\napprovers = [\"security\"]\ntimeout = \"120s\"\n";
        if (const QString failed = m_daemon.applyResources(rules); !failed.isEmpty()) {
            *why = failed;
            return false;
        }
        alice = m_daemon.issueToken(QStringLiteral("alice"), QStringLiteral("ml-eng"));
        rita = m_daemon.issueToken(QStringLiteral("rita"), QStringLiteral("security"));
        if (alice.isEmpty() || rita.isEmpty()) {
            *why = QStringLiteral("gatehousectl token issue failed");
            return false;
        }
        return true;
    }

    DaemonProcess &daemon() { return m_daemon; }
    int upstreamRequests() const { return m_upstream.requests(); }

    // curl through the proxy as `token`; it waits while the request is held.
    std::unique_ptr<QProcess> startHeld(const QByteArray &token, const QString &path)
    {
        auto p = std::make_unique<QProcess>();
        p->start(QStringLiteral("curl"),
                 {QStringLiteral("-sS"), QStringLiteral("-w"), QStringLiteral("\n%{http_code}"), QStringLiteral("-H"),
                  QStringLiteral("Authorization: Bearer ") + QString::fromLatin1(token), m_daemon.proxyUrl() + path});
        p->waitForStarted(5000);
        return p;
    }

    struct Answer {
        int status = 0;
        QJsonObject json;
    };
    // Waits for curl while the event loop runs: the UI's decision goes out from this thread.
    static Answer finish(QProcess &p, int timeoutMs = 30000)
    {
        Answer a;
        QDeadlineTimer deadline(timeoutMs);
        while (p.state() != QProcess::NotRunning && !deadline.hasExpired())
            QTest::qWait(20);
        if (p.state() != QProcess::NotRunning)
            return a;
        QByteArray out = p.readAllStandardOutput();
        const qsizetype nl = out.lastIndexOf('\n');
        a.status = out.mid(nl + 1).trimmed().toInt();
        a.json = QJsonDocument::fromJson(out.left(nl)).object();
        return a;
    }

    QByteArray alice;   // ml-eng: may use the connection
    QByteArray rita;    // security: decides the rule's approvals (and may use the connection)

private:
    QTemporaryDir m_tmp;
    TestUpstream m_upstream;
    DaemonProcess m_daemon;
};

} // namespace gh::test
