#include "policy/RequestMatcher.h"

#include "core/AsciiCase.h"

#include <re2/re2.h>

namespace gh {

namespace {

re2::StringPiece piece(QByteArrayView v)
{
    return re2::StringPiece(v.data(), size_t(v.size()));
}

Result<std::unique_ptr<re2::RE2>> compilePattern(const QString &pattern, const QString &key, bool whole)
{
    const QByteArray utf8 = whole ? "^(?:" + pattern.toUtf8() + ")$" : pattern.toUtf8();
    RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_unique<re2::RE2>(piece(utf8), options);
    if (!re->ok())
        return Error(QStringLiteral("%1: invalid RE2 pattern: %2").arg(key, QString::fromStdString(re->error())));
    return re;
}

bool sameName(QByteArrayView a, QByteArrayView b)
{
    return equalsIgnoringAsciiCase(a, b);
}

} // namespace

RequestMatcher::~RequestMatcher() = default;

Result<std::unique_ptr<RequestMatcher>> RequestMatcher::compile(const RuleMatch &match)
{
    auto m = std::make_unique<RequestMatcher>();
    if (!match.method.isEmpty()) {
        auto re = compilePattern(match.method, QStringLiteral("match.method"), true);
        if (!re)
            return re.error();
        m->m_method = std::move(*re);
    }
    if (!match.path.isEmpty()) {
        auto re = compilePattern(match.path, QStringLiteral("match.path"), false);
        if (!re)
            return re.error();
        m->m_path = std::move(*re);
    }
    if (!match.body.isEmpty()) {
        auto re = compilePattern(match.body, QStringLiteral("match.body"), false);
        if (!re)
            return re.error();
        m->m_body = std::move(*re);
    }
    for (const auto &[name, pattern] : match.headers) {
        auto re = compilePattern(pattern, QStringLiteral("match.header.") + name, false);
        if (!re)
            return re.error();
        m->m_headers.append({name.toLatin1().toLower(), std::shared_ptr<re2::RE2>(std::move(*re))});
    }
    return m;
}

bool RequestMatcher::matchesHead(const HttpRequestView &request) const
{
    if (m_method && !RE2::FullMatch(piece(request.method), *m_method))
        return false;
    for (const auto &[name, re] : m_headers) {
        // A header sent more than once matches when any of its values does; an absent one never.
        bool found = false;
        if (request.headers) {
            for (const auto &h : *request.headers) {
                if (sameName(h.first, name) && RE2::PartialMatch(piece(h.second), *re)) {
                    found = true;
                    break;
                }
            }
        }
        if (!found)
            return false;
    }
    return true;
}

bool RequestMatcher::matchesPath(QByteArrayView path) const
{
    return !m_path || RE2::PartialMatch(piece(path), *m_path);
}

bool RequestMatcher::matchesBody(QByteArrayView body) const
{
    return !m_body || RE2::PartialMatch(piece(body), *m_body);
}

bool RequestMatcher::matches(const HttpRequestView &request) const
{
    return matchesHead(request) && matchesPath(request.path) && matchesBody(request.body);
}

} // namespace gh
