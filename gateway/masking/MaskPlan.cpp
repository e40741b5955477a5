#include "masking/MaskPlan.h"

#include "masking/Detectors.h"

#include <QVarLengthArray>

#include <re2/re2.h>

#include <algorithm>
#include <bit>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace gh {

namespace {

using re2::RE2;
using re2::StringPiece;

// The DFA of an alternation of ten detectors needs more than RE2's default 8 MiB cache before it
// settles; running out makes RE2 reset the cache and, if that repeats, fall back to the NFA, which
// is an order of magnitude slower. 64 MiB is per compiled plan, not per thread.
constexpr int64_t kCombinedMaxMem = 64 << 20;

RE2::Options options(bool latin1)
{
    RE2::Options o;
    o.set_log_errors(false);
    o.set_longest_match(false);
    o.set_max_mem(kCombinedMaxMem);
    o.set_encoding(latin1 ? RE2::Options::EncodingLatin1 : RE2::Options::EncodingUTF8);
    return o;
}

bool isAscii(QByteArrayView s)
{
    return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// The bytes of an RE2-style class body: "A-Za-z0-9._", with '\\' escaping the next byte.
std::array<bool, 256> byteClass(const char *spec)
{
    std::array<bool, 256> in{};
    for (const char *p = spec; *p;) {
        unsigned char lo = static_cast<unsigned char>(*p == '\\' && p[1] ? *++p : *p);
        ++p;
        unsigned char hi = lo;
        if (p[0] == '-' && p[1]) {
            ++p;
            hi = static_cast<unsigned char>(*p == '\\' && p[1] ? *++p : *p);
            ++p;
        }
        for (int c = lo; c <= hi; ++c)
            in[size_t(c)] = true;
    }
    return in;
}

// A large output is written once, front to back, right after it is allocated: with 4 KiB pages
// every page of it faults on first touch, and page faults are expensive on the VMs we run on
// (measured on 32 MiB of PII-dense JSON: maskBuffer went from 0.33-0.37x to 0.57-0.73x of the plain
// scan with huge pages). Only a hint: without transparent huge pages nothing changes.
constexpr qsizetype kHugePageOutput = 4 << 20;

void adviseHugePages([[maybe_unused]] char *data, [[maybe_unused]] qsizetype size)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    constexpr quintptr kHuge = 2 << 20;
    const quintptr begin = (quintptr(data) + kHuge - 1) & ~(kHuge - 1);
    const quintptr end = (quintptr(data) + quintptr(size)) & ~(kHuge - 1);
    if (end > begin)
        madvise(reinterpret_cast<void *>(begin), end - begin, MADV_HUGEPAGE);
#endif
}

// Candidates left after the byte filters are told apart by anchored tests in rule order; beyond
// this many, one pass of the anchored Set is cheaper.
constexpr int kMaxSequentialTests = 4;

// A PEM BEGIN line no longer than this (StreamingMasker's bound for it too).
constexpr int kPrivateKeyHeaderLine = 80;

Error ruleError(const Rule &r, const QString &key, const QString &message)
{
    return Error(message, QString(), r.line, QStringLiteral("rule \"%1\": %2").arg(r.name, key));
}

} // namespace

MaskPlan::~MaskPlan() = default;

QByteArray MaskPlan::builtinAlternation()
{
    QByteArray out;
    for (const Detector *d : allDetectors()) {
        if (!out.isEmpty())
            out += '|';
        out += "(?:" + QByteArray(d->pattern) + ')';
    }
    return out;
}

bool MaskPlan::hasJsonFields() const
{
    return std::any_of(m_entries.begin(), m_entries.end(), [](const Entry &e) { return !e.jsonFields.isEmpty(); });
}

Result<std::shared_ptr<const MaskPlan>> MaskPlan::compile(const QList<Rule> &maskRules)
{
    std::shared_ptr<MaskPlan> plan(new MaskPlan);
    QList<QByteArray> patterns;
    bool allBuiltin = true;
    for (const Rule &r : maskRules) {
        if (r.kind != QLatin1String("mask"))
            return ruleError(r, QStringLiteral("kind"), QStringLiteral("is \"%1\"; only mask rules are compiled here").arg(r.kind));
        Entry e;
        e.rule = r.name;
        e.jsonFields = r.jsonFields;
        QByteArray pattern;
        if (!r.detector.isEmpty()) {
            e.builtin = findDetector(r.detector);
            if (!e.builtin)
                return ruleError(r, QStringLiteral("detector"), QStringLiteral("\"%1\" is not a built-in detector").arg(r.detector));
            e.detector = r.detector;
            pattern = e.builtin->pattern;
            e.replace = r.replace.isEmpty() ? '[' + r.detector.toUpper().toUtf8() + ']' : r.replace.toUtf8();
        } else if (!r.pattern.isEmpty()) {
            e.detector = QStringLiteral("pattern");
            pattern = r.pattern.toUtf8();
            allBuiltin = false;
            e.replace = r.replace.isEmpty() ? QByteArrayLiteral("[MASKED]") : r.replace.toUtf8();
        } else {
            return ruleError(r, QStringLiteral("detector"), QStringLiteral("a mask rule needs exactly one of detector and pattern"));
        }
        // Resources already validated the pattern; compile it alone anyway, both to report a bad
        // one against its own rule (not as an error in the combined pattern) and for retries.
        e.single = std::make_unique<RE2>(StringPiece(pattern.constData(), size_t(pattern.size())), options(false));
        if (!e.single->ok())
            return ruleError(r, QStringLiteral("pattern"), QStringLiteral("invalid RE2 pattern: ") + QString::fromStdString(e.single->error()));
        if (RE2::PartialMatch(StringPiece(), *e.single))
            return ruleError(r, QStringLiteral("pattern"), QStringLiteral("matches the empty string, so it would mask everywhere"));
        if (e.builtin && QByteArrayView(e.builtin->name) == "private_key" && plan->m_privateKeyEntry < 0)
            plan->m_privateKeyEntry = int(plan->m_entries.size());
        patterns.append(pattern);
        plan->m_entries.push_back(std::move(e));
    }
    if (plan->m_entries.empty())
        return std::shared_ptr<const MaskPlan>(std::move(plan));

    // Built-in patterns are ASCII and use no '.', negated classes or \S, so Latin-1 matches them
    // exactly as UTF-8 would, with a smaller DFA. A custom pattern may mean characters (".{4}"),
    // so any custom pattern switches the whole plan to UTF-8.
    const bool latin1 = allBuiltin && std::all_of(patterns.cbegin(), patterns.cend(), isAscii);
    plan->m_isolationExact = allBuiltin;
    // Finding needs no groups, and without them RE2 can factor the alternation (common prefixes
    // such as \b) into a smaller program whose DFA is as fast as a plain scan's: measured, one
    // capturing group per rule made clean text 1.8x slower.
    QByteArray combined;
    plan->m_which = std::make_unique<RE2::Set>(options(latin1), RE2::ANCHOR_BOTH);
    for (qsizetype i = 0; i < patterns.size(); ++i) {
        if (i > 0)
            combined += '|';
        combined += "(?:" + patterns[i] + ')';
        std::string err;
        if (plan->m_which->Add(StringPiece(patterns[i].constData(), size_t(patterns[i].size())), &err) != int(i))
            return ruleError(maskRules.constFirst(), QStringLiteral("pattern"), QStringLiteral("invalid RE2 pattern: ") + QString::fromStdString(err));
        if (latin1)
            plan->m_entries[size_t(i)].single =
                std::make_unique<RE2>(StringPiece(patterns[i].constData(), size_t(patterns[i].size())), options(true));
    }
    plan->m_filtered = plan->m_entries.size() <= 64;
    std::array<bool, 256> anyContains{};
    for (size_t i = 0; plan->m_filtered && i < plan->m_entries.size(); ++i) {
        const Detector *d = plan->m_entries[i].builtin;
        const quint64 bit = quint64(1) << i;
        std::array<bool, 256> first;
        first.fill(true); // a custom pattern may start anywhere and need nothing
        if (d)
            first = byteClass(d->first);
        const std::array<bool, 256> needs = byteClass(d ? d->needs : "");
        const std::array<bool, 256> alphabet = byteClass(d ? d->alphabet : "");
        for (size_t b = 0; b < 256; ++b) {
            if (first[b])
                plan->m_startsWith[b] |= bit;
            if (needs[b])
                plan->m_neededBy[b] |= bit;
            // private_key's block is tracked by StreamingMasker itself (see lastBreak())
            if (!d || QByteArrayView(d->name) != "private_key")
                anyContains[b] = anyContains[b] || alphabet[b];
        }
        if (std::none_of(needs.begin(), needs.end(), [](bool b) { return b; }))
            plan->m_needsNothing |= bit;
        plan->m_lengths.emplace_back(d ? d->minLength : 0, d ? d->maxLength : 0);
        if (!d)
            continue;
        // What openMatchStart() walks back over. Two more bytes than the longest match: a match
        // ending just before the end may still be undone by what follows (\b, ipv4's ".5").
        const bool key = QByteArrayView(d->name) == "private_key";
        if (d->check == Detector::Check::BearerToken) {
            plan->m_bearers |= bit;
            plan->m_reach.push_back(0);
            continue;
        }
        const std::array<bool, 256> walk = key ? byteClass("A-Z0-9 \\-") : alphabet;
        for (size_t b = 0; b < 256; ++b)
            if (walk[b])
                plan->m_alphabet[b] |= bit;
        plan->m_alphabetRules |= bit;
        const int longest = key ? kPrivateKeyHeaderLine : d->maxLength;
        plan->m_reach.push_back(longest > 0 ? longest + 2 : 0);
        if (longest > 0)
            plan->m_boundedRules |= bit;
    }
    if (allBuiltin)
        for (size_t b = 0; b < 256; ++b)
            plan->m_breaks[b] = !anyContains[b];
    plan->m_prefilter = allBuiltin && plan->m_filtered;
    for (size_t i = 0; plan->m_prefilter && i < plan->m_entries.size(); ++i) {
        const Detector *d = plan->m_entries[i].builtin;
        const quint64 bit = quint64(1) << i;
        const std::array<bool, 256> alphabet = byteClass(d->alphabet);
        const std::array<bool, 256> needs = byteClass(d->needs);
        for (size_t b = 0; b < 256; ++b) {
            if (alphabet[b])
                plan->m_shapeAlphabet[b] |= bit;
            if (needs[b])
                plan->m_shapeNeeds[b] |= bit;
        }
        if (!*d->needs) {
            RunRule rule;
            rule.bit = bit;
            for (size_t c = 0; c < 256; ++c) {
                if (alphabet[c] && (c == 0 || !alphabet[c - 1]))
                    rule.ranges.emplace_back(quint8(c), quint8(c));
                if (alphabet[c])
                    rule.ranges.back().second = quint8(c);
            }
            rule.minimum = qsizetype(std::max(d->minLength, 1));
            plan->m_runRules.push_back(std::move(rule));
        }
        for (size_t c = 0; c < 256; ++c)
            plan->m_anyNeeds[c] = plan->m_anyNeeds[c] || needs[c];
    }
    for (size_t c = 0; plan->m_prefilter && c < 256; ++c)
        if (plan->m_anyNeeds[c])
            plan->m_neededBytes.push_back(quint8(c));
    if (plan->m_neededBytes.size() > 8)   // then the byte table is as cheap as the compares
        plan->m_neededBytes.clear();
    plan->m_finder = std::make_unique<RE2>(StringPiece(combined.constData(), size_t(combined.size())), options(latin1));
    if (!plan->m_finder->ok() || !plan->m_which->Compile())
        return ruleError(maskRules.constFirst(), QStringLiteral("pattern"),
                         QStringLiteral("the mask rules do not compile together: ") + QString::fromStdString(plan->m_finder->error()));
    return std::shared_ptr<const MaskPlan>(std::move(plan));
}

bool MaskPlan::accept(int entry, QByteArrayView text, qsizetype begin, qsizetype end, Span &span) const
{
    const Entry &e = m_entries[size_t(entry)];
    span = Span{begin, end, begin, entry};
    if (!e.builtin)
        return true;
    const QByteArrayView m = text.sliced(begin, end - begin);
    switch (e.builtin->check) {
    case Detector::Check::None:
        return true;
    case Detector::Check::Luhn:
        return luhnValid(m);
    case Detector::Check::Mod97:
        return ibanValid(m);
    case Detector::Check::Ipv4:
        // Part of a longer dotted number (an OID, a 5-part version) when a dot and a digit touch it.
        if (begin >= 2 && text[begin - 1] == '.' && isDigit(text[begin - 2]))
            return false;
        return !(end + 1 < text.size() && text[end] == '.' && isDigit(text[end + 1]));
    case Detector::Check::BearerToken: {
        qsizetype k = begin + 6; // "Bearer"
        while (k < end && (text[k] == ' ' || text[k] == '\t'))
            ++k;
        span.maskBegin = k;
        return true;
    }
    }
    return true;
}

// Which rule produced the leftmost-first match text[begin, end): the first rule, in rule order,
// that matches at `begin` at all (its match is then exactly the span). The byte filters drop the
// rules whose match cannot be this span (wrong first byte, a byte every match contains is missing,
// wrong length); the rest are tested in rule order, in context, and the last one left needs no
// test. On the dense benchmark most candidates are down to one rule before any regex runs.
int MaskPlan::whichFired(QByteArrayView text, qsizetype begin, qsizetype end, std::vector<int> &scratch) const
{
    if (m_entries.size() == 1)
        return 0;
    if (m_filtered) {
        quint64 cand = m_startsWith[static_cast<unsigned char>(text[begin])];
        if (cand & ~m_needsNothing) {
            quint64 present = 0;
            for (qsizetype k = begin; k < end; ++k)
                present |= m_neededBy[static_cast<unsigned char>(text[k])];
            cand &= present | m_needsNothing;
        }
        const qsizetype len = end - begin;
        for (quint64 c = cand; c; c &= c - 1) {
            const int j = std::countr_zero(c);
            const auto [lo, hi] = m_lengths[size_t(j)];
            if (len < lo || (hi > 0 && len > hi))
                cand &= ~(quint64(1) << j);
        }
        if (cand && std::popcount(cand) <= kMaxSequentialTests + 1) {
            for (;;) {
                const int j = std::countr_zero(cand);
                cand &= cand - 1;
                if (!cand || matchesAt(j, text, begin))
                    return j;
            }
        }
    }
    return whichFiredBySet(text, begin, end, scratch);
}

bool MaskPlan::matchesAt(int entry, QByteArrayView text, qsizetype begin) const
{
    const StringPiece sp(text.data(), size_t(text.size()));
    return m_entries[size_t(entry)].single->Match(sp, size_t(begin), sp.size(), RE2::ANCHOR_START, nullptr, 0);
}

// The same by the anchored Set. The Set tests the span in isolation, where a word boundary at its
// edges can only hold more often than in context; a built-in \b always touches a word character
// inside the span, so there the fired rule is always among the Set's answers, and when it is the
// only answer nothing more is needed.
int MaskPlan::whichFiredBySet(QByteArrayView text, qsizetype begin, qsizetype end, std::vector<int> &scratch) const
{
    const int n = int(m_entries.size());
    scratch.clear();
    m_which->Match(StringPiece(text.data() + begin, size_t(end - begin)), &scratch);
    if (scratch.size() == 1 && m_isolationExact)
        return scratch.front();
    std::sort(scratch.begin(), scratch.end());
    const StringPiece sp(text.data(), size_t(text.size()));
    auto firesHere = [&](int j) {
        StringPiece m;
        return m_entries[size_t(j)].single->Match(sp, size_t(begin), sp.size(), RE2::ANCHOR_START, &m, 1)
            && m.data() + m.size() == text.data() + end;
    };
    for (int j : scratch)
        if (firesHere(j))
            return j;
    for (int j = 0; j < n; ++j) // a custom pattern whose boundaries depend on the context
        if (firesHere(j))
            return j;
    return -1;
}

namespace {

#if defined(__SSE2__)
// A rule's alphabet as byte ranges, broadcast once per call rather than once per block.
struct VectorRanges {
    __m128i low[8];
    __m128i span[8];
    size_t count = 0;
};

// Bit i of the result: byte p[i] lies in one of the ranges, for 64 bytes.
quint64 inRanges64(const unsigned char *p, const VectorRanges &ranges)
{
    quint64 bits = 0;
    for (int part = 0; part < 4; ++part) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p + 16 * part));
        __m128i in = _mm_setzero_si128();
        for (size_t r = 0; r < ranges.count; ++r) {
            // v in [low, low + span] exactly when v - low (wrapping) <= span, unsigned
            const __m128i d = _mm_sub_epi8(v, ranges.low[r]);
            in = _mm_or_si128(in, _mm_cmpeq_epi8(_mm_min_epu8(d, ranges.span[r]), d));
        }
        bits |= quint64(quint16(_mm_movemask_epi8(in))) << (16 * part);
    }
    return bits;
}

// Whether `bits` holds `length` consecutive ones (1 <= length <= 64).
bool hasRunOfOnes(quint64 bits, qsizetype length)
{
    for (qsizetype have = 1; have < length && bits;) {
        const qsizetype step = std::min(have, length - have);
        bits &= bits >> step;   // bit i: the run from i is now have + step long
        have += step;
    }
    return bits != 0;
}
#endif

} // namespace

bool MaskPlan::hasLongRun(const RunRule &rule, const unsigned char *p, qsizetype n) const
{
    qsizetype run = 0;   // ones at the end of what was looked at so far
    qsizetype k = 0;
#if defined(__SSE2__)
    // 64 bytes at a time as a bit mask of the alphabet's bytes; a run carries over block ends.
    if (rule.ranges.size() <= 8) {
        VectorRanges ranges;
        for (const auto &[lo, hi] : rule.ranges) {
            ranges.low[ranges.count] = _mm_set1_epi8(char(lo));
            ranges.span[ranges.count] = _mm_set1_epi8(char(hi - lo));
            ++ranges.count;
        }
        for (; k + 64 <= n; k += 64) {
            const quint64 bits = inRanges64(p + k, ranges);
            if (~bits == 0) {
                run += 64;
            } else {
                if (run + std::countr_one(bits) >= rule.minimum
                    || (rule.minimum <= 64 && hasRunOfOnes(bits, rule.minimum)))
                    return true;
                run = std::countl_one(bits);
            }
            if (run >= rule.minimum)
                return true;
        }
    }
#endif
    for (; k < n; ++k) {
        run = (m_shapeAlphabet[p[k]] & rule.bit) ? run + 1 : 0;
        if (run >= rule.minimum)
            return true;
    }
    return false;
}

bool MaskPlan::neededByteInLongRun(const unsigned char *p, qsizetype n, qsizetype k) const
{
    // Is the run of a needing rule's alphabet around p[k] long enough? Each look stops once it
    // is, so a long run costs each needed byte in it at most the rule's minimum.
    for (quint64 need = m_shapeNeeds[p[k]]; need; need &= need - 1) {
        const int j = std::countr_zero(need);
        const quint64 bit = quint64(1) << j;
        const qsizetype minimum = std::max<qsizetype>(m_lengths[size_t(j)].first, 1);
        qsizetype lo = k;
        qsizetype hi = k + 1;
        while (hi - lo < minimum && lo > 0 && (m_shapeAlphabet[p[lo - 1]] & bit))
            --lo;
        while (hi - lo < minimum && hi < n && (m_shapeAlphabet[p[hi]] & bit))
            ++hi;
        if (hi - lo >= minimum)
            return true;
    }
    return false;
}

bool MaskPlan::mayMatch(QByteArrayView text) const
{
    if (!m_prefilter)
        return !m_entries.empty();
    const auto *p = reinterpret_cast<const unsigned char *>(text.data());
    const qsizetype n = text.size();
    // This runs over every masked byte and must cost well under the finder's DFA (about 16
    // instructions a byte): vector compares, then byte-table work only where they hit. Needed
    // bytes first: where they are common (spaces in prose, for phone and bearer_token) the answer
    // comes at the first one, and the run checks never start.
    qsizetype k = 0;
#if defined(__SSE2__)
    if (!m_neededBytes.empty()) {
        __m128i needed[8];
        const size_t count = m_neededBytes.size();
        for (size_t i = 0; i < count; ++i)
            needed[i] = _mm_set1_epi8(char(m_neededBytes[i]));
        for (; k + 16 <= n; k += 16) {
            const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p + k));
            __m128i hit = _mm_setzero_si128();
            for (size_t i = 0; i < count; ++i)
                hit = _mm_or_si128(hit, _mm_cmpeq_epi8(v, needed[i]));
            for (unsigned mask = unsigned(_mm_movemask_epi8(hit)); mask; mask &= mask - 1)
                if (neededByteInLongRun(p, n, k + std::countr_zero(mask)))
                    return true;
        }
    }
#endif
    for (; k < n; ++k)
        if (m_anyNeeds[p[k]] && neededByteInLongRun(p, n, k))
            return true;
    for (const RunRule &rule : m_runRules)
        if (hasLongRun(rule, p, n))
            return true;
    return false;
}

// The one loop behind maskBuffer and findSpans. Clean text costs one DFA pass of the finder, as a
// plain scan would; each candidate then costs a reverse DFA to its start (inside RE2::Match), the
// Set's DFA over the span, and the rule's check.
template <typename OnSpan>
void MaskPlan::scan(QByteArrayView text, qsizetype from, OnSpan &&onSpan) const
{
    if (m_entries.empty() || from >= text.size())
        return;
    // A match found from `from` on lies wholly in text[from, end): nothing there, no finder pass.
    if (!mayMatch(text.sliced(from)))
        return;
    const StringPiece sp(text.data(), size_t(text.size()));
    const size_t end = sp.size();
    std::vector<int> scratch;
    // A candidate that failed its check suppresses the same rule until its end, so a number that
    // fails Luhn is not masked piecemeal through a shorter tail that happens to pass.
    QVarLengthArray<qsizetype, 16> suppressedUntil(qsizetype(m_entries.size()), -1);
    const int n = int(m_entries.size());
    size_t pos = size_t(from);
    while (pos < end) {
        StringPiece match;
        if (!m_finder->Match(sp, pos, end, RE2::UNANCHORED, &match, 1))
            return;
        const qsizetype s = match.data() - text.data();
        const qsizetype e = s + qsizetype(match.size());
        const int fired = e > s ? whichFired(text, s, e, scratch) : -1;
        if (fired < 0) { // cannot happen with validated rules; never loop on it
            pos = size_t(s) + 1;
            continue;
        }
        Span span;
        if (s >= suppressedUntil[fired] && accept(fired, text, s, e, span)) {
            onSpan(span);
            pos = size_t(e);
            continue;
        }
        suppressedUntil[fired] = std::max(suppressedUntil[fired], e);
        onSpan(Span{s, e, s, -1});
        // Leftmost-first: no rule before `fired` matches at s, but a later one may. Rare (a
        // failed checksum), so the per-rule anchored retry is cheap overall.
        bool found = false;
        for (int j = fired + 1; j < n && !found; ++j) {
            StringPiece m;
            if (!m_entries[size_t(j)].single->Match(sp, size_t(s), end, RE2::ANCHOR_START, &m, 1) || m.empty())
                continue;
            const qsizetype e2 = s + qsizetype(m.size());
            if (s >= suppressedUntil[j] && accept(j, text, s, e2, span)) {
                onSpan(span);
                pos = size_t(e2);
                found = true;
            } else {
                suppressedUntil[j] = std::max(suppressedUntil[j], e2);
                onSpan(Span{s, e2, s, -1});
            }
        }
        if (!found)
            pos = size_t(s) + 1;
    }
}

// The output is only allocated at the first hit: most bodies have none, and a large fresh buffer
// costs a page fault per 4 KiB on first touch (measured: 12% of the time on this VM).
MaskResult MaskPlan::maskTo(QByteArrayView in, bool &changed) const
{
    MaskResult r;
    changed = false;
    qsizetype copied = 0;
    scan(in, 0, [&](const Span &s) {
        if (s.entry < 0)
            return;
        if (!changed) {
            r.data.reserve(in.size() + 64);
            if (in.size() >= kHugePageOutput)
                adviseHugePages(r.data.data(), r.data.capacity());
            changed = true;
        }
        const Entry &e = m_entries[size_t(s.entry)];
        r.data.append(in.data() + copied, s.maskBegin - copied);
        const qint64 outAt = r.data.size();
        r.data.append(e.replace);
        copied = s.end;
        r.hits.append(MaskHit{e.rule, e.detector, outAt, e.replace.size(), s.maskBegin, s.end - s.maskBegin});
    });
    if (changed)
        r.data.append(in.data() + copied, in.size() - copied);
    return r;
}

MaskResult MaskPlan::maskBuffer(QByteArrayView in) const
{
    bool changed = false;
    MaskResult r = maskTo(in, changed);
    if (!changed)
        r.data = in.toByteArray();
    return r;
}

MaskResult MaskPlan::maskBuffer(const QByteArray &in) const
{
    bool changed = false;
    MaskResult r = maskTo(in, changed);
    if (!changed)
        r.data = in; // implicitly shared: a clean body is not copied at all
    return r;
}

qsizetype MaskPlan::lastBreak(QByteArrayView text, qsizetype from) const
{
    if (!m_isolationExact) // a custom pattern: any byte may be part of a match
        return -1;
    for (qsizetype i = text.size() - 1; i >= from; --i)
        if (m_breaks[static_cast<unsigned char>(text[i])])
            return i;
    return -1;
}

qsizetype MaskPlan::openMatchStart(QByteArrayView text, qsizetype from) const
{
    if (!m_isolationExact || !m_filtered)
        return -1;
    const qsizetype n = text.size();
    from = std::clamp<qsizetype>(from, 0, n);
    qsizetype open = n;
    // A match still open at the end consists of its rule's bytes only, from its start to the end.
    quint64 alive = m_alphabetRules;
    for (qsizetype i = n - 1; i >= from && alive; --i) {
        alive &= m_alphabet[static_cast<unsigned char>(text[i])];
        for (quint64 c = alive & m_boundedRules; c; c &= c - 1) {
            const int j = std::countr_zero(c);
            if (n - i > m_reach[size_t(j)])
                alive &= ~(quint64(1) << j);
        }
        if (alive)
            open = i;
    }
    if (m_bearers) {
        // "Bearer", blanks, then token characters: open while the text ends inside that shape.
        auto tokenChar = [](char c) {
            return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'
                || c == '_' || c == '~' || c == '+' || c == '/' || c == '=';
        };
        auto bearerPrefix = [](QByteArrayView s) {
            for (QByteArrayView w : {QByteArrayView("Bearer"), QByteArrayView("bearer"), QByteArrayView("BEARER")})
                if (w.startsWith(s))
                    return true;
            return false;
        };
        qsizetype t = n;
        while (t > from && tokenChar(text[t - 1]))
            --t;
        for (qsizetype q = std::max(t, n - 6); q < n; ++q) {
            if (bearerPrefix(text.sliced(q))) {
                open = std::min(open, q);
                break;
            }
        }
        qsizetype w = t;
        while (w > from && (text[w - 1] == ' ' || text[w - 1] == '\t'))
            --w;
        if (w < t && w - 6 >= from && bearerPrefix(text.sliced(w - 6, 6)))
            open = std::min(open, w - 6);
    }
    return open;
}

void MaskPlan::findSpans(QByteArrayView text, qsizetype from, std::vector<Span> &out) const
{
    scan(text, from, [&out](const Span &s) { out.push_back(s); });
}

} // namespace gh
