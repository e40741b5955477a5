#include "proxy/ResponseMasker.h"

#include "core/AsciiCase.h"
#include "masking/JsonText.h"
#include "proxy/UpstreamConnection.h"

#include <utility>

namespace gh {

namespace {

// The media type of a Content-Type value: before any parameters, without surrounding whitespace.
// Asked several times per masked response: views, no allocation.
QByteArrayView mediaType(QByteArrayView contentType)
{
    const qsizetype semicolon = contentType.indexOf(';');
    return (semicolon < 0 ? contentType : contentType.first(semicolon)).trimmed();
}

bool isEventStream(QByteArrayView contentType)
{
    return equalsIgnoringAsciiCase(mediaType(contentType), "text/event-stream");
}

// The entry of `rule` and `detector` in `out`, added when it is not there yet.
MaskSummary &summaryEntry(QList<MaskSummary> &out, const QString &rule, const QString &detector)
{
    for (MaskSummary &s : out)
        if (s.rule == rule && s.detector == detector)
            return s;
    out.append(MaskSummary{rule, detector, 0, {}});
    return out.last();
}

} // namespace

bool ResponseMasker::isJsonType(QByteArrayView contentType)
{
    const QByteArrayView type = mediaType(contentType);
    return equalsIgnoringAsciiCase(type, "application/json")
        || (startsWithIgnoringAsciiCase(type, "application/") && endsWithIgnoringAsciiCase(type, "+json"));
}

ResponseMasker::~ResponseMasker() = default;

Result<std::unique_ptr<ResponseMasker>> ResponseMasker::create(std::shared_ptr<const MaskPlan> plan,
                                                               const UpstreamResponseHead &head, qint64 jsonBound)
{
    std::unique_ptr<ResponseMasker> m(new ResponseMasker);
    const QByteArray coding = headerValue(head.headers, "content-encoding").trimmed();
    auto encoding = ContentDecoder::encodingFor(coding);
    if (!encoding)
        return Error(QStringLiteral("the upstream answered with Content-Encoding \"%1\", which the gateway cannot "
                                    "decode to mask, so it passes nothing on")
                         .arg(QString::fromLatin1(coding.left(64))));
    if (*encoding != ContentDecoder::Encoding::Identity)
        m->m_decoder = std::make_unique<ContentDecoder>(*encoding, ContentDecoder::kDefaultMaxOutputPerCall,
                                                        plan->hasJsonFields() ? jsonBound : 0);
    const QByteArray type = headerValue(head.headers, "content-type").trimmed();
    if (plan->hasJsonFields() && isJsonType(type)) {
        if (head.hasContentLength && !m->m_decoder && head.contentLength > quint64(jsonBound))
            return Error(QStringLiteral("the JSON response (%1 bytes) is larger than the %2 bytes a json_fields rule "
                                        "may read to mask it (mask_body_limit)")
                             .arg(head.contentLength)
                             .arg(jsonBound));
        m->m_json = std::make_unique<JsonFieldMasker>(plan, qsizetype(jsonBound));
        m->m_jsonBound = jsonBound;
    } else if (isJsonType(type) && !(head.hasContentLength && !m->m_decoder && head.contentLength > quint64(jsonBound))) {
        // Raw masking does not know JSON escapes: it can cut "\nada@example.org" after the
        // backslash (an invalid escape) and miss "a\u0040example.org". Read whole, the strings are
        // masked decoded. A body of unknown size (chunked, compressed) is masked so value by value
        // (scanValues); from a value larger than the bound, or bytes that cannot be JSON, it
        // streams masked raw.
        m->m_json = std::make_unique<JsonFieldMasker>(plan, qsizetype(jsonBound));
        m->m_jsonBound = jsonBound;
        m->m_rawFallback = true;
        m->m_plan = plan;
        m->m_mayStream = !(head.hasContentLength && !m->m_decoder);
        if (!m->m_mayStream)
            m->m_whole.reserve(qsizetype(head.contentLength));
    } else if (!m->m_decoder && head.hasContentLength && head.contentLength <= quint64(kSmallBody)
               && !isEventStream(type)) {
        m->m_small = true;
        m->m_plan = plan;
        m->m_jsonBound = kSmallBody;
        m->m_whole.reserve(qsizetype(head.contentLength));
    } else if (isEventStream(type)) {
        m->m_events = std::make_unique<SseDeltaMasker>(plan);
    } else {
        m->m_stream = std::make_unique<StreamingMasker>(plan);
    }
    return m;
}

Result<QByteArray> ResponseMasker::maskDecoded(QByteArrayView decoded)
{
    if (m_stream)
        return m_stream->feed(decoded);
    if (m_events)
        return m_events->feed(decoded);
    if (m_mayStream) {
        // Value by value: each complete top-level value goes out masked as soon as it is whole.
        m_whole.append(decoded.data(), decoded.size());
        QByteArray out;
        if (!scanValues(out) || m_whole.size() > m_jsonBound)
            out += spill();   // not JSON after all, or one value larger than the bound: raw from here
        return out;
    }
    if (m_whole.size() + decoded.size() > m_jsonBound && !m_small)
        return Error(QStringLiteral("the JSON response is larger than the %1 bytes a json_fields rule may read to mask "
                                    "it (mask_body_limit)")
                         .arg(m_jsonBound));
    m_whole.append(decoded.data(), decoded.size());
    return QByteArray();
}

bool ResponseMasker::scanValues(QByteArray &out)
{
    const char *d = m_whole.constData();
    const qsizetype n = m_whole.size();
    qsizetype emitted = 0;   // m_whole before this has gone out
    bool ok = true;
    for (qsizetype i = m_scan; i < n && ok; ++i) {
        const char c = d[i];
        if (m_inString) {
            if (m_escape) {
                m_escape = false;
            } else if (c == '\\') {
                m_escape = true;
            } else if (c == '"') {
                m_inString = false;
                if (m_depth == 0) {
                    out += maskValue(QByteArrayView(d + emitted, i + 1 - emitted));
                    emitted = i + 1;
                }
            }
            continue;
        }
        if (m_scalar) {
            // A top-level number or literal ends where whitespace or another value begins.
            if (!JsonText::isWs(c) && c != '{' && c != '[' && c != '"')
                continue;
            m_scalar = false;
            out += maskValue(QByteArrayView(d + emitted, i - emitted));
            emitted = i;
        }
        switch (c) {
        case '"':
            m_inString = true;
            break;
        case '{':
        case '[':
            ++m_depth;
            break;
        case '}':
        case ']':
            if (m_depth == 0) {
                ok = false;   // closes what was never opened: not JSON
                break;
            }
            if (--m_depth == 0) {
                out += maskValue(QByteArrayView(d + emitted, i + 1 - emitted));
                emitted = i + 1;
            }
            break;
        default:
            if (m_depth != 0)
                break;
            if (JsonText::isWs(c)) {
                // Between values: out at once, so a line-by-line reader gets the line's end now.
                out += c;
                ++m_outPos;
                emitted = i + 1;
            } else {
                m_scalar = true;
            }
        }
    }
    m_whole.remove(0, emitted);
    m_scan = m_whole.size();
    return ok;
}

QByteArray ResponseMasker::maskValue(QByteArrayView value)
{
    auto masked = m_json->maskBody(value);
    MaskResult raw;
    if (!masked) // not JSON after all (or nested too deeply): masked as raw bytes, as any other body
        raw = m_plan->maskBuffer(value);
    MaskResult &r = masked ? *masked : raw;
    for (MaskHit &h : r.hits) {
        h.offset += m_outPos;
        m_jsonHits.append(std::move(h));
    }
    m_outPos += r.data.size();
    return std::move(r.data);
}

QByteArray ResponseMasker::spill()
{
    m_stream = std::make_unique<StreamingMasker>(m_plan);
    m_streamBase = m_outPos;
    QByteArray out = m_stream->feed(m_whole);
    m_whole = QByteArray();
    m_json.reset();
    return out;
}

Result<QByteArray> ResponseMasker::feed(QByteArrayView chunk)
{
    if (!m_decoder)
        return maskDecoded(chunk);
    QByteArray out;
    auto decoded = m_decoder->feed(chunk);
    while (true) {
        if (!decoded)
            return Error(QStringLiteral("the upstream's compressed body could not be decoded: ") + decoded.error().message);
        auto masked = maskDecoded(*decoded);
        if (!masked)
            return masked;
        out += *masked;
        if (!m_decoder->hasPending())
            return out;
        decoded = m_decoder->feed({});
    }
}

Result<QByteArray> ResponseMasker::finish()
{
    QByteArray out;
    if (m_decoder) {
        while (true) {
            auto decoded = m_decoder->finish();
            if (!decoded)
                return Error(QStringLiteral("the upstream's compressed body could not be decoded: ")
                             + decoded.error().message);
            auto masked = maskDecoded(*decoded);
            if (!masked)
                return masked;
            out += *masked;
            if (!m_decoder->hasPending())
                break;
        }
    }
    if (m_stream) {
        out += m_stream->finish();
        return out;
    }
    if (m_events) {
        out += m_events->finish();
        return out;
    }
    if (m_small) {
        // The QByteArray overload: a body nothing matched goes out as the same bytes, not a copy.
        MaskResult masked = m_plan->maskBuffer(std::as_const(m_whole));
        m_whole.clear();
        m_jsonHits = std::move(masked.hits);
        return std::move(masked.data);
    }
    if (m_rawFallback) {
        if (!m_whole.isEmpty())
            out += maskValue(m_whole);   // the body, or what follows its last whole value
        m_whole.clear();
        return out;
    }
    auto masked = m_json->mask(m_whole);
    if (!masked)
        return Error(QStringLiteral("the JSON response cannot be masked: ") + masked.error().message);
    m_whole.clear();
    m_jsonHits = masked->hits;
    return std::move(masked->data);
}

QList<MaskSummary> ResponseMasker::summary() const
{
    if (m_stream && m_jsonHits.isEmpty() && m_streamBase == 0)
        return m_stream->summary();
    if (m_events)
        return m_events->summary();
    QList<MaskSummary> out;
    for (const MaskHit &hit : m_jsonHits) {
        MaskSummary &e = summaryEntry(out, hit.rule, hit.detector);
        ++e.count;
        if (e.ranges.size() < MaskSummary::kMaxRanges)
            e.ranges.append({hit.offset, hit.length});
    }
    if (m_stream) {
        // A JSON body that went on raw: its stream's offsets start where the values left off.
        for (const MaskSummary &s : m_stream->summary()) {
            MaskSummary &e = summaryEntry(out, s.rule, s.detector);
            e.count += s.count;
            for (const auto &[offset, length] : s.ranges)
                if (e.ranges.size() < MaskSummary::kMaxRanges)
                    e.ranges.append({offset + m_streamBase, length});
        }
    }
    return out;
}

Result<std::shared_ptr<const MaskPlan>> MaskPlanCache::get(const QByteArray &key, const QList<Rule> &rules)
{
    QMutexLocker lock(&m_mutex);
    if (auto it = m_plans.constFind(key); it != m_plans.cend())
        return *it;
    auto plan = MaskPlan::compile(rules);
    if (!plan)
        return plan.error();
    m_plans.insert(key, *plan);
    return *plan;
}

} // namespace gh
