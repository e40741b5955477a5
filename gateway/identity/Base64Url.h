#pragma once

#include "core/Result.h"

#include <QByteArray>
#include <QByteArrayView>

namespace gh {

// Base64url (RFC 4648 §5) as JOSE uses it: strict about the alphabet, relaxed about padding.
class Base64Url final {
public:
    Base64Url() = delete;

    // Unpadded, as JWS compact serialization wants it.
    static QByteArray encode(QByteArrayView data);
    // Accepts input with or without '=' padding; refuses '+', '/', whitespace, stray padding
    // and lengths no encoder produces.
    static Result<QByteArray> decode(QByteArrayView text);
};

} // namespace gh
