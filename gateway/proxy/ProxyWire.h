#pragma once

// What ProxyConnection's files share: the proxy's buffer bounds and small wire helpers.
// Internal to the proxy module.

#include "admin/HttpRequest.h"
#include "core/AsciiCase.h"

#include <QByteArray>
#include <QByteArrayView>

#include <http_parser.h>

namespace gh::proxywire {

// One read from the client, and what Qt buffers for us at most.
inline constexpr qint64 kReadSlice = 64 * 1024;
// Backpressure: stop reading one side while the other has this much unsent, resume below low water.
inline constexpr qint64 kHighWater = 256 * 1024;
inline constexpr qint64 kLowWater = 64 * 1024;
// Messages up to this size are recorded as one event (head and body together): most API calls
// are small, and every event costs a hash, an encoding and a row.
inline constexpr qint64 kInlineBody = 64 * 1024;
// After an error answer we keep reading (and dropping) for this long, so closing does not reset
// the connection before the client has read the answer.
inline constexpr int kLingerMs = 2000;

inline bool isTokenChar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
        || QByteArrayView("!#$%&'*+-.^_`|~").contains(c);
}

// Header names and tokens compare case-insensitively.
inline bool is(QByteArrayView a, QByteArrayView b)
{
    return equalsIgnoringAsciiCase(a, b);
}

// The header names most messages carry, spelled as they come (canonical or lower case), as
// static arrays: a name found here costs no allocation. Empty when `name` is not one of them.
QByteArray knownHeaderName(QByteArrayView name);

// http-parser hands a header's name and value over in pieces when a read ends inside one: the
// first piece makes the bytes (no append to an empty array), later ones extend them.
inline void addHeaderName(HttpHeaders &headers, bool newHeader, const char *at, size_t len)
{
    if (newHeader || headers.isEmpty()) {
        QByteArray known = knownHeaderName(QByteArrayView(at, qsizetype(len)));
        headers.emplaceBack(known.isNull() ? QByteArray(at, qsizetype(len)) : std::move(known), QByteArray());
    } else {
        headers.last().first.append(at, qsizetype(len));   // a static name detaches here
    }
}

inline void addHeaderValue(QByteArray &value, const char *at, size_t len)
{
    if (value.isEmpty())
        value = QByteArray(at, qsizetype(len));
    else
        value.append(at, qsizetype(len));
}

// Optional whitespace around a value is not part of it; most values have none, and are kept.
inline void trimHeaderValue(QByteArray &value)
{
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; };
    if (!value.isEmpty() && (space(value.front()) || space(value.back())))
        value = value.trimmed();
}

inline QByteArray reasonPhrase(int status)
{
    const char *text = http_status_str(static_cast<enum http_status>(status));
    if (!text || qstrcmp(text, "<unknown>") == 0)
        return QByteArrayLiteral("Status");
    return QByteArray(text);
}

} // namespace gh::proxywire
