#pragma once

#include <QByteArray>
#include <QByteArrayView>

#include <optional>

namespace gh {

// A proxy request target "/<connection>/<rest>?<query>" taken apart, raw (still percent-encoded).
struct RequestTarget {
    QByteArray connection;   // the first path segment; may name no connection at all
    QByteArray path;         // "/<rest>", at least "/"
    QByteArray query;        // without the '?'
    bool hasQuery = false;

    // Empty for anything but origin-form ("*", absolute URLs), and for a rest that holds "." or
    // ".." segments (also %2e-encoded): those could climb out of the upstream's base path.
    static std::optional<RequestTarget> parse(QByteArrayView target);

    // basePath (no trailing '/') + path, then "?query" when the client sent one.
    QByteArray upstreamTarget(QByteArrayView basePath) const;
};

} // namespace gh
