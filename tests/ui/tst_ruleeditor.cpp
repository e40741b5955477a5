// The Rules page's editor and its live preview against a real gatehoused, typed into offscreen:
// highlighted matches and the masked text follow the draft, a bad RE2 pattern shows the gateway's
// error under its field, request-side decisions, save and delete.
#include "EditorsTestGateway.h"
#include "editors/RuleEditor.h"
#include "editors/RulePreview.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QHelpEvent>
#include <QListWidget>
#include <QToolTip>
#include <QPlainTextEdit>
#include <QtTest>

using gh::RuleEditor;
using gh::RulePreview;
using gh::test::EditorsTestGateway;
using gh::test::retype;

class tst_RuleEditor final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QString why;
        QVERIFY2(m_gateway.start(&why), qPrintable(why));
        m_page = m_gateway.window->rulesPage();
        QTRY_VERIFY_WITH_TIMEOUT(m_page->findChild<QPushButton *>(QStringLiteral("newButton"))->isEnabled(), 10000);
        const QByteArray rules = "[[rule]]\nname = \"no-weights\"\nkind = \"deny\"\nmatch = { path = \"^/v1/weights\" }\n";
        QCOMPARE(m_gateway.daemon().request("POST", QStringLiteral("/api/v1/apply"), m_gateway.daemon().adminToken(), rules,
                                            "application/toml").status,
                 200);
    }

    void cleanupTestCase()
    {
        m_gateway.window.reset();
        QCOMPARE(m_gateway.daemon().stop(), 0);
    }

    void previewHighlightsAndMasksAsYouType()
    {
        RuleEditor *e = openNew();
        QTest::keyClicks(child<QLineEdit>(e, "nameEdit"), QStringLiteral("mask-mail"));
        child<QComboBox>(e, "kindCombo")->setCurrentIndex(2);   // mask
        auto *detector = child<QComboBox>(e, "detectorCombo");
        detector->setCurrentIndex(detector->findData(QStringLiteral("email")));
        auto *sample = child<QPlainTextEdit>(e, "sampleEdit");
        QTest::keyClicks(sample, QStringLiteral("mail ana@example.com or "));
        sample->insertPlainText(QStringLiteral("café bob@example.org"));   // QTest types ASCII only
        auto *masked = child<QPlainTextEdit>(e, "maskedView");
        QTRY_COMPARE_WITH_TIMEOUT(masked->toPlainText(), QStringLiteral("mail [EMAIL] or café [EMAIL]"), 10000);
        QCOMPARE(highlighted(sample), (QStringList{QStringLiteral("ana@example.com"), QStringLiteral("bob@example.org")}));
        QCOMPARE(highlighted(masked), (QStringList{QStringLiteral("[EMAIL]"), QStringLiteral("[EMAIL]")}));
        // Hovering a highlight names its rule and detector.
        QTextCursor at(sample->document());
        at.setPosition(sample->toPlainText().indexOf(QLatin1String("bob@")) + 2);
        const QPoint pos = sample->cursorRect(at).center();
        QHelpEvent help(QEvent::ToolTip, pos, sample->viewport()->mapToGlobal(pos));
        QApplication::sendEvent(sample->viewport(), &help);
        QTRY_COMPARE_WITH_TIMEOUT(QToolTip::text(), QStringLiteral("Rule mask-mail, detector email"), 5000);
        auto *list = child<QListWidget>(e, "matchList");
        QCOMPARE(list->count(), 2);
        QCOMPARE(list->item(1)->text(), QStringLiteral("mask-mail · email: \"bob@example.org\""));

        // A custom pattern instead: the spans and the masked text follow.
        detector->setCurrentIndex(0);
        QTest::keyClicks(child<QLineEdit>(e, "patternEdit"), QStringLiteral("bob@[a-z]+"));
        QTest::keyClicks(child<QLineEdit>(e, "replaceEdit"), QStringLiteral("<who>"));
        QTRY_COMPARE_WITH_TIMEOUT(masked->toPlainText(), QStringLiteral("mail ana@example.com or café <who>.org"), 10000);
        QCOMPARE(highlighted(sample), QStringList{QStringLiteral("bob@example")});
        QCOMPARE(list->item(0)->text(), QStringLiteral("mask-mail · pattern: \"bob@example\""));
        QVERIFY(child<QPushButton>(e, "saveButton")->isEnabled());

        // A whole response: the highlights land in the body, after the head.
        sample->setPlainText(QStringLiteral("HTTP/1.1 200 OK\nContent-Type: text/plain\n\nto bob@example.org"));
        QTRY_COMPARE_WITH_TIMEOUT(masked->toPlainText(), QStringLiteral("to <who>.org"), 10000);
        QCOMPARE(highlighted(sample), QStringList{QStringLiteral("bob@example")});
        m_editor = e;
    }

    void answersToOlderSamplesAreDropped()
    {
        // Two previews in flight at once, the first slow (1 MiB) and the second quick: whichever
        // order the answers come in, only the newer one is ever shown.
        RuleEditor *e = m_editor;
        QVERIFY(e);
        auto *preview = child<RulePreview>(e, "preview");
        auto *sample = child<QPlainTextEdit>(e, "sampleEdit");
        auto *masked = child<QPlainTextEdit>(e, "maskedView");
        QStringList shown;
        auto watch = connect(masked, &QPlainTextEdit::textChanged, masked, [&] { shown << masked->toPlainText().left(40); });
        preview->setDebounce(0);
        QString big;
        while (big.size() < 1000 * 1000)
            big += QStringLiteral("old bob@example.org and more text\n");
        sample->setPlainText(big);
        QTRY_COMPARE_WITH_TIMEOUT(preview->pendingRequests(), 1, 5000);
        sample->setPlainText(QStringLiteral("new bob@example.org"));
        QTRY_COMPARE_WITH_TIMEOUT(preview->pendingRequests(), 0, 20000);
        disconnect(watch);
        preview->setDebounce(250);
        QCOMPARE(masked->toPlainText(), QStringLiteral("new <who>.org"));
        for (const QString &text : std::as_const(shown))
            QVERIFY2(!text.startsWith(QLatin1String("old")), qPrintable(shown.join(QLatin1String(" | "))));
    }

    void aBadPatternShowsItsErrorInPlace()
    {
        RuleEditor *e = m_editor;
        QVERIFY(e);
        auto *pattern = child<QLineEdit>(e, "patternEdit");
        auto *hint = child<QLabel>(e, "patternHint");
        QTest::keyClicks(pattern, QStringLiteral("(unclosed"));
        QTRY_VERIFY_WITH_TIMEOUT(hint->isVisible(), 10000);
        QVERIFY2(hint->text().contains(QLatin1String("missing )")), qPrintable(hint->text()));
        QVERIFY(!child<QPushButton>(e, "saveButton")->isEnabled());
        // The last good preview stays; fixing the pattern clears the error.
        retype(pattern, QStringLiteral("bob@[a-z]+"));
        QTRY_VERIFY_WITH_TIMEOUT(!hint->isVisible(), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(child<QPushButton>(e, "saveButton")->isEnabled(), 10000);
    }

    void saveShowsTheRuleInTheTable()
    {
        RuleEditor *e = m_editor;
        QTest::mouseClick(child<QPushButton>(e, "saveButton"), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!m_page->editor(), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(EditorsTestGateway::rowOf(m_page, QStringLiteral("mask-mail")) >= 0, 10000);
        const QJsonObject o = m_gateway.get(QStringLiteral("/api/v1/rules/mask-mail")).json().object();
        QCOMPARE(o.value(QLatin1String("kind")).toString(), QStringLiteral("mask"));
        QCOMPARE(o.value(QLatin1String("pattern")).toString(), QStringLiteral("bob@[a-z]+"));
        QCOMPARE(o.value(QLatin1String("replace")).toString(), QStringLiteral("<who>"));
    }

    void requestSideShowsTheDecision()
    {
        RuleEditor *e = openNew();
        QTest::keyClicks(child<QLineEdit>(e, "nameEdit"), QStringLiteral("hold-export"));
        child<QComboBox>(e, "kindCombo")->setCurrentIndex(1);   // approve
        QTest::keyClicks(child<QLineEdit>(e, "bodyEdit"), QStringLiteral("export"));
        QTest::keyClicks(child<QLineEdit>(e, "approversEdit"), QStringLiteral("security"));
        auto *sample = child<QPlainTextEdit>(e, "sampleEdit");
        auto *decision = child<QLabel>(e, "decisionLabel");
        sample->insertPlainText(QStringLiteral("POST /v1/jobs HTTP/1.1\nContent-Type: text/plain\n\nplease "));
        QTest::keyClicks(sample, QStringLiteral("export it"));
        QTRY_COMPARE_WITH_TIMEOUT(decision->text(), QStringLiteral("Held for approval by security (rule hold-export)."), 10000);
        // The stored deny rule comes first.
        sample->setPlainText(QStringLiteral("GET /v1/weights/all HTTP/1.1\n\n"));
        QTRY_COMPARE_WITH_TIMEOUT(decision->text(), QStringLiteral("Denied by rule no-weights."), 10000);
        sample->setPlainText(QStringLiteral("GET /v1/models HTTP/1.1\n\n"));
        QTRY_COMPARE_WITH_TIMEOUT(decision->text(), QStringLiteral("Allowed."), 10000);
        // The draft limited to "llm" holds the request there (no connection given: every rule
        // applies), and not on another connection.
        retype(child<QLineEdit>(e, "connectionsEdit"), QStringLiteral("llm"));
        sample->setPlainText(QStringLiteral("POST /v1/jobs HTTP/1.1\n\nexport"));
        QTRY_COMPARE_WITH_TIMEOUT(decision->text(), QStringLiteral("Held for approval by security (rule hold-export)."), 10000);
        QTest::keyClicks(child<QLineEdit>(e, "previewConnectionEdit"), QStringLiteral("other"));
        QTRY_COMPARE_WITH_TIMEOUT(decision->text(), QStringLiteral("Allowed."), 10000);
        e->reject();
    }

    void editingKeepsWhatTheEditorHasNoFieldFor()
    {
        const QByteArray rules = "[[rule]]\nname = \"no-drop\"\nkind = \"deny\"\n"
                                 "match = { query = \"(?i)^\\\\s*drop\\\\b\" }\n";
        QCOMPARE(m_gateway.daemon().request("POST", QStringLiteral("/api/v1/apply"), m_gateway.daemon().adminToken(), rules,
                                            "application/toml").status,
                 200);
        const QString query = m_gateway.get(QStringLiteral("/api/v1/rules/no-drop")).json().object()
                                  .value(QLatin1String("match")).toObject().value(QLatin1String("query")).toString();
        QVERIFY(!query.isEmpty());
        m_page->refresh();
        QTRY_VERIFY_WITH_TIMEOUT(EditorsTestGateway::rowOf(m_page, QStringLiteral("no-drop")) >= 0, 10000);
        m_page->view()->selectRow(EditorsTestGateway::rowOf(m_page, QStringLiteral("no-drop")));
        QTest::mouseClick(m_page->findChild<QPushButton *>(QStringLiteral("editButton")), Qt::LeftButton);
        auto *e = qobject_cast<RuleEditor *>(m_page->editor());
        QVERIFY(e);
        retype(child<QLineEdit>(e, "groupsEdit"), QStringLiteral("dba"));
        auto *save = child<QPushButton>(e, "saveButton");
        QTRY_VERIFY_WITH_TIMEOUT(save->isEnabled(), 10000);
        QTest::mouseClick(save, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!m_page->editor(), 10000);
        const QJsonObject o = m_gateway.get(QStringLiteral("/api/v1/rules/no-drop")).json().object();
        QCOMPARE(o.value(QLatin1String("groups")).toArray(), QJsonArray{QStringLiteral("dba")});
        QCOMPARE(o.value(QLatin1String("match")).toObject().value(QLatin1String("query")).toString(), query);
    }

    void editAndDeleteARule()
    {
        m_page->refresh();
        QTRY_VERIFY_WITH_TIMEOUT(EditorsTestGateway::rowOf(m_page, QStringLiteral("mask-mail")) >= 0, 10000);
        m_page->view()->selectRow(EditorsTestGateway::rowOf(m_page, QStringLiteral("mask-mail")));
        QTest::mouseClick(m_page->findChild<QPushButton *>(QStringLiteral("editButton")), Qt::LeftButton);
        auto *e = qobject_cast<RuleEditor *>(m_page->editor());
        QVERIFY(e);
        QCOMPARE(child<QLineEdit>(e, "patternEdit")->text(), QStringLiteral("bob@[a-z]+"));
        e->reject();

        m_page->view()->selectRow(EditorsTestGateway::rowOf(m_page, QStringLiteral("mask-mail")));
        QTest::mouseClick(m_page->findChild<QPushButton *>(QStringLiteral("deleteButton")), Qt::LeftButton);
        QMessageBox *box = m_page->confirmation();
        QVERIFY(box);
        QVERIFY2(box->text().contains(QLatin1String("\"mask-mail\"")), qPrintable(box->text()));
        QTest::mouseClick(box->button(QMessageBox::Yes), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(EditorsTestGateway::rowOf(m_page, QStringLiteral("mask-mail")), -1, 10000);
        QCOMPARE(m_gateway.get(QStringLiteral("/api/v1/rules/mask-mail")).status, 404);
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

    // The text under every highlight, as the user sees it marked.
    static QStringList highlighted(QPlainTextEdit *edit)
    {
        QStringList out;
        for (const QTextEdit::ExtraSelection &s : edit->extraSelections())
            out << s.cursor.selectedText();
        return out;
    }

    RuleEditor *openNew()
    {
        QTest::mouseClick(m_page->findChild<QPushButton *>(QStringLiteral("newButton")), Qt::LeftButton);
        auto *e = qobject_cast<RuleEditor *>(m_page->editor());
        if (!e || !e->isVisible())
            qFatal("the New button opened no rule editor");
        return e;
    }

    EditorsTestGateway m_gateway;
    gh::ResourcePage *m_page = nullptr;
    QPointer<RuleEditor> m_editor;
};

QTEST_MAIN(tst_RuleEditor)
#include "tst_ruleeditor.moc"
