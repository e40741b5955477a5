#pragma once

#include "core/Resources.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>

#include <memory>
#include <utility>

namespace re2 {
class RE2;
}

namespace gh {

// What a request-side rule looks at. Views only: nothing is copied per request.
struct HttpRequestView {
    QByteArrayView method;
    QByteArrayView path;                                        // upstream path, query included
    const QList<std::pair<QByteArray, QByteArray>> *headers = nullptr;
    QByteArrayView body;                                        // what was scanned (may be empty)
};

// The compiled `match` of one deny or approve rule: every key given must match. `method` must
// match the whole method; `path`, header values and `body` are searched (anchor with ^ and $).
class RequestMatcher final {
    Q_DISABLE_COPY_MOVE(RequestMatcher)
public:
    RequestMatcher() = default;
    ~RequestMatcher();
    // Errors name the match key ("match.path") and carry RE2's explanation.
    static Result<std::unique_ptr<RequestMatcher>> compile(const RuleMatch &match);

    bool hasPath() const { return bool(m_path); }
    bool hasBody() const { return bool(m_body); }
    // Only the keys other than path and body, which the plan's prefilter sets answer.
    bool matchesHead(const HttpRequestView &request) const;
    bool matchesPath(QByteArrayView path) const;
    bool matchesBody(QByteArrayView body) const;
    bool matches(const HttpRequestView &request) const;

private:
    std::unique_ptr<re2::RE2> m_method;
    std::unique_ptr<re2::RE2> m_path;
    std::unique_ptr<re2::RE2> m_body;
    QList<std::pair<QByteArray, std::shared_ptr<re2::RE2>>> m_headers;   // lower-case name, value
};

} // namespace gh
