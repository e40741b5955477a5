// The sessions list against a real gatehoused: filters, search as you type, errors inline,
// opening a replay, export with progress and cancel.
#include "SessionsTestGateway.h"

#include "GatewayLink.h"
#include "sessions/SessionExporter.h"
#include "sessions/SessionsModel.h"
#include "sessions/SessionsPage.h"

#include <QCheckBox>
#include <QLabel>
#include <QLineEdit>
#include <QProgressDialog>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QtTest>

using gh::test::SessionsTestGateway;

class tst_SessionsPage final : public QObject {
    Q_OBJECT

private:
    template <typename T>
    T *child(const char *name)
    {
        return m_page->findChild<T *>(QLatin1String(name));
    }
    QStringList shownIds() const
    {
        QStringList out;
        for (int r = 0; r < m_page->model()->rowCount(); ++r)
            out << m_page->model()->sessionId(r);
        return out;
    }
    // Waits for the answer to whatever the last change asked for.
    bool waitLoaded(QSignalSpy &spy, int timeoutMs = 10000)
    {
        spy.clear();
        return spy.wait(timeoutMs);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QString why;
        QVERIFY2(m_gw.start(&why), qPrintable(why));
        m_link = std::make_unique<gh::GatewayLink>();
        m_link->attachRemote(QUrl(m_gw.daemon().adminUrl()), QString::fromLatin1(m_gw.audrey));
        m_page = std::make_unique<gh::SessionsPage>(m_link.get(), nullptr);
        m_page->resize(1000, 600);
        m_page->show();
        QTRY_COMPARE_WITH_TIMEOUT(m_page->model()->rowCount(), 3, 10000);
        QCOMPARE(shownIds(), (QStringList{m_gw.maskedId(), m_gw.deniedId(), m_gw.allowedId()}));
        const QModelIndex subject = m_page->model()->index(0, gh::SessionsModel::Subject);
        QCOMPARE(subject.data().toString(), QStringLiteral("alice"));
        QCOMPARE(m_page->model()->index(0, gh::SessionsModel::Connection).data().toString(), QStringLiteral("pii"));
    }

    void searchAsYouType()
    {
        QSignalSpy loaded(m_page.get(), &gh::SessionsPage::loaded);
        auto *search = child<QLineEdit>("sessionsSearch");
        QTest::keyClicks(search, QStringLiteral("pi"));
        QVERIFY(loaded.wait(5000));
        QCOMPARE(loaded.size(), 1);   // debounced: one request for the two keystrokes
        QCOMPARE(shownIds(), QStringList{m_gw.maskedId()});
        search->clear();
        QVERIFY(loaded.wait(5000));
        QCOMPARE(m_page->model()->rowCount(), 3);
    }

    void hasFilters()
    {
        QSignalSpy loaded(m_page.get(), &gh::SessionsPage::loaded);
        child<QCheckBox>("sessionsHasDeny")->click();
        QVERIFY(loaded.wait(5000));
        QCOMPARE(shownIds(), QStringList{m_gw.deniedId()});
        child<QCheckBox>("sessionsHasMasking")->click();
        QVERIFY(waitLoaded(loaded));
        QCOMPARE(shownIds(), (QStringList{m_gw.maskedId(), m_gw.deniedId()}));
        child<QCheckBox>("sessionsHasDeny")->click();
        QVERIFY(waitLoaded(loaded));
        QCOMPARE(shownIds(), QStringList{m_gw.maskedId()});
        child<QCheckBox>("sessionsHasMasking")->click();
        QVERIFY(waitLoaded(loaded));
        QCOMPARE(m_page->model()->rowCount(), 3);
    }

    void connectionAndRange()
    {
        QSignalSpy loaded(m_page.get(), &gh::SessionsPage::loaded);
        QTest::keyClicks(child<QLineEdit>("sessionsConnection"), QStringLiteral("llm"));
        QVERIFY(loaded.wait(5000));
        QCOMPARE(shownIds(), (QStringList{m_gw.deniedId(), m_gw.allowedId()}));
        child<QLineEdit>("sessionsConnection")->clear();
        QVERIFY(waitLoaded(loaded));

        // A bad time shows the gateway's own words, and the list keeps what it had.
        QTest::keyClicks(child<QLineEdit>("sessionsSince"), QStringLiteral("last tuesday"));
        QVERIFY(waitLoaded(loaded));
        QVERIFY2(child<QLabel>("sessionsMessage")->text().contains(QLatin1String("since")),
                 qPrintable(child<QLabel>("sessionsMessage")->text()));
        QCOMPARE(m_page->model()->rowCount(), 3);
        child<QLineEdit>("sessionsSince")->setText(QStringLiteral("1h"));
        QVERIFY(waitLoaded(loaded));
        QCOMPARE(m_page->model()->rowCount(), 3);
        QTest::keyClicks(child<QLineEdit>("sessionsUntil"), QStringLiteral("2000-01-01T00:00:00Z"));
        QVERIFY(waitLoaded(loaded));
        QCOMPARE(m_page->model()->rowCount(), 0);
        child<QLineEdit>("sessionsSince")->clear();
        child<QLineEdit>("sessionsUntil")->clear();
        QVERIFY(waitLoaded(loaded));
        QCOMPARE(m_page->model()->rowCount(), 3);
    }

    void openReplay()
    {
        QSignalSpy open(m_page.get(), &gh::SessionsPage::openReplay);
        QTableView *view = child<QTableView>("sessionsView");
        view->setFocus();
        view->selectRow(1);
        QTest::keyClick(view, Qt::Key_Return);
        QCOMPARE(open.size(), 1);
        QCOMPARE(open.at(0).at(0).toString(), m_gw.deniedId());
        const QRect cell = view->visualRect(m_page->model()->index(2, 0));
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, cell.center());
        QTest::mouseDClick(view->viewport(), Qt::LeftButton, {}, cell.center());
        QCOMPARE(open.size(), 2);
        QCOMPARE(open.at(1).at(0).toString(), m_gw.allowedId());
    }

    void exportToFile()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("s.jsonl"));
        gh::SessionExporter *ex = m_page->exportSession(m_gw.allowedId(), path);
        QVERIFY(ex);
        QVERIFY(m_page->findChild<QProgressDialog *>(QStringLiteral("sessionsExportProgress")));
        QSignalSpy done(ex, &gh::SessionExporter::finished);
        QVERIFY(done.wait(10000));
        QCOMPARE(done.at(0).at(0).toBool(), true);
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = f.readAll().trimmed().split('\n');
        const qint64 expected = qint64(m_gw.sessions.at(2).toObject().value(QLatin1String("event_count")).toDouble());
        QCOMPARE(qint64(lines.size()), expected);
        for (const QByteArray &l : lines)
            QCOMPARE(QJsonDocument::fromJson(l).object().value(QLatin1String("session")).toString(), m_gw.allowedId());
        QVERIFY(child<QLabel>("sessionsMessage")->text().contains(path));

        // Cancelled before the first window arrives: no file, and the page says so.
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);   // the first export's dialog
        QVERIFY(!m_page->findChild<QProgressDialog *>(QStringLiteral("sessionsExportProgress")));
        const QString cancelled = dir.filePath(QStringLiteral("c.jsonl"));
        gh::SessionExporter *ex2 = m_page->exportSession(m_gw.allowedId(), cancelled);
        auto *dialog = m_page->findChild<QProgressDialog *>(QStringLiteral("sessionsExportProgress"));
        QVERIFY(dialog);
        QSignalSpy done2(ex2, &gh::SessionExporter::finished);
        dialog->findChild<QPushButton *>()->click();   // its Cancel button
        QCOMPARE(done2.size(), 1);
        QCOMPARE(done2.at(0).at(0).toBool(), false);
        QTest::qWait(300);   // the window that was on its way changes nothing
        QVERIFY(!QFile::exists(cancelled));
        QVERIFY(child<QLabel>("sessionsMessage")->text().contains(QLatin1String("cancelled")));
    }

    void followsTheLink()
    {
        // A new token (here one without the auditor role) makes a new client: the page asks again
        // with it and shows the gateway's refusal in place.
        QSignalSpy loaded(m_page.get(), &gh::SessionsPage::loaded);
        m_link->attachRemote(QUrl(m_gw.daemon().adminUrl()), QString::fromLatin1(m_gw.rita));
        QVERIFY(loaded.wait(5000));
        QCOMPARE(loaded.last().at(0).toInt(), -1);
        QVERIFY2(child<QLabel>("sessionsMessage")->text().contains(QLatin1String("reading sessions")),
                 qPrintable(child<QLabel>("sessionsMessage")->text()));
        m_link->attachRemote(QUrl(m_gw.daemon().adminUrl()), QString::fromLatin1(m_gw.audrey));
        QVERIFY(waitLoaded(loaded));
        QCOMPARE(m_page->model()->rowCount(), 3);
    }

private:
    SessionsTestGateway m_gw;
    std::unique_ptr<gh::GatewayLink> m_link;
    std::unique_ptr<gh::SessionsPage> m_page;
};

QTEST_MAIN(tst_SessionsPage)
#include "tst_sessionspage.moc"
