#pragma once

#include "core/Resources.h"
#include "core/Result.h"
#include "policy/RequestMatcher.h"

#include <QList>
#include <QString>
#include <QStringList>

#include <memory>
#include <vector>

namespace re2 {
class RE2;
}

namespace gh {

// The mask rules that apply to one caller on one connection, and a key naming that subset so
// compiled masking plans can be shared between callers with the same subset.
struct MaskSelection {
    QByteArray key;      // one '1'/'0' per mask rule of the plan; empty when none applies
    QList<Rule> rules;
};

// Everything the rules say about one connection, compiled once per resource change and shared
// read-only by every proxy thread (swapped with the route table, never mutated). The order of
// enforcement is fixed: access (allow_groups, checked by the proxy) -> deny -> approve -> forward
// -> mask -> record.
class PolicyPlan final {
    Q_DISABLE_COPY_MOVE(PolicyPlan)
public:
    PolicyPlan();
    ~PolicyPlan();

    // `rules` is every rule; those whose `connections` globs do not name `connection`, and
    // PostgreSQL-only ones, are left out. Errors name the rule and the key.
    static Result<std::shared_ptr<const PolicyPlan>> build(const QString &connection, const QList<Rule> &rules);

    bool empty() const { return m_request.empty() && m_mask.isEmpty(); }
    // Some deny or approve rule that applies to these groups looks at the body: the proxy must
    // read it (within its bound) before deciding.
    bool needsBody(const QStringList &groups) const;
    // The first deny rule (in file order) that matches, or null.
    const Rule *denied(const HttpRequestView &request, const QStringList &groups) const;
    // Every approve rule that matches, in file order; each needs its own approval.
    QList<const Rule *> approvalsNeeded(const HttpRequestView &request, const QStringList &groups) const;
    MaskSelection maskRules(const QStringList &groups) const;
    const QList<Rule> &allMaskRules() const { return m_mask; }

private:
    struct RequestRule {
        Rule rule;
        std::unique_ptr<RequestMatcher> matcher;
        int pathSetIndex = -1;   // index in m_pathSet, -1: the rule has no path pattern
        bool deny = false;
    };
    std::vector<int> candidates(const HttpRequestView &request, const QStringList &groups, bool deny) const;

    std::vector<RequestRule> m_request;
    // The prefilter: one pass of an RE2::Set over the path tells which rules' path patterns can
    // match, so a request on a connection with many rules is not matched rule by rule.
    std::unique_ptr<class PathSet> m_pathSet;
    QList<Rule> m_mask;
};

// True when a rule's globs name the connection (a rule with no `connections` applies to all).
bool ruleAppliesToConnection(const Rule &rule, const QString &connection);
// True when a rule's `groups` globs admit the caller ("*" admits everyone, also without groups).
bool ruleAppliesToGroups(const Rule &rule, const QStringList &groups);

} // namespace gh
