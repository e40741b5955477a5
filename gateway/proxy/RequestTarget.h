#pragma once

#include <QByteArray>
#include <QByteArrayView>

#include <optional>

namespace gh {

// A proxy request target "/<connection>/<rest>?<query>" taken apart, raw (still percent-encoded).
// The parts are views into the target it was parsed from, which it keeps (shared, not copied):
// they stay valid as long as this object or a copy of it lives.
struct RequestTarget {
    QByteArray raw;              // the target as sent
    QByteArrayView connection;   // the first path segment; may name no connection at all
    QByteArrayView path;         // "/<rest>", at least "/"
    QByteArrayView query;        // without the '?'
    bool hasQuery = false;

    // Empty for anything but origin-form ("*", absolute URLs), and for a rest that holds "." or
    // ".." segments (also %2e-encoded): those could climb out of the upstream's base path.
    static std::optional<RequestTarget> parse(const QByteArray &target);

    // basePath (no trailing '/') + path, then "?query" when the client sent one.
    QByteArray upstreamTarget(QByteArrayView basePath) const;
    // The same appended to `out`: a ByteWriter, or anything with put(char) and put(QByteArrayView).
    template <typename Out>
    void putUpstreamTarget(Out &out, QByteArrayView basePath) const
    {
        while (basePath.endsWith('/'))
            basePath.chop(1);
        out.put(basePath);
        out.put(path);
        if (hasQuery) {
            out.put('?');
            out.put(query);
        }
    }
};

} // namespace gh
