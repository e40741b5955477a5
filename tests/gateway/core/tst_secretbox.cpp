#include "core/SecretBox.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

namespace {

QByteArray keyOf(char c) { return QByteArray(gh::SecretBox::KeySize, c); }

bool writeFile(const QString &path, const QByteArray &content)
{
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(content) == content.size();
}

uint modeOf(const QString &path)
{
    struct stat st {};
    return ::stat(QFile::encodeName(path).constData(), &st) == 0 ? uint(st.st_mode & 0777) : 0xffff;
}

} // namespace

class tst_SecretBox final : public QObject {
    Q_OBJECT

private slots:
    void sealOpenRoundTrip_data()
    {
        QTest::addColumn<QString>("plain");
        QTest::newRow("api key") << u"sk-live-1234567890abcdef"_qs;
        QTest::newRow("empty") << QString();
        QTest::newRow("unicode and braces") << QString::fromUtf8("pässwörd } ${env:X} 🔑");
        QTest::newRow("long") << QString(5000, u'x');
    }
    void sealOpenRoundTrip()
    {
        QFETCH(QString, plain);
        auto box = gh::SecretBox::fromKey(keyOf('k'));
        QVERIFY(box.ok());
        const QString sealed = (*box)->seal(plain);
        QVERIFY(sealed.startsWith(u"${sealed:"_qs));
        QVERIFY(sealed.endsWith(u'}'));
        if (!plain.isEmpty())
            QVERIFY(!sealed.contains(plain));
        const auto opened = (*box)->open(sealed);
        QVERIFY(opened.ok());
        QCOMPARE(*opened, plain);
        // A fresh nonce each time: equal secrets do not give equal ciphertexts.
        QVERIFY((*box)->seal(plain) != sealed);
    }

    void tamperedOrForeignIsRefused()
    {
        auto box = gh::SecretBox::fromKey(keyOf('k'));
        auto other = gh::SecretBox::fromKey(keyOf('o'));
        QVERIFY(box.ok() && other.ok());
        const QString sealed = (*box)->seal(u"top secret"_qs);

        QString flipped = sealed;
        const qsizetype mid = sealed.size() / 2;
        flipped[mid] = flipped[mid] == u'A' ? u'B' : u'A';
        QVERIFY(!(*box)->open(flipped).ok());
        QVERIFY((*box)->open(flipped).error().message.contains(u"does not open"_qs));

        QString truncated = sealed;
        truncated.remove(sealed.size() - 5, 4);
        QVERIFY(!(*box)->open(truncated).ok());

        QVERIFY(!(*other)->open(sealed).ok());
        QVERIFY(!(*box)->open(u"${sealed:!!notbase64!!}"_qs).ok());
        QVERIFY(!(*box)->open(u"${sealed:}"_qs).ok());
        QVERIFY(!(*box)->open(u"top secret"_qs).ok());
    }

    void wrongKeySizeRefused()
    {
        QVERIFY(!gh::SecretBox::fromKey(QByteArray(16, 'k')).ok());
    }

    void keyFileCreatedPrivateAndReused()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"sub/secret.key"_qs);
        auto first = gh::SecretBox::loadOrCreate(path);
        QVERIFY2(first.ok(), qPrintable(first.ok() ? QString() : first.error().toString()));
        QCOMPARE(modeOf(path), 0600u);
        QCOMPARE(QFileInfo(path).size(), qint64(gh::SecretBox::KeySize));
        // No temporary files left behind next to the key.
        QCOMPARE(QDir(dir.filePath(u"sub"_qs)).entryList(QDir::Files | QDir::Hidden), QStringList{u"secret.key"_qs});

        const QString sealed = (*first)->seal(u"pw"_qs);
        auto second = gh::SecretBox::loadOrCreate(path);
        QVERIFY(second.ok());
        const auto opened = (*second)->open(sealed);
        QVERIFY(opened.ok());
        QCOMPARE(*opened, u"pw"_qs);
    }

    void keyFilesAreDifferentPerGateway()
    {
        QTemporaryDir dir;
        auto a = gh::SecretBox::loadOrCreate(dir.filePath(u"a.key"_qs));
        auto b = gh::SecretBox::loadOrCreate(dir.filePath(u"b.key"_qs));
        QVERIFY(a.ok() && b.ok());
        QVERIFY(!(*b)->open((*a)->seal(u"x"_qs)).ok());
    }

    void unsafeKeyFileRefused_data()
    {
        QTest::addColumn<int>("mode");
        QTest::addColumn<int>("size");
        QTest::addColumn<QString>("messagePart");
        QTest::newRow("world readable") << 0644 << 32 << u"0644"_qs;
        QTest::newRow("group readable") << 0640 << 32 << u"group or others"_qs;
        QTest::newRow("too short") << 0600 << 16 << u"16 bytes, expected 32"_qs;
        QTest::newRow("too long") << 0600 << 33 << u"33 bytes"_qs;
    }
    void unsafeKeyFileRefused()
    {
        QFETCH(int, mode);
        QFETCH(int, size);
        QFETCH(QString, messagePart);
        QTemporaryDir dir;
        const QString path = dir.filePath(u"secret.key"_qs);
        QVERIFY(writeFile(path, QByteArray(size, 'k')));
        QVERIFY(::chmod(QFile::encodeName(path).constData(), mode_t(mode)) == 0);
        auto box = gh::SecretBox::loadOrCreate(path);
        QVERIFY(!box.ok());
        QCOMPARE(box.error().file, path);
        QVERIFY2(box.error().message.contains(messagePart), qPrintable(box.error().message));
        QCOMPARE(QFileInfo(path).size(), qint64(size));   // never "repaired" by overwriting
    }

    void hasReference_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("expected");
        QTest::newRow("env") << u"Bearer ${env:KEY}"_qs << true;
        QTest::newRow("file") << u"${file:/run/k}"_qs << true;
        QTest::newRow("sealed") << u"${sealed:abc}"_qs << true;
        QTest::newRow("literal") << u"sk-123"_qs << false;
        QTest::newRow("dollar alone") << u"pa$$word{}"_qs << false;
        QTest::newRow("other form") << u"${vault:x}"_qs << false;
    }
    void hasReference()
    {
        QFETCH(QString, text);
        QFETCH(bool, expected);
        QCOMPARE(gh::hasReference(text), expected);
    }

    void resolveTemplate_data()
    {
        QTest::addColumn<QString>("templ");
        QTest::addColumn<bool>("ok");
        QTest::addColumn<QString>("expected");   // the value, or a part of the error message
        QTest::newRow("literal") << u"plain text"_qs << true << u"plain text"_qs;
        QTest::newRow("dollar and braces") << u"a$b{c}$"_qs << true << u"a$b{c}$"_qs;
        QTest::newRow("env") << u"Bearer ${env:GH_TEST_TOKEN}"_qs << true << u"Bearer tok-123"_qs;
        QTest::newRow("env empty but set") << u"[${env:GH_TEST_EMPTY}]"_qs << true << u"[]"_qs;
        QTest::newRow("env value not expanded again") << u"${env:GH_TEST_NESTED}"_qs << true << u"${env:GH_TEST_TOKEN}"_qs;
        QTest::newRow("file one newline dropped") << u"${file:@/two-newlines}"_qs << true << u"line\n"_qs;
        QTest::newRow("file crlf") << u"x${file:@/crlf}y"_qs << true << u"xsecrety"_qs;
        QTest::newRow("two refs") << u"${env:GH_TEST_TOKEN}:${file:@/crlf}"_qs << true << u"tok-123:secret"_qs;
        QTest::newRow("missing env") << u"${env:GH_TEST_NOT_SET}"_qs << false << u"GH_TEST_NOT_SET is not set"_qs;
        QTest::newRow("bad env name") << u"${env:A-B}"_qs << false << u"environment variable name"_qs;
        QTest::newRow("missing file") << u"${file:@/nope}"_qs << false << u"/nope"_qs;
        QTest::newRow("unknown form") << u"${vault:kv/x}"_qs << false << u"unknown reference ${vault:...}"_qs;
        QTest::newRow("bare braces") << u"${KEY}"_qs << false << u"unknown reference"_qs;
        QTest::newRow("unterminated") << u"abc ${env:KEY"_qs << false << u"unterminated"_qs;
        QTest::newRow("bad sealed") << u"${sealed:AAAA}"_qs << false << u"malformed"_qs;
    }
    void resolveTemplate()
    {
        QFETCH(QString, templ);
        QFETCH(bool, ok);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        QVERIFY(writeFile(dir.filePath(u"two-newlines"_qs), "line\n\n"));
        QVERIFY(writeFile(dir.filePath(u"crlf"_qs), "secret\r\n"));
        qputenv("GH_TEST_TOKEN", "tok-123");
        qputenv("GH_TEST_EMPTY", "");
        qputenv("GH_TEST_NESTED", "${env:GH_TEST_TOKEN}");
        qunsetenv("GH_TEST_NOT_SET");
        templ.replace(u"@"_qs, dir.path());
        expected.replace(u"@"_qs, dir.path());
        auto box = gh::SecretBox::fromKey(keyOf('k'));
        QVERIFY(box.ok());
        const auto r = gh::resolveTemplate(templ, box->get());
        QCOMPARE(r.ok(), ok);
        if (ok)
            QCOMPARE(*r, expected);
        else
            QVERIFY2(r.error().message.contains(expected), qPrintable(r.error().message));
    }

    void resolveSealed()
    {
        auto box = gh::SecretBox::fromKey(keyOf('k'));
        QVERIFY(box.ok());
        const QString templ = u"Bearer "_qs + (*box)->seal(u"sk-1"_qs);
        const auto r = gh::resolveTemplate(templ, box->get());
        QVERIFY(r.ok());
        QCOMPARE(*r, u"Bearer sk-1"_qs);
        QVERIFY(!gh::resolveTemplate(templ, nullptr).ok());
    }

    void errorsNeverQuoteTheLiteral()
    {
        const auto r = gh::resolveTemplate(u"sk-very-secret ${oops:x}"_qs, nullptr);
        QVERIFY(!r.ok());
        QVERIFY(!r.error().message.contains(u"sk-very-secret"_qs));
    }

    void sealLiteralsSealsOnlyLiterals()
    {
        auto box = gh::SecretBox::fromKey(keyOf('k'));
        QVERIFY(box.ok());
        gh::Connection http;
        http.name = u"llm"_qs;
        http.type = u"http"_qs;
        http.credential.header = u"Authorization"_qs;
        http.credential.value = u"Bearer sk-literal"_qs;
        QVERIFY(gh::sealLiterals(http, **box).ok());
        QCOMPARE(http.credential.header, u"Authorization"_qs);
        QVERIFY(http.credential.value.startsWith(u"${sealed:"_qs));
        QVERIFY(!http.credential.value.contains(u"sk-literal"_qs));
        QCOMPARE(*gh::resolveTemplate(http.credential.value, box->get()), u"Bearer sk-literal"_qs);

        // Sealing again is a no-op: the value is now a reference this box opens.
        const QString once = http.credential.value;
        QVERIFY(gh::sealLiterals(http, **box).ok());
        QCOMPARE(http.credential.value, once);

        gh::Connection pg;
        pg.name = u"db"_qs;
        pg.type = u"postgres"_qs;
        pg.credential.user = u"app"_qs;
        pg.credential.password = u"Bearer ${env:PGPASSWORD}"_qs;
        QVERIFY(gh::sealLiterals(pg, **box).ok());
        QCOMPARE(pg.credential.password, u"Bearer ${env:PGPASSWORD}"_qs);
        QCOMPARE(pg.credential.user, u"app"_qs);
        pg.credential.password = u"hunter2"_qs;
        QVERIFY(gh::sealLiterals(pg, **box).ok());
        QCOMPARE(*gh::resolveTemplate(pg.credential.password, box->get()), u"hunter2"_qs);
    }

    void sealLiteralsRefusesForeignAndBroken()
    {
        auto box = gh::SecretBox::fromKey(keyOf('k'));
        auto other = gh::SecretBox::fromKey(keyOf('o'));
        QVERIFY(box.ok() && other.ok());
        gh::Connection c;
        c.name = u"llm"_qs;
        c.type = u"http"_qs;
        c.line = 4;
        c.credential.header = u"Authorization"_qs;
        c.credential.value = (*other)->seal(u"x"_qs);
        const gh::Status s = gh::sealLiterals(c, **box);
        QVERIFY(!s.ok());
        QVERIFY(s.error().message.contains(u"sealed by another gateway"_qs));
        QCOMPARE(s.error().key, u"connection \"llm\": credential.value"_qs);
        QCOMPARE(s.error().line, 4);

        c.credential.value = u"${ENV:KEY}"_qs;   // a typo must not be sealed as if it were the secret
        QVERIFY(!gh::sealLiterals(c, **box).ok());
        QCOMPARE(c.credential.value, u"${ENV:KEY}"_qs);
    }
};

QTEST_GUILESS_MAIN(tst_SecretBox)
#include "tst_secretbox.moc"
