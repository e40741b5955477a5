#include "policy/PolicyPlan.h"

#include "core/GroupGlob.h"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>

namespace gh {

class PathSet final {
public:
    PathSet() : m_set(makeOptions(), RE2::UNANCHORED) {}

    int add(const QString &pattern, QString *error)
    {
        const QByteArray utf8 = pattern.toUtf8();
        std::string err;
        const int index = m_set.Add(re2::StringPiece(utf8.constData(), size_t(utf8.size())), &err);
        if (index < 0)
            *error = QString::fromStdString(err);
        return index;
    }
    bool compile() { return m_set.Compile(); }
    std::vector<int> match(QByteArrayView text) const
    {
        std::vector<int> hits;
        m_set.Match(re2::StringPiece(text.data(), size_t(text.size())), &hits);
        std::sort(hits.begin(), hits.end());
        return hits;
    }

private:
    static RE2::Options makeOptions()
    {
        RE2::Options o;
        o.set_log_errors(false);
        return o;
    }
    RE2::Set m_set;
};

bool ruleAppliesToConnection(const Rule &rule, const QString &connection)
{
    if (rule.connections.isEmpty())
        return true;
    return std::any_of(rule.connections.cbegin(), rule.connections.cend(),
                       [&](const QString &glob) { return GroupGlob::matches(glob, connection); });
}

bool ruleAppliesToGroups(const Rule &rule, const QStringList &groups)
{
    return rule.groups.isEmpty() || GroupGlob::allows(rule.groups, groups);
}

PolicyPlan::PolicyPlan() = default;
PolicyPlan::~PolicyPlan() = default;

Result<std::shared_ptr<const PolicyPlan>> PolicyPlan::build(const QString &connection, const QList<Rule> &rules)
{
    auto plan = std::make_shared<PolicyPlan>();
    plan->m_pathSet = std::make_unique<PathSet>();
    bool anyPath = false;
    for (const Rule &r : rules) {
        if (!ruleAppliesToConnection(r, connection))
            continue;
        if (r.kind == u"mask") {
            // Column masks are PostgreSQL's; the HTTP masker takes detectors, patterns and fields.
            if (!r.detector.isEmpty() || !r.pattern.isEmpty() || !r.jsonFields.isEmpty())
                plan->m_mask.append(r);
            continue;
        }
        if (r.kind != u"deny" && r.kind != u"approve")
            continue;
        if (!r.match.query.isEmpty() || !r.match.queryClass.isEmpty())
            continue;   // a PostgreSQL rule: never matches HTTP
        auto matcher = RequestMatcher::compile(r.match);
        if (!matcher)
            return Error(QStringLiteral("rule \"%1\": %2").arg(r.name, matcher.error().message));
        RequestRule rr;
        rr.rule = r;
        rr.deny = r.kind == u"deny";
        rr.matcher = std::move(*matcher);
        if (!r.match.path.isEmpty()) {
            QString err;
            rr.pathSetIndex = plan->m_pathSet->add(r.match.path, &err);
            if (rr.pathSetIndex < 0)
                return Error(QStringLiteral("rule \"%1\": match.path: invalid RE2 pattern: %2").arg(r.name, err));
            anyPath = true;
        }
        plan->m_request.push_back(std::move(rr));
    }
    if (anyPath && !plan->m_pathSet->compile())
        return Error(QStringLiteral("connection \"%1\": the rules' path patterns do not fit in one RE2 set (memory budget)")
                         .arg(connection));
    if (!anyPath)
        plan->m_pathSet.reset();
    return std::shared_ptr<const PolicyPlan>(std::move(plan));
}

bool PolicyPlan::needsBody(const QStringList &groups) const
{
    return std::any_of(m_request.cbegin(), m_request.cend(), [&](const RequestRule &r) {
        return r.matcher->hasBody() && ruleAppliesToGroups(r.rule, groups);
    });
}

std::vector<int> PolicyPlan::candidates(const HttpRequestView &request, const QStringList &groups, bool deny) const
{
    std::vector<int> out;
    std::vector<int> pathHits;
    bool pathsMatched = false;
    for (int i = 0; i < int(m_request.size()); ++i) {
        const RequestRule &r = m_request[size_t(i)];
        if (r.deny != deny || !ruleAppliesToGroups(r.rule, groups))
            continue;
        if (r.pathSetIndex >= 0) {
            if (!pathsMatched) {
                pathHits = m_pathSet->match(request.path);
                pathsMatched = true;
            }
            if (!std::binary_search(pathHits.cbegin(), pathHits.cend(), r.pathSetIndex))
                continue;
        }
        if (r.matcher->matchesHead(request) && r.matcher->matchesBody(request.body))
            out.push_back(i);
    }
    return out;
}

const Rule *PolicyPlan::denied(const HttpRequestView &request, const QStringList &groups) const
{
    const std::vector<int> hits = candidates(request, groups, true);
    return hits.empty() ? nullptr : &m_request[size_t(hits.front())].rule;
}

QList<const Rule *> PolicyPlan::approvalsNeeded(const HttpRequestView &request, const QStringList &groups) const
{
    QList<const Rule *> out;
    for (const int i : candidates(request, groups, false))
        out.append(&m_request[size_t(i)].rule);
    return out;
}

MaskSelection PolicyPlan::maskRules(const QStringList &groups) const
{
    MaskSelection s;
    if (m_mask.isEmpty())
        return s;
    s.key.reserve(m_mask.size());
    for (const Rule &r : m_mask) {
        const bool applies = ruleAppliesToGroups(r, groups);
        s.key += applies ? '1' : '0';
        if (applies)
            s.rules.append(r);
    }
    if (s.rules.isEmpty())
        s.key.clear();
    return s;
}

} // namespace gh
