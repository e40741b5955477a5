#pragma once

#include "core/AsciiCase.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QHostAddress>
#include <QList>
#include <QUrl>
#include <QUrlQuery>

#include <utility>

namespace gh {

using HttpHeaders = QList<std::pair<QByteArray, QByteArray>>;

// The first value of a header, names compared case-insensitively; empty when absent.
inline QByteArray headerValue(const HttpHeaders &headers, QByteArrayView name)
{
    for (const auto &h : headers) {
        if (equalsIgnoringAsciiCase(h.first, name))
            return h.second;
    }
    return {};
}

// One parsed HTTP/1.1 request as a handler sees it: complete, with its whole body.
struct HttpRequest {
    QByteArray method;          // "GET", "POST", ...
    QByteArray path;            // raw (still percent-encoded), without the query
    QByteArray rawQuery;        // the query string as sent, without '?'
    QUrlQuery query;
    HttpHeaders headers;        // in arrival order, names as sent
    QByteArray body;
    QHostAddress peer;
    quint16 peerPort = 0;
    int httpMinor = 1;          // HTTP/1.<minor>

    // The path with %XX decoded, for matching route segments; compare raw paths when a
    // segment may itself hold an encoded '/'.
    QString decodedPath() const { return QUrl::fromPercentEncoding(path); }

    // The first value of a header, names compared case-insensitively; empty when absent.
    QByteArray header(QByteArrayView name) const { return headerValue(headers, name); }
    bool hasHeader(QByteArrayView name) const
    {
        for (const auto &h : headers) {
            if (QByteArrayView(h.first).compare(name, Qt::CaseInsensitive) == 0)
                return true;
        }
        return false;
    }
};

} // namespace gh
