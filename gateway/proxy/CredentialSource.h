#pragma once

#include "core/Result.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QList>
#include <QMutex>
#include <QString>

#include <optional>

namespace gh {

class SecretBox;

// A connection's credential value: resolved at first use, then kept, and resolved again when a
// ${file:} it reads has changed (checked at most once a second). Thread-safe.
class CredentialSource final {
    Q_DISABLE_COPY_MOVE(CredentialSource)
public:
    // box may be null when nothing is sealed; it must outlive this object.
    CredentialSource(QString templ, const SecretBox *box);

    // The header value, or an error that never contains the secret.
    Result<QByteArray> value();
    // False when the template reads no ${file:}: its value, once resolved, is the same for good,
    // so a caller may keep its own copy.
    bool readsFiles() const { return m_readsFiles; }

private:
    struct FileStamp {
        QString path;
        qint64 mtimeNs = -1;
        qint64 size = -1;
        quint64 inode = 0;
        friend bool operator==(const FileStamp &, const FileStamp &) = default;
    };
    static FileStamp stamp(const QString &path);
    bool filesChanged() const;

    const QString m_template;
    const SecretBox *m_box;
    QList<FileStamp> m_files;   // the ${file:} references, as last read
    bool m_readsFiles = false;

    QMutex m_mutex;
    std::optional<QByteArray> m_value;
    QElapsedTimer m_lastCheck;
};

} // namespace gh
