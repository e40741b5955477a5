// The overview page against a real gatehoused, offscreen: the empty state's "Start the demo" sets up
// the demo through the admin API (launching the real demo upstream), a masked answer then shows in the
// counts, a held request in the pending list (clicking it asks for the approvals inbox), a refusal in
// the latest-refusals table; a token that may not read statistics gets the server's message inline.
#include "GatewayLink.h"
#include "admin/AdminClient.h"
#include "overview/DemoLauncher.h"
#include "overview/OverviewPage.h"
#include "support/DaemonProcess.h"
#include "support/TestTools.h"

#include <QChartView>
#include <QComboBox>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>
#include <QLabel>
#include <QLineSeries>
#include <QListWidget>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QStackedWidget>
#include <QTableWidget>
#include <QTextEdit>
#include <QtTest>

#include <csignal>
#include <sys/types.h>

using namespace std::chrono_literals;
using gh::test::curl;
using gh::test::DaemonProcess;

class tst_OverviewPage final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void emptyGatewayOffersTheDemo();
    void startTheDemoSetsItUp();
    void maskedAnswerShowsInTheCounts();
    void heldRequestIsListedAndOpensTheInbox();
    void refusalShowsInTheTable();
    void connectionSelectorNarrowsTheChart();
    void forbiddenTokenSeesTheServerMessage();

private:
    template <typename T>
    T *child(const char *name) { return m_page->findChild<T *>(QLatin1String(name)); }
    QByteArray demoToken() const;
    QString totals() { return child<QLabel>("overviewTotals")->text(); }

    DaemonProcess m_daemon;
    std::unique_ptr<gh::GatewayLink> m_link;
    std::unique_ptr<gh::OverviewPage> m_page;
    std::unique_ptr<QProcess> m_held;
    QString m_demoProgram;
    qint64 m_demoPid = 0;
};

void tst_OverviewPage::initTestCase()
{
    m_daemon.setExtraConfig("[roles]\nadmin = [\"gatehouse-admins\"]\nauditor = [\"auditors\"]\n");
    QVERIFY2(m_daemon.start(), qPrintable(m_daemon.error()));
    m_demoProgram = QFileInfo(gh::test::builtProgram(QStringLiteral("gatehoused"))).absolutePath()
        + QStringLiteral("/gatehouse-demo-upstream");
    QVERIFY2(QFileInfo(m_demoProgram).isExecutable(), qPrintable(m_demoProgram));
    // The demo upstream writes its port file under the runtime dir: keep this run's apart.
    qputenv("XDG_RUNTIME_DIR", QFile::encodeName(m_daemon.dataDir()));

    m_link = std::make_unique<gh::GatewayLink>();
    m_link->setProbeInterval(200ms);
    m_link->attachRemote(QUrl(m_daemon.adminUrl()), QString::fromLatin1(m_daemon.adminToken()));
    m_page = std::make_unique<gh::OverviewPage>(m_link.get());
    m_page->demoLauncher()->setProgram(m_demoProgram);
    m_page->demoLauncher()->setDataDir(m_daemon.dataDir());
    m_page->resize(1000, 700);
    m_page->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_page.get()));
}

void tst_OverviewPage::cleanupTestCase()
{
    if (m_held) {
        m_held->kill();
        m_held->waitForFinished();
    }
    m_demoPid = m_page->demoLauncher()->upstreamPid();
    m_page.reset();
    m_link.reset();
    m_daemon.stop();
    // The demo upstream was started detached, as the app does: stop it by its pid.
    if (m_demoPid > 0)
        ::kill(pid_t(m_demoPid), SIGTERM);
}

QByteArray tst_OverviewPage::demoToken() const
{
    const auto issued = m_daemon.ctl({QStringLiteral("token"), QStringLiteral("issue"), QStringLiteral("--subject"),
                                      QStringLiteral("newcomer"), QStringLiteral("--groups"), QStringLiteral("demo-users")});
    return issued.out.trimmed();
}

void tst_OverviewPage::emptyGatewayOffersTheDemo()
{
    auto *stack = child<QStackedWidget>("overviewStack");
    QTRY_COMPARE_WITH_TIMEOUT(stack->currentWidget()->objectName(), QStringLiteral("overviewEmpty"), 10000);
    QVERIFY(child<QPushButton>("overviewStartDemo")->isVisible());
    QVERIFY(!child<QLabel>("overviewError")->isVisible());
}

void tst_OverviewPage::startTheDemoSetsItUp()
{
    QSignalSpy done(m_page->demoLauncher(), &gh::DemoLauncher::finished);
    QTest::mouseClick(child<QPushButton>("overviewStartDemo"), Qt::LeftButton);
    QVERIFY(done.wait(15000));
    QVERIFY2(done.at(0).at(0).toBool(), qPrintable(done.at(0).at(1).toString()));

    // The gateway now has the demo connection and its two rules.
    const auto connection = m_daemon.request("GET", QStringLiteral("/api/v1/connections/demo"), m_daemon.adminToken());
    QCOMPARE(connection.status, 200);
    QVERIFY(connection.json().object().value(QStringLiteral("upstream")).toString().startsWith(QStringLiteral("http://127.0.0.1:")));
    QCOMPARE(m_daemon.request("GET", QStringLiteral("/api/v1/rules/demo-mask-cards"), m_daemon.adminToken()).status, 200);
    QCOMPARE(m_daemon.request("GET", QStringLiteral("/api/v1/rules/demo-approve-fine-tunes"), m_daemon.adminToken()).status, 200);

    // The page leaves its empty state and shows what to try, with a working token.
    auto *stack = child<QStackedWidget>("overviewStack");
    QTRY_COMPARE_WITH_TIMEOUT(stack->currentWidget()->objectName(), QStringLiteral("overviewContent"), 10000);
    auto *help = child<QTextEdit>("overviewDemoHelp");
    QVERIFY(help->isVisible());
    const QString text = help->toPlainText();
    QVERIFY2(text.contains(m_daemon.proxyUrl() + QStringLiteral("/demo/v1/chat/completions")), qPrintable(text));
    QVERIFY(text.contains(QStringLiteral("/demo/v1/fine-tunes")));
    QVERIFY(text.contains(QStringLiteral("gatehousectl approve")));
    const QString token = QRegularExpression(QStringLiteral("Bearer ([A-Za-z0-9_.\\-]+)")).match(text).captured(1);
    QVERIFY(!token.isEmpty());
    QCOMPARE(m_daemon.request("GET", QStringLiteral("/api/v1/whoami"), token.toLatin1()).json().object()
                 .value(QStringLiteral("groups")).toArray().at(0).toString(), QStringLiteral("demo-users"));
    QTRY_VERIFY(child<QComboBox>("overviewConnection")->findText(QStringLiteral("demo")) > 0);
}

void tst_OverviewPage::maskedAnswerShowsInTheCounts()
{
    const auto r = curl({QStringLiteral("-H"), QString(QStringLiteral("Authorization: Bearer ") + QString::fromLatin1(demoToken())),
                         QStringLiteral("-H"), QStringLiteral("Content-Type: application/json"), QStringLiteral("-d"),
                         QStringLiteral("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"),
                         m_daemon.proxyUrl() + QStringLiteral("/demo/v1/chat/completions")});
    QVERIFY2(r.out.contains("[CARD]") && !r.out.contains("4111"), r.out.constData());
    // No reload by hand: the live event stream refreshes the page.
    QTRY_VERIFY_WITH_TIMEOUT(totals().contains(QStringLiteral("Requests: 1 ")), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(totals().contains(QStringLiteral("Masked values: 2")), 10000);
    // The chart draws the same: the requests series peaks at 1.
    auto *view = child<QChartView>("overviewChart");
    const auto series = view->chart()->series();
    QCOMPARE(series.size(), 4);
    auto *requests = qobject_cast<QLineSeries *>(series.at(0));
    QVERIFY(requests);
    double peak = 0;
    for (const QPointF &p : requests->points())
        peak = qMax(peak, p.y());
    QCOMPARE(peak, 1.0);
}

void tst_OverviewPage::heldRequestIsListedAndOpensTheInbox()
{
    m_held = std::make_unique<QProcess>();
    m_held->start(QStringLiteral("curl"), {QStringLiteral("-sS"), QStringLiteral("-H"),
                                           QString(QStringLiteral("Authorization: Bearer ") + QString::fromLatin1(demoToken())),
                                           QStringLiteral("-d"), QStringLiteral("{}"),
                                           m_daemon.proxyUrl() + QStringLiteral("/demo/v1/fine-tunes")});
    auto *list = child<QListWidget>("overviewPending");
    QTRY_VERIFY_WITH_TIMEOUT(list->count() == 1 && !list->item(0)->data(Qt::UserRole).toString().isEmpty(), 10000);
    QVERIFY2(list->item(0)->text().contains(QStringLiteral("POST /v1/fine-tunes on demo by newcomer")), qPrintable(list->item(0)->text()));
    const QString id = m_daemon.request("GET", QStringLiteral("/api/v1/approvals?state=pending"), m_daemon.adminToken())
                           .json().array().at(0).toObject().value(QStringLiteral("id")).toString();
    QCOMPARE(list->item(0)->data(Qt::UserRole).toString(), id);
    QTRY_VERIFY(totals().contains(QStringLiteral("Held for approval: 1")));

    QSignalSpy requested(m_page.get(), &gh::OverviewPage::approvalRequested);
    QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, list->visualItemRect(list->item(0)).center());
    QCOMPARE(requested.size(), 1);
    QCOMPARE(requested.at(0).at(0).toString(), id);

    // Decided elsewhere, it leaves the list.
    QCOMPARE(m_daemon.ctl({QStringLiteral("approve"), id}).exitCode, 0);
    QVERIFY(gh::test::waitFinished(*m_held, 10000));
    QTRY_VERIFY_WITH_TIMEOUT(list->count() == 1 && list->item(0)->data(Qt::UserRole).toString().isEmpty(), 10000);
}

void tst_OverviewPage::refusalShowsInTheTable()
{
    const auto r = curl({QStringLiteral("-o"), QStringLiteral("/dev/null"), QStringLiteral("-w"), QStringLiteral("%{http_code}"),
                         m_daemon.proxyUrl() + QStringLiteral("/demo/v1/models?who=nobody")});
    QCOMPARE(r.out, QByteArray("401"));
    auto *table = child<QTableWidget>("overviewDenials");
    QTRY_COMPARE_WITH_TIMEOUT(table->rowCount(), 1, 10000);
    QCOMPARE(table->item(0, 1)->text(), QStringLiteral("demo"));
    QCOMPARE(table->item(0, 2)->text(), QStringLiteral("anonymous"));
    QCOMPARE(table->item(0, 4)->text(), QStringLiteral("GET"));
    QVERIFY(table->item(0, 5)->text().contains(QStringLiteral("/v1/models")));
    QVERIFY(table->item(0, 6)->text().startsWith(QStringLiteral("401")));
    QTRY_VERIFY(totals().contains(QStringLiteral("Refusals: 1 ")));
}

void tst_OverviewPage::connectionSelectorNarrowsTheChart()
{
    // A second, quiet connection: choosing it shows its zeros, "All" the demo's traffic again.
    const auto put = m_daemon.request("PUT", QStringLiteral("/api/v1/connections/quiet"), m_daemon.adminToken(),
                                      "{\"name\":\"quiet\",\"type\":\"http\",\"upstream\":\"http://127.0.0.1:9\",\"allow_groups\":[\"x\"]}");
    QVERIFY2(put.status == 200 || put.status == 201, put.body.constData());
    auto *combo = child<QComboBox>("overviewConnection");
    QTRY_VERIFY_WITH_TIMEOUT(combo->findText(QStringLiteral("quiet")) > 0, 10000);
    combo->setCurrentIndex(combo->findText(QStringLiteral("quiet")));
    QVERIFY2(totals().startsWith(QStringLiteral("Requests: 0 ")), qPrintable(totals()));
    combo->setCurrentIndex(combo->findText(QStringLiteral("demo")));
    QVERIFY(totals().startsWith(QStringLiteral("Requests: 2 ")));
    // The choice survives a reload.
    QSignalSpy reloaded(m_page.get(), &gh::OverviewPage::reloaded);
    m_page->reload();
    QVERIFY(reloaded.wait(10000));
    QCOMPARE(combo->currentText(), QStringLiteral("demo"));
    combo->setCurrentIndex(0);
}

void tst_OverviewPage::forbiddenTokenSeesTheServerMessage()
{
    m_link->attachRemote(QUrl(m_daemon.adminUrl()), QString::fromLatin1(demoToken()));
    auto *error = child<QLabel>("overviewError");
    QTRY_VERIFY_WITH_TIMEOUT(error->isVisible(), 10000);
    QVERIFY2(error->text().contains(QStringLiteral("does not allow reading statistics")), qPrintable(error->text()));
}

QTEST_MAIN(tst_OverviewPage)
#include "tst_overviewpage.moc"
