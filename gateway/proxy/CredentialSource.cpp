#include "proxy/CredentialSource.h"

#include "core/SecretBox.h"

#include <QFile>
#include <QRegularExpression>

#include <sys/stat.h>

namespace gh {

namespace {

constexpr qint64 kRecheckMs = 1000;

} // namespace

CredentialSource::CredentialSource(QString templ, const SecretBox *box)
    : m_template(std::move(templ)), m_box(box)
{
    static const QRegularExpression fileRef(QStringLiteral("\\$\\{file:([^}]*)\\}"));
    for (auto it = fileRef.globalMatch(m_template); it.hasNext();)
        m_files.append(FileStamp{it.next().captured(1)});
    m_readsFiles = !m_files.isEmpty();
}

CredentialSource::FileStamp CredentialSource::stamp(const QString &path)
{
    FileStamp s{path};
    struct stat st {};
    if (::stat(QFile::encodeName(path).constData(), &st) == 0) {
        s.mtimeNs = qint64(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
        s.size = qint64(st.st_size);
        s.inode = quint64(st.st_ino);
    }
    return s;
}

bool CredentialSource::filesChanged() const
{
    for (const FileStamp &f : m_files) {
        if (!(stamp(f.path) == f))
            return true;
    }
    return false;
}

Result<QByteArray> CredentialSource::value()
{
    QMutexLocker lock(&m_mutex);
    if (m_value) {
        if (m_files.isEmpty() || (m_lastCheck.isValid() && m_lastCheck.elapsed() < kRecheckMs))
            return *m_value;
        m_lastCheck.start();
        if (!filesChanged())
            return *m_value;
    }
    // Stamp before reading: a write racing the read is then seen as a change next time.
    for (FileStamp &f : m_files)
        f = stamp(f.path);
    m_lastCheck.start();
    auto resolved = resolveTemplate(m_template, m_box);
    if (!resolved) {
        m_value.reset();
        return Error(QStringLiteral("the credential cannot be resolved: ") + resolved.error().message);
    }
    const QByteArray v = resolved->toUtf8();
    for (char c : v) {
        if (c == '\r' || c == '\n' || c == '\0') {
            m_value.reset();
            return Error(QStringLiteral("the resolved credential holds a line break or NUL"));
        }
    }
    m_value = v;
    return v;
}

} // namespace gh
