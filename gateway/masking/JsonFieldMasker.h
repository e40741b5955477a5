#pragma once

#include "core/Result.h"
#include "masking/MaskPlan.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>

#include <memory>
#include <vector>

namespace gh {

// Masks a complete JSON body: whole fields named by the rules' json_fields paths are replaced by
// the rule's replacement as a JSON string, and every other string (keys included) and number is
// run through the plan's text detectors after JSON unescaping, so "a\u0040b.io" is found too.
// Bytes the rules do not touch are copied through unchanged (no re-serialisation: key order,
// spacing and number spelling stay as the upstream sent them).
//
// Paths are the subset Resources accepts: $ followed by .name (letters, digits, _ and -), [n] or
// [*], e.g. $.user.ssn, $.items[*].card, $.list[0]. A hit's offset/length cover the whole JSON
// string or value that was rewritten in the output; inputOffset/inputLength the original token.
//
// Invalid JSON, a body over the byte bound or nesting deeper than kMaxDepth is an error, so the
// caller can fail closed rather than pass an unmasked body.
class JsonFieldMasker final {
public:
    static constexpr qsizetype kDefaultMaxBytes = 8 * 1024 * 1024;
    static constexpr int kMaxDepth = 256;

    struct PathSegment {
        enum class Kind { Key, Index, AnyIndex } kind = Kind::Key;
        QByteArray key;
        qsizetype index = 0;
        friend bool operator==(const PathSegment &, const PathSegment &) = default;
    };
    using Path = QList<PathSegment>;

    explicit JsonFieldMasker(std::shared_ptr<const MaskPlan> plan, qsizetype maxBytes = kDefaultMaxBytes);

    Result<MaskResult> mask(QByteArrayView body) const;
    qsizetype maxBytes() const { return m_maxBytes; }

    // "$.items[*].ssn" -> Key items, AnyIndex, Key ssn. Errors for anything Resources rejects.
    static Result<Path> parsePath(const QString &path);

private:
    struct FieldRule {
        Path path;
        int entry = 0;
    };

    std::shared_ptr<const MaskPlan> m_plan;
    qsizetype m_maxBytes;
    std::vector<FieldRule> m_fields;
    Error m_pathError; // a path that did not parse: mask() fails with it
    bool m_hasPathError = false;
};

} // namespace gh
