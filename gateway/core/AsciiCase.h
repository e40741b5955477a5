#pragma once

#include <QByteArrayView>

namespace gh {

// Header names, methods and other protocol tokens compare case-insensitively, and they are ASCII:
// only A-Z fold. Inline because the proxy's head filters compare some twenty names per request,
// where QByteArrayView::compare(Qt::CaseInsensitive) is a call into Qt's Latin-1 folding.
inline char asciiLower(char c)
{
    return c >= 'A' && c <= 'Z' ? char(c + ('a' - 'A')) : c;
}

inline bool equalsIgnoringAsciiCase(QByteArrayView a, QByteArrayView b)
{
    if (a.size() != b.size())
        return false;
    for (qsizetype i = 0; i < a.size(); ++i) {
        if (a[i] != b[i] && asciiLower(a[i]) != asciiLower(b[i]))
            return false;
    }
    return true;
}

inline bool startsWithIgnoringAsciiCase(QByteArrayView text, QByteArrayView prefix)
{
    return text.size() >= prefix.size() && equalsIgnoringAsciiCase(text.first(prefix.size()), prefix);
}

inline bool endsWithIgnoringAsciiCase(QByteArrayView text, QByteArrayView suffix)
{
    return text.size() >= suffix.size() && equalsIgnoringAsciiCase(text.last(suffix.size()), suffix);
}

} // namespace gh
