// SseDeltaMasker: a value an LLM streams over several events is masked as if sent whole.
#include "MaskRules.h"
#include "masking/SseDeltaMasker.h"
#include "masking/StreamingMasker.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTest>

using gh::MaskPlan;
using gh::SseDeltaMasker;
using gh::StreamingMasker;
using namespace masktest;

namespace {

QByteArray jsonString(const QString &s)
{
    const QByteArray a = QJsonDocument(QJsonArray{s}).toJson(QJsonDocument::Compact);
    return a.mid(1, a.size() - 2);
}

QByteArray chat(int choice, const QByteArray &content, const char *finish = "null", const QByteArray &eol = "\n")
{
    return "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":"
        + QByteArray::number(choice) + ",\"delta\":{\"content\":" + jsonString(QString::fromUtf8(content))
        + "},\"finish_reason\":" + finish + "}]}" + eol + eol;
}

QByteArray chatFinish(int choice, const char *reason = "\"stop\"")
{
    return "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":"
        + QByteArray::number(choice) + ",\"delta\":{},\"finish_reason\":" + reason + "}]}\n\n";
}

const QByteArray kDone = "data: [DONE]\n\n";

QByteArray run(SseDeltaMasker &m, QByteArrayView body, const QList<qsizetype> &cuts = {})
{
    QByteArray out;
    qsizetype at = 0;
    for (qsizetype c : cuts) {
        out += m.feed(body.sliced(at, c - at));
        at = c;
    }
    out += m.feed(body.sliced(at));
    out += m.finish();
    return out;
}

// The events of an LF stream, each data line parsed; fails the test on a line that is not JSON.
struct Events {
    QList<QJsonObject> data;
    QList<QByteArray> raw;
    bool done = false;
    bool ok = true;
};

Events events(QByteArray out)
{
    out.replace("\r\n", "\n");
    Events e;
    for (const QByteArray &ev : out.split('\n')) {
        if (!ev.startsWith("data: "))
            continue;
        const QByteArray payload = ev.mid(6);
        if (payload == "[DONE]") {
            e.done = true;
            continue;
        }
        QJsonParseError err;
        const QJsonDocument doc = QJsonDocument::fromJson(payload, &err);
        if (err.error != QJsonParseError::NoError || !doc.isObject()) {
            qWarning("not JSON: %s", payload.constData());
            e.ok = false;
        }
        e.data.append(doc.object());
        e.raw.append(payload);
    }
    return e;
}

// OpenAI: the concatenated delta.content (or tool call arguments, or legacy text) of one choice.
QString textOf(const Events &e, int choice, const char *field = "content")
{
    QString out;
    for (const QJsonObject &o : e.data) {
        for (const QJsonValue &c : o.value(QStringLiteral("choices")).toArray()) {
            const QJsonObject ch = c.toObject();
            if (ch.value(QStringLiteral("index")).toInt() != choice)
                continue;
            if (QByteArrayView(field) == "text") {
                out += ch.value(QStringLiteral("text")).toString();
                continue;
            }
            const QJsonObject delta = ch.value(QStringLiteral("delta")).toObject();
            if (QByteArrayView(field) == "arguments") {
                for (const QJsonValue &t : delta.value(QStringLiteral("tool_calls")).toArray())
                    out += t.toObject().value(QStringLiteral("function")).toObject().value(QStringLiteral("arguments")).toString();
            } else {
                out += delta.value(QLatin1String(field)).toString();
            }
        }
    }
    return out;
}

QString anthropicText(const Events &e, int index, const char *field = "text")
{
    QString out;
    for (const QJsonObject &o : e.data)
        if (o.value(QStringLiteral("type")) == QStringLiteral("content_block_delta") && o.value(QStringLiteral("index")).toInt() == index)
            out += o.value(QStringLiteral("delta")).toObject().value(QLatin1String(field)).toString();
    return out;
}

// OpenAI Responses API events, as the API sends them (an event: line, then the JSON).
QByteArray responsesEvent(QByteArrayView type, const QByteArray &json)
{
    return "event: " + type.toByteArray() + "\ndata: {\"type\":\"" + type.toByteArray() + "\"," + json + "}\n\n";
}

// The index member besides output_index that a Responses text event of `type` carries.
QByteArray secondIndex(QByteArrayView type, int second)
{
    if (type.startsWith("response.function_call_arguments"))
        return QByteArray();
    return (type.startsWith("response.reasoning_summary") ? ",\"summary_index\":" : ",\"content_index\":") + QByteArray::number(second);
}

QByteArray responsesDelta(int output, int second, const QByteArray &text, int seq,
                          QByteArrayView type = "response.output_text.delta")
{
    return responsesEvent(type, "\"sequence_number\":" + QByteArray::number(seq) + ",\"item_id\":\"item_" + QByteArray::number(output)
                                    + "\",\"output_index\":" + QByteArray::number(output) + secondIndex(type, second)
                                    + ",\"delta\":" + jsonString(QString::fromUtf8(text))
                                    + (type == "response.output_text.delta" ? ",\"logprobs\":[]" : ""));
}

QByteArray responsesDone(int output, int second, const QByteArray &whole, int seq, QByteArrayView type = "response.output_text.done",
                         const char *field = "text")
{
    return responsesEvent(type, "\"sequence_number\":" + QByteArray::number(seq) + ",\"item_id\":\"item_" + QByteArray::number(output)
                                    + "\",\"output_index\":" + QByteArray::number(output) + secondIndex(type, second) + ",\""
                                    + field + "\":" + jsonString(QString::fromUtf8(whole)));
}

// A whole Responses API stream of one message whose text comes in `pieces`.
QByteArray responsesBody(const QList<QByteArray> &pieces)
{
    int seq = 0;
    QByteArray whole;
    for (const QByteArray &piece : pieces)
        whole += piece;
    const QByteArray text = jsonString(QString::fromUtf8(whole));
    QByteArray body = responsesEvent("response.created", "\"sequence_number\":0,\"response\":{\"id\":\"resp_1\",\"object\":\"response\","
                                                         "\"status\":\"in_progress\",\"output\":[]}");
    body += responsesEvent("response.output_item.added", "\"sequence_number\":1,\"output_index\":0,\"item\":{\"id\":\"item_0\","
                                                         "\"type\":\"message\",\"status\":\"in_progress\",\"content\":[],\"role\":\"assistant\"}");
    body += responsesEvent("response.content_part.added", "\"sequence_number\":2,\"item_id\":\"item_0\",\"output_index\":0,"
                                                          "\"content_index\":0,\"part\":{\"type\":\"output_text\",\"annotations\":[],\"text\":\"\"}");
    seq = 3;
    for (const QByteArray &piece : pieces)
        body += responsesDelta(0, 0, piece, seq++);
    body += responsesDone(0, 0, whole, seq++);
    body += responsesEvent("response.content_part.done", "\"sequence_number\":" + QByteArray::number(seq++)
                                                             + ",\"item_id\":\"item_0\",\"output_index\":0,\"content_index\":0,"
                                                               "\"part\":{\"type\":\"output_text\",\"annotations\":[],\"text\":" + text + "}");
    body += responsesEvent("response.output_item.done", "\"sequence_number\":" + QByteArray::number(seq++)
                                                            + ",\"output_index\":0,\"item\":{\"id\":\"item_0\",\"type\":\"message\","
                                                              "\"content\":[{\"type\":\"output_text\",\"text\":" + text + "}]}");
    body += responsesEvent("response.completed", "\"sequence_number\":" + QByteArray::number(seq++)
                                                     + ",\"response\":{\"id\":\"resp_1\",\"status\":\"completed\",\"output\":[{\"id\":\"item_0\","
                                                       "\"type\":\"message\",\"content\":[{\"type\":\"output_text\",\"text\":" + text + "}]}]}");
    return body;
}

// The text the delta events of `type` gave one stream.
QString responsesText(const Events &e, int output, int second = 0, const QString &type = QStringLiteral("response.output_text.delta"))
{
    const QString secondKey = type.startsWith(u"response.reasoning_summary") ? QStringLiteral("summary_index") : QStringLiteral("content_index");
    QString out;
    for (const QJsonObject &o : e.data)
        if (o.value(QStringLiteral("type")).toString() == type && o.value(QStringLiteral("output_index")).toInt() == output
            && o.value(secondKey).toInt() == second)
            out += o.value(QStringLiteral("delta")).toString();
    return out;
}

// Where the first event of `type` is among the events, -1 if none.
qsizetype eventOf(const Events &e, const QString &type, int output = -1)
{
    for (qsizetype i = 0; i < e.data.size(); ++i)
        if (e.data[i].value(QStringLiteral("type")).toString() == type
            && (output < 0 || e.data[i].value(QStringLiteral("output_index")).toInt() == output))
            return i;
    return -1;
}

// Gemini streamGenerateContent?alt=sse chunks.
QByteArray geminiPart(const QByteArray &text, bool thought = false)
{
    return "{\"text\":" + jsonString(QString::fromUtf8(text)) + (thought ? ",\"thought\":true}" : "}");
}

QByteArray geminiCandidate(int index, const QByteArray &parts, const char *finish = nullptr)
{
    // proto3 JSON leaves out index 0, as Gemini does.
    return "{\"content\":{\"parts\":[" + parts + "],\"role\":\"model\"}" + (finish ? ",\"finishReason\":\"" + QByteArray(finish) + "\"" : QByteArray())
        + (index ? ",\"index\":" + QByteArray::number(index) : QByteArray()) + "}";
}

QByteArray gemini(const QByteArray &candidates)
{
    return "data: {\"candidates\":[" + candidates
        + "],\"usageMetadata\":{\"promptTokenCount\":4},\"modelVersion\":\"gemini-2.0-flash\",\"responseId\":\"r1\"}\r\n\r\n";
}

QByteArray gemini(int index, const QByteArray &text, const char *finish = nullptr)
{
    return gemini(geminiCandidate(index, geminiPart(text), finish));
}

QString geminiText(const Events &e, int index, bool thought = false)
{
    QString out;
    for (const QJsonObject &o : e.data)
        for (const QJsonValue &c : o.value(QStringLiteral("candidates")).toArray())
            if (c.toObject().value(QStringLiteral("index")).toInt(0) == index)
                for (const QJsonValue &part : c.toObject().value(QStringLiteral("content")).toObject().value(QStringLiteral("parts")).toArray())
                    if (part.toObject().value(QStringLiteral("thought")).toBool() == thought)
                        out += part.toObject().value(QStringLiteral("text")).toString();
    return out;
}

void valueRows()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QByteArray>("value");
    QTest::newRow("e-mail") << QByteArray("Write to john.doe@example.com today.") << QByteArray("john.doe@example.com");
    QTest::newRow("credit card") << QByteArray("Card 4111 1111 1111 1111 ok") << QByteArray("4111 1111 1111 1111");
    QTest::newRow("ssn") << QByteArray("SSN: 123-45-6789.") << QByteArray("123-45-6789");
    QTest::newRow("bearer") << QByteArray("use Bearer abcdefghijklmnop0123 now") << QByteArray("abcdefghijklmnop0123");
    QTest::newRow("escaped quote and newline") << QByteArray("say \"hi\"\nto ada@example.org\n") << QByteArray("ada@example.org");
}

} // namespace

class TestSseDeltaMasker final : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void valueSplitAcrossChunks_data();
    void valueSplitAcrossChunks();
    void valueSplitIntoManyChunks();
    void eventsGoOutAtOnceHoldingOnlyTheLastWord();
    void finishReasonFlushesIntoTheFinalChunk();
    void doneFlushesBeforeIt();
    void endOfBodyFlushes();
    void choicesAreStreamsOfTheirOwn();
    void toolCallArguments();
    void anthropicBlocks();
    void legacyCompletions();
    void otherEventsAreMaskedPerEvent();
    void lineEndsAndSplitReads_data();
    void lineEndsAndSplitReads();
    void badInputFailsClosed_data();
    void badInputFailsClosed();
    void tooManyStreamsFailClosed();
    void tooManyInOneEventFailClosed();
    void responsesValueSplitAcrossDeltas_data();
    void responsesValueSplitAcrossDeltas();
    void responsesValueSplitIntoManyDeltas();
    void responsesFlushPoints();
    void responsesInterleavedStreams();
    void responsesDoneTextEqualsTheDeltas_data();
    void responsesDoneTextEqualsTheDeltas();
    void geminiValueSplitAcrossChunks_data();
    void geminiValueSplitAcrossChunks();
    void geminiCandidatesAndThoughts();
    void overlongEventFallsBackToTheWindow();
    void nothingToMaskIsByteIdentical();
    void summaryPointsAtReplacementsInTheOutput();
    void customPatternHoldsTheWindow();
    void randomDamageNeverBreaksIt();
    void jsonOutsideTheDeltasIsMaskedDecoded();
    void nonJsonEventsStayRaw();
    void customPatternAcrossJsonSyntax();

private:
    std::shared_ptr<const MaskPlan> m_all;
};

void TestSseDeltaMasker::initTestCase()
{
    m_all = compileOrFail(allDetectorRules());
    QVERIFY(m_all);
}

void TestSseDeltaMasker::valueSplitAcrossChunks_data()
{
    valueRows();
}

// Two chunks split at every offset of the text, each body fed in two reads split at every offset.
void TestSseDeltaMasker::valueSplitAcrossChunks()
{
    QFETCH(QByteArray, text);
    QFETCH(QByteArray, value);
    const QString expected = QString::fromUtf8(m_all->maskBuffer(text).data);
    QVERIFY(!expected.contains(QString::fromUtf8(value)));
    for (qsizetype p = 1; p < text.size(); ++p) {
        const QByteArray body = chat(0, text.left(p)) + chat(0, text.mid(p)) + chatFinish(0) + kDone;
        for (qsizetype k = 0; k <= body.size(); k += (p % 3 == 0 ? 1 : 7)) {
            SseDeltaMasker m(m_all);
            const QByteArray out = run(m, body, {k});
            const Events e = events(out);
            if (!e.ok || textOf(e, 0) != expected || !e.done || out.contains(value) || m.streams() != 0)
                QFAIL(qPrintable(QStringLiteral("text split at %1, read at %2:\n%3").arg(p).arg(k).arg(QString::fromUtf8(out))));
            QCOMPARE(e.data.size(), 3); // no event was added or lost
        }
    }
}

void TestSseDeltaMasker::valueSplitIntoManyChunks()
{
    const QByteArray text = "Hi! Mail ada.lovelace@example.com or call (555) 123-4567, card 5500-0000-0000-0004; ip 10.1.2.3.";
    const QString expected = QString::fromUtf8(m_all->maskBuffer(text).data);
    for (qsizetype size = 1; size <= 9; ++size) {
        QByteArray body;
        for (qsizetype at = 0; at < text.size(); at += size)
            body += chat(0, text.mid(at, size));
        body += chatFinish(0) + kDone;
        // Reads of every size from 1 to 13 bytes.
        for (qsizetype read = 1; read <= 13; read += 3) {
            QList<qsizetype> cuts;
            for (qsizetype at = read; at < body.size(); at += read)
                cuts.append(at);
            SseDeltaMasker m(m_all);
            const Events e = events(run(m, body, cuts));
            QVERIFY(e.ok);
            QCOMPARE(textOf(e, 0), expected);
        }
    }
}

void TestSseDeltaMasker::eventsGoOutAtOnceHoldingOnlyTheLastWord()
{
    SseDeltaMasker m(m_all);
    QByteArray out = m.feed(chat(0, "Hello there, write to john"));
    Events e = events(out);
    QCOMPARE(e.data.size(), 1);
    QCOMPARE(textOf(e, 0), QStringLiteral("Hello there, write to "));
    // Half an event waits for its blank line, nothing more.
    const QByteArray next = chat(0, ".doe@example.com and");
    QCOMPARE(m.feed(QByteArrayView(next).first(30)), QByteArray());
    out = m.feed(QByteArrayView(next).sliced(30));
    QCOMPARE(textOf(events(out), 0), QStringLiteral("[EMAIL] "));
    out = m.feed(chat(0, " bye"));
    QCOMPARE(textOf(events(out), 0), QStringLiteral("and "));
}

void TestSseDeltaMasker::finishReasonFlushesIntoTheFinalChunk()
{
    SseDeltaMasker m(m_all);
    QByteArray out = m.feed(chat(0, "Hello wor"));
    out += m.feed(chat(0, "ld"));
    const QByteArray last = m.feed(chatFinish(0));
    // OpenAI's final chunk has an empty delta: the held text goes into it.
    QCOMPARE(last, QByteArray("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
                              "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"world\"},\"finish_reason\":\"stop\"}]}\n\n"));
    QCOMPARE(m.streams(), 0);
    QCOMPARE(m.feed(kDone), kDone);
    QCOMPARE(m.finish(), QByteArray());
    QCOMPARE(textOf(events(out + last), 0), QStringLiteral("Hello world"));

    // A final chunk that carries text itself, and one whose delta has other members.
    SseDeltaMasker n(m_all);
    out = n.feed(chat(0, "mail ada@exa"));
    out += n.feed(chat(0, "mple.com", "\"stop\""));
    QCOMPARE(textOf(events(out), 0), QStringLiteral("mail [EMAIL]"));
    SseDeltaMasker o(m_all);
    out = o.feed(chat(0, "to ada@exa"));
    out += o.feed("data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null},\"finish_reason\":\"length\"}]}\n\n");
    out += o.feed("data: {\"choices\":[{\"index\":1,\"delta\":{\"role\":\"assistant\"},\"finish_reason\":\"length\"}]}\n\n");
    const Events e = events(out);
    QVERIFY(e.ok);
    QCOMPARE(textOf(e, 0), QStringLiteral("to ada@exa")); // no TLD yet: not an address
    QCOMPARE(e.data.size(), 3);
}

void TestSseDeltaMasker::doneFlushesBeforeIt()
{
    SseDeltaMasker m(m_all);
    QByteArray out = m.feed(chat(0, "reach me at ada@example.org"));
    const QByteArray tail = m.feed(kDone);
    QVERIFY(tail.endsWith(kDone));
    const Events e = events(tail);
    QCOMPARE(e.data.size(), 1); // one synthesized chunk, before [DONE]
    QCOMPARE(e.data[0].value(QStringLiteral("id")).toString(), QStringLiteral("chatcmpl-1"));
    QCOMPARE(e.data[0].value(QStringLiteral("model")).toString(), QStringLiteral("m"));
    QCOMPARE(textOf(events(out + tail), 0), QStringLiteral("reach me at [EMAIL]"));
    QCOMPARE(m.finish(), QByteArray());
}

void TestSseDeltaMasker::endOfBodyFlushes()
{
    for (const QByteArray &last : {QByteArray("\n\n"), QByteArray("\n"), QByteArray()}) {
        SseDeltaMasker m(m_all);
        QByteArray body = chat(0, "x ") + chat(0, "ada@example.org");
        body.chop(2);
        body += last;
        const QByteArray out = run(m, body);
        const Events e = events(out);
        QVERIFY2(e.ok, out.constData());
        QCOMPARE(textOf(e, 0), QStringLiteral("x [EMAIL]"));
        QVERIFY(!out.contains("ada@"));
    }
}

void TestSseDeltaMasker::choicesAreStreamsOfTheirOwn()
{
    const QByteArray a = "one: john.doe@example.com!";
    const QByteArray b = "two: 4111 1111 1111 1111!";
    QByteArray body;
    for (qsizetype i = 0; i < std::max(a.size(), b.size()); i += 3) {
        if (i < a.size())
            body += chat(0, a.mid(i, 3));
        if (i < b.size())
            body += chat(1, b.mid(i, 3));
    }
    body += chatFinish(1) + chatFinish(0) + kDone;
    SseDeltaMasker m(m_all);
    const Events e = events(run(m, body));
    QVERIFY(e.ok);
    QCOMPARE(textOf(e, 0), QStringLiteral("one: [EMAIL]!"));
    QCOMPARE(textOf(e, 1), QStringLiteral("two: [CREDIT_CARD]!"));
}

void TestSseDeltaMasker::toolCallArguments()
{
    const QByteArray args = "{\"to\":\"john.doe@example.com\",\"n\":1}";
    QByteArray body = "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"tool_calls\":[{\"index\":0,"
                      "\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"send\",\"arguments\":\"\"}}]},\"finish_reason\":null}]}\n\n";
    for (qsizetype i = 0; i < args.size(); i += 4)
        body += "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":"
            + jsonString(QString::fromUtf8(args.mid(i, 4))) + "}}]},\"finish_reason\":null}]}\n\n";
    body += chatFinish(0, "\"tool_calls\"") + kDone;
    SseDeltaMasker m(m_all);
    const QByteArray out = run(m, body);
    const Events e = events(out);
    QVERIFY(e.ok);
    QCOMPARE(textOf(e, 0, "arguments"), QStringLiteral("{\"to\":\"[EMAIL]\",\"n\":1}"));
    QVERIFY(!out.contains("john.doe"));
    // The tool call's name and id are untouched.
    QVERIFY(out.contains("\"name\":\"send\""));
}

void TestSseDeltaMasker::anthropicBlocks()
{
    QByteArray body = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"content\":[]}}\n\n"
                      "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n";
    const QByteArray text0 = "Sure: ada.lovelace@example.com";
    for (qsizetype i = 0; i < text0.size(); i += 5)
        body += "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":"
            + jsonString(QString::fromUtf8(text0.mid(i, 5))) + "}}\n\n";
    body += "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n";
    const QByteArray json1 = "{\"card\":\"4111111111111111\"}";
    for (qsizetype i = 0; i < json1.size(); i += 6)
        body += "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\","
                "\"partial_json\":" + jsonString(QString::fromUtf8(json1.mid(i, 6))) + "}}\n\n";
    body += "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":1}\n\n"
            "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    SseDeltaMasker m(m_all);
    const QByteArray out = run(m, body);
    const Events e = events(out);
    QVERIFY(e.ok);
    QCOMPARE(anthropicText(e, 0), QStringLiteral("Sure: [EMAIL]"));
    QCOMPARE(anthropicText(e, 1, "partial_json"), QStringLiteral("{\"card\":\"[CREDIT_CARD]\"}"));
    // The held text comes in a content_block_delta of the block's own type just before its stop.
    const qsizetype stop0 = out.indexOf("content_block_stop");
    const qsizetype flush0 = out.lastIndexOf("\"text\":\"[EMAIL]\"", stop0);
    QVERIFY(flush0 > 0);
    QCOMPARE(m.streams(), 0);
    QVERIFY(out.contains("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\""));
}

void TestSseDeltaMasker::legacyCompletions()
{
    const QByteArray t = "contact: ada@example.org";
    QByteArray body;
    for (qsizetype i = 0; i < t.size(); i += 4)
        body += "data: {\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"choices\":[{\"text\":" + jsonString(QString::fromUtf8(t.mid(i, 4)))
            + ",\"index\":0,\"logprobs\":null,\"finish_reason\":null}]}\n\n";
    body += kDone;
    SseDeltaMasker m(m_all);
    const Events e = events(run(m, body));
    QVERIFY(e.ok);
    QCOMPARE(textOf(e, 0, "text"), QStringLiteral("contact: [EMAIL]"));
    QCOMPARE(e.data.constLast().value(QStringLiteral("object")).toString(), QStringLiteral("text_completion"));
}

void TestSseDeltaMasker::otherEventsAreMaskedPerEvent()
{
    const QByteArray body = "data: mail a@b.io\n\n: comment 10.0.0.1\n\nevent: x\ndata: {\"other\":\"a@b.io\",\"n\":123-45-6789}\n\n"
                            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi a@b.io!\"},\"logprobs\":{\"t\":\"a@b.io\"}}]}\n\n"
                            "id: 7\ndata: {\"a\":1}\ndata: {\"b\":\"x@y.io\"}\n\n";
    StreamingMasker sse(m_all, [] {
        StreamingMasker::Options o;
        o.mode = StreamingMasker::Mode::Sse;
        return o;
    }());
    const QByteArray perEvent = sse.feed(body) + sse.finish();
    SseDeltaMasker m(m_all);
    const QByteArray out = run(m, body);
    QCOMPARE(out, perEvent);
    QVERIFY(!out.contains("a@b.io") && !out.contains("x@y.io"));
}

void TestSseDeltaMasker::lineEndsAndSplitReads_data()
{
    QTest::addColumn<QByteArray>("eol");
    QTest::newRow("CRLF") << QByteArray("\r\n");
    QTest::newRow("CR") << QByteArray("\r");
    QTest::newRow("LF") << QByteArray("\n");
}

void TestSseDeltaMasker::lineEndsAndSplitReads()
{
    QFETCH(QByteArray, eol);
    const QByteArray body = chat(0, "a: ada@exa", "null", eol) + ": keep-alive" + eol + eol + chat(0, "mple.org!", "null", eol)
        + "data: [DONE]" + eol + eol;
    QByteArray expected;
    for (qsizetype k = 0; k <= body.size(); ++k) {
        for (qsizetype k2 = k; k2 <= std::min(body.size(), k + 3); ++k2) {
            SseDeltaMasker m(m_all);
            const QByteArray out = run(m, body, {k, k2});
            if (expected.isEmpty())
                expected = out;
            if (out != expected)
                QFAIL(qPrintable(QStringLiteral("reads at %1, %2:\n%3").arg(k).arg(k2).arg(QString::fromUtf8(out))));
        }
    }
    QByteArray lf = expected;
    lf.replace(eol, "\n");
    QCOMPARE(textOf(events(lf), 0), QStringLiteral("a: [EMAIL]!"));
    QVERIFY(expected.contains(QByteArray(eol + eol + "data: [DONE]")));
    const QByteArray blank = eol + eol;
    QCOMPARE(expected.count(blank), body.count(blank));
}

void TestSseDeltaMasker::badInputFailsClosed_data()
{
    QTest::addColumn<QByteArray>("body");
    QByteArray deep = "data: ";
    for (int i = 0; i < 5000; ++i)
        deep += "{\"choices\":[";
    deep += "\"a@b.io\"\n\n";
    QByteArray garbage;
    for (int i = 0; i < 4096; ++i)
        garbage += char((i * 7919) % 256);
    QTest::newRow("invalid JSON") << QByteArray("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a@b.io\"}\n\n" + kDone);
    QTest::newRow("deep nesting") << deep;
    QTest::newRow("huge index") << QByteArray("data: {\"choices\":[{\"index\":99999999999999999999,\"delta\":{\"content\":\"a@b.io\"}}]}\n\n");
    QTest::newRow("negative index") << QByteArray("data: {\"choices\":[{\"index\":-1,\"delta\":{\"content\":\"a@b.io\"}}]}\n\n");
    QTest::newRow("string index") << QByteArray("data: {\"type\":\"content_block_delta\",\"index\":\"0\",\"delta\":{\"text\":\"a@b.io\"}}\n\n");
    QTest::newRow("fractional index") << QByteArray("data: {\"choices\":[{\"index\":0.5,\"delta\":{\"content\":\"a@b.io\"}}]}\n\n");
    QTest::newRow("binary garbage") << QByteArray(garbage + "\n\ndata: a@b.io\n\n" + garbage);
    QTest::newRow("garbage in a JSON string") << QByteArray("data: {\"choices\":[{\"delta\":{\"content\":\"\\ud800 a@b.io\"}}]}\n\n");
    QTest::newRow("Responses API string output_index")
        << responsesEvent("response.output_text.delta", "\"output_index\":\"0\",\"content_index\":0,\"delta\":\"a@b.io\"");
    QTest::newRow("Responses API invalid JSON") << QByteArray(responsesDelta(0, 0, "x", 1) + "data: {\"type\":\"response.output_text.delta\","
                                                             "\"output_index\":0,\"content_index\":0,\"delta\":\"a@b.io\"\n\n");
    QTest::newRow("Gemini string index") << gemini("{\"content\":{\"parts\":[{\"text\":\"a@b.io\"}]},\"index\":\"1\"}");
    QTest::newRow("bad UTF-8 in content") << QByteArray("data: {\"choices\":[{\"delta\":{\"content\":\"\xff\xc3 a@b.io \xe2\x82\"}}]}\n\n");
}

void TestSseDeltaMasker::badInputFailsClosed()
{
    QFETCH(QByteArray, body);
    for (qsizetype read : {qsizetype(1), qsizetype(7), body.size()}) {
        QList<qsizetype> cuts;
        for (qsizetype at = read; at < body.size(); at += read)
            cuts.append(at);
        SseDeltaMasker m(m_all);
        const QByteArray out = run(m, body, cuts);
        QVERIFY2(!out.contains("a@b.io"), out.left(400).constData());
        QVERIFY(out.contains("[EMAIL]"));
    }
}

// A stream the masker cannot keep would let a value split across its events pass: the response is
// broken off instead, with an error event, and nothing after it is sent.
void TestSseDeltaMasker::tooManyStreamsFailClosed()
{
    SseDeltaMasker::Options o;
    o.maxStreams = 4;
    SseDeltaMasker m(m_all, o);
    QByteArray out;
    for (int i = 0; i < 4; ++i)
        out += m.feed(chat(i, "id " + QByteArray::number(i) + " ada@exa"));
    QCOMPARE(m.streams(), 4);
    QVERIFY(!m.failedClosed());
    // An empty piece needs no stream: nothing of it can leak.
    out += m.feed(chat(7, ""));
    QVERIFY(!m.failedClosed());
    const qsizetype before = out.size();
    out += m.feed(QByteArray(chat(4, "id 4 ada@exa") + chat(0, "mple.com ")));
    QVERIFY(m.failedClosed());
    QCOMPARE(m.streams(), 0);
    const QByteArray tail = out.mid(before);
    // What the tracked streams held is sent (masked, nothing here is a value yet), then the error.
    const Events e = events(tail);
    QVERIFY(e.ok);
    QCOMPARE(e.data.size(), 5);
    for (int i = 0; i < 4; ++i)
        QCOMPARE(textOf(e, i), QStringLiteral("ada@exa"));
    QVERIFY(tail.endsWith("\n\n"));
    QVERIFY(tail.contains("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"gatehouse_unmaskable_stream\""));
    QCOMPARE(e.data.last().value(QStringLiteral("error")).toObject().value(QStringLiteral("type")).toString(),
             QStringLiteral("gatehouse_unmaskable_stream"));
    // The untracked choice's piece never went out, nor did anything after it.
    QVERIFY(!out.contains("id 4") && !out.contains("mple.com"));
    QCOMPARE(m.feed(QByteArray(chat(4, "mple.com ") + kDone)), QByteArray());
    QCOMPARE(m.finish(), QByteArray());
    QCOMPARE(m.bytesOut(), out.size());

    // The default limit is far above what an LLM streams: OpenAI's n goes up to 128.
    SseDeltaMasker wide(m_all);
    QByteArray body;
    for (int i = 0; i < 128; ++i)
        body += chat(i, "mail ada@exa");
    for (int i = 0; i < 128; ++i)
        body += chat(i, "mple.com");
    body += kDone;
    const Events w = events(run(wide, body));
    QVERIFY(!wide.failedClosed());
    QCOMPARE(textOf(w, 127), QStringLiteral("mail [EMAIL]"));
}

// More choices (or tool calls, candidates, parts) in one event than the masker reads: with text in
// one past the bound the response fails closed; without, nothing happens.
void TestSseDeltaMasker::tooManyInOneEventFailClosed()
{
    auto choices = [](int n, const QByteArray &content) -> QByteArray {
        QByteArray ev = "data: {\"choices\":[";
        for (int i = 0; i < n; ++i)
            ev += (i ? "," : "") + QByteArray("{\"index\":") + QByteArray::number(i) + ",\"delta\":{\"content\":\"" + content
                + "\"},\"finish_reason\":null}";
        return ev + "]}\n\n";
    };
    {
        SseDeltaMasker m(m_all);
        const QByteArray out = run(m, QByteArray(choices(20, "") + choices(16, "hi ") + kDone));
        QVERIFY(!m.failedClosed());
        QVERIFY(out.endsWith(kDone));
    }
    {
        SseDeltaMasker m(m_all);
        const QByteArray out = run(m, QByteArray(choices(2, "hi ") + choices(17, "ada@exa") + choices(17, "mple.com") + kDone));
        QVERIFY(m.failedClosed());
        QVERIFY(!out.contains("ada@exa") && !out.contains("[DONE]"));
        QVERIFY(out.contains("gatehouse_unmaskable_stream"));
    }
    {
        QByteArray parts;
        for (int i = 0; i < 17; ++i)
            parts += (i ? "," : "") + geminiPart("p" + QByteArray::number(i) + " ");
        SseDeltaMasker m(m_all);
        const QByteArray out = run(m, gemini(geminiCandidate(0, parts)));
        QVERIFY(m.failedClosed());
        QVERIFY(!out.contains("p16"));
    }
}

void TestSseDeltaMasker::responsesValueSplitAcrossDeltas_data()
{
    valueRows();
}

// The Responses API's output_text.delta: two deltas split at every offset of the text, the body
// read in two pieces split at many offsets (every one inside the two delta events for a third of
// the text splits, every 11th elsewhere); the deltas, the .done text and the whole texts in the
// later events all come out masked, and no event is lost.
void TestSseDeltaMasker::responsesValueSplitAcrossDeltas()
{
    QFETCH(QByteArray, text);
    QFETCH(QByteArray, value);
    const QString expected = QString::fromUtf8(m_all->maskBuffer(text).data);
    QVERIFY(!expected.contains(QString::fromUtf8(value)));
    for (qsizetype p = 1; p < text.size(); ++p) {
        const QByteArray body = responsesBody({text.left(p), text.mid(p)});
        const qsizetype deltasBegin = body.indexOf("event: response.output_text.delta");
        const qsizetype deltasEnd = body.indexOf("event: response.output_text.done");
        QVERIFY(deltasBegin > 0 && deltasEnd > deltasBegin);
        for (qsizetype k = 0; k <= body.size(); k += (p % 3 == 0 && k >= deltasBegin && k < deltasEnd ? 1 : 11)) {
            SseDeltaMasker m(m_all);
            const QByteArray out = run(m, body, {k});
            const Events e = events(out);
            const qsizetype done = eventOf(e, QStringLiteral("response.output_text.done"));
            const bool ok = e.ok && responsesText(e, 0) == expected && done > 0
                && e.data[done].value(QStringLiteral("text")).toString() == expected && !out.contains(value) && m.streams() == 0
                && (e.data.size() == 9 || e.data.size() == 10); // 9 events, and a flush before .done when text was held
            if (!ok)
                QFAIL(qPrintable(QStringLiteral("text split at %1, read at %2:\n%3").arg(p).arg(k).arg(QString::fromUtf8(out))));
        }
    }
}

void TestSseDeltaMasker::responsesValueSplitIntoManyDeltas()
{
    const QByteArray text = "Hi! Mail ada.lovelace@example.com or call (555) 123-4567, card 5500-0000-0000-0004; ip 10.1.2.3.";
    const QString expected = QString::fromUtf8(m_all->maskBuffer(text).data);
    for (qsizetype size = 1; size <= 9; ++size) {
        QList<QByteArray> pieces;
        for (qsizetype at = 0; at < text.size(); at += size)
            pieces.append(text.mid(at, size));
        const QByteArray body = responsesBody(pieces);
        for (qsizetype read = 1; read <= 13; read += 3) {
            QList<qsizetype> cuts;
            for (qsizetype at = read; at < body.size(); at += read)
                cuts.append(at);
            SseDeltaMasker m(m_all);
            const QByteArray out = run(m, body, cuts);
            const Events e = events(out);
            QVERIFY(e.ok);
            QCOMPARE(responsesText(e, 0), expected);
            QVERIFY(!out.contains("ada.lovelace") && !out.contains("123-4567") && !out.contains("5500"));
            // Sequence numbers never go down.
            for (qsizetype i = 1; i < e.data.size(); ++i)
                QVERIFY(e.data[i].value(QStringLiteral("sequence_number")).toInt() >= e.data[i - 1].value(QStringLiteral("sequence_number")).toInt());
        }
    }
}

void TestSseDeltaMasker::responsesFlushPoints()
{
    // Before its .done: a delta event of the same shape, repeating the latest delta's number.
    {
        SseDeltaMasker m(m_all);
        const QByteArray out = run(m, responsesBody({"Mail ada@exa", "mple.com"}));
        const Events e = events(out);
        QVERIFY(e.ok);
        const qsizetype done = eventOf(e, QStringLiteral("response.output_text.done"));
        QVERIFY(done >= 2);
        const QJsonObject flush = e.data[done - 1];
        QCOMPARE(flush.value(QStringLiteral("type")).toString(), QStringLiteral("response.output_text.delta"));
        QCOMPARE(flush.value(QStringLiteral("delta")).toString(), QStringLiteral("[EMAIL]"));
        QCOMPARE(flush.value(QStringLiteral("item_id")).toString(), QStringLiteral("item_0"));
        QCOMPARE(flush.value(QStringLiteral("output_index")).toInt(-1), 0);
        QCOMPARE(flush.value(QStringLiteral("content_index")).toInt(-1), 0);
        QVERIFY(flush.value(QStringLiteral("logprobs")).isArray());
        QCOMPARE(flush.value(QStringLiteral("sequence_number")).toInt(), e.data[done - 2].value(QStringLiteral("sequence_number")).toInt());
        QVERIFY(out.contains("event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"item_id\":\"item_0\""));
        QCOMPARE(responsesText(e, 0), QStringLiteral("Mail [EMAIL]"));
        QCOMPARE(e.data[done].value(QStringLiteral("text")).toString(), QStringLiteral("Mail [EMAIL]"));
    }
    // No .done: the next of content_part.done, output_item.done, response.completed (or
    // .incomplete, .failed), [DONE], the end of the body.
    const QList<QByteArray> enders{
        responsesEvent("response.content_part.done", "\"output_index\":3,\"content_index\":1,\"part\":{}"),
        responsesEvent("response.output_item.done", "\"output_index\":3,\"item\":{}"),
        responsesEvent("response.completed", "\"response\":{}"),
        responsesEvent("response.incomplete", "\"response\":{}"),
        responsesEvent("response.failed", "\"response\":{}"),
        kDone,
        QByteArray(),
    };
    for (const QByteArray &ender : enders) {
        SseDeltaMasker m(m_all);
        QByteArray out = m.feed(responsesDelta(3, 1, "to ada@example.", 7));
        // Another output's end, another content part's end: not this stream's.
        out += m.feed(responsesEvent("response.content_part.done", "\"output_index\":3,\"content_index\":0,\"part\":{}"));
        out += m.feed(responsesEvent("response.output_item.done", "\"output_index\":2,\"item\":{}"));
        QVERIFY(!out.contains("example"));
        out += m.feed(responsesDelta(3, 1, "org", 8));
        out += m.feed(ender);
        out += m.finish();
        const Events e = events(out);
        QVERIFY2(e.ok, out.constData());
        QCOMPARE(responsesText(e, 3, 1), QStringLiteral("to [EMAIL]"));
        QCOMPARE(m.streams(), 0);
        if (!ender.isEmpty())
            QVERIFY2(out.indexOf("\"delta\":\"[EMAIL]\"") < out.indexOf(ender), out.constData());
    }
}

// Texts of several outputs, content parts, a function call and reasoning summaries, interleaved.
void TestSseDeltaMasker::responsesInterleavedStreams()
{
    const QByteArray t00 = "first: ada.lovelace@example.com!";
    const QByteArray t01 = "second: 4111 1111 1111 1111!";
    const QByteArray args = "{\"to\":\"grace@navy.mil\",\"ssn\":\"123-45-6789\"}";
    const QByteArray s0 = "Thinking of bob@example.net";
    const QByteArray s1 = "then of 10.1.2.3 ok";
    QByteArray body;
    int seq = 0;
    for (qsizetype i = 0; i < 48; i += 3) {
        if (i < t00.size()) body += responsesDelta(0, 0, t00.mid(i, 3), seq++);
        if (i < args.size()) body += responsesDelta(1, 0, args.mid(i, 3), seq++, "response.function_call_arguments.delta");
        if (i < t01.size()) body += responsesDelta(0, 1, t01.mid(i, 3), seq++);
        if (i < s0.size()) body += responsesDelta(2, 0, s0.mid(i, 3), seq++, "response.reasoning_summary_text.delta");
        if (i < s1.size()) body += responsesDelta(2, 1, s1.mid(i, 3), seq++, "response.reasoning_summary_text.delta");
    }
    body += responsesDone(1, 0, args, seq++, "response.function_call_arguments.done", "arguments");
    body += responsesDone(2, 0, s0, seq++, "response.reasoning_summary_text.done");
    body += responsesDone(0, 1, t01, seq++);
    body += responsesDone(0, 0, t00, seq++);
    body += responsesEvent("response.completed", "\"response\":{}");
    SseDeltaMasker m(m_all);
    const QByteArray out = run(m, body);
    const Events e = events(out);
    QVERIFY(e.ok);
    QCOMPARE(responsesText(e, 0, 0), QStringLiteral("first: [EMAIL]!"));
    QCOMPARE(responsesText(e, 0, 1), QStringLiteral("second: [CREDIT_CARD]!"));
    QCOMPARE(responsesText(e, 1, 0, QStringLiteral("response.function_call_arguments.delta")),
             QStringLiteral("{\"to\":\"[EMAIL]\",\"ssn\":\"[US_SSN]\"}"));
    QCOMPARE(responsesText(e, 2, 0, QStringLiteral("response.reasoning_summary_text.delta")), QStringLiteral("Thinking of [EMAIL]"));
    QCOMPARE(responsesText(e, 2, 1, QStringLiteral("response.reasoning_summary_text.delta")), QStringLiteral("then of [IPV4] ok"));
    // The function call's held text went out just before its own .done, the summary's before its own.
    const qsizetype argsDone = eventOf(e, QStringLiteral("response.function_call_arguments.done"));
    QCOMPARE(e.data[argsDone - 1].value(QStringLiteral("type")).toString(), QStringLiteral("response.function_call_arguments.delta"));
    QCOMPARE(e.data[argsDone - 1].value(QStringLiteral("item_id")).toString(), QStringLiteral("item_1"));
    QVERIFY(!e.data[argsDone - 1].contains(QStringLiteral("content_index")));
    const qsizetype summaryDone = eventOf(e, QStringLiteral("response.reasoning_summary_text.done"));
    QCOMPARE(e.data[summaryDone - 1].value(QStringLiteral("summary_index")).toInt(-1), 0);
    QCOMPARE(m.streams(), 0);
    for (const char *piece : {"lovelace", "4111", "grace", "6789", "bob@", "10.1.2"})
        QVERIFY2(!out.contains(piece), piece);
}

void TestSseDeltaMasker::responsesDoneTextEqualsTheDeltas_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QByteArrayView>("type");
    QTest::addColumn<QByteArray>("field");
    // A value right after an escape: masking the raw JSON would see "nada@..." after "\n".
    const QByteArray escapes = "say \"hi\"\nada@example.org\tand \\ ünï\n4111 1111 1111 1111\r\nend";
    QTest::newRow("text") << escapes << QByteArrayView("response.output_text") << QByteArray("text");
    QTest::newRow("refusal") << QByteArray("no: call (555) 123-4567 or ada@example.org") << QByteArrayView("response.refusal") << QByteArray("refusal");
    QTest::newRow("arguments") << QByteArray("{\"a\":\"x\\nada@example.org\",\"b\":\"123-45-6789\"}")
                               << QByteArrayView("response.function_call_arguments") << QByteArray("arguments");
    QTest::newRow("reasoning summary") << escapes << QByteArrayView("response.reasoning_summary_text") << QByteArray("text");
    QTest::newRow("nothing to mask") << QByteArray("plain \"words\" only\n") << QByteArrayView("response.output_text") << QByteArray("text");
}

// A .done event carries the whole text; it is masked as one string, so what it says equals what
// the deltas delivered (StreamingMasker's output is maskBuffer() of the whole text).
void TestSseDeltaMasker::responsesDoneTextEqualsTheDeltas()
{
    QFETCH(QByteArray, text);
    QFETCH(QByteArrayView, type);
    QFETCH(QByteArray, field);
    const QString delta = QString::fromLatin1(type.toByteArray() + ".delta");
    const QString expected = QString::fromUtf8(m_all->maskBuffer(text).data);
    const int second = field == "arguments" ? 0 : 2; // a function call has no second index
    const QString chars = QString::fromUtf8(text);
    for (qsizetype size = 1; size <= 7; size += 2) {
        QByteArray body;
        int seq = 0;
        for (qsizetype at = 0; at < chars.size(); at += size) // whole characters, as the API sends them
            body += responsesDelta(4, second, chars.mid(at, size).toUtf8(), seq++, delta.toLatin1());
        const QByteArray done = responsesDone(4, second, text, seq++, QByteArray(type.toByteArray() + ".done"), field.constData());
        body += done;
        SseDeltaMasker m(m_all);
        const QByteArray out = run(m, body);
        const Events e = events(out);
        QVERIFY(e.ok);
        const QJsonObject last = e.data.constLast();
        QCOMPARE(last.value(QStringLiteral("type")).toString(), QString::fromLatin1(type.toByteArray() + ".done"));
        QCOMPARE(responsesText(e, 4, second, delta), expected);
        QCOMPARE(last.value(QString::fromLatin1(field)).toString(), expected);
        if (expected == QString::fromUtf8(text)) // unchanged: the upstream's own bytes
            QVERIFY(out.endsWith(done));
    }
}

void TestSseDeltaMasker::geminiValueSplitAcrossChunks_data()
{
    valueRows();
}

void TestSseDeltaMasker::geminiValueSplitAcrossChunks()
{
    QFETCH(QByteArray, text);
    QFETCH(QByteArray, value);
    const QString expected = QString::fromUtf8(m_all->maskBuffer(text).data);
    for (qsizetype p = 1; p < text.size(); ++p) {
        // The last chunk carries finishReason and the rest of the text: the held text goes into it.
        const QByteArray body = gemini(0, text.left(p)) + gemini(0, text.mid(p), "STOP");
        for (qsizetype k = 0; k <= body.size(); k += (p % 3 == 0 ? 1 : 7)) {
            SseDeltaMasker m(m_all);
            const QByteArray out = run(m, body, {k});
            const Events e = events(out);
            if (!e.ok || geminiText(e, 0) != expected || out.contains(value) || m.streams() != 0 || e.data.size() != 2
                || !out.endsWith("\"modelVersion\":\"gemini-2.0-flash\",\"responseId\":\"r1\"}\r\n\r\n"))
                QFAIL(qPrintable(QStringLiteral("text split at %1, read at %2:\n%3").arg(p).arg(k).arg(QString::fromUtf8(out))));
        }
    }
}

void TestSseDeltaMasker::geminiCandidatesAndThoughts()
{
    // Two candidates in the same chunks, a thought part beside the answer, parts restarting at 0.
    const QByteArray a = "one: john.doe@example.com";
    const QByteArray b = "two: 4111 1111 1111 1111";
    const QByteArray thought = "maybe ada@example.org";
    QByteArray body;
    for (qsizetype i = 0; i < a.size(); i += 4) {
        const QByteArray first = (i < thought.size() ? geminiPart(thought.mid(i, 4), true) + "," : QByteArray()) + geminiPart(a.mid(i, 4));
        body += gemini(geminiCandidate(0, first) + "," + geminiCandidate(1, geminiPart(b.mid(i, 4))));
    }
    // Candidate 1 finishes with no part of its own: its held text comes in a chunk just before.
    body += gemini(geminiCandidate(1, QByteArray(), "STOP"));
    body += gemini(0, " bye", "STOP");
    SseDeltaMasker m(m_all);
    const QByteArray out = run(m, body);
    const Events e = events(out);
    QVERIFY(e.ok);
    QCOMPARE(geminiText(e, 0), QStringLiteral("one: [EMAIL] bye"));
    QCOMPARE(geminiText(e, 0, true), QStringLiteral("maybe [EMAIL]"));
    QCOMPARE(geminiText(e, 1), QStringLiteral("two: [CREDIT_CARD]"));
    QCOMPARE(m.streams(), 0);
    // Two synthesized chunks: candidate 1's text before its finishReason, and candidate 0's thought
    // before its (the finishing chunk has no thought part); candidate 0's answer went into that chunk.
    QCOMPARE(e.data.size(), int((a.size() + 3) / 4) + 4);
    const qsizetype finish0 = out.indexOf("\"finishReason\":\"STOP\"}]");
    QVERIFY(finish0 > 0);
    QVERIFY(out.lastIndexOf("\"text\":\"[EMAIL] bye\"}", finish0) > out.lastIndexOf("\r\n\r\n", finish0));
    const qsizetype finish1 = out.indexOf("\"finishReason\":\"STOP\",\"index\":1");
    QVERIFY(out.lastIndexOf("[CREDIT_CARD]", finish1) > 0);
    for (const char *piece : {"john", "4111", "ada@"})
        QVERIFY2(!out.contains(piece), piece);

    // No finishReason at all: flushed at the end of the body, in Gemini's shape.
    SseDeltaMasker n(m_all);
    const QByteArray cut = run(n, QByteArray(gemini(2, "mail ada@example.") + gemini(2, "org")));
    const Events f = events(cut);
    QVERIFY(f.ok);
    QCOMPARE(geminiText(f, 2), QStringLiteral("mail [EMAIL]"));
    QCOMPARE(f.data.constLast().value(QStringLiteral("responseId")).toString(), QStringLiteral("r1"));
}

void TestSseDeltaMasker::overlongEventFallsBackToTheWindow()
{
    SseDeltaMasker::Options o;
    o.sseEventBound = 1024;
    o.window = 64;
    SseDeltaMasker m(m_all, o);
    const QByteArray big = chat(0, QByteArray("x a@b.io y ").repeated(300));
    QByteArray out = m.feed(chat(0, "before ada@exa"));
    qsizetype emittedBeforeEnd = 0;
    for (qsizetype at = 0; at < big.size(); at += 100) {
        out += m.feed(QByteArrayView(big).sliced(at, std::min<qsizetype>(100, big.size() - at)));
        if (at + 100 < big.size())
            emittedBeforeEnd = out.size();
    }
    QVERIFY(emittedBeforeEnd > 200); // bounded: the event did not wait whole
    out += m.feed(chat(0, "mple.com after"));
    out += m.feed(kDone);
    out += m.finish();
    QVERIFY(!out.contains("a@b.io"));
    QVERIFY(!out.contains("ada@"));
    const Events e = events(out);
    QVERIFY(e.ok);
    // The overlong event is not part of the stream (it is not parsed): the held "ada@exa" waits
    // for the rest of its address rather than going out unmasked before it.
    QVERIFY(textOf(e, 0).startsWith(QStringLiteral("before x [EMAIL] y")));
    QVERIFY(textOf(e, 0).endsWith(QStringLiteral("y [EMAIL] after")));
}

void TestSseDeltaMasker::nothingToMaskIsByteIdentical()
{
    // Pieces ending where no match can be open, other events, comments, CRLF: passed byte for byte.
    const QByteArray body = ": hello\n\n" + chat(0, "Hello,") + chat(0, " world!") + chat(0, " How are you?\n")
        + "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\" caf\\u00e9 \\\"ok\\\"\\/\"}}]}\n\n"
        + "event: ping\r\ndata: {\"a\": [1, 2.5e3, true, null, \"\\u00e9\"]}\r\n\r\n" + chatFinish(0) + kDone;
    for (qsizetype k = 0; k <= body.size(); ++k) {
        SseDeltaMasker m(m_all);
        const QByteArray out = run(m, body, {k});
        if (out != body)
            QFAIL(qPrintable(QStringLiteral("read at %1:\n%2").arg(k).arg(QString::fromUtf8(out))));
        QVERIFY(m.summary().isEmpty());
    }
    // Text held to the next piece moves, but arrives whole and as it was.
    SseDeltaMasker m(m_all);
    const QByteArray words = chat(0, "chunk-0") + chat(0, " chunk-1") + chat(0, " é ünï") + chatFinish(0) + kDone;
    const QByteArray out = run(m, words);
    const Events e = events(out);
    QVERIFY(e.ok);
    QCOMPARE(e.data.size(), 4);
    QCOMPARE(textOf(e, 0), QString::fromUtf8("chunk-0 chunk-1 é ünï"));
}

void TestSseDeltaMasker::summaryPointsAtReplacementsInTheOutput()
{
    QByteArray body = "data: {\"note\":\"ip 10.0.0.1\"}\n\n";
    const QByteArray t = "a ada@example.org b 123-45-6789 c ada@example.org d";
    for (qsizetype i = 0; i < t.size(); i += 4)
        body += chat(0, t.mid(i, 4));
    body += chatFinish(0) + kDone;
    SseDeltaMasker m(m_all);
    const QByteArray out = run(m, body);
    QCOMPARE(m.bytesOut(), out.size());
    qint64 count = 0;
    for (const gh::MaskSummary &s : m.summary()) {
        count += s.count;
        const QByteArray replace = s.detector == u"email" ? "[EMAIL]" : s.detector == u"us_ssn" ? "[US_SSN]" : "[IPV4]";
        for (const auto &[offset, length] : s.ranges)
            QCOMPARE(out.mid(offset, length), replace);
    }
    QCOMPARE(count, 4);
}

void TestSseDeltaMasker::customPatternHoldsTheWindow()
{
    auto plan = compileOrFail({detectorRule(QStringLiteral("email")), patternRule(QStringLiteral("emp"), QStringLiteral("EMP-[0-9]{6}"), QStringLiteral("[EMP]"))});
    QVERIFY(plan);
    const QByteArray t = "staff EMP-123456 at ada@example.org ok";
    QByteArray body;
    for (qsizetype i = 0; i < t.size(); i += 3)
        body += chat(0, t.mid(i, 3));
    body += chatFinish(0) + kDone;
    SseDeltaMasker m(plan);
    const Events e = events(run(m, body));
    QVERIFY(e.ok);
    QCOMPARE(textOf(e, 0), QStringLiteral("staff [EMP] at [EMAIL] ok"));
}

// Streams damaged at random (bytes flipped, cut, doubled; quotes, brackets, backslashes and huge
// numbers thrown in) and read in random pieces: under the sanitizers this finds what the hand-made
// bad inputs miss. Whatever comes in, a value whole inside one event's text never goes out.
void TestSseDeltaMasker::randomDamageNeverBreaksIt()
{
    const QByteArray anthropic =
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
        "{\"type\":\"text_delta\",\"text\":\"mail ada@exa\"}}\n\n"
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
        "{\"type\":\"text_delta\",\"text\":\"mple.com now\"}}\n\n"
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n";
    const QList<QByteArray> seeds{
        chat(0, "Write to john.") + chat(0, "doe@example.com") + chat(1, "card 4111 1111 ") + chat(1, "1111 1111")
            + chatFinish(0) + chatFinish(1) + kDone,
        anthropic,
        chat(0, "x", "null", "\r\n") + chat(0, "whole bob@example.net inside") + kDone,
        responsesBody({"Mail ada@exa", "mple.com and whole bob@example.net inside", " now"})
            + responsesDelta(1, 0, "{\"a\":\"x@", 20, "response.function_call_arguments.delta")
            + responsesDone(1, 0, "{\"a\":\"x@", 21, "response.function_call_arguments.done", "arguments"),
        gemini(geminiCandidate(0, geminiPart("think", true) + "," + geminiPart("mail ada@exa")) + "," + geminiCandidate(1, geminiPart("x")))
            + gemini(0, "mple.com whole bob@example.net inside") + gemini(1, " y", "STOP") + gemini(0, "", "STOP"),
    };
    const QList<QByteArray> junk{"\"", "\\", "{", "}", "[", "]", ":", ",", "\n\n", "\r", "99999999999999999999",
                                 "-1", "\\u00", "\\ud800", "\xc3", "\xff", "null", "[DONE]", "data: ", "index"};
    QRandomGenerator r(20261202);
    for (int round = 0; round < 3000; ++round) {
        QByteArray body = seeds.at(r.bounded(int(seeds.size())));
        const int damages = r.bounded(1, 6);
        for (int d = 0; d < damages && !body.isEmpty(); ++d) {
            const qsizetype at = r.bounded(int(body.size()));
            switch (r.bounded(5)) {
            case 0: body[at] = char(r.bounded(256)); break;
            case 1: body.remove(at, r.bounded(1, 16)); break;
            case 2: body.insert(at, junk.at(r.bounded(int(junk.size())))); break;
            case 3: body.insert(at, body.mid(at, r.bounded(1, 64))); break;
            default: body.truncate(at); break;
            }
        }
        QList<qsizetype> cuts;
        for (qsizetype at = r.bounded(1, 40); at < body.size(); at += r.bounded(1, 40))
            cuts.append(at);
        SseDeltaMasker m(m_all);
        const QByteArray out = run(m, body, cuts);
        QCOMPARE(m.streams(), 0);   // every stream flushed at the end
        // Damage next to a value can make it no value at all ("bob@example.netinish_reason"); one
        // whose own words came through intact is masked, whatever happened around it.
        if (body.contains("\"whole bob@example.net inside\""))
            QVERIFY2(!out.contains("bob@example.net inside"), body.toPercentEncoding(" {}:,\"[]").constData());
    }
}

// Outside the tracked fields an event's JSON is masked as decoded strings too: a value right after
// an escape does not take the escape's letter with it (an invalid escape), and one spelled with
// \u escapes is seen. Qt's parser accepts "\[" (it drops the backslash), so the bytes are compared.
void TestSseDeltaMasker::jsonOutsideTheDeltasIsMaskedDecoded()
{
    const QByteArray body = "event: note\ndata: {\"note\":\"Contact:\\nada@example.org\",\"alt\":\"a\\u0040example.org\","
                            "\"k\\tb@c.io\":[4111111111111111,{\"q\":\"\\\"x@y.io\\\"\"}]}\n\n"
        + chat(0, "mail ") + chat(0, "ada@example.org\\n") // tracked: masked as one text, as before
        + "data: {\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":{\"t\":\"\\tada@example.org\"},\"finish_reason\":\"stop\"}]}\n\n"
        + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
          "\"text\":\"hi\"},\"meta\":\"\\u0061da@example.org\"}\n\n"
        + kDone;
    for (qsizetype k = 0; k <= body.size(); k += 5) {
        SseDeltaMasker m(m_all);
        const QByteArray out = run(m, body, {k});
        QVERIFY2(out.startsWith("event: note\ndata: {\"note\":\"Contact:\\n[EMAIL]\",\"alt\":\"[EMAIL]\","
                                "\"k\\t[EMAIL]\":[\"[CREDIT_CARD]\",{\"q\":\"\\\"[EMAIL]\\\"\"}]}\n\n"),
                 out.constData());
        QVERIFY2(out.contains("\"logprobs\":{\"t\":\"\\t[EMAIL]\"}"), out.constData());
        QVERIFY2(out.contains("\"meta\":\"[EMAIL]\""), out.constData());
        QVERIFY(!out.contains("\\[") && !out.contains("example.org") && !out.contains("u0040"));
        const Events e = events(out);
        QVERIFY2(e.ok, out.constData());
        QCOMPARE(textOf(e, 0), u"mail [EMAIL]\\n"_qs);
        QCOMPARE(anthropicText(e, 0), u"hi"_qs);
        // Every recorded range is a replacement in the output.
        qint64 count = 0;
        for (const gh::MaskSummary &s : m.summary()) {
            count += s.count;
            for (const auto &[offset, length] : s.ranges)
                QVERIFY2(out.mid(offset, length).startsWith('[') || out.mid(offset, length).startsWith("\"["),
                         out.mid(offset, length).constData());
        }
        QCOMPARE(count, 8);
    }
}

// An event that is not one JSON object stays masked raw, as StreamingMasker's Sse mode masks it.
void TestSseDeltaMasker::nonJsonEventsStayRaw()
{
    const QByteArray body = "data: x\\nada@example.org\n\n"
                            "data: {\"a\":\"x\\nada@example.org\",}\n\n"
                            "data: {\"a\":1}\ndata: {\"b\":\"x\\nada@example.org\"}\n\n";
    StreamingMasker sse(m_all, [] {
        StreamingMasker::Options o;
        o.mode = StreamingMasker::Mode::Sse;
        return o;
    }());
    SseDeltaMasker m(m_all);
    const QByteArray out = run(m, body);
    QCOMPARE(out, sse.feed(body) + sse.finish());
    QCOMPARE(out.count("\\[EMAIL]"), 3);
}

// A custom pattern across the JSON syntax still applies to the event's raw text; inside strings
// only the decoded text counts.
void TestSseDeltaMasker::customPatternAcrossJsonSyntax()
{
    auto plan = compileOrFail({detectorRule(QStringLiteral("email")),
                               patternRule(u"pw"_qs, u"\"password\":\"[^\"]*\""_qs, u"\"password\":\"***\""_qs)});
    QVERIFY(plan);
    SseDeltaMasker m(plan);
    const QByteArray out = run(m, "data: {\"password\":\"hunter2\",\"m\":\"x\\nada@example.org\"}\n\n");
    QCOMPARE(out, QByteArray("data: {\"password\":\"***\",\"m\":\"x\\n[EMAIL]\"}\n\n"));
}

QTEST_GUILESS_MAIN(TestSseDeltaMasker)
#include "tst_ssedeltamasker.moc"
