#pragma once

#include "core/Resources.h"
#include "core/Result.h"

#include <QByteArray>
#include <QString>

#include <memory>

namespace gh {

// Seals literal credential secrets with this gateway's AES-256-GCM key, so the store and exports
// never hold them in the clear and a copied store is useless without the key file.
class SecretBox final {
public:
    static constexpr int KeySize = 32;

    // Loads the key, or creates it (mode 0600, atomically) when the file does not exist. A key file
    // that group or others may read, or that has the wrong size, is refused.
    static Result<std::unique_ptr<SecretBox>> loadOrCreate(const QString &keyFile);
    // For callers that keep the key elsewhere; the key must be KeySize bytes.
    static Result<std::unique_ptr<SecretBox>> fromKey(const QByteArray &key);

    ~SecretBox();

    // "${sealed:<base64url(nonce|ciphertext|tag)>}"; empty only if the system RNG fails.
    QString seal(const QString &plaintext) const;
    // The plaintext, or an Error when the text was not sealed with this key or was altered.
    Result<QString> open(const QString &sealed) const;

private:
    explicit SecretBox(QByteArray key);
    Q_DISABLE_COPY_MOVE(SecretBox)

    QByteArray m_key;
};

// True when the text holds an ${env:..}, ${file:..} or ${sealed:..} reference.
bool hasReference(const QString &templ);

// Expands ${env:NAME}, ${file:PATH} (one trailing newline dropped) and ${sealed:...}. Other ${...}
// forms are errors. Expanded values are not scanned again. `box` may be null when nothing is sealed.
Result<QString> resolveTemplate(const QString &templ, const SecretBox *box);

// Replaces a credential value/password that is a plain literal with its sealed form; templates that
// reference env/file stay as they are. A ${sealed:} that this box cannot open is an error.
Status sealLiterals(Connection &c, const SecretBox &box);

} // namespace gh
