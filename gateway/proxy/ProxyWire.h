#pragma once

// What ProxyConnection's files share: the proxy's buffer bounds and small wire helpers.
// Internal to the proxy module.

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
    return a.size() == b.size() && a.compare(b, Qt::CaseInsensitive) == 0;
}

inline QByteArray reasonPhrase(int status)
{
    const char *text = http_status_str(static_cast<enum http_status>(status));
    if (!text || qstrcmp(text, "<unknown>") == 0)
        return QByteArrayLiteral("Status");
    return QByteArray(text);
}

} // namespace gh::proxywire
