#include "proxy/ResponseMasker.h"

#include "proxy/UpstreamConnection.h"

namespace gh {

namespace {

bool isJson(QByteArrayView contentType)
{
    const QByteArray type = contentType.toByteArray().split(';').value(0).trimmed().toLower();
    return type == "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}

bool isEventStream(QByteArrayView contentType)
{
    return contentType.toByteArray().split(';').value(0).trimmed().toLower() == "text/event-stream";
}

} // namespace

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
    if (plan->hasJsonFields() && isJson(type)) {
        if (head.hasContentLength && !m->m_decoder && head.contentLength > quint64(jsonBound))
            return Error(QStringLiteral("the JSON response (%1 bytes) is larger than the %2 bytes a json_fields rule "
                                        "may read to mask it (mask_body_limit)")
                             .arg(head.contentLength)
                             .arg(jsonBound));
        m->m_json = std::make_unique<JsonFieldMasker>(plan, qsizetype(jsonBound));
        m->m_jsonBound = jsonBound;
    } else if (isJson(type) && !m->m_decoder && head.hasContentLength && head.contentLength <= quint64(jsonBound)) {
        // Raw masking does not know JSON escapes: it can cut "\nada@example.org" after the
        // backslash (an invalid escape) and miss "a\u0040example.org". Read whole, the strings are
        // masked decoded; chunked, compressed or larger JSON is masked raw as it streams.
        m->m_json = std::make_unique<JsonFieldMasker>(plan, qsizetype(jsonBound));
        m->m_jsonBound = jsonBound;
        m->m_rawFallback = true;
        m->m_plan = plan;
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
    if (m_whole.size() + decoded.size() > m_jsonBound && !m_small)
        return Error(QStringLiteral("the JSON response is larger than the %1 bytes a json_fields rule may read to mask "
                                    "it (mask_body_limit)")
                         .arg(m_jsonBound));
    m_whole.append(decoded.data(), decoded.size());
    return QByteArray();
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
        MaskResult masked = m_plan->maskBuffer(QByteArrayView(m_whole));
        m_whole.clear();
        m_jsonHits = std::move(masked.hits);
        return std::move(masked.data);
    }
    auto masked = m_rawFallback ? m_json->maskBody(m_whole) : m_json->mask(m_whole);
    if (!masked && m_rawFallback) {
        // Not JSON after all (or nested too deeply): masked as raw bytes, as any other body.
        MaskResult raw = m_plan->maskBuffer(QByteArrayView(m_whole));
        m_whole.clear();
        m_jsonHits = std::move(raw.hits);
        return std::move(raw.data);
    }
    if (!masked)
        return Error(QStringLiteral("the JSON response cannot be masked: ") + masked.error().message);
    m_whole.clear();
    m_jsonHits = masked->hits;
    return std::move(masked->data);
}

QList<MaskSummary> ResponseMasker::summary() const
{
    if (m_stream)
        return m_stream->summary();
    if (m_events)
        return m_events->summary();
    QList<MaskSummary> out;
    for (const MaskHit &hit : m_jsonHits) {
        auto it = std::find_if(out.begin(), out.end(),
                               [&](const MaskSummary &s) { return s.rule == hit.rule && s.detector == hit.detector; });
        if (it == out.end()) {
            out.append(MaskSummary{hit.rule, hit.detector, 0, {}});
            it = out.end() - 1;
        }
        ++it->count;
        if (it->ranges.size() < MaskSummary::kMaxRanges)
            it->ranges.append({hit.offset, hit.length});
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
