#include "masking/SseDeltaMasker.h"

#include "masking/JsonText.h"
#include "masking/SseEventScan.h"

#include <QVarLengthArray>

#include <algorithm>
#include <cstring>

namespace gh {

using namespace sse;

struct SseDeltaMasker::Stream {
    Kind kind;
    int a = 0; // choice, Anthropic content block, Responses output_index or Gemini candidate index
    int b = 0; // tool call index, Responses content_index or summary_index
    std::unique_ptr<StreamingMasker> masker;
    QByteArray pending; // released bytes of an incomplete UTF-8 character: they go with the next piece
    QByteArray head;    // members a synthesized event repeats: id, model... (chat), item_id (Responses)
    QByteArray seq;     // Responses: the sequence_number of the stream's latest delta
    bool done = false;
};

// What a stream released for one event: the text and its replacements, offsets in `text`.
struct SseDeltaMasker::Drained {
    QByteArray text;
    QVarLengthArray<StreamingMasker::Hit, 4> hits;
};

// One change to the event: a string field replaced by what its stream releases, a null content
// replaced, or a member inserted into a finishing choice's delta.
struct SseDeltaMasker::Edit {
    // Whole: a string that is a stream's whole text (a Responses API .done), masked on its own.
    enum class Type : quint8 { Replace, Insert, Whole } type = Type::Replace;
    qsizetype begin = 0;
    qsizetype end = 0;
    Stream *stream = nullptr;
    Range piece;          // the string token fed to the stream (Replace of a string)
    bool finish = false;
    bool commaAfter = false; // Insert into a delta object that has members already
    const char *name = nullptr; // Insert: the member's name
};

// What one event will change: the streams that end just before it, and its edits.
struct SseDeltaMasker::Plan {
    QVarLengthArray<Stream *, 4> before;
    QVarLengthArray<Edit, 4> edits;
    bool untracked = false; // a text field whose stream cannot be kept

    void end(Stream *s)
    {
        if (!before.contains(s))
            before.append(s);
    }
    void replace(Stream *s, Range r, bool finish)
    {
        if (s)
            edits.append(Edit{Edit::Type::Replace, r.begin, r.end, s, r, finish, false, nullptr});
    }
    bool edited(const Stream *s) const
    {
        return std::any_of(edits.begin(), edits.end(), [&](const Edit &e) { return e.stream == s; });
    }
};

SseDeltaMasker::SseDeltaMasker(std::shared_ptr<const MaskPlan> plan) : SseDeltaMasker(std::move(plan), Options{}) {}

SseDeltaMasker::SseDeltaMasker(std::shared_ptr<const MaskPlan> plan, Options options)
    : m_plan(std::move(plan)), m_options(options), m_tally(*m_plan)
{
    m_options.sseEventBound = std::max<qsizetype>(m_options.sseEventBound, 1);
    m_options.maxStreams = std::max(m_options.maxStreams, 0);
    m_builtinOnly = std::all_of(m_plan->entries().begin(), m_plan->entries().end(),
                                [](const MaskPlan::Entry &e) { return e.builtin != nullptr; });
}

SseDeltaMasker::~SseDeltaMasker() = default;

QByteArray SseDeltaMasker::feed(QByteArrayView chunk)
{
    QByteArray out;
    if (m_plan->empty()) {
        m_outPos += chunk.size();
        return chunk.toByteArray();
    }
    if (m_failed)
        return out;
    m_buf.append(chunk.data(), chunk.size());
    processEvents(out, false);
    return out;
}

QByteArray SseDeltaMasker::finish()
{
    QByteArray out;
    if (m_plan->empty() || m_failed)
        return out;
    processEvents(out, true);
    if (m_failed)
        return out;
    // Held text is never dropped: what every stream still holds goes out in an event of its own.
    bool first = true;
    for (auto &s : m_streams) {
        if (s->done)
            continue;
        if (first && !out.isEmpty() && !out.endsWith("\n\n") && !out.endsWith("\r\n\r\n") && !out.endsWith("\r\r")) {
            // the body's last event had no blank line: end it, so ours is not read as part of it
            for (int i = 0; i < 2; ++i) {
                out += m_eol;
                m_outPos += m_eol.size();
            }
        }
        first = false;
        synthesize(out, *s);
    }
    sweep();
    return out;
}

QList<MaskSummary> SseDeltaMasker::summary() const
{
    return m_tally.summary();
}

void SseDeltaMasker::record(int entry, qint64 outOffset, qint64 outLength)
{
    m_tally.record(*m_plan, entry, outOffset, outLength);
}

void SseDeltaMasker::processEvents(QByteArray &out, bool final)
{
    qsizetype start = 0;
    for (;;) {
        QByteArrayView rest = QByteArrayView(m_buf).sliced(start);
        const qsizetype end = StreamingMasker::findSseEventEnd(rest, m_scan);
        if (m_fallback) {
            feedFallback(out, end >= 0 ? start + end : (final ? m_buf.size() : -1));
            if (end < 0 && !final) {
                // Keep only what the search for the event's end still needs.
                dropFront(start + m_scan);
                m_fallbackFed = m_buf.size();
                m_scan = 0;
                return;
            }
            start = end >= 0 ? start + end : m_buf.size();
            m_scan = 0;
            if (end < 0)
                break;
            continue;
        }
        if (end >= 0) {
            event(out, rest.first(end));
            start += end;
            m_scan = 0;
            if (m_failed)
                break;
            continue;
        }
        if (final && !rest.isEmpty()) {
            event(out, rest);
            start = m_buf.size();
        } else if (rest.size() > m_options.sseEventBound) {
            // An overlong event: masked by the window, as StreamingMasker's Sse mode does.
            StreamingMasker::Options o;
            o.window = m_options.window;
            o.privateKeyWindow = m_options.privateKeyWindow;
            m_fallback = std::make_unique<StreamingMasker>(m_plan, o);
            m_fallbackHits.clear();
            m_fallback->setHitLog(&m_fallbackHits);
            m_fallbackBase = m_outPos;
            m_fallbackFed = 0;
            dropFront(start);
            start = 0;
            continue;
        }
        break;
    }
    if (m_failed) {
        m_buf.clear(); // the rest of the body is dropped
        m_scan = 0;
        return;
    }
    dropFront(start);
}

// Moves the rest to the front by hand, keeping the capacity (see StreamingMasker::consume()).
void SseDeltaMasker::dropFront(qsizetype n)
{
    if (n <= 0)
        return;
    const qsizetype keep = m_buf.size() - n;
    if (keep > 0)
        std::memmove(m_buf.data(), m_buf.constData() + n, size_t(keep));
    m_buf.truncate(keep);
}

// Feeds the overlong event's bytes up to `end` (-1: all there are, the event goes on) to the
// window masker, and finishes it at the event's end.
void SseDeltaMasker::feedFallback(QByteArray &out, qsizetype end)
{
    const qsizetype upTo = end >= 0 ? end : m_buf.size();
    QByteArray part = m_fallback->feed(QByteArrayView(m_buf).sliced(m_fallbackFed, upTo - m_fallbackFed));
    m_fallbackFed = upTo;
    if (end >= 0)
        part += m_fallback->finish();
    for (const StreamingMasker::Hit &h : m_fallbackHits)
        record(h.entry, m_fallbackBase + h.offset, h.length);
    m_fallbackHits.clear();
    out += part;
    m_outPos += part.size();
    if (end >= 0)
        m_fallback.reset();
}

bool SseDeltaMasker::parse(QByteArrayView ev, Parsed &p)
{
    // The one data line (several data lines are joined by the client: not spliced into here).
    qsizetype dataBegin = -1;
    qsizetype dataEnd = -1;
    for (qsizetype i = 0; i < ev.size();) {
        qsizetype eol = i;
        while (eol < ev.size() && ev[eol] != '\n' && ev[eol] != '\r')
            ++eol;
        if (ev.sliced(i, eol - i).startsWith("data:")) {
            if (dataBegin >= 0)
                return false;
            dataBegin = i + 5;
            if (dataBegin < eol && ev[dataBegin] == ' ')
                ++dataBegin;
            dataEnd = eol;
        }
        i = eol;
        if (i < ev.size() && ev[i] == '\r')
            ++i;
        if (i < ev.size() && ev[i] == '\n')
            ++i;
    }
    if (dataBegin < 0)
        return false;
    QByteArrayView data = ev.sliced(dataBegin, dataEnd - dataBegin);
    if (data.trimmed() == "[DONE]") {
        p.done = true;
        return true;
    }
    qsizetype first = 0;
    while (first < data.size() && JsonText::isWs(data[first]))
        ++first;
    if (first == data.size() || data[first] != '{')
        return false;
    m_tokens.clear();
    p.json = Range{dataBegin + first, dataEnd};
    return scanEvent(ev, dataBegin + first, dataEnd, m_options.maxDepth, p, m_scratch, m_tokens);
}

// The stream for a key, started on first use. nullptr when the key's stream has ended in this
// event, or when no more streams can be kept: a non-empty piece then makes the response fail closed.
SseDeltaMasker::Stream *SseDeltaMasker::stream(Kind kind, int a, int b, QByteArrayView ev, const Parsed &p, Plan &plan,
                                               bool emptyPiece)
{
    if (a < 0 || b < 0)
        return nullptr;
    for (auto &s : m_streams)
        if (s->kind == kind && s->a == a && s->b == b)
            return s->done ? nullptr : s.get();
    if (qsizetype(m_streams.size()) >= m_options.maxStreams) {
        if (!emptyPiece)
            plan.untracked = true;
        return nullptr;
    }
    auto s = std::make_unique<Stream>();
    s->kind = kind;
    s->a = a;
    s->b = b;
    StreamingMasker::Options o;
    o.window = m_options.window;
    o.privateKeyWindow = m_options.privateKeyWindow;
    o.releaseEarly = true;
    s->masker = std::make_unique<StreamingMasker>(m_plan, o);
    const Family f = family(kind);
    if (f == Family::Chat || f == Family::Gemini) {
        for (const Range &r : p.headMembers) {
            s->head.append(ev.data() + r.begin, r.end - r.begin);
            s->head += ',';
        }
    } else if (f == Family::Responses && p.item.present()) {
        s->head.append(ev.data() + p.item.begin, p.item.end - p.item.begin);
        s->head += ',';
    }
    m_streams.push_back(std::move(s));
    return m_streams.back().get();
}

SseDeltaMasker::Drained SseDeltaMasker::drain(Stream &s, QByteArrayView piece, bool finish)
{
    Drained d;
    // Offsets the masker reports are in its own output; d.text starts with the pending bytes.
    const qint64 base = s.masker->bytesOut() - s.pending.size();
    d.text = std::move(s.pending);
    s.pending.clear();
    m_keyHits.clear();
    s.masker->setHitLog(&m_keyHits);
    if (!piece.isEmpty())
        d.text += s.masker->feed(piece);
    if (finish) {
        d.text += s.masker->finish();
        s.done = true;
    } else if (const qsizetype cut = incompleteUtf8(d.text); cut > 0) {
        s.pending = d.text.right(cut);
        d.text.chop(cut);
    }
    s.masker->setHitLog(nullptr);
    for (const StreamingMasker::Hit &h : m_keyHits)
        if (h.offset - base >= 0 && h.offset - base + h.length <= d.text.size())
            d.hits.append(StreamingMasker::Hit{h.entry, h.offset - base, h.length});
    return d;
}

// Appends d.text as a JSON string to the event being written, noting where its replacements went.
void SseDeltaMasker::writeText(QByteArray &ev, const Drained &d)
{
    const qsizetype begin = ev.size();
    ev += '"';
    qsizetype copied = 0;
    QByteArrayView text(d.text);
    for (const StreamingMasker::Hit &h : d.hits) {
        if (h.offset < copied)
            continue;
        JsonText::appendEscaped(ev, text.sliced(copied, h.offset - copied));
        const qsizetype at = ev.size();
        JsonText::appendEscaped(ev, text.sliced(h.offset, h.length));
        m_eventHits.push_back(KeyHit{h.entry, at, ev.size() - at});
        copied = h.offset + h.length;
    }
    JsonText::appendEscaped(ev, text.sliced(copied));
    ev += '"';
    m_spliced.push_back(Spliced{begin, ev.size()});
}

// Masks a stream's whole text at once, as its deltas were: the output StreamingMasker gives for
// the text however it was split, so a .done event's text equals what the deltas delivered.
SseDeltaMasker::Drained SseDeltaMasker::maskWhole(QByteArrayView text)
{
    Drained d;
    m_spans.clear();
    m_plan->findSpans(text, 0, m_spans);
    qsizetype copied = 0;
    for (const MaskPlan::Span &sp : m_spans) {
        if (sp.entry < 0)
            continue;
        d.text.append(text.data() + copied, sp.maskBegin - copied);
        const QByteArray &replace = m_plan->entry(sp.entry).replace;
        d.hits.append(StreamingMasker::Hit{sp.entry, d.text.size(), replace.size()});
        d.text += replace;
        copied = sp.end;
    }
    if (d.hits.isEmpty())
        return d; // unchanged: the caller keeps the upstream's spelling
    d.text.append(text.data() + copied, text.size() - copied);
    return d;
}

// Sends what the stream still holds, if anything, in an event of the stream's own shape.
void SseDeltaMasker::synthesize(QByteArray &out, Stream &s)
{
    Drained d = drain(s, {}, true);
    if (d.text.isEmpty())
        return;
    m_spliced.clear();
    m_eventHits.clear();
    QByteArray ev;
    ev.reserve(d.text.size() + s.head.size() + 200);
    const QByteArray a = QByteArray::number(s.a);
    const QByteArray b = QByteArray::number(s.b);
    switch (s.kind) {
    case Kind::ChatContent:
    case Kind::ChatReasoning:
    case Kind::ChatToolArguments:
        ev += "data: {" + s.head + "\"choices\":[{\"index\":" + a + ",\"delta\":{";
        if (s.kind == Kind::ChatToolArguments)
            ev += "\"tool_calls\":[{\"index\":" + b + ",\"function\":{\"arguments\":";
        else
            ev += s.kind == Kind::ChatContent ? "\"content\":" : "\"reasoning_content\":";
        writeText(ev, d);
        ev += s.kind == Kind::ChatToolArguments ? "}}]},\"finish_reason\":null}]}" : "},\"finish_reason\":null}]}";
        break;
    case Kind::CompletionText:
        ev += "data: {" + s.head + "\"choices\":[{\"text\":";
        writeText(ev, d);
        ev += ",\"index\":" + a + ",\"logprobs\":null,\"finish_reason\":null}]}";
        break;
    case Kind::AnthropicText:
    case Kind::AnthropicJson:
    case Kind::AnthropicThinking: {
        ev += "event: content_block_delta";
        ev += m_eol;
        ev += "data: {\"type\":\"content_block_delta\",\"index\":" + a + ",\"delta\":{\"type\":";
        ev += s.kind == Kind::AnthropicText ? "\"text_delta\",\"text\":"
            : s.kind == Kind::AnthropicJson ? "\"input_json_delta\",\"partial_json\":"
                                            : "\"thinking_delta\",\"thinking\":";
        writeText(ev, d);
        ev += "}}";
        break;
    }
    case Kind::ResponsesText:
    case Kind::ResponsesRefusal:
    case Kind::ResponsesArguments:
    case Kind::ResponsesSummary:
    case Kind::ResponsesReasoning: {
        const ResponsesShape *shape = responsesShape(s.kind);
        ev += "event: ";
        ev += shape->delta;
        ev += m_eol;
        ev += "data: {\"type\":\"";
        ev += shape->delta;
        ev += "\"," + s.head + "\"output_index\":" + a;
        if (shape->second == 'c')
            ev += ",\"content_index\":" + b;
        else if (shape->second == 's')
            ev += ",\"summary_index\":" + b;
        ev += ",\"delta\":";
        writeText(ev, d);
        if (s.kind == Kind::ResponsesText)
            ev += ",\"logprobs\":[]";
        // sequence_number: the upstream numbers its events without gaps, so there is no number of
        // our own to give this one. The next event's number would make two events claim the place of
        // the one that follows; this event carries text of the stream's latest delta, so it repeats
        // that delta's number: the sequence stays non-decreasing, and the openai client uses the
        // number only to skip events up to a resume point (`starting_after`), never to drop repeats.
        if (!s.seq.isEmpty())
            ev += ",\"sequence_number\":" + s.seq;
        ev += '}';
        break;
    }
    case Kind::GeminiText:
    case Kind::GeminiThought:
        ev += "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":";
        writeText(ev, d);
        if (s.kind == Kind::GeminiThought)
            ev += ",\"thought\":true";
        ev += "}],\"role\":\"model\"},\"index\":" + a + "}]";
        if (!s.head.isEmpty()) {
            ev += ',';
            ev.append(s.head.constData(), s.head.size() - 1); // without its trailing comma
        }
        ev += '}';
        break;
    }
    ev += m_eol;
    ev += m_eol;
    emitEvent(out, ev);
}

// A text field needs a stream the masker cannot keep, so a value split across its events could not
// be seen whole. Masked per event it might leak; dropped silently the answer would be wrong without
// anyone knowing. So the response is broken off where it stands: what the tracked streams hold goes
// out (masked, in their own shape), then one error event in the shape Anthropic uses, whose
// `error` member makes the OpenAI clients raise an APIError too; the rest of the body is dropped.
void SseDeltaMasker::failClosed(QByteArray &out)
{
    for (auto &s : m_streams)
        if (!s->done)
            synthesize(out, *s);
    QByteArray ev = "event: error";
    ev += m_eol;
    ev += "data: {\"type\":\"error\",\"error\":{\"type\":\"gatehouse_unmaskable_stream\",\"message\":\"The gateway "
          "broke off this response: it streams more texts at once than the gateway can mask (limit "
        + QByteArray::number(m_options.maxStreams) + " streams), so the rest was not sent.\"}}";
    ev += m_eol;
    ev += m_eol;
    out += ev;
    m_outPos += ev.size();
    m_failed = true;
    m_streams.clear();
}

void SseDeltaMasker::event(QByteArray &out, QByteArrayView ev)
{
    if (ev.endsWith("\r\n"))
        m_eol = "\r\n";
    else if (ev.endsWith("\r"))
        m_eol = "\r";
    else if (ev.endsWith("\n"))
        m_eol = "\n";

    Parsed p;
    if (!parse(ev, p)) {
        m_spliced.clear();
        m_eventHits.clear();
        emitEvent(out, ev);
        return;
    }
    Plan plan;
    plan.untracked = p.untracked;
    if (p.done)
        for (auto &s : m_streams)
            if (!s->done)
                plan.end(s.get());
    planAnthropic(ev, p, plan);
    planChat(ev, p, plan);
    planResponses(ev, p, plan);
    planGemini(ev, p, plan);
    if (plan.untracked) {
        failClosed(out); // this event is not sent: its text is the first piece of an untracked stream
        return;
    }

    for (Stream *s : plan.before)
        synthesize(out, *s);

    m_spliced.clear();
    m_eventHits.clear();
    auto &edits = plan.edits;
    if (p.json.present())
        planTokens(ev, p, plan);
    if (edits.isEmpty()) {
        if (p.json.present()) {
            m_jsonBegin = p.json.begin;
            m_jsonEnd = p.json.end;
        }
        emitEvent(out, ev);
        sweep();
        return;
    }
    std::stable_sort(edits.begin(), edits.end(), [](const Edit &x, const Edit &y) { return x.begin < y.begin; });
    QByteArray rewritten;
    rewritten.reserve(ev.size() + 64);
    qsizetype copied = 0;
    for (const Edit &e : edits) {
        if (e.begin < copied)
            continue; // cannot happen with distinct tokens; never write twice
        QByteArrayView piece;
        if (e.piece.present() && ev[e.piece.begin] != '"') {
            piece = ev.sliced(e.piece.begin, e.piece.end - e.piece.begin); // a number (Whole)
        } else if (e.piece.present()) {
            const char *error = nullptr;
            qsizetype pos = e.piece.begin;
            if (!JsonText::readString(ev, pos, m_scratch, piece, error))
                continue; // validated by the scan already
        }
        const Drained d = e.type == Edit::Type::Whole ? maskWhole(piece) : drain(*e.stream, piece, e.finish);
        rewritten.append(ev.data() + copied, e.begin - copied);
        copied = e.end;
        if (e.type == Edit::Type::Insert) {
            if (d.text.isEmpty())
                continue;
            rewritten += '"';
            rewritten += e.name;
            rewritten += "\":";
            writeText(rewritten, d);
            if (e.commaAfter)
                rewritten += ',';
        } else if (e.piece.present() && d.hits.isEmpty() && (e.type == Edit::Type::Whole || QByteArrayView(d.text) == piece)) {
            // Released as it came: keep the upstream's own spelling of the string (its escapes).
            m_spliced.push_back(Spliced{rewritten.size(), rewritten.size() + (e.end - e.begin)});
            rewritten.append(ev.data() + e.begin, e.end - e.begin);
        } else if (e.piece.present() || !d.text.isEmpty()) {
            writeText(rewritten, d);
        } else {
            rewritten.append(ev.data() + e.begin, e.end - e.begin); // "content": null stays null
        }
    }
    rewritten.append(ev.data() + copied, ev.size() - copied);
    if (p.json.present()) {
        // Every edit is inside the JSON: it starts where it did and ends moved by what they changed.
        m_jsonBegin = p.json.begin;
        m_jsonEnd = p.json.end + (rewritten.size() - ev.size());
    }
    emitEvent(out, rewritten);
    sweep();
}

// Every other string (keys too) and number of the event's JSON is masked as its decoded text, so an
// escape neither hides a value ("a\u0040b.io") nor is cut in two by a replacement ("\nada@..."
// masked from its `n` is an invalid escape). A string with a hit is written back re-escaped (an
// Edit of type Whole); the rest stay byte for byte.
void SseDeltaMasker::planTokens(QByteArrayView ev, const Parsed &p, Plan &plan)
{
    // A plan of built-in detectors cannot match across a quote, so a token without escapes can hold
    // a match only where the raw scan of the JSON finds a candidate: most tokens are not scanned.
    m_candidates.clear();
    if (m_builtinOnly)
        m_plan->findSpans(ev.first(p.json.end), p.json.begin, m_candidates);
    size_t c = 0;
    const qsizetype tracked = plan.edits.size();
    for (const auto &[begin, end] : m_tokens) {
        const bool taken = std::any_of(plan.edits.begin(), plan.edits.begin() + tracked, [&](const Edit &e) {
            return e.type != Edit::Type::Insert && e.begin == begin;
        });
        if (taken)
            continue; // a stream's field, masked as part of its stream
        QByteArrayView decoded = ev.sliced(begin, end - begin);
        const bool isString = ev[begin] == '"';
        if (m_builtinOnly && !(isString && decoded.contains('\\'))) {
            while (c < m_candidates.size() && m_candidates[c].end <= begin)
                ++c;
            if (c == m_candidates.size() || m_candidates[c].begin >= end)
                continue;
        }
        if (isString) {
            const char *error = nullptr;
            qsizetype pos = begin;
            if (!JsonText::readString(ev, pos, m_scratch, decoded, error))
                continue; // validated by the scan already
        }
        if (!maskWhole(decoded).hits.isEmpty())
            plan.edits.append(Edit{Edit::Type::Whole, begin, end, nullptr, Range{begin, end}, false, false, nullptr});
    }
}

// Anthropic messages: content_block_delta carries the text, content_block_stop ends it.
void SseDeltaMasker::planAnthropic(QByteArrayView ev, const Parsed &p, Plan &plan)
{
    const QByteArrayView type = p.type.present() ? ev.sliced(p.type.begin, p.type.end - p.type.begin) : QByteArrayView();
    const int blockIndex = p.index.present() ? smallIndex(ev.sliced(p.index.begin, p.index.end - p.index.begin)) : -1;
    auto track = [&](Kind kind, Range r) {
        if (r.present())
            plan.replace(stream(kind, blockIndex, 0, ev, p, plan, r.end - r.begin <= 2), r, false);
    };
    if (type == "\"content_block_delta\"" && blockIndex >= 0) {
        track(Kind::AnthropicText, p.aText);
        track(Kind::AnthropicJson, p.aJson);
        track(Kind::AnthropicThinking, p.aThinking);
    } else if (type == "\"content_block_stop\"" && blockIndex >= 0) {
        for (auto &s : m_streams)
            if (!s->done && family(s->kind) == Family::Anthropic && s->a == blockIndex)
                plan.end(s.get());
    } else if (type == "\"message_stop\"") {
        for (auto &s : m_streams)
            if (!s->done && family(s->kind) == Family::Anthropic)
                plan.end(s.get());
    }
}

// OpenAI chat and legacy completions: choices[i] by its index member, else its position.
void SseDeltaMasker::planChat(QByteArrayView ev, const Parsed &p, Plan &plan)
{
    auto &edits = plan.edits;
    auto track = [&](Kind kind, int i, int j, Range r, bool finish) {
        plan.replace(stream(kind, i, j, ev, p, plan, r.end - r.begin <= 2), r, finish);
    };
    for (const Choice &c : p.choices) {
        const int i = c.index.present() ? smallIndex(ev.sliced(c.index.begin, c.index.end - c.index.begin))
                                        : int(std::min<qsizetype>(c.position, kMaxIndex + 1));
        if (i < 0 || i > kMaxIndex)
            continue; // untracked: masked within the event
        const bool finish = c.finish.present() && ev.sliced(c.finish.begin, c.finish.end - c.finish.begin) != "null";
        if (c.contentIsString)
            track(Kind::ChatContent, i, 0, c.content, finish);
        if (c.reasoningIsString)
            track(Kind::ChatReasoning, i, 0, c.reasoning, finish);
        if (c.textIsString)
            track(Kind::CompletionText, i, 0, c.text, finish);
        for (const Tool &t : p.tools) {
            if (&p.choices[t.choice] != &c || !t.arguments.present())
                continue;
            const int j = t.index.present() ? smallIndex(ev.sliced(t.index.begin, t.index.end - t.index.begin))
                                            : int(std::min<qsizetype>(t.position, kMaxIndex + 1));
            if (j >= 0 && j <= kMaxIndex)
                track(Kind::ChatToolArguments, i, j, t.arguments, finish);
        }
        if (!finish)
            continue;
        // The choice is finished: its streams not in this event end here too. Content and
        // reasoning go into this event's delta where there is room, the rest just before it.
        for (auto &s : m_streams) {
            if (s->done || family(s->kind) != Family::Chat || s->a != i || plan.edited(s.get()))
                continue;
            const bool intoDelta = c.deltaOpen >= 0 && (s->kind == Kind::ChatContent || s->kind == Kind::ChatReasoning);
            const Range member = s->kind == Kind::ChatContent ? c.content : c.reasoning;
            if (intoDelta && member.present()) { // "content": null
                edits.append(Edit{Edit::Type::Replace, member.begin, member.end, s.get(), Range{}, true, false, nullptr});
            } else if (intoDelta) {
                edits.append(Edit{Edit::Type::Insert, c.deltaOpen + 1, c.deltaOpen + 1, s.get(), Range{}, true, false,
                                  s->kind == Kind::ChatContent ? "content" : "reasoning_content"});
            } else {
                plan.end(s.get());
            }
        }
        // Each insert is followed by a comma when anything (another insert, or what was there) follows it.
        bool following = false;
        if (c.deltaOpen >= 0) {
            qsizetype k = c.deltaOpen + 1;
            while (k < ev.size() && JsonText::isWs(ev[k]))
                ++k;
            following = k < ev.size() && ev[k] != '}';
        }
        for (qsizetype e = edits.size() - 1; e >= 0; --e) {
            if (edits[e].type == Edit::Type::Insert && edits[e].begin == c.deltaOpen + 1 && !edits[e].commaAfter) {
                edits[e].commaAfter = following;
                following = true;
            }
        }
    }
}

// The OpenAI Responses API: response.*.delta events carry the text, keyed by output_index and
// content_index (or summary_index); the matching .done ends it and carries it whole.
void SseDeltaMasker::planResponses(QByteArrayView ev, const Parsed &p, Plan &plan)
{
    if (!p.type.present() || p.type.end - p.type.begin < 2)
        return;
    const QByteArrayView type = ev.sliced(p.type.begin + 1, p.type.end - p.type.begin - 2);
    if (!type.startsWith("response."))
        return;
    auto index = [&](Range r) { return r.present() ? smallIndex(ev.sliced(r.begin, r.end - r.begin)) : -1; };
    const int output = index(p.outputIndex);
    auto endWhere = [&](auto &&which) {
        for (auto &s : m_streams)
            if (!s->done && family(s->kind) == Family::Responses && which(*s))
                plan.end(s.get());
    };
    for (const ResponsesShape &shape : kResponsesShapes) {
        const bool delta = type == shape.delta;
        if (!delta && type != shape.done)
            continue;
        const int second = shape.second == 'c' ? index(p.contentIndex) : shape.second == 's' ? index(p.summaryIndex) : 0;
        if (delta) {
            if (output < 0 || second < 0 || !p.delta.present())
                return; // untracked: masked within the event
            Stream *s = stream(shape.kind, output, second, ev, p, plan, p.delta.end - p.delta.begin <= 2);
            if (s) {
                s->seq.clear();
                if (p.sequence.present() && p.sequence.end - p.sequence.begin <= 20)
                    s->seq.append(ev.data() + p.sequence.begin, p.sequence.end - p.sequence.begin);
            }
            plan.replace(s, p.delta, false);
            return;
        }
        if (output >= 0 && second >= 0)
            endWhere([&](const Stream &s) { return s.kind == shape.kind && s.a == output && s.b == second; });
        const Range whole = is(QByteArrayView(shape.whole), "arguments") ? p.arguments
            : is(QByteArrayView(shape.whole), "refusal")                 ? p.refusal
                                                                         : p.text;
        if (whole.present())
            plan.edits.append(Edit{Edit::Type::Whole, whole.begin, whole.end, nullptr, whole, false, false, nullptr});
        return;
    }
    if (type == "response.content_part.done") {
        const int content = index(p.contentIndex);
        endWhere([&](const Stream &s) {
            return s.a == output && s.b == content
                && (s.kind == Kind::ResponsesText || s.kind == Kind::ResponsesRefusal || s.kind == Kind::ResponsesReasoning);
        });
    } else if (type == "response.reasoning_summary_part.done") {
        const int summary = index(p.summaryIndex);
        endWhere([&](const Stream &s) { return s.a == output && s.b == summary && s.kind == Kind::ResponsesSummary; });
    } else if (type == "response.output_item.done") {
        endWhere([&](const Stream &s) { return s.a == output; });
    } else if (type == "response.completed" || type == "response.incomplete" || type == "response.failed") {
        endWhere([](const Stream &) { return true; });
    }
}

// Google Gemini (streamGenerateContent?alt=sse): candidates[i].content.parts[k].text. A client
// joins the text parts of a candidate across chunks (thought parts apart), so the stream is keyed
// by candidate and thought, not by the part's position, which restarts at 0 in every chunk.
void SseDeltaMasker::planGemini(QByteArrayView ev, const Parsed &p, Plan &plan)
{
    for (qsizetype c = 0; c < p.candidates.size(); ++c) {
        const Candidate &cand = p.candidates[c];
        // proto3 JSON leaves out a zero index.
        const int i = cand.index.present() ? smallIndex(ev.sliced(cand.index.begin, cand.index.end - cand.index.begin)) : 0;
        if (i < 0)
            continue; // untracked: masked within the event
        const qsizetype first = plan.edits.size();
        for (const Part &part : p.parts)
            if (part.candidate == c && part.text.present())
                plan.replace(stream(part.thought ? Kind::GeminiThought : Kind::GeminiText, i, 0, ev, p, plan,
                                    part.text.end - part.text.begin <= 2),
                             part.text, false);
        if (!cand.finish.present() || ev.sliced(cand.finish.begin, cand.finish.end - cand.finish.begin) == "null")
            continue;
        // Finished: a stream's held text goes with its last part in this event, or just before it.
        for (auto &s : m_streams) {
            if (s->done || family(s->kind) != Family::Gemini || s->a != i)
                continue;
            qsizetype last = -1;
            for (qsizetype e = first; e < plan.edits.size(); ++e)
                if (plan.edits[e].stream == s.get())
                    last = e;
            if (last >= 0)
                plan.edits[last].finish = true;
            else
                plan.end(s.get());
        }
    }
}

// Masks the event per event, as StreamingMasker's Sse mode does, except for the strings a stream
// wrote (m_spliced): their text was masked as part of its stream, with more context than this
// event has. Records the replacements of both at their offsets in the output.
void SseDeltaMasker::emitEvent(QByteArray &out, QByteArrayView ev)
{
    m_spans.clear();
    m_plan->findSpans(ev, 0, m_spans);
    // Inside the strings of the event's JSON the decoded text was masked (planTokens()): a raw match
    // there may start at an escape's letter. Across the JSON syntax raw matches apply as before.
    const bool json = m_jsonBegin >= 0;
    JsonStringCursor strings(ev, json ? m_jsonBegin : 0, json ? m_jsonEnd : 0);
    m_jsonBegin = m_jsonEnd = -1;
    auto inSpliced = [&](const MaskPlan::Span &s) {
        return std::any_of(m_spliced.begin(), m_spliced.end(),
                           [&](const Spliced &r) { return r.begin <= s.begin && s.end <= r.end; });
    };
    out.reserve(out.size() + ev.size() + 64);
    qsizetype copied = 0;
    size_t k = 0;
    auto hitsBefore = [&](qsizetype limit) {
        for (; k < m_eventHits.size() && m_eventHits[k].pos < limit; ++k)
            if (m_eventHits[k].pos >= copied)
                record(m_eventHits[k].entry, m_outPos + (m_eventHits[k].pos - copied), m_eventHits[k].length);
    };
    for (const MaskPlan::Span &s : m_spans) {
        if (s.entry < 0 || inSpliced(s) || (json && strings.insideString(s.begin, s.end)))
            continue;
        hitsBefore(s.maskBegin);
        const QByteArray &replace = m_plan->entry(s.entry).replace;
        out.append(ev.data() + copied, s.maskBegin - copied);
        m_outPos += s.maskBegin - copied;
        record(s.entry, m_outPos, replace.size());
        out += replace;
        m_outPos += replace.size();
        copied = s.end;
    }
    hitsBefore(ev.size() + 1);
    out.append(ev.data() + copied, ev.size() - copied);
    m_outPos += ev.size() - copied;
    m_spliced.clear();
    m_eventHits.clear();
}

void SseDeltaMasker::sweep()
{
    m_streams.erase(std::remove_if(m_streams.begin(), m_streams.end(), [](const auto &s) { return s->done; }),
                    m_streams.end());
}

} // namespace gh
