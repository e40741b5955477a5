// The Connections page's editor against a real gatehoused, typed into offscreen: inline
// validation, Test against a live upstream and a closed port, save, secrets kept sealed, delete.
#include "EditorsTestGateway.h"
#include "editors/ConnectionEditor.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QTcpServer>
#include <QtTest>

using gh::ConnectionEditor;
using gh::test::EditorsTestGateway;
using gh::test::retype;

class tst_ConnectionEditor final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QString why;
        QVERIFY2(m_gateway.start(&why), qPrintable(why));
        m_page = m_gateway.window->connectionsPage();
        QTRY_VERIFY_WITH_TIMEOUT(m_page->findChild<QPushButton *>(QStringLiteral("newButton"))->isEnabled(), 10000);
    }

    void cleanupTestCase()
    {
        m_gateway.window.reset();
        QCOMPARE(m_gateway.daemon().stop(), 0);
    }

    void invalidInputKeepsSaveDisabled()
    {
        ConnectionEditor *e = openNew();
        auto *save = child<QPushButton>(e, "saveButton");
        QVERIFY(!save->isEnabled());
        QTest::keyClicks(child<QLineEdit>(e, "nameEdit"), QStringLiteral("My API"));
        QTest::keyClicks(child<QLineEdit>(e, "upstreamEdit"), QString::fromLatin1(m_gateway.upstreamUrl()));
        auto *hint = child<QLabel>(e, "nameHint");
        QVERIFY(hint->isVisible());
        QCOMPARE(hint->text(), QStringLiteral("Use 1 to 63 characters: a-z, 0-9 and -."));
        QVERIFY(!save->isEnabled());
        retype(child<QLineEdit>(e, "nameEdit"), QStringLiteral("my-api"));
        QVERIFY(!hint->isVisible());
        QVERIFY(save->isEnabled());
        // A postgres connection cannot have an http upstream.
        child<QComboBox>(e, "typeCombo")->setCurrentIndex(1);
        QVERIFY(child<QLabel>(e, "upstreamHint")->isVisible());
        QVERIFY(!save->isEnabled());
        e->reject();
    }

    void createTestAndSaveAConnection()
    {
        ConnectionEditor *e = openNew();
        QTest::keyClicks(child<QLineEdit>(e, "nameEdit"), QStringLiteral("my-api"));
        QTest::keyClicks(child<QLineEdit>(e, "upstreamEdit"), QString::fromLatin1(m_gateway.upstreamUrl()));
        QTest::keyClicks(child<QLineEdit>(e, "groupsEdit"), QStringLiteral("ml-eng, ci-bots"));
        child<QComboBox>(e, "credentialCombo")->setCurrentIndex(1);
        auto *save = child<QPushButton>(e, "saveButton");
        QVERIFY(!save->isEnabled());   // a credential without its header and reference
        QVERIFY(child<QLabel>(e, "credentialHint")->isVisible());
        QTest::keyClicks(child<QLineEdit>(e, "headerEdit"), QStringLiteral("Authorization"));
        QTest::keyClicks(child<QLineEdit>(e, "prefixEdit"), QStringLiteral("Bearer "));
        QTest::keyClicks(child<QLineEdit>(e, "referenceEdit"), QStringLiteral("GH_UI_KEY"));
        QVERIFY(save->isEnabled());

        QTest::mouseClick(child<QPushButton>(e, "testButton"), Qt::LeftButton);
        auto *result = child<QLabel>(e, "testResult");
        QTRY_VERIFY_WITH_TIMEOUT(result->text().startsWith(QLatin1String("OK")), 10000);
        QVERIFY2(result->text().contains(QLatin1String("Credential: resolves.")), qPrintable(result->text()));

        QTest::mouseClick(save, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!m_page->editor(), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(EditorsTestGateway::rowOf(m_page, QStringLiteral("my-api")) >= 0, 10000);
        const int row = EditorsTestGateway::rowOf(m_page, QStringLiteral("my-api"));
        QCOMPARE(m_page->view()->model()->index(row, 3).data().toString(), QStringLiteral("ml-eng, ci-bots"));

        // A refresh keeps the selection on the same connection.
        m_page->view()->selectRow(row);
        QTest::mouseClick(m_page->findChild<QPushButton *>(QStringLiteral("newButton")), Qt::LeftButton);
        m_page->editor()->close();
        m_gateway.daemon().request("PUT", QStringLiteral("/api/v1/connections/a-first"), m_gateway.daemon().adminToken(),
                                   "{\"type\":\"http\",\"upstream\":\"http://127.0.0.1:1\"}");
        m_page->refresh();
        QTRY_VERIFY_WITH_TIMEOUT(EditorsTestGateway::rowOf(m_page, QStringLiteral("a-first")) >= 0, 10000);
        const QModelIndexList selected = m_page->view()->selectionModel()->selectedRows();
        QCOMPARE(selected.size(), 1);
        QCOMPARE(selected.first().data().toString(), QStringLiteral("my-api"));

        const auto stored = m_gateway.get(QStringLiteral("/api/v1/connections/my-api"));
        QCOMPARE(stored.status, 200);
        const QJsonObject o = stored.json().object();
        QCOMPARE(o.value(QLatin1String("upstream")).toString(), QString::fromLatin1(m_gateway.upstreamUrl()));
        QCOMPARE(o.value(QLatin1String("allow_groups")).toArray(), (QJsonArray{QStringLiteral("ml-eng"), QStringLiteral("ci-bots")}));
        QCOMPARE(o.value(QLatin1String("credential")).toObject().value(QLatin1String("value")).toString(),
                 QStringLiteral("Bearer ${env:GH_UI_KEY}"));
    }

    void testAgainstAClosedPortFails()
    {
        QTcpServer reserve;
        QVERIFY(reserve.listen(QHostAddress::LocalHost));
        const quint16 port = reserve.serverPort();
        reserve.close();
        ConnectionEditor *e = openNew();
        QTest::keyClicks(child<QLineEdit>(e, "upstreamEdit"), QStringLiteral("http://127.0.0.1:%1").arg(port));
        QTest::mouseClick(child<QPushButton>(e, "testButton"), Qt::LeftButton);
        auto *result = child<QLabel>(e, "testResult");
        QTRY_VERIFY_WITH_TIMEOUT(result->text().startsWith(QLatin1String("Not reachable")), 10000);
        QVERIFY2(result->text().contains(QLatin1String("refused"), Qt::CaseInsensitive), qPrintable(result->text()));
        e->reject();
    }

    void aTypedSecretIsSealedAndKeptWhenLeftUntouched()
    {
        ConnectionEditor *e = openNew();
        QTest::keyClicks(child<QLineEdit>(e, "nameEdit"), QStringLiteral("sealed-api"));
        QTest::keyClicks(child<QLineEdit>(e, "upstreamEdit"), QString::fromLatin1(m_gateway.upstreamUrl()));
        child<QComboBox>(e, "credentialCombo")->setCurrentIndex(1);
        QTest::keyClicks(child<QLineEdit>(e, "headerEdit"), QStringLiteral("X-Api-Key"));
        child<QComboBox>(e, "sourceCombo")->setCurrentIndex(int(ConnectionEditor::Source::Secret));
        auto *secret = child<QLineEdit>(e, "secretEdit");
        QCOMPARE(secret->echoMode(), QLineEdit::Password);
        QTest::keyClicks(secret, QStringLiteral("hunter2"));
        QTest::mouseClick(child<QPushButton>(e, "saveButton"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(EditorsTestGateway::rowOf(m_page, QStringLiteral("sealed-api")) >= 0, 10000);
        const QString sealed = storedValue(QStringLiteral("sealed-api"));
        QVERIFY2(sealed.startsWith(QLatin1String("${sealed:")), qPrintable(sealed));

        // Edit it, change the groups only: the sealed value stays as it was.
        m_page->view()->selectRow(EditorsTestGateway::rowOf(m_page, QStringLiteral("sealed-api")));
        QTest::mouseClick(m_page->findChild<QPushButton *>(QStringLiteral("editButton")), Qt::LeftButton);
        auto *edit = qobject_cast<ConnectionEditor *>(m_page->editor());
        QVERIFY(edit);
        QVERIFY(child<QLineEdit>(edit, "nameEdit")->isReadOnly());
        QVERIFY(child<QLineEdit>(edit, "secretEdit")->text().isEmpty());
        QTest::keyClicks(child<QLineEdit>(edit, "groupsEdit"), QStringLiteral("ops"));
        QTest::mouseClick(child<QPushButton>(edit, "saveButton"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!m_page->editor(), 10000);
        const auto o = m_gateway.get(QStringLiteral("/api/v1/connections/sealed-api")).json().object();
        QCOMPARE(o.value(QLatin1String("allow_groups")).toArray(), QJsonArray{QStringLiteral("ops")});
        QCOMPARE(storedValue(QStringLiteral("sealed-api")), sealed);
    }

    void serverErrorsShowInTheDialog()
    {
        ConnectionEditor *e = openNew();
        QTest::keyClicks(child<QLineEdit>(e, "nameEdit"), QStringLiteral("refused"));
        QTest::keyClicks(child<QLineEdit>(e, "upstreamEdit"), QStringLiteral("https://127.0.0.1:1/"));
        child<QComboBox>(e, "credentialCombo")->setCurrentIndex(1);
        // What the editor can judge, it does: a header name with spaces keeps Save disabled.
        QTest::keyClicks(child<QLineEdit>(e, "headerEdit"), QStringLiteral("Bad Header"));
        QTest::keyClicks(child<QLineEdit>(e, "referenceEdit"), QStringLiteral("GH_UI_KEY"));
        QVERIFY(child<QLabel>(e, "credentialHint")->isVisible());
        QVERIFY(!child<QPushButton>(e, "saveButton")->isEnabled());
        retype(child<QLineEdit>(e, "headerEdit"), QStringLiteral("X-Key"));
        // What only the gateway can: a sealed value from another gateway (not sealed with its key).
        child<QComboBox>(e, "sourceCombo")->setCurrentIndex(int(ConnectionEditor::Source::Template));
        retype(child<QLineEdit>(e, "referenceEdit"), QStringLiteral("${sealed:bm90LWZyb20taGVyZQ}"));
        QVERIFY(child<QPushButton>(e, "saveButton")->isEnabled());
        QTest::mouseClick(child<QPushButton>(e, "saveButton"), Qt::LeftButton);
        auto *error = child<QLabel>(e, "errorLabel");
        QTRY_VERIFY_WITH_TIMEOUT(error->isVisible(), 10000);
        QVERIFY2(error->text().startsWith(QLatin1String("The gateway did not save it: ")), qPrintable(error->text()));
        QVERIFY(e->isVisible());
        e->reject();
        QCOMPARE(m_gateway.get(QStringLiteral("/api/v1/connections/refused")).status, 404);
    }

    void deleteAsksNamingTheConnection()
    {
        QTRY_VERIFY_WITH_TIMEOUT(EditorsTestGateway::rowOf(m_page, QStringLiteral("my-api")) >= 0, 10000);
        m_page->view()->selectRow(EditorsTestGateway::rowOf(m_page, QStringLiteral("my-api")));
        auto *del = m_page->findChild<QPushButton *>(QStringLiteral("deleteButton"));
        QVERIFY(del->isEnabled());
        // Cancel first: nothing happens.
        QTest::mouseClick(del, Qt::LeftButton);
        QMessageBox *box = m_page->confirmation();
        QVERIFY(box && box->isVisible());
        QVERIFY2(box->text().contains(QLatin1String("\"my-api\"")), qPrintable(box->text()));
        QTest::mouseClick(box->button(QMessageBox::Cancel), Qt::LeftButton);
        QTest::qWait(300);
        QCOMPARE(m_gateway.get(QStringLiteral("/api/v1/connections/my-api")).status, 200);

        m_page->view()->selectRow(EditorsTestGateway::rowOf(m_page, QStringLiteral("my-api")));
        QTest::mouseClick(del, Qt::LeftButton);
        box = m_page->confirmation();
        QVERIFY(box);
        QTest::mouseClick(box->button(QMessageBox::Yes), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(EditorsTestGateway::rowOf(m_page, QStringLiteral("my-api")), -1, 10000);
        QCOMPARE(m_gateway.get(QStringLiteral("/api/v1/connections/my-api")).status, 404);
    }

private:
    template <typename T>
    static T *child(QWidget *w, const char *name)
    {
        T *c = w->findChild<T *>(QLatin1String(name));
        if (!c)
            qFatal("no child %s", name);
        return c;
    }

    ConnectionEditor *openNew()
    {
        QTest::mouseClick(m_page->findChild<QPushButton *>(QStringLiteral("newButton")), Qt::LeftButton);
        auto *e = qobject_cast<ConnectionEditor *>(m_page->editor());
        if (!e || !e->isVisible())
            qFatal("the New button opened no connection editor");
        return e;
    }

    QString storedValue(const QString &name) const
    {
        return m_gateway.get(QStringLiteral("/api/v1/connections/") + name)
            .json()
            .object()
            .value(QLatin1String("credential"))
            .toObject()
            .value(QLatin1String("value"))
            .toString();
    }

    EditorsTestGateway m_gateway;
    gh::ResourcePage *m_page = nullptr;
};

QTEST_MAIN(tst_ConnectionEditor)
#include "tst_connectioneditor.moc"
