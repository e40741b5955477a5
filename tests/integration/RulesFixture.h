#pragma once
// The gateway the rules tests run against: the real gatehoused in front of tests/support/upstream.py,
// with the connections and rules of issue 4, driven by curl and the real gatehousectl on 127.0.0.1.
#include "support/DaemonProcess.h"
#include "support/TestTools.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QProcess>
#include <QStringList>
#include <QTemporaryDir>

#include <memory>

// A curl answer taken apart: -i puts the status line and headers before the body.
struct Answer {
    int status = 0;
    QByteArray head;
    QByteArray body;
    QJsonObject json() const;
};

Answer parseAnswer(const gh::test::CurlResult &c);

class RulesFixture : public QObject {
protected:
    // Starts the gateway and applies the connections and rules; a failure fails the test case.
    void startGateway();
    Answer send(const QByteArray &token, const QString &path, const QStringList &extra = {});
    // curl's arguments to upload `body` as it is (written to a file of the test's own).
    QStringList upload(const QString &name, const QByteArray &body);
    bool apply(const QByteArray &toml);
    QByteArray issue(const char *subject, const char *groups);
    QJsonArray eventsOf(const QString &subject);
    // Alice's events of the request whose body holds `marker` (none until it is recorded), and the
    // data of the first of them of `kind`.
    QList<QJsonObject> requestEvents(const char *marker);
    QJsonObject eventOfRequest(const char *marker, QStringView kind);
    // A client whose request the gateway holds: curl runs in the background until decided.
    std::unique_ptr<QProcess> startHeld(const QByteArray &token, const QString &path, const QStringList &extra = {});
    static Answer finish(QProcess &curlProcess, int timeoutMs = 30000);
    // The approval pending for `path` (polled, since the client only just asked); empty if none came.
    QJsonObject waitForPending(const QString &path, int timeoutMs = 10000);
    QJsonObject approval(const QString &id);
    gh::test::DaemonProcess::CtlResult ctlAs(const QByteArray &token, const QStringList &args) const;

    QTemporaryDir m_tmp;
    gh::test::TestUpstream m_upstream;
    gh::test::DaemonProcess m_daemon;
    QByteArray m_alice;   // ml-eng
    QByteArray m_carol;   // ml-eng, interns
    QByteArray m_dave;    // security: an approver
    QByteArray m_erin;    // security: another approver
    QByteArray m_frank;   // ml-eng and security: may approve, but never his own requests
};
