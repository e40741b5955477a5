#include "masking/JsonFieldMasker.h"

#include "masking/JsonText.h"

namespace gh {

namespace {

using Path = JsonFieldMasker::Path;
using Seg = JsonFieldMasker::PathSegment;

// One pass over the body: a recursive-descent validator that copies untouched bytes lazily and
// rewrites only what a rule hits. The current path is kept as a stack of keys and indices.
class Walker {
public:
    struct Field {
        const Path *path;
        int entry;
    };

    // `candidates`: the plan's raw candidates in the whole body, for a plan of built-in detectors
    // only (nullptr: every string and number is scanned).
    Walker(QByteArrayView in, const MaskPlan &plan, const std::vector<Field> &fields,
           const std::vector<MaskPlan::Span> *candidates)
        : m_in(in), m_plan(plan), m_fields(fields), m_candidates(candidates)
    {
    }

    Result<MaskResult> run()
    {
        skipWs();
        if (!value(0))
            return fail();
        skipWs();
        if (m_pos != m_in.size()) {
            m_error = QStringLiteral("unexpected data after the JSON value");
            return fail();
        }
        if (m_copied == 0) { // nothing rewritten
            m_result.data = m_in.toByteArray();
        } else {
            m_result.data.append(m_in.data() + m_copied, m_in.size() - m_copied);
        }
        return std::move(m_result);
    }

private:
    struct Step {
        QByteArray key; // decoded; empty for an array element
        qsizetype index = -1;
    };

    Error fail() const
    {
        return Error(QStringLiteral("invalid JSON at byte %1: %2").arg(m_pos).arg(m_error));
    }
    bool error(const char *what)
    {
        m_error = QString::fromLatin1(what);
        return false;
    }
    void skipWs()
    {
        while (m_pos < m_in.size() && JsonText::isWs(m_in[m_pos]))
            ++m_pos;
    }
    bool at(char c) const { return m_pos < m_in.size() && m_in[m_pos] == c; }

    int fieldHere() const
    {
        for (const Field &f : m_fields) {
            if (f.path->size() != qsizetype(m_path.size()))
                continue;
            bool match = true;
            for (qsizetype i = 0; match && i < f.path->size(); ++i) {
                const Seg &s = f.path->at(i);
                const Step &p = m_path[size_t(i)];
                switch (s.kind) {
                case Seg::Kind::Key: match = p.index < 0 && p.key == s.key; break;
                case Seg::Kind::Index: match = p.index == s.index; break;
                case Seg::Kind::AnyIndex: match = p.index >= 0; break;
                }
            }
            if (match)
                return f.entry;
        }
        return -1;
    }

    // Replaces the field m_in[begin, m_pos) in the output with its rule's replacement as a JSON string.
    void rewriteField(qsizetype begin, int entry)
    {
        if (m_copied == 0)
            m_result.data.reserve(m_in.size() + 64);
        m_result.data.append(m_in.data() + m_copied, begin - m_copied);
        const qint64 outAt = m_result.data.size();
        JsonText::appendString(m_result.data, m_plan.entry(entry).replace);
        m_copied = m_pos;
        m_result.hits.append(MaskHit{m_plan.entry(entry).rule, QStringLiteral("json_field"), outAt,
                                     m_result.data.size() - outAt, begin, m_pos - begin});
    }

    // Runs the text detectors over a decoded string or number token just consumed (m_in[begin, m_pos)).
    void detect(qsizetype begin, QByteArrayView decoded)
    {
        if (m_quiet || m_plan.empty() || !mayHit(begin, decoded))
            return;
        const MaskResult r = m_plan.maskBuffer(decoded);
        if (r.hits.isEmpty())
            return;
        // The string written back re-escaped; each hit's range is its replacement in the output.
        if (m_copied == 0)
            m_result.data.reserve(m_in.size() + 64);
        m_result.data.append(m_in.data() + m_copied, begin - m_copied);
        m_result.data += '"';
        const QByteArrayView text(r.data);
        qsizetype copied = 0;
        for (const MaskHit &h : r.hits) {
            JsonText::appendEscaped(m_result.data, text.sliced(copied, h.offset - copied));
            const qint64 at = m_result.data.size();
            JsonText::appendEscaped(m_result.data, text.sliced(h.offset, h.length));
            m_result.hits.append(MaskHit{h.rule, h.detector, at, m_result.data.size() - at, begin, m_pos - begin});
            copied = h.offset + h.length;
        }
        JsonText::appendEscaped(m_result.data, text.sliced(copied));
        m_result.data += '"';
        m_copied = m_pos;
    }

    // False when the token cannot hold a match: built-in detectors cannot match across a quote, so
    // in a token without escapes (its decoded text is its raw bytes) they find what the raw scan of
    // the body found there, and most tokens have no candidate at all.
    bool mayHit(qsizetype begin, QByteArrayView decoded)
    {
        if (!m_candidates)
            return true;
        const bool escaped = decoded.data() < m_in.data() || decoded.data() >= m_in.data() + m_in.size();
        if (escaped)
            return true;
        while (m_candidate < m_candidates->size() && (*m_candidates)[m_candidate].end <= begin)
            ++m_candidate;
        return m_candidate < m_candidates->size() && (*m_candidates)[m_candidate].begin < m_pos;
    }

    bool value(int depth)
    {
        if (depth > JsonFieldMasker::kMaxDepth)
            return error("nested too deeply");
        const qsizetype begin = m_pos;
        const int whole = m_quiet ? -1 : fieldHere();
        if (whole >= 0) {
            m_quiet = true; // validate the field, but rewrite it once, whole
            const bool ok = bareValue(depth);
            m_quiet = false;
            if (ok)
                rewriteField(begin, whole);
            return ok;
        }
        return bareValue(depth);
    }

    bool bareValue(int depth)
    {
        if (m_pos >= m_in.size())
            return error("expected a value");
        const char c = m_in[m_pos];
        if (c == '{')
            return object(depth);
        if (c == '[')
            return array(depth);
        if (c == '"') {
            const qsizetype begin = m_pos;
            QByteArray scratch;
            QByteArrayView decoded;
            if (!string(scratch, decoded))
                return false;
            detect(begin, decoded);
            return true;
        }
        if (c == '-' || (c >= '0' && c <= '9'))
            return number();
        for (const char *lit : {"true", "false", "null"}) {
            const QByteArrayView l(lit);
            if (m_in.sliced(m_pos).startsWith(l)) {
                m_pos += l.size();
                return true;
            }
        }
        return error("expected a value");
    }

    bool object(int depth)
    {
        ++m_pos; // {
        skipWs();
        if (at('}')) {
            ++m_pos;
            return true;
        }
        for (;;) {
            skipWs();
            if (!at('"'))
                return error("expected a string key");
            const qsizetype keyBegin = m_pos;
            QByteArray scratch;
            QByteArrayView key;
            if (!string(scratch, key))
                return false;
            m_path.push_back(Step{key.toByteArray(), -1});
            detect(keyBegin, key);
            skipWs();
            if (!at(':'))
                return error("expected ':'");
            ++m_pos;
            skipWs();
            if (!value(depth + 1))
                return false;
            m_path.pop_back();
            skipWs();
            if (at(',')) {
                ++m_pos;
                continue;
            }
            if (at('}')) {
                ++m_pos;
                return true;
            }
            return error("expected ',' or '}'");
        }
    }

    bool array(int depth)
    {
        ++m_pos; // [
        skipWs();
        if (at(']')) {
            ++m_pos;
            return true;
        }
        for (qsizetype i = 0;; ++i) {
            skipWs();
            m_path.push_back(Step{QByteArray(), i});
            if (!value(depth + 1))
                return false;
            m_path.pop_back();
            skipWs();
            if (at(',')) {
                ++m_pos;
                continue;
            }
            if (at(']')) {
                ++m_pos;
                return true;
            }
            return error("expected ',' or ']'");
        }
    }

    bool number()
    {
        const qsizetype begin = m_pos;
        const char *what = nullptr;
        if (!JsonText::readNumber(m_in, m_pos, what))
            return error(what);
        detect(begin, m_in.sliced(begin, m_pos - begin));
        return true;
    }

    // Consumes a string token. `decoded` views the raw bytes when there is no escape (the common
    // case: no copy), else `scratch`.
    bool string(QByteArray &scratch, QByteArrayView &decoded)
    {
        const char *what = nullptr;
        return JsonText::readString(m_in, m_pos, scratch, decoded, what) || error(what);
    }

    QByteArrayView m_in;
    const MaskPlan &m_plan;
    const std::vector<Field> &m_fields;
    const std::vector<MaskPlan::Span> *m_candidates;
    size_t m_candidate = 0;
    qsizetype m_pos = 0;
    qsizetype m_copied = 0;
    bool m_quiet = false;
    std::vector<Step> m_path;
    MaskResult m_result;
    QString m_error;
};

} // namespace

JsonFieldMasker::JsonFieldMasker(std::shared_ptr<const MaskPlan> plan, qsizetype maxBytes)
    : m_plan(std::move(plan)), m_maxBytes(maxBytes)
{
    for (size_t i = 0; i < m_plan->entries().size(); ++i) {
        for (const QString &p : m_plan->entries()[i].jsonFields) {
            Result<Path> path = parsePath(p);
            if (!path) {
                if (!m_hasPathError)
                    m_pathError = Error(path.error().message, QString(), 0,
                                        QStringLiteral("rule \"%1\": json_fields").arg(m_plan->entries()[i].rule));
                m_hasPathError = true;
                continue;
            }
            m_fields.push_back(FieldRule{std::move(path).value(), int(i)});
        }
        if (!m_plan->entries()[i].builtin)
            m_custom = true;
    }
}

Result<JsonFieldMasker::Path> JsonFieldMasker::parsePath(const QString &p)
{
    const Error bad(QStringLiteral("expected a JSON path like $.user.ssn or $.items[*].ssn, got \"%1\"").arg(p));
    if (!p.startsWith(QLatin1Char('$')) || p.size() < 2)
        return bad;
    Path out;
    qsizetype i = 1;
    auto nameChar = [](QChar c) {
        const char16_t u = c.unicode();
        return (u >= u'a' && u <= u'z') || (u >= u'A' && u <= u'Z') || (u >= u'0' && u <= u'9') || u == u'_' || u == u'-';
    };
    while (i < p.size()) {
        if (p[i] == QLatin1Char('.')) {
            const qsizetype start = ++i;
            while (i < p.size() && nameChar(p[i]))
                ++i;
            if (i == start)
                return bad;
            out.append(Seg{Seg::Kind::Key, p.mid(start, i - start).toUtf8(), 0});
        } else if (p[i] == QLatin1Char('[')) {
            const qsizetype close = p.indexOf(QLatin1Char(']'), i);
            if (close < 0)
                return bad;
            const QString inner = p.mid(i + 1, close - i - 1);
            if (inner == QLatin1String("*")) {
                out.append(Seg{Seg::Kind::AnyIndex, {}, 0});
            } else {
                bool digits = !inner.isEmpty();
                for (QChar c : inner)
                    digits = digits && c >= QLatin1Char('0') && c <= QLatin1Char('9');
                bool fits = false;
                const qsizetype n = inner.toLongLong(&fits);
                if (!digits || !fits)
                    return bad;
                out.append(Seg{Seg::Kind::Index, {}, n});
            }
            i = close + 1;
        } else {
            return bad;
        }
    }
    return out;
}

Result<MaskResult> JsonFieldMasker::mask(QByteArrayView body) const
{
    if (m_hasPathError)
        return m_pathError;
    if (body.size() > m_maxBytes)
        return Error(QStringLiteral("JSON body of %1 bytes exceeds the masking bound of %2 bytes").arg(body.size()).arg(m_maxBytes));
    std::vector<Walker::Field> fields;
    fields.reserve(m_fields.size());
    for (const FieldRule &f : m_fields)
        fields.push_back(Walker::Field{&f.path, f.entry});
    if (m_custom)
        return Walker(body, *m_plan, fields, nullptr).run();
    std::vector<MaskPlan::Span> candidates;
    m_plan->findSpans(body, 0, candidates);
    return Walker(body, *m_plan, fields, &candidates).run();
}

Result<MaskResult> JsonFieldMasker::maskBody(QByteArrayView body) const
{
    auto decoded = mask(body);
    if (!decoded || !m_custom)
        return decoded;
    // A custom pattern may match across the JSON syntax ("password":"...), as raw masking found it.
    const QByteArray &in = decoded->data;
    std::vector<MaskPlan::Span> spans;
    m_plan->findSpans(in, 0, spans);
    JsonStringCursor cursor(in, 0, in.size());
    MaskResult out;
    qsizetype copied = 0;
    qint64 shift = 0; // output size minus input size so far
    qsizetype k = 0;  // decoded->hits before `copied` are placed
    for (const MaskPlan::Span &sp : spans) {
        if (sp.entry < 0 || sp.maskBegin < copied || cursor.insideString(sp.begin, sp.end))
            continue;
        for (; k < decoded->hits.size() && decoded->hits[k].offset < sp.maskBegin; ++k) {
            MaskHit h = decoded->hits[k];
            if (h.offset + h.length > sp.maskBegin)
                continue; // cut by this replacement, which is reported instead
            h.offset += shift;
            out.hits.append(h);
        }
        while (k < decoded->hits.size() && decoded->hits[k].offset < sp.end)
            ++k; // replaced with the span, which is reported instead
        const MaskPlan::Entry &e = m_plan->entry(sp.entry);
        out.data.append(in.constData() + copied, sp.maskBegin - copied);
        out.hits.append(MaskHit{e.rule, e.detector, out.data.size(), e.replace.size(), -1, 0});
        out.data += e.replace;
        shift += e.replace.size() - (sp.end - sp.maskBegin);
        copied = sp.end;
    }
    if (copied == 0)
        return decoded;
    out.data.append(in.constData() + copied, in.size() - copied);
    for (; k < decoded->hits.size(); ++k) {
        MaskHit h = decoded->hits[k];
        h.offset += shift;
        out.hits.append(h);
    }
    return out;
}

} // namespace gh
