#include "RulesFixture.h"

#include <QFile>
#include <QJsonDocument>
#include <QTest>

using gh::test::CurlResult;
using gh::test::DaemonProcess;
using gh::test::curl;

QJsonObject Answer::json() const
{
    return QJsonDocument::fromJson(body).object();
}

Answer parseAnswer(const CurlResult &c)
{
    Answer a;
    QByteArray out = c.out;
    // Skip interim 100 Continue answers.
    while (out.startsWith("HTTP/1.1 100")) {
        const qsizetype end = out.indexOf("\r\n\r\n");
        out = out.mid(end + 4);
    }
    const qsizetype end = out.indexOf("\r\n\r\n");
    a.head = out.left(end);
    a.body = end < 0 ? QByteArray() : out.mid(end + 4);
    if (a.head.startsWith("HTTP/1.1 "))
        a.status = a.head.mid(9, 3).toInt();
    return a;
}

void RulesFixture::startGateway()
{
    QVERIFY(m_tmp.isValid());
    QVERIFY(m_upstream.start(m_tmp.filePath(QStringLiteral("upstream.log"))));
    m_daemon.setExtraConfig("[proxy]\nrule_body_limit = \"64KiB\"\nmask_body_limit = \"16KiB\"\n");
    QVERIFY2(m_daemon.start(), qPrintable(m_daemon.error()));
    const QByteArray rules =
        "[[connection]]\n"
        "name = \"llm\"\ntype = \"http\"\nupstream = \"" + m_upstream.url() + "\"\nallow_groups = [\"ml-eng\"]\n\n"
        "[[rule]]\nname = \"no-weight-export\"\nkind = \"deny\"\nconnections = [\"llm\"]\n"
        "match = { method = \"GET\", path = \"^/v1/models/.*/weights\" }\n\n"
        "[[rule]]\nname = \"no-debug-header\"\nkind = \"deny\"\n"
        "match = { header = { X-Debug = \"(?i)^(1|true)$\" } }\n\n"
        "[[rule]]\nname = \"no-customer-dump\"\nkind = \"deny\"\n"
        "match = { method = \"POST\", body = \"(?i)select\\\\s+\\\\*\\\\s+from\\\\s+customers\" }\n\n"
        "[[rule]]\nname = \"interns-read-only\"\nkind = \"deny\"\ngroups = [\"interns\"]\n"
        "match = { method = \"DELETE|PUT\" }\n\n"
        "[[rule]]\nname = \"approve-fine-tune\"\nkind = \"approve\"\nconnections = [\"llm\"]\n"
        "match = { path = \"^/v1/fine-tunes\" }\napprovers = [\"security\"]\napprovals = 2\ntimeout = \"60s\"\n\n"
        "[[rule]]\nname = \"approve-export\"\nkind = \"approve\"\n"
        "match = { path = \"^/v1/export\" }\napprovers = [\"security\"]\njustification = true\ntimeout = \"60s\"\n\n"
        "[[rule]]\nname = \"approve-quick\"\nkind = \"approve\"\n"
        "match = { path = \"^/v1/quick\" }\napprovers = [\"security\"]\ntimeout = \"1s\"\n\n"
        "[[connection]]\nname = \"pii\"\ntype = \"http\"\nupstream = \"" + m_upstream.url() + "\"\nallow_groups = [\"ml-eng\"]\n\n"
        "[[rule]]\nname = \"mask-email\"\nkind = \"mask\"\nconnections = [\"pii\"]\ndetector = \"email\"\n\n"
        "[[rule]]\nname = \"mask-cards\"\nkind = \"mask\"\nconnections = [\"pii\"]\ndetector = \"credit_card\"\n\n"
        "[[rule]]\nname = \"mask-employee-ids\"\nkind = \"mask\"\nconnections = [\"pii\"]\n"
        "pattern = \"EMP-[0-9]{6}\"\nreplace = \"[EMPLOYEE]\"\n\n"
        "[[rule]]\nname = \"mask-ssn-field\"\nkind = \"mask\"\nconnections = [\"pii\"]\ndetector = \"us_ssn\"\njson_fields = [\"$.user.ssn\"]\n"
        "replace = \"[SSN]\"\n\n"
        "[[rule]]\nname = \"approve-pii-body\"\nkind = \"approve\"\nconnections = [\"pii\"]\n"
        "match = { body = \"approve-me\" }\napprovers = [\"security\"]\n";
    QVERIFY(apply(rules));
    m_alice = issue("alice", "ml-eng");
    m_carol = issue("carol", "ml-eng,interns");
    m_dave = issue("dave", "security");
    m_erin = issue("erin", "security");
    m_frank = issue("frank", "ml-eng,security");
    QVERIFY(!m_alice.isEmpty() && !m_carol.isEmpty() && !m_dave.isEmpty() && !m_erin.isEmpty() && !m_frank.isEmpty());
}

bool RulesFixture::apply(const QByteArray &toml)
{
    static int n = 0;
    const QString file = m_tmp.filePath(QStringLiteral("resources-%1.toml").arg(++n));
    QFile f(file);
    if (!f.open(QIODevice::WriteOnly) || f.write(toml) != toml.size())
        return false;
    f.close();
    const auto r = m_daemon.ctl({QStringLiteral("apply"), QStringLiteral("-f"), file});
    if (r.exitCode != 0)
        qWarning("apply failed: %s", r.err.constData());
    return r.exitCode == 0;
}

QByteArray RulesFixture::issue(const char *subject, const char *groups)
{
    const auto r = m_daemon.ctl({QStringLiteral("token"), QStringLiteral("issue"), QStringLiteral("--subject"),
                                 QLatin1String(subject), QStringLiteral("--groups"), QLatin1String(groups)});
    return r.exitCode == 0 ? r.out.trimmed() : QByteArray();
}

QStringList RulesFixture::upload(const QString &name, const QByteArray &body)
{
    const QString file = m_tmp.filePath(name);
    QFile f(file);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(body) != body.size())
        QTest::qFail(qPrintable(QStringLiteral("cannot write ") + file), __FILE__, __LINE__);
    return {QStringLiteral("--data-binary"), QLatin1Char('@') + file};
}

Answer RulesFixture::send(const QByteArray &token, const QString &path, const QStringList &extra)
{
    return parseAnswer(curl(QStringList{QStringLiteral("-i"), QStringLiteral("-H"),
                                  QStringLiteral("Authorization: Bearer ") + QString::fromLatin1(token)}
                      + extra + QStringList{m_daemon.proxyUrl() + path}));
}

QList<QJsonObject> RulesFixture::requestEvents(const char *marker)
{
    QList<QJsonObject> out;
    QString requestId;
    for (const QJsonValue &v : eventsOf(QStringLiteral("alice"))) {
        const QJsonObject e = v.toObject();
        const QJsonObject data = e.value(QStringLiteral("data")).toObject();
        if (requestId.isEmpty() && e.value(QStringLiteral("kind")).toString() == u"http.request"
            && data.value(QStringLiteral("body")).toString().contains(QLatin1String(marker)))
            requestId = data.value(QStringLiteral("request_id")).toString();
        if (!requestId.isEmpty() && data.value(QStringLiteral("request_id")).toString() == requestId)
            out.append(e);
    }
    return out;
}

QJsonObject RulesFixture::eventOfRequest(const char *marker, QStringView kind)
{
    for (const QJsonObject &e : requestEvents(marker))
        if (e.value(QStringLiteral("kind")).toString() == kind)
            return e.value(QStringLiteral("data")).toObject();
    return {};
}

QJsonArray RulesFixture::eventsOf(const QString &subject)
{
    QJsonArray all;
    const auto list = m_daemon.ctl({QStringLiteral("get"), QStringLiteral("sessions"), QStringLiteral("--subject"),
                                    subject, QStringLiteral("-o"), QStringLiteral("json")});
    for (const QJsonValue &s : QJsonDocument::fromJson(list.out).array()) {
        const QString id = s.toObject().value(QStringLiteral("id")).toString();
        const auto events = m_daemon.ctl({QStringLiteral("sessions"), QStringLiteral("export"), id});
        for (const QByteArray &line : events.out.split('\n'))
            if (!line.trimmed().isEmpty())
                all.append(QJsonDocument::fromJson(line).object());
    }
    return all;
}

DaemonProcess::CtlResult RulesFixture::ctlAs(const QByteArray &token, const QStringList &args) const
{
    return m_daemon.ctl(QStringList{QStringLiteral("--server"), m_daemon.adminUrl(), QStringLiteral("--token"),
                                    QString::fromLatin1(token)}
                            + args,
                        true);
}

std::unique_ptr<QProcess> RulesFixture::startHeld(const QByteArray &token, const QString &path, const QStringList &extra)
{
    auto p = std::make_unique<QProcess>();
    p->start(QStringLiteral("curl"), QStringList{QStringLiteral("-sS"), QStringLiteral("-i"), QStringLiteral("-H"),
                                                 QStringLiteral("Authorization: Bearer ") + QString::fromLatin1(token)}
                                         + extra + QStringList{m_daemon.proxyUrl() + path});
    p->waitForStarted(5000);
    return p;
}

Answer RulesFixture::finish(QProcess &curlProcess, int timeoutMs)
{
    CurlResult r;
    if (gh::test::waitFinished(curlProcess, timeoutMs)) {
        r.exitCode = curlProcess.exitCode();
        r.out = curlProcess.readAllStandardOutput();
        r.err = curlProcess.readAllStandardError();
    }
    return parseAnswer(r);
}

QJsonObject RulesFixture::waitForPending(const QString &path, int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < timeoutMs) {
        const auto r = m_daemon.ctl({QStringLiteral("get"), QStringLiteral("approvals"), QStringLiteral("--state"),
                                     QStringLiteral("pending"), QStringLiteral("-o"), QStringLiteral("json")});
        for (const QJsonValue &v : QJsonDocument::fromJson(r.out).array())
            if (v.toObject().value(QStringLiteral("path")).toString() == path)
                return v.toObject();
        QTest::qWait(50);
    }
    return {};
}

QJsonObject RulesFixture::approval(const QString &id)
{
    const auto r = m_daemon.request("GET", QStringLiteral("/api/v1/approvals/") + id, m_daemon.adminToken());
    return r.json().object();
}
