#pragma once

#include "core/Resources.h"
#include "core/Result.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>
#include <QStringList>

#include <array>
#include <memory>
#include <vector>

#include <re2/re2.h>
#include <re2/set.h>

namespace gh {

struct Detector;

// One replaced region. offset/length locate the replacement in the output (what the caller sends
// and records); inputOffset/inputLength locate the masked bytes in the input. Never the value.
struct MaskHit {
    QString rule;
    QString detector;       // a built-in detector name, or "pattern" for a custom pattern
    qint64 offset = 0;
    qint64 length = 0;
    qint64 inputOffset = 0;
    qint64 inputLength = 0;

    friend bool operator==(const MaskHit &, const MaskHit &) = default;
};

} // namespace gh
// Two QStrings and plain integers: safe to move with memcpy, so a growing hit list is realloc'd
// rather than copy-constructed (QString reference counts are atomics).
Q_DECLARE_TYPEINFO(gh::MaskHit, Q_RELOCATABLE_TYPE);
namespace gh {

struct MaskResult {
    QByteArray data;
    QList<MaskHit> hits;
};

// The compiled form of a set of mask rules: immutable once built, so one instance is shared by
// every proxy thread (RE2 is thread-safe for matching) and replaced whole when rules change.
class MaskPlan final {
public:
    // A single match longer than this may be missed where a stream is split across reads
    // (StreamingMasker's carry-over window). PEM private keys get kPrivateKeyWindow instead.
    static constexpr qsizetype kDefaultMaxMatchLength = 4 * 1024;
    static constexpr qsizetype kPrivateKeyWindow = 64 * 1024;

    // One mask rule as compiled: what it reports and what it writes instead of the match.
    struct Entry {
        QString rule;
        QString detector;       // built-in name or "pattern"
        QByteArray replace;     // UTF-8
        QStringList jsonFields; // whole-field paths (JsonFieldMasker)
        const Detector *builtin = nullptr;
        std::unique_ptr<re2::RE2> single; // the rule's pattern alone: exact attribution and retries
    };

    // A candidate found by the scan. entry < 0: a candidate that failed its check (kept so a
    // streaming caller does not cut through it). Bytes [maskBegin, end) are replaced.
    struct Span {
        qsizetype begin = 0;
        qsizetype end = 0;
        qsizetype maskBegin = 0;
        int entry = -1;
    };

    // Every rule must be of kind "mask" (the caller picks the ones that apply to an exchange);
    // errors name the rule and the key (`rule "x": pattern`).
    static Result<std::shared_ptr<const MaskPlan>> compile(const QList<Rule> &maskRules);

    ~MaskPlan();
    Q_DISABLE_COPY_MOVE(MaskPlan)

    bool empty() const { return m_entries.empty(); }
    qsizetype maxMatchLength() const { return kDefaultMaxMatchLength; }
    bool hasPrivateKeyRule() const { return m_privateKeyEntry >= 0; }
    int privateKeyEntry() const { return m_privateKeyEntry; }
    bool hasJsonFields() const;

    const std::vector<Entry> &entries() const { return m_entries; }
    const Entry &entry(int i) const { return m_entries[size_t(i)]; }

    // Masks a complete buffer in one pass; offsets in the hits are relative to `in` and the output.
    MaskResult maskBuffer(QByteArrayView in) const;
    // The same; when nothing is masked the result shares `in` instead of copying it.
    MaskResult maskBuffer(const QByteArray &in) const;

    // Appends the candidates in text[from, end) to `out` in order; text[0, from) is context only
    // (word boundaries and ^ see it). Used by StreamingMasker to decide where it may cut.
    void findSpans(QByteArrayView text, qsizetype from, std::vector<Span> &out) const;

    // The last byte in text[from, end) that no match of any rule can contain, or -1 (always -1
    // when a rule has a custom pattern). Nothing before it can change when more text follows, so
    // StreamingMasker need not scan held-back bytes up to it again. private_key is left out: its
    // body takes almost any byte, and StreamingMasker tracks an open key block by its BEGIN line.
    qsizetype lastBreak(QByteArrayView text, qsizetype from) const;

    // The earliest position in text[from, end) where a match may start that more text could still
    // lengthen, complete or undo (a word boundary, a checksum, ipv4's dotted-number test), or
    // text.size() when there is none: every match starting before it is final. -1 when the plan
    // cannot tell (a custom pattern, which may contain any byte and be of any length). Read off
    // each detector's alphabet and longest match; bearer_token by its "Bearer" word, and
    // private_key up to its BEGIN line only (StreamingMasker tracks an open block, as lastBreak()).
    // Lets a streamed text be released word by word rather than a window behind.
    qsizetype openMatchStart(QByteArrayView text, qsizetype from) const;

    // False when no rule can match anywhere in `text`, read off the built-in detectors' shapes: a
    // match is a run of its detector's alphabet at least its minimum length long, holding one of
    // the bytes the detector needs (when it needs one). A superset of the finder, and cheaper than
    // its DFA: most text has no such run (a base64 blob, prose without digits next to separators),
    // and then the finder is not run at all. Always true for a plan with a custom pattern.
    bool mayMatch(QByteArrayView text) const;

    // One non-capturing alternation of the ten built-in patterns: what the finder of a plan with
    // all built-ins runs. Exposed for the benchmark's baseline.
    static QByteArray builtinAlternation();

private:
    MaskPlan() = default;
    template <typename OnSpan>
    void scan(QByteArrayView text, qsizetype from, OnSpan &&onSpan) const;
    MaskResult maskTo(QByteArrayView in, bool &changed) const;
    bool accept(int entry, QByteArrayView text, qsizetype begin, qsizetype end, Span &span) const;

    int whichFired(QByteArrayView text, qsizetype begin, qsizetype end, std::vector<int> &scratch) const;
    int whichFiredBySet(QByteArrayView text, qsizetype begin, qsizetype end, std::vector<int> &scratch) const;
    bool matchesAt(int entry, QByteArrayView text, qsizetype begin) const;

    std::vector<Entry> m_entries;
    std::unique_ptr<re2::RE2> m_finder;  // (?:p1)|(?:p2)|...: finds candidate spans, nothing else
    std::unique_ptr<re2::RE2::Set> m_which; // the same patterns anchored at both ends: which fired
    bool m_isolationExact = true; // every pattern built-in: see whichFiredBySet()
    int m_privateKeyEntry = -1;
    // Attribution without the Set (see whichFired()): bit i of m_startsWith[b] is set when rule i
    // can start with byte b, of m_neededBy[b] when b is one of the bytes every match of rule i
    // contains; m_needsNothing has the rules without such a byte. Only for plans of <= 64 rules.
    bool m_filtered = false;
    std::array<quint64, 256> m_startsWith{};
    std::array<quint64, 256> m_neededBy{};
    quint64 m_needsNothing = 0;
    std::vector<std::pair<int, int>> m_lengths; // per rule: min, max (0 unbounded)
    std::array<bool, 256> m_breaks{};           // no rule's match contains the byte
    // openMatchStart(): bit i of m_alphabet[b] is set when rule i's match may contain byte b
    // (private_key: its BEGIN line's bytes), m_reach[i] how far back from the end a match still
    // open there can start (0: unbounded); bearer_token rules are in m_bearers instead.
    std::array<quint64, 256> m_alphabet{};
    std::vector<qsizetype> m_reach;
    quint64 m_alphabetRules = 0;
    quint64 m_boundedRules = 0;
    quint64 m_bearers = 0;
    // mayMatch(): bit i of m_shapeAlphabet[b] is set when a match of rule i may contain byte b (its
    // whole alphabet, private_key and bearer_token included), of m_shapeNeeds[b] when b is one of
    // the bytes rule i needs (m_anyNeeds[b]: some rule does); m_runRules are the rules that need
    // none, checked by the length of their alphabet's runs.
    struct RunRule {
        quint64 bit = 0;
        std::vector<std::pair<quint8, quint8>> ranges;   // its alphabet as inclusive byte ranges
        qsizetype minimum = 1;
    };
    bool hasLongRun(const RunRule &rule, const unsigned char *p, qsizetype n) const;
    bool neededByteInLongRun(const unsigned char *p, qsizetype n, qsizetype k) const;
    bool m_prefilter = false;
    std::array<quint64, 256> m_shapeAlphabet{};
    std::array<quint64, 256> m_shapeNeeds{};
    std::array<quint8, 256> m_anyNeeds{};
    std::vector<quint8> m_neededBytes;   // the same, listed for vector compares (empty past 8)
    std::vector<RunRule> m_runRules;
};

} // namespace gh
