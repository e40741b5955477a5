// DataDir: the directory and files that hold the gateway's secrets.
#include "node/DataDir.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

namespace {

int modeOf(const QString &path)
{
    struct stat st {};
    return ::stat(QFile::encodeName(path).constData(), &st) == 0 ? int(st.st_mode & 0777) : -1;
}

} // namespace

class TestDataDir final : public QObject {
    Q_OBJECT

private slots:
    void createsOwnerOnlyDirectory();
    void tightensLooseDirectory();
    void adminTokenIsCreatedOnceAndKept();
    void readableAdminTokenIsRefused();
    void shortAdminTokenIsRefused();
    void privateFileRoundTrip();
};

void TestDataDir::createsOwnerOnlyDirectory()
{
    QTemporaryDir tmp;
    const QString path = tmp.filePath(QStringLiteral("a/b/gatehouse"));
    auto dir = gh::DataDir::open(path);
    QVERIFY2(dir.ok(), qPrintable(dir.ok() ? QString() : dir.error().toString()));
    QCOMPARE(modeOf(path), 0700);
    QCOMPARE(dir->storePath(), path + QStringLiteral("/gatehouse.db"));
}

void TestDataDir::tightensLooseDirectory()
{
    QTemporaryDir tmp;
    const QString path = tmp.filePath(QStringLiteral("loose"));
    QVERIFY(QDir().mkdir(path));
    QVERIFY(::chmod(QFile::encodeName(path).constData(), 0755) == 0);
    QVERIFY(gh::DataDir::open(path).ok());
    QCOMPARE(modeOf(path), 0700);
}

void TestDataDir::adminTokenIsCreatedOnceAndKept()
{
    QTemporaryDir tmp;
    auto dir = gh::DataDir::open(tmp.filePath(QStringLiteral("d")));
    QVERIFY(dir.ok());
    auto first = dir->loadOrCreateAdminToken();
    QVERIFY(first.ok());
    QVERIFY(first->startsWith("gha_"));
    QVERIFY(first->size() >= 40);
    QCOMPARE(modeOf(dir->adminTokenPath()), 0600);
    auto second = dir->loadOrCreateAdminToken();
    QVERIFY(second.ok());
    QCOMPARE(*second, *first);

    // Another data dir gets another token.
    auto other = gh::DataDir::open(tmp.filePath(QStringLiteral("e")));
    QVERIFY(other.ok());
    QVERIFY(*other->loadOrCreateAdminToken() != *first);
}

void TestDataDir::readableAdminTokenIsRefused()
{
    QTemporaryDir tmp;
    auto dir = gh::DataDir::open(tmp.filePath(QStringLiteral("d")));
    QVERIFY(dir.ok());
    QVERIFY(dir->loadOrCreateAdminToken().ok());
    QVERIFY(::chmod(QFile::encodeName(dir->adminTokenPath()).constData(), 0644) == 0);
    auto again = dir->loadOrCreateAdminToken();
    QVERIFY(!again.ok());
    QVERIFY2(again.error().message.contains(QStringLiteral("chmod 600")), qPrintable(again.error().message));
}

void TestDataDir::shortAdminTokenIsRefused()
{
    QTemporaryDir tmp;
    auto dir = gh::DataDir::open(tmp.filePath(QStringLiteral("d")));
    QVERIFY(dir.ok());
    QVERIFY(gh::writePrivateFile(dir->adminTokenPath(), "abc\n").ok());
    QVERIFY(!dir->loadOrCreateAdminToken().ok());
}

void TestDataDir::privateFileRoundTrip()
{
    QTemporaryDir tmp;
    const QString path = tmp.filePath(QStringLiteral("secret"));
    QVERIFY(gh::writePrivateFile(path, "one").ok());
    QVERIFY(gh::writePrivateFile(path, "two").ok());   // replaces atomically
    QCOMPARE(modeOf(path), 0600);
    auto read = gh::readPrivateFile(path);
    QVERIFY(read.ok());
    QCOMPARE(*read, QByteArray("two"));
    QCOMPARE(QDir(tmp.path()).entryList(QDir::Files).size(), 1);   // no temporary left behind
    QVERIFY(!gh::readPrivateFile(tmp.filePath(QStringLiteral("missing"))).ok());
}

QTEST_GUILESS_MAIN(TestDataDir)
#include "tst_datadir.moc"
