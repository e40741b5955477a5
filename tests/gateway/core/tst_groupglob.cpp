// allow_groups entries are globs over the caller's groups; "*" admits any authenticated caller.
#include "core/GroupGlob.h"

#include <QTest>

using gh::GroupGlob;

class TestGroupGlob final : public QObject {
    Q_OBJECT

private slots:
    void matches_data();
    void matches();
    void allows();
    void pathologicalPatternIsFast();
};

void TestGroupGlob::matches_data()
{
    QTest::addColumn<QString>("pattern");
    QTest::addColumn<QString>("group");
    QTest::addColumn<bool>("match");
    QTest::newRow("literal") << QStringLiteral("ml-eng") << QStringLiteral("ml-eng") << true;
    QTest::newRow("literal differs") << QStringLiteral("ml-eng") << QStringLiteral("ml-engineering") << false;
    QTest::newRow("case matters") << QStringLiteral("ml-eng") << QStringLiteral("ML-eng") << false;
    QTest::newRow("prefix star") << QStringLiteral("ml-*") << QStringLiteral("ml-eng") << true;
    QTest::newRow("prefix star empty rest") << QStringLiteral("ml-*") << QStringLiteral("ml-") << true;
    QTest::newRow("prefix star no match") << QStringLiteral("ml-*") << QStringLiteral("ops") << false;
    QTest::newRow("suffix star") << QStringLiteral("*-bots") << QStringLiteral("ci-bots") << true;
    QTest::newRow("middle star") << QStringLiteral("team/*/admins") << QStringLiteral("team/ml/admins") << true;
    QTest::newRow("middle star no match") << QStringLiteral("team/*/admins") << QStringLiteral("team/ml/users") << false;
    QTest::newRow("question") << QStringLiteral("ops?") << QStringLiteral("ops1") << true;
    QTest::newRow("question needs one") << QStringLiteral("ops?") << QStringLiteral("ops") << false;
    QTest::newRow("backtracking") << QStringLiteral("a*b*c") << QStringLiteral("axxbyybzzc") << true;
    QTest::newRow("backtracking fails") << QStringLiteral("a*b*c") << QStringLiteral("axxbyyzz") << false;
    QTest::newRow("dot is literal") << QStringLiteral("a.b") << QStringLiteral("axb") << false;
    QTest::newRow("empty group") << QStringLiteral("*") << QString() << true;
}

void TestGroupGlob::matches()
{
    QFETCH(QString, pattern);
    QFETCH(QString, group);
    QFETCH(bool, match);
    QCOMPARE(GroupGlob::matches(pattern, group), match);
}

void TestGroupGlob::allows()
{
    QVERIFY(GroupGlob::allows({QStringLiteral("*")}, {}));   // any authenticated caller, even without groups
    QVERIFY(GroupGlob::allows({QStringLiteral("finance"), QStringLiteral("ml-*")}, {QStringLiteral("ops"), QStringLiteral("ml-eng")}));
    QVERIFY(!GroupGlob::allows({QStringLiteral("finance")}, {QStringLiteral("ops")}));
    QVERIFY(!GroupGlob::allows({}, {QStringLiteral("ops")}));   // no allow_groups: nobody
    QVERIFY(!GroupGlob::allows({QStringLiteral("ml-*")}, {}));
}

void TestGroupGlob::pathologicalPatternIsFast()
{
    // A naive recursive matcher takes exponential time here; the caller's groups come from tokens.
    const QString pattern = QStringLiteral("*a*a*a*a*a*a*a*a*a*a*b");
    const QString group(200, QLatin1Char('a'));
    QElapsedTimer t;
    t.start();
    QVERIFY(!GroupGlob::matches(pattern, group));
    QVERIFY(t.elapsed() < 500);
}

QTEST_GUILESS_MAIN(TestGroupGlob)
#include "tst_groupglob.moc"
