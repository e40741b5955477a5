#include "identity/TokenIssuer.h"

#include "identity/Base64Url.h"
#include "identity/OpenSslUtil.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace gh {

namespace {

constexpr qsizetype kMaxKeyFileSize = 64 * 1024;

QString sysError(int err)
{
    return QString::fromLocal8Bit(std::strerror(err));
}

// A PEM buffer wiped when it goes out of scope: it holds the private key.
struct SecretBuffer {
    QByteArray bytes;
    ~SecretBuffer() { OPENSSL_cleanse(bytes.data(), size_t(bytes.size())); }
};

Result<EVP_PKEY *> readKeyFile(const QString &path)
{
    const QByteArray native = QFile::encodeName(path);
    const int fd = ::open(native.constData(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return Error(QStringLiteral("cannot open signing key: %1").arg(sysError(errno)), path, 0, QString());
    struct stat st {};
    // fstat on the opened descriptor, so the file checked is the file read.
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return Error(QStringLiteral("signing key is not a regular file"), path, 0, QString());
    }
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        ::close(fd);
        return Error(QStringLiteral("signing key is accessible by group or others (mode %1); "
                                    "run chmod 600 on it, and rotate it if others could read it")
                         .arg(QString::number(st.st_mode & 07777, 8)),
                     path, 0, QString());
    }
    if (st.st_size > kMaxKeyFileSize) {
        ::close(fd);
        return Error(QStringLiteral("signing key file is too large"), path, 0, QString());
    }
    SecretBuffer pem;
    pem.bytes.resize(qsizetype(st.st_size));
    qsizetype done = 0;
    while (done < pem.bytes.size()) {
        const ssize_t n = ::read(fd, pem.bytes.data() + done, size_t(pem.bytes.size() - done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += n;
    }
    ::close(fd);
    pem.bytes.truncate(done);

    ossl::Ptr<BIO> bio(BIO_new_mem_buf(pem.bytes.constData(), int(pem.bytes.size())));
    EVP_PKEY *key = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr;
    ERR_clear_error();
    if (!key)
        return Error(QStringLiteral("signing key is not a PEM private key"), path, 0, QString());
    if (!EVP_PKEY_is_a(key, "ED25519")) {
        EVP_PKEY_free(key);
        return Error(QStringLiteral("signing key is not an Ed25519 key"), path, 0, QString());
    }
    return key;
}

// Writes the new key to a private temporary file and links it into place without replacing a
// key another process may have created meanwhile. Returns false in *created when one already existed.
Status writeKeyFile(const QString &dir, const QString &path, EVP_PKEY *key, bool *created)
{
    *created = false;
    ossl::Ptr<BIO> bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
        return Error(QStringLiteral("cannot encode signing key: %1").arg(ossl::lastError()), path, 0, QString());
    char *data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    SecretBuffer pem;
    pem.bytes = QByteArray(data, qsizetype(len));

    QByteArray tmpl = QFile::encodeName(dir + QStringLiteral("/.signing.key.XXXXXX"));
    const int fd = ::mkstemp(tmpl.data());   // creates with mode 0600
    if (fd < 0)
        return Error(QStringLiteral("cannot create signing key: %1").arg(sysError(errno)), path, 0, QString());
    ::fchmod(fd, S_IRUSR | S_IWUSR);
    qsizetype done = 0;
    bool ok = true;
    while (done < pem.bytes.size()) {
        const ssize_t n = ::write(fd, pem.bytes.constData() + done, size_t(pem.bytes.size() - done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            ok = false;
            break;
        }
        done += n;
    }
    const int writeErr = errno;
    ok = ok && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) {
        ::unlink(tmpl.constData());
        return Error(QStringLiteral("cannot write signing key: %1").arg(sysError(writeErr)), path, 0, QString());
    }
    const QByteArray target = QFile::encodeName(path);
    const int rc = ::renameat2(AT_FDCWD, tmpl.constData(), AT_FDCWD, target.constData(), RENAME_NOREPLACE);
    const int renameErr = errno;
    if (rc != 0) {
        ::unlink(tmpl.constData());
        if (renameErr == EEXIST)
            return {};   // another process won the race; the caller loads its key
        return Error(QStringLiteral("cannot install signing key: %1").arg(sysError(renameErr)), path, 0, QString());
    }
    *created = true;
    return {};
}

bool validName(const QString &s)
{
    for (const QChar c : s)
        if (c.category() == QChar::Other_Control || c.category() == QChar::Other_Format
            || c == QChar::LineSeparator || c == QChar::ParagraphSeparator)
            return false;
    return true;
}

} // namespace

TokenIssuer::~TokenIssuer()
{
    EVP_PKEY_free(m_key);
}

Result<std::unique_ptr<TokenIssuer>> TokenIssuer::loadOrCreate(const QString &dataDir)
{
    if (dataDir.isEmpty())
        return Error(QStringLiteral("no data directory given for the signing key"));
    QDir dir(dataDir);
    if (!dir.exists()) {
        if (!QDir().mkpath(dataDir))
            return Error(QStringLiteral("cannot create data directory"), dataDir, 0, QString());
        QFile::setPermissions(dataDir, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    }
    const QString path = dir.filePath(keyFileName());
    if (!QFileInfo::exists(path)) {
        ossl::Ptr<EVP_PKEY> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
        if (!key)
            return Error(QStringLiteral("cannot generate signing key: %1").arg(ossl::lastError()));
        bool created = false;
        if (auto st = writeKeyFile(dir.absolutePath(), path, key.get(), &created); !st)
            return st.error();
        if (created)
            return fromKey(key.release());
    }
    auto key = readKeyFile(path);
    if (!key)
        return key.error();
    return fromKey(key.value());
}

Result<std::unique_ptr<TokenIssuer>> TokenIssuer::fromKey(EVP_PKEY *key)
{
    std::unique_ptr<TokenIssuer> issuer(new TokenIssuer);
    issuer->m_key = key;
    unsigned char pub[32];
    size_t pubLen = sizeof pub;
    if (EVP_PKEY_get_raw_public_key(key, pub, &pubLen) != 1 || pubLen != sizeof pub)
        return Error(QStringLiteral("cannot read the signing key's public half: %1").arg(ossl::lastError()));
    const QJsonObject jwkJson{
        {QStringLiteral("kty"), QStringLiteral("OKP")},
        {QStringLiteral("crv"), QStringLiteral("Ed25519")},
        {QStringLiteral("x"), QString::fromLatin1(Base64Url::encode(QByteArrayView(pub, qsizetype(pubLen))))},
    };
    auto bare = Jwk::fromJson(jwkJson);
    if (!bare)
        return bare.error();
    issuer->m_kid = QString::fromLatin1(bare->thumbprint());
    issuer->m_issuer = QStringLiteral("gatehouse:") + issuer->m_kid.left(16);

    QJsonObject published = jwkJson;
    published.insert(QStringLiteral("kid"), issuer->m_kid);
    published.insert(QStringLiteral("alg"), QStringLiteral("EdDSA"));
    published.insert(QStringLiteral("use"), QStringLiteral("sig"));
    auto jwk = Jwk::fromJson(published);
    if (!jwk)
        return jwk.error();
    issuer->m_publicKeys.add(jwk.value());
    return issuer;
}

Result<TokenIssuer::Issued> TokenIssuer::issue(const QString &subject, const QStringList &groups,
                                               std::chrono::seconds ttl, std::chrono::seconds maxTtl,
                                               const QDateTime &now) const
{
    if (subject.isEmpty() || subject.size() > kMaxSubjectLength || !validName(subject))
        return Error(QStringLiteral("subject must be 1 to %1 printable characters").arg(kMaxSubjectLength),
                     QString(), 0, QStringLiteral("subject"));
    if (groups.size() > kMaxGroups)
        return Error(QStringLiteral("at most %1 groups").arg(kMaxGroups), QString(), 0, QStringLiteral("groups"));
    QStringList uniqueGroups;
    for (const QString &g : groups) {
        if (g.isEmpty() || g.size() > kMaxSubjectLength || !validName(g))
            return Error(QStringLiteral("each group must be 1 to %1 printable characters").arg(kMaxSubjectLength),
                         QString(), 0, QStringLiteral("groups"));
        if (!uniqueGroups.contains(g))
            uniqueGroups.append(g);
    }
    if (ttl.count() <= 0)
        return Error(QStringLiteral("ttl must be positive"), QString(), 0, QStringLiteral("ttl"));
    if (maxTtl.count() <= 0)
        return Error(QStringLiteral("max_token_ttl must be positive"), QString(), 0, QStringLiteral("ttl"));
    if (!now.isValid())
        return Error(QStringLiteral("no valid current time"));

    Issued out;
    out.capped = ttl > maxTtl;
    const std::chrono::seconds effective = out.capped ? maxTtl : ttl;
    const qint64 iat = now.toSecsSinceEpoch();
    const qint64 exp = iat + effective.count();
    out.issuedAt = QDateTime::fromSecsSinceEpoch(iat, Qt::UTC);
    out.expiresAt = QDateTime::fromSecsSinceEpoch(exp, Qt::UTC);

    unsigned char id[16];
    if (RAND_bytes(id, sizeof id) != 1)
        return Error(QStringLiteral("cannot draw a random token id: %1").arg(ossl::lastError()));
    // Hex, not base64url: one id in 64 would start with '-', and `gatehousectl token revoke <jti>`
    // would then read it as an option.
    out.jti = QString::fromLatin1(QByteArray(reinterpret_cast<const char *>(id), qsizetype(sizeof id)).toHex());

    const QJsonObject header{
        {QStringLiteral("alg"), QStringLiteral("EdDSA")},
        {QStringLiteral("typ"), QStringLiteral("JWT")},
        {QStringLiteral("kid"), m_kid},
    };
    const QJsonObject claims{
        {QStringLiteral("iss"), m_issuer},
        {QStringLiteral("sub"), subject},
        {QStringLiteral("aud"), audience()},
        {QStringLiteral("groups"), QJsonArray::fromStringList(uniqueGroups)},
        {QStringLiteral("iat"), iat},
        {QStringLiteral("nbf"), iat},
        {QStringLiteral("exp"), exp},
        {QStringLiteral("jti"), out.jti},
    };
    QByteArray token = Base64Url::encode(QJsonDocument(header).toJson(QJsonDocument::Compact)) + '.'
                       + Base64Url::encode(QJsonDocument(claims).toJson(QJsonDocument::Compact));
    const QByteArray signature = sign(token);
    if (signature.isEmpty())
        return Error(QStringLiteral("cannot sign token: %1").arg(ossl::lastError()));
    token += '.' + Base64Url::encode(signature);
    out.token = std::move(token);
    return out;
}

QByteArray TokenIssuer::sign(QByteArrayView data) const
{
    ossl::Ptr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestSignInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, m_key, nullptr) != 1)
        return {};
    QByteArray sig(64, Qt::Uninitialized);
    size_t len = size_t(sig.size());
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char *>(sig.data()), &len,
                       reinterpret_cast<const unsigned char *>(data.data()), size_t(data.size()))
        != 1)
        return {};
    sig.truncate(qsizetype(len));
    return sig;
}

bool TokenIssuer::verifySignature(QByteArrayView data, QByteArrayView signature) const
{
    ossl::Ptr<EVP_MD_CTX> ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestVerifyInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, m_key, nullptr) != 1) {
        ERR_clear_error();
        return false;
    }
    const int rc = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char *>(signature.data()),
                                    size_t(signature.size()), reinterpret_cast<const unsigned char *>(data.data()),
                                    size_t(data.size()));
    ERR_clear_error();
    return rc == 1;
}

} // namespace gh
