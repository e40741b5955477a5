#include "proxy/RequestTarget.h"

namespace gh {

namespace {

bool isDotSegment(QByteArrayView segment)
{
    // "." / ".." in any mix of literal and %2e / %2E.
    int dots = 0;
    qsizetype i = 0;
    while (i < segment.size()) {
        if (segment.at(i) == '.') {
            ++i;
        } else if (segment.size() - i >= 3 && segment.at(i) == '%' && segment.at(i + 1) == '2'
                   && (segment.at(i + 2) == 'e' || segment.at(i + 2) == 'E')) {
            i += 3;
        } else {
            return false;
        }
        if (++dots > 2)
            return false;
    }
    return dots > 0;
}

} // namespace

std::optional<RequestTarget> RequestTarget::parse(const QByteArray &raw)
{
    if (raw.isEmpty() || raw.front() != '/')
        return std::nullopt;
    RequestTarget t;
    t.raw = raw;   // shared: the views below point into its bytes
    const QByteArrayView target(t.raw);
    QByteArrayView pathPart = target;
    const qsizetype q = target.indexOf('?');
    if (q >= 0) {
        pathPart = target.first(q);
        t.query = target.sliced(q + 1);
        t.hasQuery = true;
    }
    if (pathPart.contains('#'))
        return std::nullopt;
    const QByteArrayView afterSlash = pathPart.sliced(1);
    const qsizetype slash = afterSlash.indexOf('/');
    t.connection = slash < 0 ? afterSlash : afterSlash.first(slash);
    const QByteArrayView rest = slash < 0 ? QByteArrayView() : afterSlash.sliced(slash);
    t.path = rest.isEmpty() ? QByteArrayView("/") : rest;

    QByteArrayView segments = t.path.sliced(1);
    while (true) {
        const qsizetype next = segments.indexOf('/');
        if (isDotSegment(next < 0 ? segments : segments.first(next)))
            return std::nullopt;
        if (next < 0)
            break;
        segments = segments.sliced(next + 1);
    }
    return t;
}

namespace {

// QByteArray's own appends under the names putUpstreamTarget() uses.
struct ArrayOut {
    QByteArray &out;
    void put(char c) { out.append(c); }
    void put(QByteArrayView bytes) { out.append(bytes); }
};

} // namespace

QByteArray RequestTarget::upstreamTarget(QByteArrayView basePath) const
{
    QByteArray out;
    out.reserve(basePath.size() + path.size() + query.size() + 1);
    ArrayOut writer{out};
    putUpstreamTarget(writer, basePath);
    return out;
}

} // namespace gh
