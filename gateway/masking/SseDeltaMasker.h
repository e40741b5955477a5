#pragma once

#include "masking/MaskPlan.h"
#include "masking/StreamingMasker.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>

#include <memory>
#include <vector>

namespace gh {

// Masks a text/event-stream whose events carry an LLM's answer a token at a time, so that a value
// split across events ("john.doe" in one delta, "@example.com" in the next) is still seen whole.
//
// Events are split at their blank lines and each goes out as soon as it is complete. In an event
// whose single `data:` line is a JSON object, the streamed text fields are each one piece of a
// continuous text, one per stream key: OpenAI chat choices[i].delta.content / reasoning_content /
// tool_calls[j].function.arguments and legacy choices[i].text (choice, tool call); Anthropic
// content_block_delta delta.text / partial_json / thinking (block); the OpenAI Responses API's
// response.{output_text,refusal,function_call_arguments,reasoning_summary_text,reasoning_text}.delta
// (kind, output_index, content_index or summary_index); Gemini candidates[i].content.parts[k].text
// (candidate, thought or not: clients join a candidate's parts across chunks). Each key has a
// Bytes-mode StreamingMasker (releaseEarly) over the unescaped text; the field is replaced in place,
// every other byte of the event kept, by what that masker releases now, re-escaped. The text held
// back (the last word, or the window for a plan with a custom pattern) goes out when its stream
// ends, in the stream's own shape: OpenAI finish_reason (in that event's delta, or an event of its
// own just before it), Anthropic content_block_stop / message_stop, a Responses API `.done` (and
// content_part.done, output_item.done, response.completed/incomplete/failed), Gemini finishReason
// (in that event's last part of the stream, else an event just before it), `data: [DONE]` and the
// end of the body. A Responses API `.done` event's whole text/arguments/refusal is masked as one
// JSON string, so it equals what the deltas delivered. Everything else in every event is masked
// per event: in an event whose data line is a JSON object every other string (keys too) and number
// is masked as its decoded text and re-escaped, and the rest of the event (other lines, matches of a
// custom pattern across the JSON syntax) raw as StreamingMasker's Sse mode does; an event longer
// than sseEventBound falls back to its window.
//
// Fail-closed: invalid or too deeply nested JSON, anything that is not JSON and a field whose index
// is not a small integer are masked per event, never passed unmasked. A text field that would need
// a stream the masker cannot keep (more than maxStreams at once, more choices, tool calls,
// candidates or parts in one event than it reads) cannot be masked across events at all: the
// response is then broken off — the tracked streams' held text is sent, masked, then one SSE
// `error` event (which the OpenAI and Anthropic clients raise as an API error), and the rest of the
// body is dropped. The limits are far above what real streams use (OpenAI allows n <= 128).
class SseDeltaMasker final {
public:
    struct Options {
        qsizetype window = 0; // 0: plan->maxMatchLength()
        qsizetype privateKeyWindow = MaskPlan::kPrivateKeyWindow;
        qsizetype sseEventBound = 64 * 1024;
        int maxStreams = 1024; // open at once; each holds at most its window
        int maxDepth = 64;
    };

    explicit SseDeltaMasker(std::shared_ptr<const MaskPlan> plan);
    SseDeltaMasker(std::shared_ptr<const MaskPlan> plan, Options options);
    ~SseDeltaMasker();
    Q_DISABLE_COPY_MOVE(SseDeltaMasker)

    // The events complete so far (possibly none), masked.
    QByteArray feed(QByteArrayView chunk);
    // The rest at the end of the body, and every stream's held text.
    QByteArray finish();

    QList<MaskSummary> summary() const;
    qint64 bytesOut() const { return m_outPos; }
    // Stream keys being tracked now.
    int streams() const { return int(m_streams.size()); }
    // A text field could not be tracked: the response was broken off with an error event.
    bool failedClosed() const { return m_failed; }

    // Implementation details, named here so the .cpp's helpers can see them.
    enum class Kind : quint8 {
        ChatContent, ChatReasoning, ChatToolArguments, CompletionText,
        AnthropicText, AnthropicJson, AnthropicThinking,
        ResponsesText, ResponsesRefusal, ResponsesArguments, ResponsesSummary, ResponsesReasoning,
        GeminiText, GeminiThought
    };
    struct Stream;
    struct Parsed;

private:
    struct Edit;
    struct Drained;
    struct Plan;
    struct Spliced {
        qsizetype begin = 0;
        qsizetype end = 0;
    };
    struct KeyHit {
        int entry = 0;
        qsizetype pos = 0; // in the event
        qsizetype length = 0;
    };

    void processEvents(QByteArray &out, bool final);
    void feedFallback(QByteArray &out, qsizetype end);
    void event(QByteArray &out, QByteArrayView ev);
    bool parse(QByteArrayView ev, Parsed &p);
    Stream *stream(Kind kind, int a, int b, QByteArrayView ev, const Parsed &p, Plan &plan, bool emptyPiece);
    void planAnthropic(QByteArrayView ev, const Parsed &p, Plan &plan);
    void planChat(QByteArrayView ev, const Parsed &p, Plan &plan);
    void planResponses(QByteArrayView ev, const Parsed &p, Plan &plan);
    void planGemini(QByteArrayView ev, const Parsed &p, Plan &plan);
    void planTokens(QByteArrayView ev, const Parsed &p, Plan &plan);
    void failClosed(QByteArray &out);
    Drained drain(Stream &s, QByteArrayView piece, bool finish);
    Drained maskWhole(QByteArrayView text);
    void writeText(QByteArray &ev, const Drained &d);
    void synthesize(QByteArray &out, Stream &s);
    void emitEvent(QByteArray &out, QByteArrayView ev);
    void record(int entry, qint64 outOffset, qint64 outLength);
    void sweep();
    void dropFront(qsizetype n);

    std::shared_ptr<const MaskPlan> m_plan;
    Options m_options;
    QByteArray m_buf;       // the event being received
    qsizetype m_scan = 0;   // findSseEventEnd's resume point in m_buf
    std::unique_ptr<StreamingMasker> m_fallback; // an event over sseEventBound, being masked by window
    std::vector<StreamingMasker::Hit> m_fallbackHits;
    qint64 m_fallbackBase = 0;
    qsizetype m_fallbackFed = 0;
    std::vector<std::unique_ptr<Stream>> m_streams; // in the order they started
    std::vector<StreamingMasker::Hit> m_keyHits;    // filled by a stream's masker while draining
    std::vector<Spliced> m_spliced;                 // of the event being written
    std::vector<KeyHit> m_eventHits;
    std::vector<MaskPlan::Span> m_spans;
    std::vector<MaskPlan::Span> m_candidates;                 // planTokens(): raw candidates in the JSON
    std::vector<std::pair<qsizetype, qsizetype>> m_tokens;    // strings and numbers of the event's JSON
    qsizetype m_jsonBegin = -1;                               // for emitEvent(): the event's JSON, if masked decoded
    qsizetype m_jsonEnd = -1;
    bool m_builtinOnly = true;                                // no custom pattern in the plan
    QByteArray m_scratch;
    QByteArrayView m_eol = "\n";
    qint64 m_outPos = 0;
    bool m_failed = false; // broken off (failClosed): the rest of the body is dropped
    MaskTally m_tally;
};

} // namespace gh
