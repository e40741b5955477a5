// Renders every main view of the desktop app against a real gatehoused with a little recorded
// traffic, and saves each as a PNG: docs/screenshots/ holds the ones the README shows
// (`cmake --build build --target screenshots` refreshes them). As a test it checks that each view
// renders, is not blank, and shows the gateway's data rather than an empty page.

#include "GatewayLink.h"
#include "MainWindow.h"
#include "ResourcePage.h"
#include "sessions/ReplayView.h"
#include "support/DaemonProcess.h"
#include "support/TestTools.h"

#include <QAbstractItemView>
#include <QDialog>
#include <QDir>
#include <QImage>
#include <QJsonArray>
#include <QJsonObject>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSet>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTranslator>
#include <QtTest>

using namespace std::chrono_literals;
using gh::test::DaemonProcess;

namespace {

// How many distinct colours a sample of the image has: a blank or failed render has one or two.
int colourCount(const QImage &image)
{
    QSet<QRgb> colours;
    for (int y = 0; y < image.height(); y += 4) {
        for (int x = 0; x < image.width(); x += 4)
            colours.insert(image.pixel(x, y));
    }
    return int(colours.size());
}

QString fileNameFor(const QWidget *page)
{
    QString name = page->objectName();
    if (name.endsWith(QLatin1String("Page")))
        name.chop(4);
    return name.toLower() + QStringLiteral(".png");
}

} // namespace

class tst_Screenshots final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_tmp.isValid());
        QVERIFY(m_upstream.start(m_tmp.filePath(QStringLiteral("upstream.log"))));
        QVERIFY2(m_daemon.start(), qPrintable(m_daemon.error()));
        const QByteArray resources =
            "[[connection]]\nname = \"llm\"\ntype = \"http\"\nupstream = \"" + m_upstream.url()
            + "\"\nallow_groups = [\"ml-eng\"]\n\n"
              "[[rule]]\nname = \"deny-weights\"\nkind = \"deny\"\nconnections = [\"llm\"]\n"
              "match = { method = \"GET\", path = \"^/v1/models/.*/weights\" }\n\n"
              "[[rule]]\nname = \"approve-fine-tunes\"\nkind = \"approve\"\nconnections = [\"llm\"]\n"
              "match = { path = \"^/v1/fine-tunes\" }\napprovers = [\"security\"]\ntimeout = \"10m\"\n\n"
              "[[rule]]\nname = \"mask-email\"\nkind = \"mask\"\nconnections = [\"llm\"]\ndetector = \"email\"\n";
        const QString failed = m_daemon.applyResources(resources);
        QVERIFY2(failed.isEmpty(), qPrintable(failed));
        m_ana = QString::fromUtf8(m_daemon.issueToken(QStringLiteral("ana"), QStringLiteral("ml-eng")));
        QVERIFY(!m_ana.isEmpty());

        // A masked answer, a refusal and a request left waiting for a reviewer.
        const QString auth = QStringLiteral("Authorization: Bearer ") + m_ana;
        const auto masked = gh::test::curl({QStringLiteral("-H"), auth, QStringLiteral("--data-binary"),
                                            QStringLiteral("reach ana.lopez@example.com for the report"),
                                            m_daemon.proxyUrl() + QStringLiteral("/llm/reflect")});
        QVERIFY2(masked.out.contains("[EMAIL]"), masked.out.constData());
        const auto denied = gh::test::curl({QStringLiteral("-H"), auth,
                                            m_daemon.proxyUrl() + QStringLiteral("/llm/v1/models/m1/weights")});
        QVERIFY2(denied.out.contains("denied"), denied.out.constData());
        // A grant left running (ben's fine-tunes approved for an hour), for the Approvals tab's list.
        const QString ben = QStringLiteral("Authorization: Bearer ")
            + QString::fromUtf8(m_daemon.issueToken(QStringLiteral("ben"), QStringLiteral("ml-eng")));
        QProcess granted;
        granted.start(QStringLiteral("curl"), {QStringLiteral("-sS"), QStringLiteral("-H"), ben,
                                               QStringLiteral("-H"), QStringLiteral("X-Gatehouse-Justification: OPS-40"),
                                               m_daemon.proxyUrl() + QStringLiteral("/llm/v1/fine-tunes/ft-7/events")});
        QVERIFY(granted.waitForStarted(5000));
        QString grantId;
        QTRY_VERIFY_WITH_TIMEOUT([&] {
            const auto pending = m_daemon.request("GET", QStringLiteral("/api/v1/approvals?state=pending"), m_daemon.adminToken());
            const QJsonArray list = pending.json().array();
            grantId = list.isEmpty() ? QString() : list.first().toObject().value(QLatin1String("id")).toString();
            return !grantId.isEmpty();
        }(), 10000);
        QCOMPARE(m_daemon.request("POST", QStringLiteral("/api/v1/approvals/%1/approve").arg(grantId), m_daemon.adminToken(),
                                  "{\"for\":\"1h\",\"reason\":\"OPS-40 rerun\"}")
                         .status,
                 200);
        QVERIFY(gh::test::waitFinished(granted, 10000));   // it may end during the request above

        m_held.start(QStringLiteral("curl"), {QStringLiteral("-sS"), QStringLiteral("-H"), auth,
                                              QStringLiteral("-H"), QStringLiteral("X-Gatehouse-Justification: OPS-42 retrain"),
                                              QStringLiteral("--data-binary"), QStringLiteral("{\"dataset\":\"customers\"}"),
                                              m_daemon.proxyUrl() + QStringLiteral("/llm/v1/fine-tunes")});
        QVERIFY(m_held.waitForStarted(5000));

        m_outDir = qEnvironmentVariable("GATEHOUSE_SCREENSHOT_DIR");
        if (m_outDir.isEmpty())
            m_outDir = QDir(qEnvironmentVariable("GATEHOUSE_BUILD_DIR")).filePath(QStringLiteral("screenshots"));
        QVERIFY(QDir().mkpath(m_outDir));

        // As the app does: the system locale's translation (LANG=de_DE.UTF-8 renders the German views).
        if (m_translator.load(QLocale(), QStringLiteral("gatehouse"), QStringLiteral("_"), QStringLiteral(":/i18n")))
            QCoreApplication::installTranslator(&m_translator);
        m_window = std::make_unique<gh::MainWindow>();
        m_window->link()->setProbeInterval(200ms);
        m_window->link()->attachRemote(QUrl(m_daemon.adminUrl()), QString::fromLatin1(m_daemon.adminToken()));
        m_window->resize(1200, 720);
        m_window->show();
        QTRY_COMPARE_WITH_TIMEOUT(m_window->link()->state(), gh::GatewayLink::State::Connected, 10000);
    }

    void cleanupTestCase()
    {
        m_window.reset();
        m_held.kill();
        m_held.waitForFinished(5000);
        QCOMPARE(m_daemon.stop(), 0);
    }

    void everyMainViewRenders_data()
    {
        QTest::addColumn<int>("tab");
        auto *tabs = m_window->findChild<QTabWidget *>();
        QVERIFY(tabs);
        for (int i = 0; i < tabs->count(); ++i)
            QTest::newRow(qPrintable(tabs->widget(i)->objectName())) << i;
    }

    void everyMainViewRenders()
    {
        QFETCH(int, tab);
        auto *tabs = m_window->findChild<QTabWidget *>();
        QWidget *page = tabs->widget(tab);
        tabs->setCurrentIndex(tab);
        if (page == m_window->replayView()) {
            // The replay shows the session with the masked answer, its first event selected.
            const auto list = m_daemon.request("GET", QStringLiteral("/api/v1/sessions?has=masking&limit=1"),
                                               m_daemon.adminToken());
            const QString id = list.json().array().at(0).toObject().value(QLatin1String("id")).toString();
            QVERIFY2(!id.isEmpty(), list.body.constData());
            QSignalSpy shown(m_window->replayView(), &gh::ReplayView::detailShown);
            m_window->showReplay(id);
            QVERIFY(shown.wait(10000));
        }
        // A page with a list shows the gateway's data before it is photographed.
        const auto views = page->findChildren<QAbstractItemView *>();
        for (QAbstractItemView *view : views) {
            if (view->isVisibleTo(page) && view->model())
                QTRY_VERIFY2_WITH_TIMEOUT(view->model()->rowCount() > 0, qPrintable(view->objectName()), 10000);
        }
        QTest::qWait(300);   // let charts and lazily loaded details settle
        const QImage shot = m_window->grab().toImage();
        QCOMPARE(shot.size(), m_window->size() * m_window->devicePixelRatio());
        QVERIFY2(colourCount(shot) > 8, "the view rendered blank");
        const QString path = QDir(m_outDir).filePath(fileNameFor(page));
        QVERIFY2(shot.save(path), qPrintable(path));
    }

    // The rule editor is a dialog, not a tab: photographed with a sample in its live preview.
    void theRuleEditorPreviewRenders()
    {
        auto *tabs = m_window->findChild<QTabWidget *>();
        gh::ResourcePage *rules = m_window->rulesPage();
        tabs->setCurrentWidget(rules);
        QAbstractItemModel *model = rules->view()->model();
        int row = -1;
        QTRY_VERIFY_WITH_TIMEOUT(model->rowCount() > 0, 10000);
        for (int r = 0; r < model->rowCount(); ++r) {
            if (model->index(r, 0).data().toString() == QLatin1String("mask-email"))
                row = r;
        }
        QVERIFY(row >= 0);
        rules->view()->selectRow(row);
        QTest::mouseClick(rules->findChild<QPushButton *>(QStringLiteral("editButton")), Qt::LeftButton);
        QDialog *editor = rules->editor();
        QVERIFY(editor);
        auto *sample = editor->findChild<QPlainTextEdit *>(QStringLiteral("sampleEdit"));
        auto *masked = editor->findChild<QPlainTextEdit *>(QStringLiteral("maskedView"));
        QVERIFY(sample && masked);
        sample->setPlainText(QStringLiteral("HTTP/1.1 200 OK\nContent-Type: application/json\n\n"
                                            "{\"customer\": \"Ana Lopez\", \"email\": \"ana.lopez@example.com\",\n"
                                            " \"note\": \"cc bob@example.org on the renewal\"}"));
        QTRY_VERIFY_WITH_TIMEOUT(masked->toPlainText().count(QLatin1String("[EMAIL]")) == 2, 10000);
        editor->resize(1100, 640);
        QTest::qWait(100);
        const QImage shot = editor->grab().toImage();
        QVERIFY2(colourCount(shot) > 8, "the editor rendered blank");
        const QString path = QDir(m_outDir).filePath(QStringLiteral("rule-editor.png"));
        QVERIFY2(shot.save(path), qPrintable(path));
        editor->reject();
    }

private:
    QTemporaryDir m_tmp;
    gh::test::TestUpstream m_upstream;
    DaemonProcess m_daemon;
    QProcess m_held;
    QString m_ana;
    QString m_outDir;
    QTranslator m_translator;
    std::unique_ptr<gh::MainWindow> m_window;
};

QTEST_MAIN(tst_Screenshots)
#include "tst_screenshots.moc"
