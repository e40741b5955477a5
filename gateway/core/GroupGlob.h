#pragma once

#include <QStringList>
#include <QStringView>

namespace gh {

// Matches group globs (allow_groups, a rule's groups) against a caller's groups.
class GroupGlob final {
public:
    // '*' matches any run of characters (also none), '?' exactly one; everything else literally.
    static bool matches(QStringView pattern, QStringView text);
    // True when some entry matches some group; an entry "*" admits every authenticated caller,
    // also one without groups.
    static bool allows(const QStringList &allowGroups, const QStringList &groups);
};

} // namespace gh
