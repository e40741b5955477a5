#pragma once

#include "core/Result.h"
#include "masking/ContentDecoder.h"
#include "masking/JsonFieldMasker.h"
#include "masking/SseDeltaMasker.h"
#include "masking/StreamingMasker.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QHash>
#include <QMutex>

#include <memory>
#include <optional>

namespace gh {

struct UpstreamResponseHead;

// Masks one response body for the proxy (contract §3 mask rules): decodes gzip/deflate, masks as
// the body streams (SSE event by event, with the text an LLM streams across events masked as one)
// or, for a JSON response, whole within a bound with its strings masked decoded (a json_fields rule
// needs that; without one a body declared larger than the bound streams masked raw, and one of
// unknown size streams value by value, each top-level value masked whole, raw past the bound);
// and fails closed — an error — where it cannot mask safely.
class ResponseMasker final {
    Q_DISABLE_COPY_MOVE(ResponseMasker)
public:
    // Decides from the response head how to mask it; an error (unknown Content-Encoding, a JSON
    // body declared over `jsonBound`) means the response must not be passed on: 502.
    static Result<std::unique_ptr<ResponseMasker>> create(std::shared_ptr<const MaskPlan> plan,
                                                          const UpstreamResponseHead &head, qint64 jsonBound);
    ~ResponseMasker();

    // The Content-Types create() masks as JSON: application/json and application/*+json, any
    // parameters and case.
    static bool isJsonType(QByteArrayView contentType);

    // True: the body is masked whole at the end, so the head waits too (and gets a Content-Length):
    // a JSON body (a json_fields rule covers it, or it is framed within the bound), or a small
    // framed one (one pass, one write, no chunks).
    bool wholeBody() const { return (m_json && !m_mayStream) || m_small; }

    // Framed bodies up to this size are masked whole rather than streamed: most API answers are
    // small, and one pass over a buffer is cheaper than a streaming masker's bookkeeping.
    static constexpr qint64 kSmallBody = 64 * 1024;
    // Bytes to send now (possibly none). An error: the body cannot be masked; stop passing it on.
    Result<QByteArray> feed(QByteArrayView chunk);
    // The rest at the end of the body.
    Result<QByteArray> finish();
    // What was masked, by rule and detector, with output ranges (never the original values).
    QList<MaskSummary> summary() const;
    // The masker broke the response off (an event stream it cannot mask across events): what it
    // gave so far ends with an error event, and nothing more of the body will go out.
    bool brokenOff() const { return m_events && m_events->failedClosed(); }

private:
    ResponseMasker() = default;
    Result<QByteArray> maskDecoded(QByteArrayView decoded);
    // JSON of unknown size: masks (and moves out of m_whole) each top-level value completed so
    // far; false when the bytes cannot be JSON.
    bool scanValues(QByteArray &out);
    // One JSON value (with the whitespace before it) masked decoded, raw if it is not JSON.
    QByteArray maskValue(QByteArrayView value);
    // Goes on as a raw stream from what m_whole holds.
    QByteArray spill();

    std::unique_ptr<ContentDecoder> m_decoder;        // set when the body is compressed
    std::unique_ptr<StreamingMasker> m_stream;        // streaming a body that is not an event stream
    std::unique_ptr<SseDeltaMasker> m_events;         // text/event-stream
    std::unique_ptr<JsonFieldMasker> m_json;          // whole-body JSON mode
    bool m_rawFallback = false;                       // no json_fields: a body that is not JSON is masked raw
    QByteArray m_whole;                               // the JSON body collected so far
    qint64 m_jsonBound = 0;
    bool m_small = false;
    bool m_mayStream = false;                         // JSON of unknown size: masked value by value
    qsizetype m_scan = 0;                             // how far scanValues has read m_whole
    int m_depth = 0;                                  // scanValues' state between reads
    bool m_inString = false;
    bool m_escape = false;
    bool m_scalar = false;
    qint64 m_outPos = 0;                              // bytes the JSON values came out as
    qint64 m_streamBase = 0;                          // m_outPos when the body went on raw
    std::shared_ptr<const MaskPlan> m_plan;
    QList<MaskHit> m_jsonHits;
};

// Compiled mask plans of one connection, one per distinct set of mask rules that applies to a
// caller (most connections have one). Shared by the proxy threads; compiled on first use.
class MaskPlanCache final {
    Q_DISABLE_COPY_MOVE(MaskPlanCache)
public:
    MaskPlanCache() = default;
    Result<std::shared_ptr<const MaskPlan>> get(const QByteArray &key, const QList<Rule> &rules);

private:
    QMutex m_mutex;
    QHash<QByteArray, std::shared_ptr<const MaskPlan>> m_plans;
};

} // namespace gh
