// The credential a connection adds upstream: resolved at use, kept, re-read when its file changes.
#include "core/SecretBox.h"
#include "proxy/CredentialSource.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <utime.h>

using gh::CredentialSource;

namespace {

void writeFile(const QString &path, const QByteArray &content, int mtimeOffset)
{
    QFile f(path);
    QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
    f.write(content);
    f.close();
    // Distinct mtimes without sleeping.
    struct utimbuf times {};
    times.actime = times.modtime = 1'700'000'000 + mtimeOffset;
    QCOMPARE(::utime(QFile::encodeName(path).constData(), &times), 0);
}

} // namespace

class TestCredentialSource final : public QObject {
    Q_OBJECT

private slots:
    void literalAndEnv();
    void sealedValueOpensWithTheBox();
    void fileIsReadAgainWhenItChanges();
    void missingEnvIsAnErrorWithoutTheSecret();
    void lineBreakInValueIsRefused();
};

void TestCredentialSource::literalAndEnv()
{
    qputenv("GH_TEST_CRED", "sk-from-env");
    CredentialSource s(QStringLiteral("Bearer ${env:GH_TEST_CRED}"), nullptr);
    auto v = s.value();
    QVERIFY(v);
    QCOMPARE(*v, QByteArray("Bearer sk-from-env"));
    // Resolved once per route table: a later change of the environment is not picked up.
    qputenv("GH_TEST_CRED", "sk-changed");
    QCOMPARE(*s.value(), QByteArray("Bearer sk-from-env"));
}

void TestCredentialSource::sealedValueOpensWithTheBox()
{
    auto box = gh::SecretBox::fromKey(QByteArray(gh::SecretBox::KeySize, 'k'));
    QVERIFY(box);
    const QString sealed = (*box)->seal(QStringLiteral("sk-live-123"));
    CredentialSource s(sealed, box->get());
    auto v = s.value();
    QVERIFY2(v, v ? "" : qPrintable(v.error().message));
    QCOMPARE(*v, QByteArray("sk-live-123"));

    CredentialSource withoutBox(sealed, nullptr);
    QVERIFY(!withoutBox.value());
}

void TestCredentialSource::fileIsReadAgainWhenItChanges()
{
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("token"));
    writeFile(path, "first-token\n", 0);
    CredentialSource s(QStringLiteral("Bearer ${file:") + path + QLatin1Char('}'), nullptr);
    QCOMPARE(*s.value(), QByteArray("Bearer first-token"));

    writeFile(path, "second-token\n", 10);
    // Checked at most once a second.
    QTRY_COMPARE_WITH_TIMEOUT(*s.value(), QByteArray("Bearer second-token"), 3000);

    QFile::remove(path);
    QTRY_VERIFY_WITH_TIMEOUT(!s.value(), 3000);
    writeFile(path, "third-token", 20);
    QCOMPARE(*s.value(), QByteArray("Bearer third-token"));   // an error is not cached
}

void TestCredentialSource::missingEnvIsAnErrorWithoutTheSecret()
{
    qunsetenv("GH_TEST_MISSING");
    CredentialSource s(QStringLiteral("sk-literal-part-${env:GH_TEST_MISSING}"), nullptr);
    auto v = s.value();
    QVERIFY(!v);
    QVERIFY(!v.error().message.contains(QStringLiteral("sk-literal-part")));
}

void TestCredentialSource::lineBreakInValueIsRefused()
{
    qputenv("GH_TEST_INJECT", "abc\r\nX-Injected: 1");
    CredentialSource s(QStringLiteral("${env:GH_TEST_INJECT}"), nullptr);
    QVERIFY(!s.value());
}

QTEST_GUILESS_MAIN(TestCredentialSource)
#include "tst_credentialsource.moc"
