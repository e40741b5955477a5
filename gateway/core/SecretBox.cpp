#include "core/SecretBox.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace gh {

namespace {

constexpr int kNonceSize = 12;
constexpr int kTagSize = 16;
const QLatin1String kSealedPrefix("${sealed:");
// Binds ciphertexts to their purpose, so a blob sealed for something else never opens as a credential.
constexpr unsigned char kAad[] = "gatehouse-sealed-v1";

QString errnoText() { return QString::fromLocal8Bit(std::strerror(errno)); }

struct CipherCtxDeleter {
    void operator()(EVP_CIPHER_CTX *c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

struct Segment {
    enum class Kind { Literal, Env, File, Sealed };
    Kind kind;
    QString text;   // the literal, the variable name, the path or the whole ${sealed:...}
};

bool isEnvName(const QString &s)
{
    if (s.isEmpty() || s[0].isDigit())
        return false;
    for (QChar c : s)
        if (!(c == u'_' || (c >= u'A' && c <= u'Z') || (c >= u'a' && c <= u'z') || (c >= u'0' && c <= u'9')))
            return false;
    return true;
}

// Splits a credential template into literals and references. Error messages never quote the
// template itself, because a literal part may be a secret.
Result<QList<Segment>> splitTemplate(const QString &t)
{
    QList<Segment> out;
    qsizetype pos = 0;
    while (pos < t.size()) {
        const qsizetype open = t.indexOf(QLatin1String("${"), pos);
        if (open < 0) {
            out.append({Segment::Kind::Literal, t.mid(pos)});
            break;
        }
        if (open > pos)
            out.append({Segment::Kind::Literal, t.mid(pos, open - pos)});
        const qsizetype close = t.indexOf(QLatin1Char('}'), open);
        if (close < 0)
            return Error(QStringLiteral("unterminated \"${\" reference (expected ${env:NAME}, ${file:PATH} or ${sealed:...})"));
        const QString inner = t.mid(open + 2, close - open - 2);
        const qsizetype colon = inner.indexOf(QLatin1Char(':'));
        const QString kind = colon < 0 ? QString() : inner.left(colon);
        const QString arg = colon < 0 ? QString() : inner.mid(colon + 1);
        if (kind == u"env") {
            if (!isEnvName(arg))
                return Error(QStringLiteral("${env:...} needs an environment variable name of letters, digits and _"));
            out.append({Segment::Kind::Env, arg});
        } else if (kind == u"file") {
            if (arg.isEmpty())
                return Error(QStringLiteral("${file:...} needs a path"));
            out.append({Segment::Kind::File, arg});
        } else if (kind == u"sealed") {
            out.append({Segment::Kind::Sealed, t.mid(open, close - open + 1)});
        } else {
            const QString shown = kind.isEmpty() ? QStringLiteral("${...}") : QStringLiteral("${%1:...}").arg(kind.left(16));
            return Error(QStringLiteral("unknown reference %1; use ${env:NAME}, ${file:PATH} or ${sealed:...}").arg(shown));
        }
        pos = close + 1;
    }
    return out;
}

Result<QByteArray> readKeyFile(const QString &path)
{
    const QByteArray native = QFile::encodeName(path);
    const int fd = ::open(native.constData(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return Error(QStringLiteral("cannot open key file: ") + errnoText(), path, 0, QString());
    struct stat st {};
    QByteArray key;
    QString problem;
    if (::fstat(fd, &st) != 0) {
        problem = QStringLiteral("cannot stat key file: ") + errnoText();
    } else if (!S_ISREG(st.st_mode)) {
        problem = QStringLiteral("key file is not a regular file");
    } else if ((st.st_mode & 077) != 0) {
        problem = QStringLiteral("key file has mode %1 and may be read by group or others; it must be 0600 (chmod 600)")
                      .arg(uint(st.st_mode & 0777), 4, 8, QLatin1Char('0'));
    } else if (st.st_size != SecretBox::KeySize) {
        problem = QStringLiteral("key file has %1 bytes, expected %2").arg(qint64(st.st_size)).arg(SecretBox::KeySize);
    } else {
        key.resize(SecretBox::KeySize);
        qsizetype got = 0;
        while (got < key.size()) {
            const ssize_t n = ::read(fd, key.data() + got, size_t(key.size() - got));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                problem = QStringLiteral("cannot read key file: ") + (n < 0 ? errnoText() : QStringLiteral("short read"));
                break;
            }
            got += n;
        }
    }
    ::close(fd);
    if (!problem.isEmpty()) {
        OPENSSL_cleanse(key.data(), size_t(key.size()));
        return Error(problem, path, 0, QString());
    }
    return key;
}

// Writes a fresh key next to its final name with mode 0600 and links it into place, so a reader
// never sees a half-written key and two gateways starting at once end up with the same one.
Status createKeyFile(const QString &path)
{
    const QFileInfo info(path);
    if (!QDir().mkpath(info.absolutePath()))
        return Error(QStringLiteral("cannot create directory ") + info.absolutePath(), path, 0, QString());
    unsigned char key[SecretBox::KeySize];
    if (RAND_bytes(key, sizeof key) != 1)
        return Error(QStringLiteral("the system random number generator failed"), path, 0, QString());
    QByteArray tmpl = QFile::encodeName(info.absoluteFilePath()) + ".tmp-XXXXXX";
    const int fd = ::mkostemp(tmpl.data(), O_CLOEXEC);   // mkstemp creates with mode 0600
    if (fd < 0) {
        OPENSSL_cleanse(key, sizeof key);
        return Error(QStringLiteral("cannot create key file: ") + errnoText(), path, 0, QString());
    }
    bool ok = ::fchmod(fd, 0600) == 0 && ::write(fd, key, sizeof key) == ssize_t(sizeof key) && ::fsync(fd) == 0;
    const QString writeError = errnoText();
    OPENSSL_cleanse(key, sizeof key);
    ::close(fd);
    if (!ok) {
        ::unlink(tmpl.constData());
        return Error(QStringLiteral("cannot write key file: ") + writeError, path, 0, QString());
    }
    const QByteArray final = QFile::encodeName(info.absoluteFilePath());
    const int linked = ::link(tmpl.constData(), final.constData());
    const int linkErrno = errno;
    ::unlink(tmpl.constData());
    if (linked != 0 && linkErrno != EEXIST) {
        errno = linkErrno;
        return Error(QStringLiteral("cannot install key file: ") + errnoText(), path, 0, QString());
    }
    const int dirFd = ::open(QFile::encodeName(info.absolutePath()).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirFd >= 0) {
        ::fsync(dirFd);
        ::close(dirFd);
    }
    return {};
}

} // namespace

SecretBox::SecretBox(QByteArray key) : m_key(std::move(key)) {}

SecretBox::~SecretBox()
{
    OPENSSL_cleanse(m_key.data(), size_t(m_key.size()));
}

Result<std::unique_ptr<SecretBox>> SecretBox::loadOrCreate(const QString &keyFile)
{
    if (!QFileInfo::exists(keyFile)) {
        const Status created = createKeyFile(keyFile);
        if (!created)
            return created.error();
    }
    auto key = readKeyFile(keyFile);
    if (!key)
        return key.error();
    return std::unique_ptr<SecretBox>(new SecretBox(std::move(*key)));
}

Result<std::unique_ptr<SecretBox>> SecretBox::fromKey(const QByteArray &key)
{
    if (key.size() != KeySize)
        return Error(QStringLiteral("a secret box key must be %1 bytes").arg(KeySize));
    return std::unique_ptr<SecretBox>(new SecretBox(key));
}

QString SecretBox::seal(const QString &plaintext) const
{
    const QByteArray in = plaintext.toUtf8();
    QByteArray out(kNonceSize + in.size() + kTagSize, Qt::Uninitialized);
    auto *nonce = reinterpret_cast<unsigned char *>(out.data());
    auto *ct = nonce + kNonceSize;
    if (RAND_bytes(nonce, kNonceSize) != 1)
        return {};
    CipherCtx ctx(EVP_CIPHER_CTX_new());
    int len = 0;
    int total = 0;
    const auto *key = reinterpret_cast<const unsigned char *>(m_key.constData());
    bool ok = ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1
        && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) == 1
        && EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key, nonce) == 1
        && EVP_EncryptUpdate(ctx.get(), nullptr, &len, kAad, int(sizeof kAad - 1)) == 1
        && EVP_EncryptUpdate(ctx.get(), ct, &len, reinterpret_cast<const unsigned char *>(in.constData()), int(in.size())) == 1;
    total = len;
    ok = ok && EVP_EncryptFinal_ex(ctx.get(), ct + total, &len) == 1;
    total += len;
    ok = ok && total == in.size()
        && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize, ct + total) == 1;
    if (!ok)
        return {};
    return kSealedPrefix
        + QString::fromLatin1(out.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals))
        + QLatin1Char('}');
}

Result<QString> SecretBox::open(const QString &sealed) const
{
    if (!sealed.startsWith(kSealedPrefix) || !sealed.endsWith(QLatin1Char('}')))
        return Error(QStringLiteral("not a ${sealed:...} secret"));
    const QByteArray b64 = sealed.mid(kSealedPrefix.size(), sealed.size() - kSealedPrefix.size() - 1).toLatin1();
    const auto decoded = QByteArray::fromBase64Encoding(
        b64, QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals | QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || decoded.decoded.size() < kNonceSize + kTagSize)
        return Error(QStringLiteral("sealed secret is malformed"));
    const QByteArray &blob = decoded.decoded;
    const auto *nonce = reinterpret_cast<const unsigned char *>(blob.constData());
    const auto *ct = nonce + kNonceSize;
    const int ctLen = int(blob.size()) - kNonceSize - kTagSize;
    QByteArray tag = blob.right(kTagSize);
    QByteArray plain(ctLen, Qt::Uninitialized);
    CipherCtx ctx(EVP_CIPHER_CTX_new());
    int len = 0;
    const auto *key = reinterpret_cast<const unsigned char *>(m_key.constData());
    bool ok = ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1
        && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceSize, nullptr) == 1
        && EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key, nonce) == 1
        && EVP_DecryptUpdate(ctx.get(), nullptr, &len, kAad, int(sizeof kAad - 1)) == 1
        && EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char *>(plain.data()), &len, ct, ctLen) == 1
        && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, tag.data()) == 1;
    int finalLen = 0;
    // Only a verified tag releases the plaintext; anything else is refused, never returned as garbage.
    ok = ok && EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char *>(plain.data()) + len, &finalLen) == 1;
    if (!ok) {
        OPENSSL_cleanse(plain.data(), size_t(plain.size()));
        return Error(QStringLiteral("sealed secret does not open with this gateway's key (sealed by another gateway, or altered)"));
    }
    QString result = QString::fromUtf8(plain);
    OPENSSL_cleanse(plain.data(), size_t(plain.size()));
    return result;
}

bool hasReference(const QString &templ)
{
    return templ.contains(QLatin1String("${env:")) || templ.contains(QLatin1String("${file:"))
        || templ.contains(QLatin1String("${sealed:"));
}

Result<QString> resolveTemplate(const QString &templ, const SecretBox *box)
{
    auto segments = splitTemplate(templ);
    if (!segments)
        return segments.error();
    QString out;
    for (const Segment &s : std::as_const(*segments)) {
        switch (s.kind) {
        case Segment::Kind::Literal:
            out += s.text;
            break;
        case Segment::Kind::Env:
            if (!qEnvironmentVariableIsSet(s.text.toLatin1().constData()))
                return Error(QStringLiteral("environment variable %1 is not set (referenced as ${env:%1})").arg(s.text));
            out += qEnvironmentVariable(s.text.toLatin1().constData());
            break;
        case Segment::Kind::File: {
            QFile f(s.text);
            if (!f.open(QIODevice::ReadOnly))
                return Error(QStringLiteral("cannot read %1 (referenced as ${file:%1}): %2").arg(s.text, f.errorString()));
            QByteArray content = f.readAll();
            // Files written by `echo` or editors end in a newline that is not part of the secret.
            if (content.endsWith("\r\n"))
                content.chop(2);
            else if (content.endsWith('\n'))
                content.chop(1);
            out += QString::fromUtf8(content);
            OPENSSL_cleanse(content.data(), size_t(content.size()));
            break;
        }
        case Segment::Kind::Sealed: {
            if (!box)
                return Error(QStringLiteral("a ${sealed:...} secret needs the gateway's key, which is not loaded"));
            auto plain = box->open(s.text);
            if (!plain)
                return plain.error();
            out += *plain;
            break;
        }
        }
    }
    return out;
}

Status sealLiterals(Connection &c, const SecretBox &box)
{
    const QString where = QStringLiteral("connection \"%1\": ").arg(c.name);
    const std::pair<QString *, const char *> secrets[] = {{&c.credential.value, "credential.value"},
                                                          {&c.credential.password, "credential.password"}};
    for (const auto &[field, key] : secrets) {
        if (field->isEmpty())
            continue;
        auto segments = splitTemplate(*field);
        if (!segments)
            return Error(segments.error().message, QString(), c.line, where + QLatin1String(key));
        bool references = false;
        for (const Segment &s : std::as_const(*segments)) {
            if (s.kind == Segment::Kind::Sealed && !box.open(s.text))
                return Error(QStringLiteral("sealed by another gateway (or altered); enter the secret again"), QString(),
                             c.line, where + QLatin1String(key));
            references = references || s.kind != Segment::Kind::Literal;
        }
        if (references)
            continue;
        const QString sealed = box.seal(*field);
        if (sealed.isEmpty())
            return Error(QStringLiteral("could not seal the secret: the system random number generator failed"),
                         QString(), c.line, where + QLatin1String(key));
        *field = sealed;
    }
    return {};
}

} // namespace gh
