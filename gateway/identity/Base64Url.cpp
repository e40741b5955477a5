#include "identity/Base64Url.h"

#include <array>

namespace gh {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<qint8, 256> makeReverse()
{
    std::array<qint8, 256> table{};
    for (auto &v : table)
        v = -1;
    for (int i = 0; i < 64; ++i)
        table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<qint8>(i);
    return table;
}

constexpr std::array<qint8, 256> kReverse = makeReverse();

} // namespace

QByteArray Base64Url::encode(QByteArrayView data)
{
    QByteArray out;
    out.reserve((data.size() * 4 + 2) / 3);
    const auto *p = reinterpret_cast<const unsigned char *>(data.data());
    const qsizetype n = data.size();
    qsizetype i = 0;
    for (; i + 3 <= n; i += 3) {
        const quint32 v = (quint32(p[i]) << 16) | (quint32(p[i + 1]) << 8) | quint32(p[i + 2]);
        out.append(kAlphabet[(v >> 18) & 63]);
        out.append(kAlphabet[(v >> 12) & 63]);
        out.append(kAlphabet[(v >> 6) & 63]);
        out.append(kAlphabet[v & 63]);
    }
    const qsizetype rest = n - i;
    if (rest == 1) {
        const quint32 v = quint32(p[i]) << 16;
        out.append(kAlphabet[(v >> 18) & 63]);
        out.append(kAlphabet[(v >> 12) & 63]);
    } else if (rest == 2) {
        const quint32 v = (quint32(p[i]) << 16) | (quint32(p[i + 1]) << 8);
        out.append(kAlphabet[(v >> 18) & 63]);
        out.append(kAlphabet[(v >> 12) & 63]);
        out.append(kAlphabet[(v >> 6) & 63]);
    }
    return out;
}

Result<QByteArray> Base64Url::decode(QByteArrayView text)
{
    qsizetype len = text.size();
    qsizetype padding = 0;
    while (len > 0 && text[len - 1] == '=') {
        --len;
        ++padding;
    }
    if (padding > 0) {
        // Padding, when present, must complete the last quantum exactly.
        if (padding > 2 || text.size() % 4 != 0)
            return Error(QStringLiteral("invalid base64url padding"));
    }
    if (len % 4 == 1)
        return Error(QStringLiteral("invalid base64url length"));
    if (padding > 0 && (len % 4) + padding != 4)
        return Error(QStringLiteral("invalid base64url padding"));

    QByteArray out;
    out.reserve(len * 3 / 4);
    quint32 acc = 0;
    int bits = 0;
    for (qsizetype i = 0; i < len; ++i) {
        const qint8 v = kReverse[static_cast<unsigned char>(text[i])];
        if (v < 0)
            return Error(QStringLiteral("invalid base64url character at offset %1").arg(i));
        acc = (acc << 6) | quint32(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.append(static_cast<char>((acc >> bits) & 0xFF));
        }
    }
    // Leftover bits must be zero, or two different texts would decode to the same bytes.
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
        return Error(QStringLiteral("invalid base64url: non-zero trailing bits"));
    return out;
}

} // namespace gh
