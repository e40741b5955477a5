#include "identity/TokenIssuer.h"

#include "identity/JwtVerifier.h"

#include "core/Clock.h"

#include "TestJwt.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <openssl/pem.h>

#include <sys/stat.h>

using namespace gh;
using namespace std::chrono_literals;

namespace {

mode_t fileMode(const QString &path)
{
    struct stat st {};
    if (::stat(QFile::encodeName(path).constData(), &st) != 0)
        return 0;
    return st.st_mode & 07777;
}

QJsonObject jsonPart(const QByteArray &token, int index)
{
    return QJsonDocument::fromJson(Base64Url::decode(token.split('.').at(index)).value()).object();
}

} // namespace

class tst_TokenIssuer : public QObject {
    Q_OBJECT
private slots:
    void createsPrivateKeyFile();
    void reloadKeepsTheSameIdentity();
    void twoDataDirsHaveDifferentIssuers();
    void createsMissingDataDir();
    void refusesKeyReadableByOthers_data();
    void refusesKeyReadableByOthers();
    void refusesUnusableKeyFiles_data();
    void refusesUnusableKeyFiles();
    void issuedTokenVerifies();
    void ttlIsCappedAtMax();
    void tokenIdsAreRandom128Bit();
    void refusesBadRequests_data();
    void refusesBadRequests();
    void signsAndVerifiesRawData();
    void publicJwksHoldsNoPrivateMaterial();

private:
    FakeClock m_clock;
};

void tst_TokenIssuer::createsPrivateKeyFile()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const auto issuer = TokenIssuer::loadOrCreate(dir.path());
    QVERIFY2(issuer.ok(), qPrintable(issuer.ok() ? QString() : issuer.error().toString()));
    const QString path = dir.filePath(QStringLiteral("signing.key"));
    QCOMPARE(fileMode(path), mode_t(0600));
    QFile f(path);
    QVERIFY(f.open(QIODevice::ReadOnly));
    QVERIFY(f.readAll().startsWith("-----BEGIN PRIVATE KEY-----"));   // PKCS#8
    // No temporary file is left behind.
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden), QStringList{QStringLiteral("signing.key")});
}

void tst_TokenIssuer::reloadKeepsTheSameIdentity()
{
    QTemporaryDir dir;
    const auto first = TokenIssuer::loadOrCreate(dir.path());
    QVERIFY(first.ok());
    const auto second = TokenIssuer::loadOrCreate(dir.path());
    QVERIFY(second.ok());
    QCOMPARE((*second)->keyId(), (*first)->keyId());
    QCOMPARE((*second)->issuer(), (*first)->issuer());
    // A token issued before the restart still verifies after it.
    const auto issued = (*first)->issue(QStringLiteral("bob"), {}, 5min, 1h, m_clock.now());
    QVERIFY(issued.ok());
    const JwtVerifier verifier(JwtPolicy{(*second)->issuer(), TokenIssuer::audience()});
    QVERIFY(verifier.verify(issued->token, (*second)->publicKeys(), m_clock.now()).ok());
}

void tst_TokenIssuer::twoDataDirsHaveDifferentIssuers()
{
    QTemporaryDir a, b;
    const auto one = TokenIssuer::loadOrCreate(a.path());
    const auto two = TokenIssuer::loadOrCreate(b.path());
    QVERIFY(one.ok() && two.ok());
    QVERIFY((*one)->issuer() != (*two)->issuer());
    QCOMPARE((*one)->issuer(), QStringLiteral("gatehouse:") + (*one)->keyId().left(16));
    QCOMPARE((*one)->keyId().toLatin1(), (*one)->publicKeys().keys().at(0).thumbprint());
}

void tst_TokenIssuer::createsMissingDataDir()
{
    QTemporaryDir dir;
    const QString nested = dir.filePath(QStringLiteral("a/b/gatehouse"));
    QVERIFY(TokenIssuer::loadOrCreate(nested).ok());
    QVERIFY(QFile::exists(nested + QStringLiteral("/signing.key")));
    QCOMPARE(fileMode(nested), mode_t(0700));
}

void tst_TokenIssuer::refusesKeyReadableByOthers_data()
{
    QTest::addColumn<int>("mode");
    QTest::newRow("0640") << 0640;
    QTest::newRow("0604") << 0604;
    QTest::newRow("0660") << 0660;
}

void tst_TokenIssuer::refusesKeyReadableByOthers()
{
    QFETCH(int, mode);
    QTemporaryDir dir;
    QVERIFY(TokenIssuer::loadOrCreate(dir.path()).ok());
    const QString path = dir.filePath(QStringLiteral("signing.key"));
    QCOMPARE(::chmod(QFile::encodeName(path).constData(), mode_t(mode)), 0);
    const auto reloaded = TokenIssuer::loadOrCreate(dir.path());
    QVERIFY(!reloaded.ok());
    QVERIFY2(reloaded.error().toString().contains(QStringLiteral("chmod 600")), qPrintable(reloaded.error().toString()));
    QCOMPARE(reloaded.error().file, path);
}

void tst_TokenIssuer::refusesUnusableKeyFiles_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("mentions");
    QTest::newRow("garbage") << QByteArray("not a key\n") << QStringLiteral("PEM");
    QTest::newRow("empty") << QByteArray() << QStringLiteral("PEM");
    EVP_PKEY *ec = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, ec, nullptr, nullptr, 0, nullptr, nullptr);
    char *data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    QTest::newRow("EC key instead of Ed25519") << QByteArray(data, len) << QStringLiteral("Ed25519");
    BIO_free(bio);
    EVP_PKEY_free(ec);
}

void tst_TokenIssuer::refusesUnusableKeyFiles()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, mentions);
    QTemporaryDir dir;
    QFile f(dir.filePath(QStringLiteral("signing.key")));
    QVERIFY(f.open(QIODevice::WriteOnly));
    f.write(content);
    f.close();
    QVERIFY(f.setPermissions(QFile::ReadOwner | QFile::WriteOwner));
    const auto issuer = TokenIssuer::loadOrCreate(dir.path());
    QVERIFY(!issuer.ok());
    QVERIFY2(issuer.error().toString().contains(mentions), qPrintable(issuer.error().toString()));
    // The unusable file is left alone for the operator to inspect, not replaced.
    QVERIFY(f.open(QIODevice::ReadOnly));
    QCOMPARE(f.readAll(), content);
}

void tst_TokenIssuer::issuedTokenVerifies()
{
    QTemporaryDir dir;
    const auto issuer = TokenIssuer::loadOrCreate(dir.path());
    QVERIFY(issuer.ok());
    const QStringList groups{QStringLiteral("ml-eng"), QStringLiteral("ci-bots")};
    const auto issued = (*issuer)->issue(QStringLiteral("alice"), groups, 15min, 1h, m_clock.now());
    QVERIFY2(issued.ok(), qPrintable(issued.ok() ? QString() : issued.error().toString()));
    QVERIFY(!issued->capped);
    QCOMPARE(issued->issuedAt, m_clock.now());
    QCOMPARE(issued->expiresAt, m_clock.now().addSecs(15 * 60));

    const QJsonObject header = jsonPart(issued->token, 0);
    QCOMPARE(header.value(QLatin1String("alg")).toString(), QStringLiteral("EdDSA"));
    QCOMPARE(header.value(QLatin1String("typ")).toString(), QStringLiteral("JWT"));
    QCOMPARE(header.value(QLatin1String("kid")).toString(), (*issuer)->keyId());
    const QJsonObject claims = jsonPart(issued->token, 1);
    QCOMPARE(claims.value(QLatin1String("nbf")).toInteger(), m_clock.now().toSecsSinceEpoch());
    QCOMPARE(claims.value(QLatin1String("aud")).toString(), QStringLiteral("gatehouse"));

    const JwtVerifier verifier(JwtPolicy{(*issuer)->issuer(), QStringLiteral("gatehouse")});
    const auto verified = verifier.verify(issued->token, (*issuer)->publicKeys(), m_clock.now());
    QVERIFY2(verified.ok(), qPrintable(verified.ok() ? QString() : verified.failure().reason));
    QCOMPARE(verified->subject, QStringLiteral("alice"));
    QCOMPARE(verified->groups, groups);
    QCOMPARE(verified->tokenId, issued->jti);
    QCOMPARE(verified->expiresAt, issued->expiresAt);
    // And it stops verifying once it has expired (plus leeway).
    QCOMPARE(verifier.verify(issued->token, (*issuer)->publicKeys(), m_clock.now().addSecs(16 * 60 + 61)).code(),
             JwtError::Expired);
}

void tst_TokenIssuer::ttlIsCappedAtMax()
{
    QTemporaryDir dir;
    const auto issuer = TokenIssuer::loadOrCreate(dir.path());
    const auto issued = (*issuer)->issue(QStringLiteral("alice"), {}, 24h, 1h, m_clock.now());
    QVERIFY(issued.ok());
    QVERIFY(issued->capped);
    QCOMPARE(issued->expiresAt, m_clock.now().addSecs(3600));
    QCOMPARE(jsonPart(issued->token, 1).value(QLatin1String("exp")).toInteger(), m_clock.now().toSecsSinceEpoch() + 3600);
}

void tst_TokenIssuer::tokenIdsAreRandom128Bit()
{
    QTemporaryDir dir;
    const auto issuer = TokenIssuer::loadOrCreate(dir.path());
    QSet<QString> seen;
    for (int i = 0; i < 200; ++i) {
        const auto issued = (*issuer)->issue(QStringLiteral("alice"), {}, 1min, 1h, m_clock.now());
        QVERIFY(issued.ok());
        QCOMPARE(issued->jti.size(), 32);   // 128 random bits, hex: never mistaken for an option
        QCOMPARE(QByteArray::fromHex(issued->jti.toLatin1()).toHex(), issued->jti.toLatin1());
        QVERIFY(!seen.contains(issued->jti));
        seen.insert(issued->jti);
    }
}

void tst_TokenIssuer::refusesBadRequests_data()
{
    QTest::addColumn<QString>("subject");
    QTest::addColumn<QStringList>("groups");
    QTest::addColumn<int>("ttl");
    QTest::addColumn<QString>("key");
    QTest::newRow("empty subject") << QString() << QStringList() << 60 << QStringLiteral("subject");
    QTest::newRow("subject too long") << QString(257, QLatin1Char('a')) << QStringList() << 60 << QStringLiteral("subject");
    QTest::newRow("subject with newline") << QStringLiteral("alice\nadmin") << QStringList() << 60 << QStringLiteral("subject");
    QTest::newRow("empty group") << QStringLiteral("alice") << QStringList{QString()} << 60 << QStringLiteral("groups");
    QTest::newRow("group with control char") << QStringLiteral("alice") << QStringList{QStringLiteral("a\x01")} << 60
                                             << QStringLiteral("groups");
    QStringList many;
    for (int i = 0; i < 300; ++i)
        many.append(QString::number(i));
    QTest::newRow("too many groups") << QStringLiteral("alice") << many << 60 << QStringLiteral("groups");
    QTest::newRow("zero ttl") << QStringLiteral("alice") << QStringList() << 0 << QStringLiteral("ttl");
    QTest::newRow("negative ttl") << QStringLiteral("alice") << QStringList() << -5 << QStringLiteral("ttl");
}

void tst_TokenIssuer::refusesBadRequests()
{
    QFETCH(QString, subject);
    QFETCH(QStringList, groups);
    QFETCH(int, ttl);
    QFETCH(QString, key);
    QTemporaryDir dir;
    const auto issuer = TokenIssuer::loadOrCreate(dir.path());
    const auto issued = (*issuer)->issue(subject, groups, std::chrono::seconds(ttl), 1h, m_clock.now());
    QVERIFY(!issued.ok());
    QCOMPARE(issued.error().key, key);
}

void tst_TokenIssuer::signsAndVerifiesRawData()
{
    QTemporaryDir a, b;
    const auto one = TokenIssuer::loadOrCreate(a.path());
    const auto two = TokenIssuer::loadOrCreate(b.path());
    const QByteArray head("session 42 chain head");
    const QByteArray sig = (*one)->sign(head);
    QCOMPARE(sig.size(), 64);
    QVERIFY((*one)->verifySignature(head, sig));
    QVERIFY(!(*one)->verifySignature(QByteArray("session 42 chain heae"), sig));
    QVERIFY(!(*two)->verifySignature(head, sig));
    QVERIFY(!(*one)->verifySignature(head, QByteArray()));
}

void tst_TokenIssuer::publicJwksHoldsNoPrivateMaterial()
{
    QTemporaryDir dir;
    const auto issuer = TokenIssuer::loadOrCreate(dir.path());
    const QJsonObject jwks = (*issuer)->publicJwks();
    const QJsonObject key = jwks.value(QLatin1String("keys")).toArray().at(0).toObject();
    QCOMPARE(key.value(QLatin1String("kid")).toString(), (*issuer)->keyId());
    QCOMPARE(key.value(QLatin1String("crv")).toString(), QStringLiteral("Ed25519"));
    QVERIFY(!key.contains(QLatin1String("d")));
    // The published set is usable by anyone else's verifier.
    QVERIFY(JwkSet::fromJsonObject(jwks).ok());
}

QTEST_GUILESS_MAIN(tst_TokenIssuer)
#include "tst_tokenissuer.moc"
