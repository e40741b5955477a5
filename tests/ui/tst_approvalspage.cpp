#include "ApprovalsTestGateway.h"
#include "GatewayLink.h"
#include "MainWindow.h"
#include "approvals/ApprovalsModel.h"
#include "approvals/ApprovalsPage.h"
#include "approvals/ApprovalsTray.h"
#include "approvals/GrantsModel.h"
#include "admin/AdminClient.h"

#include <QAction>
#include <QApplication>
#include <QJsonDocument>
#include <QInputDialog>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QToolButton>
#include <QtTest>

using namespace std::chrono_literals;
using gh::test::ApprovalsTestGateway;

namespace {

QString label(QWidget *page, const char *name)
{
    return page->findChild<QLabel *>(QLatin1String(name))->text();
}

// Answers the next modal input dialog as a user would: types `text` and presses OK.
void answerNextDialog(const QString &text)
{
    auto *timer = new QTimer(qApp);
    timer->setInterval(20);
    QObject::connect(timer, &QTimer::timeout, timer, [timer, text] {
        if (auto *dialog = qobject_cast<QInputDialog *>(QApplication::activeModalWidget())) {
            timer->stop();
            timer->deleteLater();
            dialog->setTextValue(text);
            dialog->accept();
        }
    });
    timer->start();
}

} // namespace

class tst_ApprovalsPage final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QString why;
        QVERIFY2(m_gateway.start(&why), qPrintable(why));
        m_window = std::make_unique<gh::MainWindow>();
        m_window->link()->setProbeInterval(200ms);
        // The desktop user here is rita, an approver of the rule.
        m_window->link()->attachRemote(QUrl(m_gateway.daemon().adminUrl()), QString::fromLatin1(m_gateway.rita));
        m_window->show();
        m_page = m_window->approvalsPage();
        m_window->findChild<QTabWidget *>()->setCurrentWidget(m_page);
        QTRY_VERIFY_WITH_TIMEOUT(m_page->model()->isLive(), 10000);
    }
    void cleanupTestCase()
    {
        m_window.reset();
        QCOMPARE(m_gateway.daemon().stop(), 0);
    }

    void theInboxIsATabOfTheWindow()
    {
        auto *tabs = m_window->findChild<QTabWidget *>();
        QCOMPARE(tabs->tabText(tabs->indexOf(m_page)), QStringLiteral("&Approvals"));
        QCOMPARE(m_page->view()->model()->headerData(gh::ApprovalsModel::TimeLeft, Qt::Horizontal).toString(),
                 QStringLiteral("Time left"));
    }

    void approveOnceFromTheInbox()
    {
        const int before = m_gateway.upstreamRequests();
        auto curl = m_gateway.startHeld(m_gateway.alice, QStringLiteral("/llm/v1/hold/once?x=1"));
        QTRY_COMPARE_WITH_TIMEOUT(m_page->model()->rowCount(), 1, 10000);
        QCOMPARE(curl->state(), QProcess::Running);   // held, waiting for rita
        QTableView *table = m_page->view();
        QCOMPARE(table->model()->index(0, gh::ApprovalsModel::Requester).data().toString(), QStringLiteral("alice"));
        QCOMPARE(table->model()->index(0, gh::ApprovalsModel::Request).data().toString(),
                 QStringLiteral("GET /v1/hold/once?x=1"));
        QCOMPARE(table->model()->index(0, gh::ApprovalsModel::Rule).data().toString(), QStringLiteral("approve-hold"));

        table->selectRow(0);
        QCOMPARE(label(m_page, "who"), QStringLiteral("alice (groups: ml-eng)"));
        QCOMPARE(label(m_page, "connection"), QStringLiteral("llm"));
        QCOMPARE(label(m_page, "progress"), QStringLiteral("0 of 1"));
        QCOMPARE(label(m_page, "justification"), QStringLiteral("(none given)"));
        // Counting down from the rule's 120 s.
        QVERIFY2(QRegularExpression(QStringLiteral("^(2:00|1:[0-5][0-9])$")).match(label(m_page, "timeLeft")).hasMatch(),
                 qPrintable(label(m_page, "timeLeft")));

        auto *approve = m_page->findChild<QToolButton *>(QStringLiteral("approveButton"));
        QVERIFY(approve->isEnabled());
        QTest::mouseClick(approve, Qt::LeftButton, {}, QPoint(8, approve->height() / 2));
        const auto answer = ApprovalsTestGateway::finish(*curl);
        QCOMPARE(answer.status, 200);
        QCOMPARE(m_gateway.upstreamRequests(), before + 1);
        QTRY_COMPARE(m_page->model()->rowCount(), 0);
        QCOMPARE(m_page->findChild<QLabel *>(QStringLiteral("decisionMessage"))->text(), QStringLiteral("Approved."));
    }

    void selfApprovalIsRefusedInPlace()
    {
        // rita asks herself: the gateway refuses, and the inbox says why without closing anything.
        auto curl = m_gateway.startHeld(m_gateway.rita, QStringLiteral("/llm/v1/hold/mine"));
        QTRY_COMPARE_WITH_TIMEOUT(m_page->model()->rowCount(), 1, 10000);
        const QString id = m_page->model()->approval(0).value(QLatin1String("id")).toString();
        m_page->view()->selectRow(0);
        auto *approve = m_page->findChild<QToolButton *>(QStringLiteral("approveButton"));
        QTest::mouseClick(approve, Qt::LeftButton, {}, QPoint(8, approve->height() / 2));
        auto *message = m_page->findChild<QLabel *>(QStringLiteral("decisionMessage"));
        QTRY_COMPARE(message->text(), QStringLiteral("You cannot decide your own request."));
        QCOMPARE(m_page->model()->rowCount(), 1);
        QCOMPARE(curl->state(), QProcess::Running);

        // Someone else decides it; the row goes away on the live event.
        const auto denied = m_gateway.daemon().request("POST", QStringLiteral("/api/v1/approvals/%1/deny").arg(id),
                                                       m_gateway.daemon().adminToken(), "{\"reason\":\"cleanup\"}");
        QCOMPARE(denied.status, 200);
        QCOMPARE(ApprovalsTestGateway::finish(*curl).status, 403);
        QTRY_COMPARE(m_page->model()->rowCount(), 0);
    }

    void denyWithAReason()
    {
        const int before = m_gateway.upstreamRequests();
        auto curl = m_gateway.startHeld(m_gateway.alice, QStringLiteral("/llm/v1/hold/deny"));
        QTRY_COMPARE_WITH_TIMEOUT(m_page->model()->rowCount(), 1, 10000);
        m_page->view()->selectRow(0);
        answerNextDialog(QStringLiteral("not on a Friday"));
        QTest::mouseClick(m_page->findChild<QPushButton *>(QStringLiteral("denyButton")), Qt::LeftButton);
        const auto answer = ApprovalsTestGateway::finish(*curl);
        QCOMPARE(answer.status, 403);
        QCOMPARE(answer.json.value(QLatin1String("error")).toString(), QStringLiteral("approval_denied"));
        QVERIFY2(answer.json.value(QLatin1String("message")).toString().contains(QLatin1String("not on a Friday")),
                 qPrintable(answer.json.value(QLatin1String("message")).toString()));
        QCOMPARE(m_gateway.upstreamRequests(), before);
        QTRY_COMPARE(m_page->model()->rowCount(), 0);
        QCOMPARE(m_page->findChild<QLabel *>(QStringLiteral("decisionMessage"))->text(), QStringLiteral("Denied."));
    }

    void anApprovalDecidedElsewhereAnswers409()
    {
        auto curl = m_gateway.startHeld(m_gateway.alice, QStringLiteral("/llm/v1/hold/twice"));
        QTRY_COMPARE_WITH_TIMEOUT(m_page->model()->rowCount(), 1, 10000);
        const QString id = m_page->model()->approval(0).value(QLatin1String("id")).toString();
        const auto approved = m_gateway.daemon().request("POST", QStringLiteral("/api/v1/approvals/%1/approve").arg(id),
                                                         m_gateway.daemon().adminToken());
        QCOMPARE(approved.status, 200);
        QCOMPARE(ApprovalsTestGateway::finish(*curl).status, 200);
        QTRY_COMPARE(m_page->model()->rowCount(), 0);   // the live event took it out of the inbox

        int status = -1;
        QString error;
        m_page->model()->approve(id, {}, {}, [&](const gh::AdminReply &reply) {
            status = reply.status;
            error = reply.errorText;
        });
        QTRY_COMPARE(status, 409);
        QVERIFY2(error.contains(QLatin1String("already")), qPrintable(error));
    }

    void theTrayCountsWhatWaits()
    {
        auto *tray = m_window->findChild<gh::ApprovalsTray *>();
        QVERIFY(tray);
        QCOMPARE(tray->toolTip(), QStringLiteral("Gatehouse: no requests waiting"));
        auto first = m_gateway.startHeld(m_gateway.alice, QStringLiteral("/llm/v1/hold/tray-1"));
        auto second = m_gateway.startHeld(m_gateway.alice, QStringLiteral("/llm/v1/hold/tray-2"));
        QTRY_COMPARE_WITH_TIMEOUT(m_page->model()->rowCount(), 2, 10000);
        QTRY_VERIFY2(tray->toolTip().contains(QLatin1String("2 request")), qPrintable(tray->toolTip()));
        for (int i = 0; i < 2; ++i) {
            const QString id = m_page->model()->approval(0).value(QLatin1String("id")).toString();
            QCOMPARE(m_gateway.daemon().request("POST", QStringLiteral("/api/v1/approvals/%1/deny").arg(id),
                                                m_gateway.daemon().adminToken()).status, 200);
            QTRY_COMPARE(m_page->model()->rowCount(), 1 - i);
        }
        QCOMPARE(ApprovalsTestGateway::finish(*first).status, 403);
        QCOMPARE(ApprovalsTestGateway::finish(*second).status, 403);
        QTRY_COMPARE(tray->toolTip(), QStringLiteral("Gatehouse: no requests waiting"));
    }

    void aCustomDurationMustBeADuration()
    {
        auto curl = m_gateway.startHeld(m_gateway.alice, QStringLiteral("/llm/v1/hold/custom"));
        QTRY_COMPARE_WITH_TIMEOUT(m_page->model()->rowCount(), 1, 10000);
        m_page->view()->selectRow(0);
        answerNextDialog(QStringLiteral("a while"));
        m_page->findChild<QAction *>(QStringLiteral("approveCustom"))->trigger();
        auto *message = m_page->findChild<QLabel *>(QStringLiteral("decisionMessage"));
        QTRY_VERIFY2(message->text().contains(QLatin1String("is not a duration")), qPrintable(message->text()));
        QCOMPARE(curl->state(), QProcess::Running);   // nothing was sent: still held
        const QString id = m_page->model()->approval(0).value(QLatin1String("id")).toString();
        QCOMPARE(m_gateway.daemon().request("POST", QStringLiteral("/api/v1/approvals/%1/deny").arg(id),
                                            m_gateway.daemon().adminToken()).status, 200);
        QCOMPARE(ApprovalsTestGateway::finish(*curl).status, 403);
        QTRY_COMPARE(m_page->model()->rowCount(), 0);
    }

    // Last: the grant lets alice's later requests through, which the tests above rely on not happening.
    void approveFor15MinutesLetsTheNextRequestsThrough()
    {
        auto curl = m_gateway.startHeld(m_gateway.alice, QStringLiteral("/llm/v1/hold/grant"));
        QTRY_COMPARE_WITH_TIMEOUT(m_page->model()->rowCount(), 1, 10000);
        const QString id = m_page->model()->approval(0).value(QLatin1String("id")).toString();
        m_page->view()->selectRow(0);
        m_page->findChild<QAction *>(QStringLiteral("approve15m"))->trigger();
        QCOMPARE(ApprovalsTestGateway::finish(*curl).status, 200);
        QTRY_COMPARE(m_page->model()->rowCount(), 0);

        const auto decided = m_gateway.daemon().request("GET", QStringLiteral("/api/v1/approvals/%1").arg(id),
                                                        m_gateway.daemon().adminToken());
        QCOMPARE(decided.status, 200);
        const QJsonObject a = QJsonDocument::fromJson(decided.body).object();
        QCOMPARE(a.value(QLatin1String("state")).toString(), QStringLiteral("approved"));
        const QDateTime until = QDateTime::fromString(a.value(QLatin1String("grant_until")).toString(), Qt::ISODateWithMs);
        QVERIFY2(until.isValid(), qPrintable(a.value(QLatin1String("grant_until")).toString()));
        const qint64 left = QDateTime::currentDateTimeUtc().secsTo(until);
        QVERIFY2(left > 14 * 60 && left <= 15 * 60, qPrintable(QString::number(left)));

        // The next matching request of alice's passes without a new hold.
        const int before = m_gateway.upstreamRequests();
        auto next = m_gateway.startHeld(m_gateway.alice, QStringLiteral("/llm/v1/hold/after-grant"));
        QCOMPARE(ApprovalsTestGateway::finish(*next, 10000).status, 200);
        QCOMPARE(m_gateway.upstreamRequests(), before + 1);
        QCOMPARE(m_page->model()->rowCount(), 0);
    }

    // After the grant above: it is listed, and revoking it from the page makes alice ask again.
    void revokingTheGrantHoldsTheNextRequestAgain()
    {
        gh::GrantsModel *grants = m_page->grants();
        QTRY_COMPARE_WITH_TIMEOUT(grants->rowCount(), 1, 10000);
        QCOMPARE(grants->index(0, gh::GrantsModel::Subject).data().toString(), QStringLiteral("alice"));
        QCOMPARE(grants->index(0, gh::GrantsModel::Rule).data().toString(), QStringLiteral("approve-hold"));
        QCOMPARE(label(m_page, "grantsStatus"), QStringLiteral("1 time-boxed grant(s) running."));
        const QString id = grants->grant(0).value(QLatin1String("id")).toString();
        auto *revoke = m_page->findChild<QPushButton *>(QStringLiteral("revokeButton"));
        QVERIFY(!revoke->isEnabled());   // nothing selected yet
        m_page->grantsView()->selectRow(0);
        QVERIFY(revoke->isEnabled());
        answerNextDialog(QStringLiteral("granted by mistake"));
        revoke->click();
        QTRY_COMPARE_WITH_TIMEOUT(grants->rowCount(), 0, 10000);
        QTRY_VERIFY(label(m_page, "grantMessage").contains(QLatin1String("revoked")));
        QCOMPARE(label(m_page, "grantsStatus"), QStringLiteral("No time-boxed grants are running."));

        const auto after = m_gateway.daemon().request("GET", QStringLiteral("/api/v1/approvals/%1").arg(id),
                                                      m_gateway.daemon().adminToken());
        const QJsonObject revoked = QJsonDocument::fromJson(after.body).object().value(QLatin1String("grant_revoked")).toObject();
        QCOMPARE(revoked.value(QLatin1String("by")).toString(), QStringLiteral("rita"));
        QCOMPARE(revoked.value(QLatin1String("reason")).toString(), QStringLiteral("granted by mistake"));

        // alice's next matching request waits in the inbox again.
        auto next = m_gateway.startHeld(m_gateway.alice, QStringLiteral("/llm/v1/hold/after-revoke"));
        QTRY_COMPARE_WITH_TIMEOUT(m_page->model()->rowCount(), 1, 10000);
        const QString held = m_page->model()->approval(0).value(QLatin1String("id")).toString();
        QCOMPARE(m_gateway.daemon().request("POST", QStringLiteral("/api/v1/approvals/%1/deny").arg(held),
                                            m_gateway.daemon().adminToken()).status, 200);
        QCOMPARE(ApprovalsTestGateway::finish(*next).status, 403);
    }

private:
    ApprovalsTestGateway m_gateway;
    std::unique_ptr<gh::MainWindow> m_window;
    gh::ApprovalsPage *m_page = nullptr;
};

QTEST_MAIN(tst_ApprovalsPage)
#include "tst_approvalspage.moc"
