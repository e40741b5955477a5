#include "masking/SseDeltaMasker.h"

#include "masking/JsonText.h"

#include <QVarLengthArray>

#include <algorithm>
#include <cstring>

namespace gh {

using Kind = SseDeltaMasker::Kind;

struct SseDeltaMasker::Stream {
    Kind kind;
    int a = 0; // choice index, or the Anthropic content block index
    int b = 0; // tool call index
    std::unique_ptr<StreamingMasker> masker;
    QByteArray pending; // released bytes of an incomplete UTF-8 character: they go with the next piece
    QByteArray head;    // the top-level members (id, model, ...) a synthesized OpenAI event repeats
    bool done = false;
};

// What a stream released for one event: the text and its replacements, offsets in `text`.
struct SseDeltaMasker::Drained {
    QByteArray text;
    QVarLengthArray<StreamingMasker::Hit, 4> hits;
};

namespace {

// Token ranges in the event, -1 when absent.
struct Range {
    qsizetype begin = -1;
    qsizetype end = -1;
    bool present() const { return begin >= 0; }
};

struct Choice {
    qsizetype position = 0;
    Range index, finish, text, content, reasoning;
    bool contentIsString = false, reasoningIsString = false, textIsString = false;
    qsizetype deltaOpen = -1; // the '{' of its delta object
};

struct Tool {
    int choice = 0;
    qsizetype position = 0;
    Range index, arguments;
};

constexpr int kMaxChoices = 16;
constexpr int kMaxTools = 16;
constexpr int kMaxIndex = 99999;

// Where in an OpenAI or Anthropic event a value sits, as far as the masker cares.
enum class Where : quint8 { Other, Root, Choices, Choice, ChoiceDelta, ToolCalls, ToolCall, ToolFunction, TopDelta };

bool is(QByteArrayView raw, const char *name) { return raw == QByteArrayView(name); }

// A small non-negative integer, as an `index` must be to name a stream; -1 otherwise.
int smallIndex(QByteArrayView raw)
{
    if (raw.isEmpty() || raw.size() > 5)
        return -1;
    int v = 0;
    for (char c : raw) {
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    return raw.size() > 1 && raw[0] == '0' ? -1 : (v <= kMaxIndex ? v : -1);
}

// Trailing bytes of `s` that start a UTF-8 character not complete yet.
qsizetype incompleteUtf8(QByteArrayView s)
{
    const qsizetype n = s.size();
    for (qsizetype i = 1; i <= std::min<qsizetype>(3, n); ++i) {
        const auto c = static_cast<unsigned char>(s[n - i]);
        if ((c & 0xC0) == 0x80)
            continue;
        const qsizetype need = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
        return need > i ? i : 0;
    }
    return 0;
}

bool isChat(Kind k) { return k == Kind::ChatContent || k == Kind::ChatReasoning || k == Kind::ChatToolArguments || k == Kind::CompletionText; }

} // namespace

// One event's data line, parsed: what the masker needs and nothing more.
struct SseDeltaMasker::Parsed {
    bool done = false; // data: [DONE]
    Range type, index, aText, aJson, aThinking;
    QVarLengthArray<Range, 5> headMembers; // "id": ... and friends, key quote to value end
    QVarLengthArray<Choice, 2> choices;
    QVarLengthArray<Tool, 2> tools;
};

namespace {

// A validating single pass over the JSON object of a data line, recording the token ranges of the
// fields the masker tracks. Depth is bounded; anything malformed makes the event per-event only.
class SseJsonScanner {
public:
    SseJsonScanner(QByteArrayView ev, qsizetype begin, qsizetype end, int maxDepth, SseDeltaMasker::Parsed &p,
                   QByteArray &scratch)
        : m_in(ev.first(end)), m_pos(begin), m_maxDepth(maxDepth), m_p(p), m_scratch(scratch)
    {
    }

    bool run()
    {
        ws();
        if (!value(0, Where::Root, Role::None))
            return false;
        ws();
        return m_pos == m_in.size();
    }

private:
    enum class Role : quint8 { None, Type, Index, AText, AJson, AThinking, Head, CIndex, CFinish, CText, CContent, CReasoning, TIndex, TArgs };

    void ws()
    {
        while (m_pos < m_in.size() && JsonText::isWs(m_in[m_pos]))
            ++m_pos;
    }
    bool at(char c) const { return m_pos < m_in.size() && m_in[m_pos] == c; }

    Choice *choice() { return m_choice >= 0 ? &m_p.choices[m_choice] : nullptr; }
    Tool *tool() { return m_tool >= 0 ? &m_p.tools[m_tool] : nullptr; }

    // The child's place and role for member `key` of an object at `where`.
    static void member(Where where, QByteArrayView key, Where &child, Role &role)
    {
        child = Where::Other;
        role = Role::None;
        switch (where) {
        case Where::Root:
            if (is(key, "choices")) child = Where::Choices;
            else if (is(key, "delta")) child = Where::TopDelta;
            else if (is(key, "type")) role = Role::Type;
            else if (is(key, "index")) role = Role::Index;
            else if (is(key, "id") || is(key, "object") || is(key, "created") || is(key, "model") || is(key, "system_fingerprint"))
                role = Role::Head;
            break;
        case Where::Choice:
            if (is(key, "delta")) child = Where::ChoiceDelta;
            else if (is(key, "index")) role = Role::CIndex;
            else if (is(key, "finish_reason")) role = Role::CFinish;
            else if (is(key, "text")) role = Role::CText;
            break;
        case Where::ChoiceDelta:
            if (is(key, "tool_calls")) child = Where::ToolCalls;
            else if (is(key, "content")) role = Role::CContent;
            else if (is(key, "reasoning_content")) role = Role::CReasoning;
            break;
        case Where::ToolCall:
            if (is(key, "function")) child = Where::ToolFunction;
            else if (is(key, "index")) role = Role::TIndex;
            break;
        case Where::ToolFunction:
            if (is(key, "arguments")) role = Role::TArgs;
            break;
        case Where::TopDelta:
            if (is(key, "text")) role = Role::AText;
            else if (is(key, "partial_json")) role = Role::AJson;
            else if (is(key, "thinking")) role = Role::AThinking;
            break;
        default:
            break;
        }
    }

    void note(Role role, Range r, bool isString, qsizetype memberBegin)
    {
        switch (role) {
        case Role::Type: if (isString) m_p.type = r; break;
        case Role::Index: m_p.index = r; break;
        case Role::AText: if (isString) m_p.aText = r; break;
        case Role::AJson: if (isString) m_p.aJson = r; break;
        case Role::AThinking: if (isString) m_p.aThinking = r; break;
        case Role::Head:
            if (m_p.headMembers.size() < 5)
                m_p.headMembers.append(Range{memberBegin, r.end});
            break;
        case Role::CIndex: if (Choice *c = choice()) c->index = r; break;
        case Role::CFinish: if (Choice *c = choice()) c->finish = r; break;
        case Role::CText: if (Choice *c = choice()) { c->text = r; c->textIsString = isString; } break;
        case Role::CContent: if (Choice *c = choice()) { c->content = r; c->contentIsString = isString; } break;
        case Role::CReasoning: if (Choice *c = choice()) { c->reasoning = r; c->reasoningIsString = isString; } break;
        case Role::TIndex: if (Tool *t = tool()) t->index = r; break;
        case Role::TArgs: if (Tool *t = tool(); t && isString) t->arguments = r; break;
        case Role::None: break;
        }
    }

    bool value(int depth, Where where, Role role, qsizetype memberBegin = -1)
    {
        if (depth > m_maxDepth || m_pos >= m_in.size())
            return false;
        const qsizetype begin = m_pos;
        const char c = m_in[m_pos];
        bool ok = false;
        bool isString = false;
        if (c == '{') {
            ok = object(depth, where);
        } else if (c == '[') {
            ok = array(depth, where);
        } else if (c == '"') {
            QByteArrayView decoded;
            const char *error = nullptr;
            ok = JsonText::readString(m_in, m_pos, m_scratch, decoded, error);
            isString = true;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            const char *error = nullptr;
            ok = JsonText::readNumber(m_in, m_pos, error);
        } else {
            for (const char *lit : {"true", "false", "null"}) {
                if (m_in.sliced(m_pos).startsWith(QByteArrayView(lit))) {
                    m_pos += qsizetype(std::strlen(lit));
                    ok = true;
                    break;
                }
            }
        }
        if (ok && role != Role::None)
            note(role, Range{begin, m_pos}, isString, memberBegin);
        return ok;
    }

    bool object(int depth, Where where)
    {
        const qsizetype open = m_pos++;
        if (where == Where::ChoiceDelta)
            if (Choice *c = choice())
                c->deltaOpen = open;
        ws();
        if (at('}')) {
            ++m_pos;
            return true;
        }
        for (;;) {
            ws();
            if (!at('"'))
                return false;
            const qsizetype keyBegin = m_pos;
            QByteArrayView key;
            const char *error = nullptr;
            if (!JsonText::readString(m_in, m_pos, m_scratch, key, error))
                return false;
            // Keys are matched as sent: a key spelled with escapes is not one the masker tracks,
            // and its value is then masked per event like any other.
            const QByteArrayView rawKey = m_in.sliced(keyBegin + 1, m_pos - keyBegin - 2);
            Where child;
            Role role;
            member(where, rawKey, child, role);
            ws();
            if (!at(':'))
                return false;
            ++m_pos;
            ws();
            if (!value(depth + 1, child, role, keyBegin))
                return false;
            ws();
            if (at(',')) {
                ++m_pos;
                continue;
            }
            if (at('}')) {
                ++m_pos;
                return true;
            }
            return false;
        }
    }

    bool array(int depth, Where where)
    {
        ++m_pos; // [
        ws();
        if (at(']')) {
            ++m_pos;
            return true;
        }
        const int outerChoice = m_choice;
        const int outerTool = m_tool;
        for (qsizetype i = 0;; ++i) {
            ws();
            Where child = Where::Other;
            if (where == Where::Choices && at('{')) {
                m_choice = -1;
                if (m_p.choices.size() < kMaxChoices) {
                    m_p.choices.append(Choice{});
                    m_p.choices.back().position = i;
                    m_choice = int(m_p.choices.size() - 1);
                    child = Where::Choice;
                }
            } else if (where == Where::ToolCalls && at('{') && m_choice >= 0) {
                m_tool = -1;
                if (m_p.tools.size() < kMaxTools) {
                    m_p.tools.append(Tool{m_choice, i, {}, {}});
                    m_tool = int(m_p.tools.size() - 1);
                    child = Where::ToolCall;
                }
            }
            if (!value(depth + 1, child, Role::None))
                return false;
            ws();
            if (at(',')) {
                ++m_pos;
                continue;
            }
            if (at(']')) {
                ++m_pos;
                m_choice = outerChoice;
                m_tool = outerTool;
                return true;
            }
            return false;
        }
    }

    QByteArrayView m_in;
    qsizetype m_pos;
    int m_maxDepth;
    SseDeltaMasker::Parsed &m_p;
    QByteArray &m_scratch;
    int m_choice = -1;
    int m_tool = -1;
};

} // namespace

// One change to the event: a string field replaced by what its stream releases, a null content
// replaced, or a member inserted into a finishing choice's delta.
struct SseDeltaMasker::Edit {
    enum class Type : quint8 { Replace, Insert } type = Type::Replace;
    qsizetype begin = 0;
    qsizetype end = 0;
    Stream *stream = nullptr;
    Range piece;          // the string token fed to the stream (Replace of a string)
    bool finish = false;
    bool commaAfter = false; // Insert into a delta object that has members already
    const char *name = nullptr; // Insert: the member's name
};

SseDeltaMasker::SseDeltaMasker(std::shared_ptr<const MaskPlan> plan) : SseDeltaMasker(std::move(plan), Options{}) {}

SseDeltaMasker::SseDeltaMasker(std::shared_ptr<const MaskPlan> plan, Options options)
    : m_plan(std::move(plan)), m_options(options)
{
    m_options.sseEventBound = std::max<qsizetype>(m_options.sseEventBound, 1);
    m_options.maxStreams = std::max(m_options.maxStreams, 0);
    m_summary.resize(m_plan->entries().size());
}

SseDeltaMasker::~SseDeltaMasker() = default;

QByteArray SseDeltaMasker::feed(QByteArrayView chunk)
{
    QByteArray out;
    if (m_plan->empty()) {
        m_outPos += chunk.size();
        return chunk.toByteArray();
    }
    m_buf.append(chunk.data(), chunk.size());
    processEvents(out, false);
    return out;
}

QByteArray SseDeltaMasker::finish()
{
    QByteArray out;
    if (m_plan->empty())
        return out;
    processEvents(out, true);
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
    QList<MaskSummary> out;
    for (const MaskSummary &s : m_summary)
        if (s.count > 0)
            out.append(s);
    return out;
}

void SseDeltaMasker::record(int entry, qint64 outOffset, qint64 outLength)
{
    MaskSummary &s = m_summary[size_t(entry)];
    if (s.count == 0) {
        s.rule = m_plan->entry(entry).rule;
        s.detector = m_plan->entry(entry).detector;
    }
    ++s.count;
    if (s.ranges.size() < MaskSummary::kMaxRanges)
        s.ranges.append({outOffset, outLength});
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
    return SseJsonScanner(ev, dataBegin + first, dataEnd, m_options.maxDepth, p, m_scratch).run();
}

SseDeltaMasker::Stream *SseDeltaMasker::stream(Kind kind, int a, int b, QByteArrayView ev, const Parsed &p)
{
    if (a < 0 || b < 0)
        return nullptr;
    for (auto &s : m_streams)
        if (s->kind == kind && s->a == a && s->b == b)
            return s->done ? nullptr : s.get();
    if (qsizetype(m_streams.size()) >= m_options.maxStreams)
        return nullptr; // fail closed: this field is masked within its event only
    auto s = std::make_unique<Stream>();
    s->kind = kind;
    s->a = a;
    s->b = b;
    StreamingMasker::Options o;
    o.window = m_options.window;
    o.privateKeyWindow = m_options.privateKeyWindow;
    o.releaseEarly = true;
    s->masker = std::make_unique<StreamingMasker>(m_plan, o);
    if (isChat(kind)) {
        for (const Range &r : p.headMembers) {
            s->head.append(ev.data() + r.begin, r.end - r.begin);
            s->head += ',';
        }
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

// Sends what the stream still holds, if anything, in an event of the stream's own shape.
void SseDeltaMasker::synthesize(QByteArray &out, Stream &s)
{
    Drained d = drain(s, {}, true);
    if (d.text.isEmpty())
        return;
    m_spliced.clear();
    m_eventHits.clear();
    QByteArray ev;
    ev.reserve(d.text.size() + s.head.size() + 160);
    const QByteArray a = QByteArray::number(s.a);
    switch (s.kind) {
    case Kind::ChatContent:
    case Kind::ChatReasoning:
    case Kind::ChatToolArguments:
        ev += "data: {" + s.head + "\"choices\":[{\"index\":" + a + ",\"delta\":{";
        if (s.kind == Kind::ChatToolArguments)
            ev += "\"tool_calls\":[{\"index\":" + QByteArray::number(s.b) + ",\"function\":{\"arguments\":";
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
    }
    ev += m_eol;
    ev += m_eol;
    emitEvent(out, ev);
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
    QVarLengthArray<Stream *, 4> before; // streams that end before this event
    QVarLengthArray<Edit, 4> edits;
    auto endAll = [&](auto &&which) {
        for (auto &s : m_streams)
            if (!s->done && which(*s) && !before.contains(s.get()))
                before.append(s.get());
    };
    auto replace = [&](Stream *s, Range r, bool finish) {
        if (s)
            edits.append(Edit{Edit::Type::Replace, r.begin, r.end, s, r, finish, false, nullptr});
    };

    if (p.done)
        endAll([](const Stream &) { return true; });

    // Anthropic messages: content_block_delta carries the text, content_block_stop ends it.
    const QByteArrayView type = p.type.present() ? ev.sliced(p.type.begin, p.type.end - p.type.begin) : QByteArrayView();
    const int blockIndex = p.index.present() ? smallIndex(ev.sliced(p.index.begin, p.index.end - p.index.begin)) : -1;
    if (type == "\"content_block_delta\"" && blockIndex >= 0) {
        if (p.aText.present())
            replace(stream(Kind::AnthropicText, blockIndex, 0, ev, p), p.aText, false);
        if (p.aJson.present())
            replace(stream(Kind::AnthropicJson, blockIndex, 0, ev, p), p.aJson, false);
        if (p.aThinking.present())
            replace(stream(Kind::AnthropicThinking, blockIndex, 0, ev, p), p.aThinking, false);
    } else if (type == "\"content_block_stop\"" && blockIndex >= 0) {
        endAll([&](const Stream &s) { return !isChat(s.kind) && s.a == blockIndex; });
    } else if (type == "\"message_stop\"") {
        endAll([](const Stream &s) { return !isChat(s.kind); });
    }

    // OpenAI chat and legacy completions: choices[i] by its index member, else its position.
    for (const Choice &c : p.choices) {
        const int i = c.index.present() ? smallIndex(ev.sliced(c.index.begin, c.index.end - c.index.begin))
                                        : int(std::min<qsizetype>(c.position, kMaxIndex + 1));
        if (i < 0 || i > kMaxIndex)
            continue; // untracked: masked within the event
        const bool finish = c.finish.present() && ev.sliced(c.finish.begin, c.finish.end - c.finish.begin) != "null";
        Stream *content = c.contentIsString ? stream(Kind::ChatContent, i, 0, ev, p) : nullptr;
        Stream *reasoning = c.reasoningIsString ? stream(Kind::ChatReasoning, i, 0, ev, p) : nullptr;
        replace(content, c.content, finish);
        replace(reasoning, c.reasoning, finish);
        if (c.textIsString)
            replace(stream(Kind::CompletionText, i, 0, ev, p), c.text, finish);
        for (const Tool &t : p.tools) {
            if (&p.choices[t.choice] != &c || !t.arguments.present())
                continue;
            const int j = t.index.present() ? smallIndex(ev.sliced(t.index.begin, t.index.end - t.index.begin))
                                            : int(std::min<qsizetype>(t.position, kMaxIndex + 1));
            if (j >= 0 && j <= kMaxIndex)
                replace(stream(Kind::ChatToolArguments, i, j, ev, p), t.arguments, finish);
        }
        if (!finish)
            continue;
        // The choice is finished: its streams not in this event end here too. Content and
        // reasoning go into this event's delta where there is room, the rest just before it.
        for (auto &s : m_streams) {
            if (s->done || !isChat(s->kind) || s->a != i)
                continue;
            if (std::any_of(edits.begin(), edits.end(), [&](const Edit &e) { return e.stream == s.get(); }))
                continue;
            const bool intoDelta = c.deltaOpen >= 0 && (s->kind == Kind::ChatContent || s->kind == Kind::ChatReasoning);
            const Range member = s->kind == Kind::ChatContent ? c.content : c.reasoning;
            if (intoDelta && member.present()) { // "content": null
                edits.append(Edit{Edit::Type::Replace, member.begin, member.end, s.get(), Range{}, true, false, nullptr});
            } else if (intoDelta) {
                edits.append(Edit{Edit::Type::Insert, c.deltaOpen + 1, c.deltaOpen + 1, s.get(), Range{}, true, false,
                                  s->kind == Kind::ChatContent ? "content" : "reasoning_content"});
            } else if (!before.contains(s.get())) {
                before.append(s.get());
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

    for (Stream *s : before)
        synthesize(out, *s);

    m_spliced.clear();
    m_eventHits.clear();
    if (edits.isEmpty()) {
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
        if (e.piece.present()) {
            const char *error = nullptr;
            qsizetype pos = e.piece.begin;
            if (!JsonText::readString(ev, pos, m_scratch, piece, error))
                continue; // validated by the scan already
        }
        const Drained d = drain(*e.stream, piece, e.finish);
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
        } else if (e.piece.present() && d.hits.isEmpty() && QByteArrayView(d.text) == piece) {
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
    emitEvent(out, rewritten);
    sweep();
}

// Masks the event per event, as StreamingMasker's Sse mode does, except for the strings a stream
// wrote (m_spliced): their text was masked as part of its stream, with more context than this
// event has. Records the replacements of both at their offsets in the output.
void SseDeltaMasker::emitEvent(QByteArray &out, QByteArrayView ev)
{
    m_spans.clear();
    m_plan->findSpans(ev, 0, m_spans);
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
        if (s.entry < 0 || inSpliced(s))
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
