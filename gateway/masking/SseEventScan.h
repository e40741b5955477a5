#pragma once

// SseDeltaMasker's reading of one event: the token ranges of the fields it tracks, and the small
// vocabulary of the stream shapes it knows. Internal to the masking module.

#include "masking/SseDeltaMasker.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QVarLengthArray>

#include <utility>
#include <vector>

namespace gh {

namespace sse {

using Kind = SseDeltaMasker::Kind;

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

// Gemini: candidates[i] and the text parts of its content.
struct Candidate {
    Range index, finish;
};

struct Part {
    int candidate = 0;
    Range text;
    bool thought = false;
};

// Read per event; more than this in one event, with text, cannot be tracked (fails closed).
constexpr int kMaxChoices = 16;
constexpr int kMaxTools = 16;
constexpr int kMaxParts = 16;
constexpr int kMaxIndex = 99999;
constexpr int kSpare = -2; // the scanner's index of an element past those bounds

inline bool is(QByteArrayView raw, const char *name) { return raw == QByteArrayView(name); }

// A small non-negative integer, as an `index` must be to name a stream; -1 otherwise.
int smallIndex(QByteArrayView raw);

// Trailing bytes of `s` that start a UTF-8 character not complete yet.
qsizetype incompleteUtf8(QByteArrayView s);

enum class Family : quint8 { Chat, Anthropic, Responses, Gemini };

Family family(Kind k);

// The Responses API's streamed text events: the delta event, the one that ends the text (and
// carries it whole, in `whole`), and which index names the part besides output_index.
struct ResponsesShape {
    QByteArrayView delta;
    QByteArrayView done;
    Kind kind;
    char second; // 'c': content_index, 's': summary_index, 0: none
    const char *whole;
};

extern const ResponsesShape kResponsesShapes[5];

const ResponsesShape *responsesShape(Kind k);

} // namespace sse

// One event's data line, parsed: what the masker needs and nothing more.
struct SseDeltaMasker::Parsed {
    bool done = false;      // data: [DONE]
    bool untracked = false; // a non-empty text field past the per-event bounds
    sse::Range json;             // the data line's JSON object
    sse::Range type, index, aText, aJson, aThinking;
    // Responses API: root members. item is the whole "item_id": ... member; text, arguments and
    // refusal are the whole text a .done event carries.
    sse::Range delta, outputIndex, contentIndex, summaryIndex, item, sequence, text, arguments, refusal;
    QVarLengthArray<sse::Range, 7> headMembers; // "id": ... and friends, key quote to value end
    QVarLengthArray<sse::Choice, 2> choices;
    QVarLengthArray<sse::Tool, 2> tools;
    QVarLengthArray<sse::Candidate, 2> candidates;
    QVarLengthArray<sse::Part, 2> parts;
};

namespace sse {

// Reads the JSON object of a data line (ev[begin, end)) into `p`: a validating single pass with
// its depth bounded. False: malformed, too deep, or not one object; the event is then masked per
// event only. `tokens` gets the ranges of its strings and numbers.
bool scanEvent(QByteArrayView ev, qsizetype begin, qsizetype end, int maxDepth, SseDeltaMasker::Parsed &p,
               QByteArray &scratch, std::vector<std::pair<qsizetype, qsizetype>> &tokens);

} // namespace sse

} // namespace gh
