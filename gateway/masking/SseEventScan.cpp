#include "masking/SseEventScan.h"

#include "masking/JsonText.h"

#include <algorithm>
#include <cstring>

namespace gh::sse {

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

Family family(Kind k)
{
    switch (k) {
    case Kind::ChatContent:
    case Kind::ChatReasoning:
    case Kind::ChatToolArguments:
    case Kind::CompletionText:
        return Family::Chat;
    case Kind::AnthropicText:
    case Kind::AnthropicJson:
    case Kind::AnthropicThinking:
        return Family::Anthropic;
    case Kind::ResponsesText:
    case Kind::ResponsesRefusal:
    case Kind::ResponsesArguments:
    case Kind::ResponsesSummary:
    case Kind::ResponsesReasoning:
        return Family::Responses;
    case Kind::GeminiText:
    case Kind::GeminiThought:
        return Family::Gemini;
    }
    return Family::Chat;
}

const ResponsesShape *responsesShape(Kind k)
{
    for (const ResponsesShape &r : kResponsesShapes)
        if (r.kind == k)
            return &r;
    return nullptr;
}

const ResponsesShape kResponsesShapes[] = {
    {"response.output_text.delta", "response.output_text.done", Kind::ResponsesText, 'c', "text"},
    {"response.refusal.delta", "response.refusal.done", Kind::ResponsesRefusal, 'c', "refusal"},
    {"response.function_call_arguments.delta", "response.function_call_arguments.done", Kind::ResponsesArguments, 0, "arguments"},
    {"response.reasoning_summary_text.delta", "response.reasoning_summary_text.done", Kind::ResponsesSummary, 's', "text"},
    {"response.reasoning_text.delta", "response.reasoning_text.done", Kind::ResponsesReasoning, 'c', "text"},
};

namespace {

// Where in an event a value sits, as far as the masker cares.
enum class Where : quint8 {
    Other, Root, Choices, Choice, ChoiceDelta, ToolCalls, ToolCall, ToolFunction, TopDelta,
    Candidates, Candidate, CandidateContent, Parts, Part
};

// A validating single pass over the JSON object of a data line, recording the token ranges of the
// fields the masker tracks. Depth is bounded; anything malformed makes the event per-event only.
class SseJsonScanner {
public:
    SseJsonScanner(QByteArrayView ev, qsizetype begin, qsizetype end, int maxDepth, SseDeltaMasker::Parsed &p,
                   QByteArray &scratch, std::vector<std::pair<qsizetype, qsizetype>> &tokens)
        : m_in(ev.first(end)), m_pos(begin), m_maxDepth(maxDepth), m_p(p), m_scratch(scratch), m_tokens(tokens)
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
    enum class Role : quint8 {
        None, Type, Index, AText, AJson, AThinking, Head, CIndex, CFinish, CText, CContent, CReasoning, TIndex, TArgs,
        RDelta, ROutput, RContent, RSummary, RItem, RSeq, RText, RArgs, RRefusal, GIndex, GFinish, GText, GThought
    };

    void ws()
    {
        while (m_pos < m_in.size() && JsonText::isWs(m_in[m_pos]))
            ++m_pos;
    }
    bool at(char c) const { return m_pos < m_in.size() && m_in[m_pos] == c; }

    // Elements past the bounds are read into a spare, only to notice text that cannot be tracked.
    Choice *choice() { return m_choice >= 0 ? &m_p.choices[m_choice] : m_choice == kSpare ? &m_spareChoice : nullptr; }
    Tool *tool() { return m_tool >= 0 ? &m_p.tools[m_tool] : m_tool == kSpare ? &m_spareTool : nullptr; }
    Candidate *candidate() { return m_cand >= 0 ? &m_p.candidates[m_cand] : m_cand == kSpare ? &m_spareCand : nullptr; }
    Part *part() { return m_part >= 0 ? &m_p.parts[m_part] : m_part == kSpare ? &m_sparePart : nullptr; }

    // The child's place and role for member `key` of an object at `where`.
    static void member(Where where, QByteArrayView key, Where &child, Role &role)
    {
        child = Where::Other;
        role = Role::None;
        switch (where) {
        case Where::Root:
            if (is(key, "choices")) child = Where::Choices;
            else if (is(key, "candidates")) child = Where::Candidates;
            else if (is(key, "delta")) { child = Where::TopDelta; role = Role::RDelta; } // an object (Anthropic), a string (Responses)
            else if (is(key, "type")) role = Role::Type;
            else if (is(key, "index")) role = Role::Index;
            else if (is(key, "output_index")) role = Role::ROutput;
            else if (is(key, "content_index")) role = Role::RContent;
            else if (is(key, "summary_index")) role = Role::RSummary;
            else if (is(key, "item_id")) role = Role::RItem;
            else if (is(key, "sequence_number")) role = Role::RSeq;
            else if (is(key, "text")) role = Role::RText;
            else if (is(key, "arguments")) role = Role::RArgs;
            else if (is(key, "refusal")) role = Role::RRefusal;
            else if (is(key, "id") || is(key, "object") || is(key, "created") || is(key, "model") || is(key, "system_fingerprint")
                     || is(key, "responseId") || is(key, "modelVersion"))
                role = Role::Head;
            break;
        case Where::Candidate:
            if (is(key, "content")) child = Where::CandidateContent;
            else if (is(key, "index")) role = Role::GIndex;
            else if (is(key, "finishReason")) role = Role::GFinish;
            break;
        case Where::CandidateContent:
            if (is(key, "parts")) child = Where::Parts;
            break;
        case Where::Part:
            if (is(key, "text")) role = Role::GText;
            else if (is(key, "thought")) role = Role::GThought;
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
        // Text in an element past the bounds: not tracked, so the response must fail closed.
        const bool text = isString && r.end - r.begin > 2;
        if (text && ((m_choice == kSpare && (role == Role::CText || role == Role::CContent || role == Role::CReasoning))
                     || (m_tool == kSpare && role == Role::TArgs) || (m_part == kSpare && role == Role::GText)))
            m_p.untracked = true;
        switch (role) {
        case Role::Type: if (isString) m_p.type = r; break;
        case Role::Index: m_p.index = r; break;
        case Role::AText: if (isString) m_p.aText = r; break;
        case Role::AJson: if (isString) m_p.aJson = r; break;
        case Role::AThinking: if (isString) m_p.aThinking = r; break;
        case Role::Head:
            if (m_p.headMembers.size() < 7)
                m_p.headMembers.append(Range{memberBegin, r.end});
            break;
        case Role::CIndex: if (Choice *c = choice()) c->index = r; break;
        case Role::CFinish: if (Choice *c = choice()) c->finish = r; break;
        case Role::CText: if (Choice *c = choice()) { c->text = r; c->textIsString = isString; } break;
        case Role::CContent: if (Choice *c = choice()) { c->content = r; c->contentIsString = isString; } break;
        case Role::CReasoning: if (Choice *c = choice()) { c->reasoning = r; c->reasoningIsString = isString; } break;
        case Role::TIndex: if (Tool *t = tool()) t->index = r; break;
        case Role::TArgs: if (Tool *t = tool(); t && isString) t->arguments = r; break;
        case Role::RDelta: if (isString) m_p.delta = r; break;
        case Role::ROutput: m_p.outputIndex = r; break;
        case Role::RContent: m_p.contentIndex = r; break;
        case Role::RSummary: m_p.summaryIndex = r; break;
        case Role::RItem: if (isString) m_p.item = Range{memberBegin, r.end}; break;
        case Role::RSeq: m_p.sequence = r; break;
        case Role::RText: if (isString) m_p.text = r; break;
        case Role::RArgs: if (isString) m_p.arguments = r; break;
        case Role::RRefusal: if (isString) m_p.refusal = r; break;
        case Role::GIndex: if (Candidate *c = candidate()) c->index = r; break;
        case Role::GFinish: if (Candidate *c = candidate()) c->finish = r; break;
        case Role::GText: if (Part *t = part(); t && isString) t->text = r; break;
        case Role::GThought: if (Part *t = part()) t->thought = m_in.sliced(r.begin, r.end - r.begin) == "true"; break;
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
        bool isNumber = false;
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
            isNumber = true;
        } else {
            for (const char *lit : {"true", "false", "null"}) {
                if (m_in.sliced(m_pos).startsWith(QByteArrayView(lit))) {
                    m_pos += qsizetype(std::strlen(lit));
                    ok = true;
                    break;
                }
            }
        }
        if (ok && (isString || isNumber))
            m_tokens.emplace_back(begin, m_pos);
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
            m_tokens.emplace_back(keyBegin, m_pos);
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
        const int outerCand = m_cand;
        const int outerPart = m_part;
        for (qsizetype i = 0;; ++i) {
            ws();
            Where child = Where::Other;
            if (where == Where::Choices && at('{')) {
                m_choice = kSpare;
                m_spareChoice = Choice{};
                if (m_p.choices.size() < kMaxChoices) {
                    m_p.choices.append(Choice{});
                    m_p.choices.back().position = i;
                    m_choice = int(m_p.choices.size() - 1);
                }
                child = Where::Choice;
            } else if (where == Where::ToolCalls && at('{') && m_choice != -1) {
                m_tool = kSpare;
                if (m_choice >= 0 && m_p.tools.size() < kMaxTools) {
                    m_p.tools.append(Tool{m_choice, i, {}, {}});
                    m_tool = int(m_p.tools.size() - 1);
                }
                child = Where::ToolCall;
            } else if (where == Where::Candidates && at('{')) {
                m_cand = kSpare;
                if (m_p.candidates.size() < kMaxChoices) {
                    m_p.candidates.append(Candidate{});
                    m_cand = int(m_p.candidates.size() - 1);
                }
                child = Where::Candidate;
            } else if (where == Where::Parts && at('{') && m_cand != -1) {
                m_part = kSpare;
                if (m_cand >= 0 && m_p.parts.size() < kMaxParts) {
                    m_p.parts.append(Part{m_cand, {}, false});
                    m_part = int(m_p.parts.size() - 1);
                }
                child = Where::Part;
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
                m_cand = outerCand;
                m_part = outerPart;
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
    std::vector<std::pair<qsizetype, qsizetype>> &m_tokens; // every string (keys too) and number
    int m_choice = -1;
    int m_tool = -1;
    int m_cand = -1;
    int m_part = -1;
    Choice m_spareChoice;
    Tool m_spareTool;
    Candidate m_spareCand;
    Part m_sparePart;
};

} // namespace

bool scanEvent(QByteArrayView ev, qsizetype begin, qsizetype end, int maxDepth, SseDeltaMasker::Parsed &p,
               QByteArray &scratch, std::vector<std::pair<qsizetype, qsizetype>> &tokens)
{
    return SseJsonScanner(ev, begin, end, maxDepth, p, scratch, tokens).run();
}

} // namespace gh::sse
