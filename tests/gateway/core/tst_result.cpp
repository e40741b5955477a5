#include "core/Result.h"

#include <QStringList>
#include <QTest>

#include <memory>

using namespace gh;

namespace {

Result<QStringList> listOf(int n)
{
    QStringList out;
    for (int i = 0; i < n; ++i)
        out << QStringLiteral("item %1").arg(i);
    return out;
}

Result<QStringList> failing()
{
    return Error(QStringLiteral("no list"));
}

} // namespace

// Result is what every store read returns; the ways callers take its value must be safe ones.
class tst_Result : public QObject {
    Q_OBJECT

private slots:
    // The loop's range is a temporary Result: its value must outlive the loop (the address
    // sanitizer build of CI sees a read of freed memory if it does not).
    void rangeForOverATemporaryResultSeesItsValues()
    {
        QStringList seen;
        for (const QString &s : listOf(3).value())
            seen << s;
        QCOMPARE(seen, (QStringList{QStringLiteral("item 0"), QStringLiteral("item 1"), QStringLiteral("item 2")}));
        seen.clear();
        for (const QString &s : *listOf(2))
            seen << s;
        QCOMPARE(seen.size(), 2);
    }

    void valueMovesOutOfATemporary()
    {
        Result<std::unique_ptr<int>> r(std::make_unique<int>(7));
        std::unique_ptr<int> taken = std::move(r).value();
        QVERIFY(taken);
        QCOMPARE(*taken, 7);
    }

    void errorsKeepTheirMessage()
    {
        const Result<QStringList> r = failing();
        QVERIFY(!r.ok());
        QVERIFY(!r);
        QCOMPARE(r.error().message, QStringLiteral("no list"));
        const Status ok;
        QVERIFY(ok.ok());
    }
};

QTEST_GUILESS_MAIN(tst_Result)
#include "tst_result.moc"
