#include "core/GroupGlob.h"

namespace gh {

bool GroupGlob::matches(QStringView pattern, QStringView text)
{
    // Iterative wildcard match with one backtrack point: linear in practice, no recursion.
    qsizetype p = 0;
    qsizetype t = 0;
    qsizetype starP = -1;
    qsizetype starT = 0;
    while (t < text.size()) {
        if (p < pattern.size() && (pattern.at(p) == u'?' || pattern.at(p) == text.at(t))) {
            ++p;
            ++t;
        } else if (p < pattern.size() && pattern.at(p) == u'*') {
            starP = p++;
            starT = t;
        } else if (starP >= 0) {
            p = starP + 1;
            t = ++starT;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern.at(p) == u'*')
        ++p;
    return p == pattern.size();
}

bool GroupGlob::allows(const QStringList &allowGroups, const QStringList &groups)
{
    for (const QString &entry : allowGroups) {
        if (entry == u"*")
            return true;
        for (const QString &g : groups) {
            if (matches(entry, g))
                return true;
        }
    }
    return false;
}

} // namespace gh
