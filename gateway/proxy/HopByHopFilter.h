#pragma once

#include "admin/HttpRequest.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QVarLengthArray>

namespace gh {

// Decides which headers stop at this hop (RFC 9110 §7.6.1): the fixed set, every Proxy-* header,
// and whatever the message's own Connection header names.
class HopByHopFilter final {
public:
    explicit HopByHopFilter(const HttpHeaders &headers);

    bool drops(QByteArrayView name) const;
    static bool isAlwaysHopByHop(QByteArrayView name);

private:
    QVarLengthArray<QByteArray, 4> m_named;   // lower-case tokens from Connection
};

} // namespace gh
