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
// [*], e.g. $.user.ssn, $.items[*].card, $.list[0]. A whole field's hit covers the JSON string
// written in its place, a detector's hit its replacement inside the re-escaped string;
// inputOffset/inputLength are the original token's.
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
    // A JSON response no json_fields rule covers, as the proxy masks it: mask(), then, for a plan
    // with a custom pattern, that pattern's matches across the JSON syntax (a quote, a colon) as raw
    // masking finds them over the result, so nothing raw masking masked is missed (such a
    // replacement may break the JSON, as it always did). Matches inside a string are mask()'s alone.
    // Their hits have inputOffset -1: the input bytes are not tracked through the first pass.
    Result<MaskResult> maskBody(QByteArrayView body) const;
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
    bool m_custom = false; // a rule with a custom pattern: every token is scanned (see Walker::mayHit)
};

} // namespace gh
