#include "node/DataDir.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <openssl/rand.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace gh {

namespace {

QString sysError() { return QString::fromLocal8Bit(std::strerror(errno)); }

} // namespace

Result<DataDir> DataDir::open(const QString &path)
{
    if (path.isEmpty())
        return Error(QStringLiteral("the data directory path is empty"));
    const QString abs = QFileInfo(path).absoluteFilePath();
    if (!QDir().mkpath(abs))
        return Error(QStringLiteral("cannot create data directory %1").arg(abs));

    const QByteArray native = QFile::encodeName(abs);
    struct stat st {};
    if (::stat(native.constData(), &st) != 0)
        return Error(QStringLiteral("cannot inspect data directory %1: %2").arg(abs, sysError()));
    if (!S_ISDIR(st.st_mode))
        return Error(QStringLiteral("data directory %1 is not a directory").arg(abs));
    if (st.st_uid != ::geteuid())
        return Error(QStringLiteral("data directory %1 belongs to another user").arg(abs));
    if ((st.st_mode & 0777) != 0700 && ::chmod(native.constData(), 0700) != 0)
        return Error(QStringLiteral("cannot restrict data directory %1 to mode 0700: %2").arg(abs, sysError()));
    return DataDir(abs);
}

QString DataDir::file(const QString &name) const
{
    return m_path + QLatin1Char('/') + name;
}

Result<QByteArray> DataDir::loadOrCreateAdminToken() const
{
    const QString path = adminTokenPath();
    if (QFileInfo::exists(path)) {
        auto content = readPrivateFile(path);
        if (!content)
            return content.error();
        const QByteArray token = content->trimmed();
        if (token.size() < 32)
            return Error(QStringLiteral("%1 holds no usable token (too short); remove it to have a new one made").arg(path));
        return token;
    }
    unsigned char raw[32];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return Error(QStringLiteral("the system random generator failed"));
    const QByteArray token = QByteArrayLiteral("gha_")
        + QByteArray(reinterpret_cast<const char *>(raw), sizeof raw)
              .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
    if (auto st = writePrivateFile(path, token + '\n'); !st)
        return st.error();
    return token;
}

Status DataDir::writeAdminUrl(const QString &url) const
{
    return writePrivateFile(adminUrlPath(), url.toUtf8() + '\n');
}

void DataDir::removeAdminUrl() const
{
    QFile::remove(adminUrlPath());
}

Status writePrivateFile(const QString &path, const QByteArray &data)
{
    const QByteArray target = QFile::encodeName(path);
    QByteArray tmp = target + ".tmp-XXXXXX";
    const int fd = ::mkstemp(tmp.data());   // mkstemp creates 0600
    if (fd < 0)
        return Error(QStringLiteral("cannot create %1: %2").arg(path, sysError()));
    qsizetype off = 0;
    bool ok = ::fchmod(fd, 0600) == 0;
    while (ok && off < data.size()) {
        const ssize_t n = ::write(fd, data.constData() + off, size_t(data.size() - off));
        if (n < 0 && errno == EINTR)
            continue;
        ok = n > 0;
        if (ok)
            off += n;
    }
    ok = ok && ::fsync(fd) == 0;
    const QString why = ok ? QString() : sysError();
    ::close(fd);
    if (!ok || ::rename(tmp.constData(), target.constData()) != 0) {
        const QString reason = why.isEmpty() ? sysError() : why;
        ::unlink(tmp.constData());
        return Error(QStringLiteral("cannot write %1: %2").arg(path, reason));
    }
    return {};
}

Result<QByteArray> readPrivateFile(const QString &path)
{
    const QByteArray native = QFile::encodeName(path);
    const int fd = ::open(native.constData(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return Error(QStringLiteral("cannot read %1: %2").arg(path, sysError()));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return Error(QStringLiteral("%1 is not a regular file").arg(path));
    }
    if (st.st_mode & 077) {
        ::close(fd);
        return Error(QStringLiteral("%1 is accessible by group or others (mode %2); run chmod 600 on it")
                         .arg(path, QString::number(st.st_mode & 0777, 8)));
    }
    QFile f;
    if (!f.open(fd, QIODevice::ReadOnly, QFileDevice::AutoCloseHandle)) {
        ::close(fd);
        return Error(QStringLiteral("cannot read %1").arg(path));
    }
    constexpr qint64 limit = 1 << 20;
    const QByteArray data = f.read(limit);
    return data;
}

} // namespace gh
