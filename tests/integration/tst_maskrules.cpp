// Mask rules in the data path (issue 4) as clients meet them: responses masked as they stream,
// LLM deltas across events, JSON masked decoded, compressed bodies, and what the recording keeps.
#include "RulesFixture.h"

#include <QElapsedTimer>
#include <QHash>
#include <QJsonDocument>
#include <QTest>

using gh::test::CurlResult;
using gh::test::curl;

class TestMaskRules final : public RulesFixture {
    Q_OBJECT

private slots:
    void initTestCase() { startGateway(); }
    void cleanupTestCase() { QCOMPARE(m_daemon.stop(), 0); }

    void responsesAreMaskedAsTheyStream_data();
    void responsesAreMaskedAsTheyStream();
    void llmDeltasAreMaskedAcrossEvents();
    void responsesApiDeltasAreMaskedAcrossEvents();
    void anUnmaskableStreamIsBrokenOffAndTheUpstreamLetGo();
    void compressedResponsesAreDecodedOrRefused();
    void jsonFieldsAreMaskedWholeWithinTheBound();
    void jsonAnswersStayValidJson();
    void maskingIsRecordedWithoutTheOriginalValues();
    void approverSeesAMaskedBodyExcerpt();
};

namespace {

// The JSON objects of an SSE body's `data: {` lines; the first such line that is not valid JSON
// goes into `bad`.
QList<QJsonObject> dataObjects(const QByteArray &body, QByteArray &bad)
{
    QList<QJsonObject> out;
    for (const QByteArray &line : body.split('\n')) {
        if (!line.startsWith("data: {"))
            continue;
        QJsonParseError err;
        const QJsonObject o = QJsonDocument::fromJson(line.mid(6), &err).object();
        if (err.error != QJsonParseError::NoError && bad.isEmpty())
            bad = line;
        out.append(o);
    }
    return out;
}

// Text with what the pii connection's rules mask, and the same text as a client must see it.
const QByteArray kPlain = "Contact ada.lovelace@example.com or EMP-123456; card 4111 1111 1111 1111, "
                          "not a card: 4111 1111 1111 1112; order 2024-01-15.\n";
const QByteArray kMasked = "Contact [EMAIL] or [EMPLOYEE]; card [CREDIT_CARD], "
                           "not a card: 4111 1111 1111 1112; order 2024-01-15.\n";

QByteArray header(const QByteArray &head, const QByteArray &name)
{
    for (const QByteArray &line : head.split('\n')) {
        const qsizetype colon = line.indexOf(':');
        if (colon > 0 && line.left(colon).trimmed().compare(name, Qt::CaseInsensitive) == 0)
            return line.mid(colon + 1).trimmed();
    }
    return {};
}

} // namespace

void TestMaskRules::responsesAreMaskedAsTheyStream_data()
{
    QTest::addColumn<QString>("query");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("expected");
    QTest::addColumn<bool>("chunkedToClient");

    // Small framed bodies are masked whole and keep a Content-Length: the masked one.
    QTest::newRow("Content-Length, one write") << "" << kPlain << kMasked << false;
    QTest::newRow("Content-Length, 7-byte writes") << "split=7&pause=0.002" << kPlain << kMasked << false;
    QTest::newRow("chunked, 3-byte chunks") << "mode=chunked&split=3&pause=0.001" << kPlain << kMasked << true;
    QTest::newRow("chunked, one chunk per 50 bytes") << "mode=chunked&split=50" << kPlain.repeated(40) << kMasked.repeated(40)
                                                      << true;
    const QByteArray sse = "data: {\"delta\":\"write to ada.lovelace@example.com\"}\n\n"
                           "data: {\"delta\":\"EMP-654321 done\"}\n\ndata: [DONE]\n\n";
    const QByteArray sseMasked = "data: {\"delta\":\"write to [EMAIL]\"}\n\n"
                                 "data: {\"delta\":\"[EMPLOYEE] done\"}\n\ndata: [DONE]\n\n";
    QTest::newRow("SSE, split inside matches") << "mode=sse&split=11&pause=0.005" << sse << sseMasked << true;
    QTest::newRow("nothing to mask passes unchanged") << "split=5" << QByteArray("plain words only\n")
                                                      << QByteArray("plain words only\n") << false;
}

void TestMaskRules::responsesAreMaskedAsTheyStream()
{
    QFETCH(QString, query);
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, expected);
    QFETCH(bool, chunkedToClient);
    const QStringList data = upload(QStringLiteral("reflect.txt"), body);
    const Answer a = send(m_alice, QStringLiteral("/pii/reflect?") + query,
                          data + QStringList{QStringLiteral("--raw")});
    QCOMPARE(a.status, 200);
    if (chunkedToClient) {
        // The length changed as the body was masked: the client gets chunks, not a stale length.
        QCOMPARE(header(a.head, "Transfer-Encoding").toLower(), QByteArray("chunked"));
        QVERIFY(header(a.head, "Content-Length").isEmpty());
    }
    if (!chunkedToClient) {
        QCOMPARE(header(a.head, "Content-Length").toInt(), expected.size());
        QVERIFY(header(a.head, "Transfer-Encoding").isEmpty());
        QCOMPARE(a.body, expected);
        return;
    }
    // Undo the chunk framing curl --raw left in place.
    QByteArray decoded;
    QByteArray rest = a.body;
    while (!rest.isEmpty()) {
        const qsizetype eol = rest.indexOf("\r\n");
        QVERIFY(eol > 0);
        bool ok = false;
        const qsizetype size = rest.left(eol).toLongLong(&ok, 16);
        QVERIFY(ok);
        if (size == 0)
            break;
        decoded += rest.mid(eol + 2, size);
        rest = rest.mid(eol + 2 + size + 2);
    }
    QCOMPARE(decoded, expected);
}

void TestMaskRules::llmDeltasAreMaskedAcrossEvents()
{
    // An OpenAI-style stream whose answer splits an address (and a card) over several deltas,
    // sent in 13-byte chunks so reads split events too.
    const QList<QByteArray> deltas = {"Write to ada.", "love", "lace@exam", "ple.com or pay 4111 11", "11 1111 1111", " today."};
    QByteArray body = "data: {\"marker\":\"sse-delta-marker\"}\n\n";
    for (const QByteArray &d : deltas)
        body += "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + d
            + "\"},\"finish_reason\":null}]}\n\n";
    body += "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}"
            "\n\ndata: [DONE]\n\n";
    const Answer a = send(m_alice, QStringLiteral("/pii/reflect?mode=sse&split=13&pause=0.002"),
                          upload(QStringLiteral("deltas.txt"), body));
    QCOMPARE(a.status, 200);
    // Not one piece of the address or the card reached the client.
    for (const char *piece : {"ada.", "love", "lace", "exam", "ple.com", "4111"})
        QVERIFY2(!a.body.contains(piece), a.body.constData());
    QString content;
    int events = 0;
    QByteArray bad;
    for (const QJsonObject &o : dataObjects(a.body, bad)) {
        ++events;
        for (const QJsonValue &c : o.value(QStringLiteral("choices")).toArray())
            content += c.toObject().value(QStringLiteral("delta")).toObject().value(QStringLiteral("content")).toString();
    }
    QVERIFY2(bad.isEmpty(), bad.constData());
    QCOMPARE(content, QStringLiteral("Write to [EMAIL] or pay [CREDIT_CARD] today."));
    QCOMPARE(events, 1 + deltas.size() + 1); // as many events as the upstream sent
    QVERIFY(a.body.endsWith("data: [DONE]\n\n"));

    // The decision event counts what was masked, never what it was.
    QJsonObject masked;
    QTRY_VERIFY_WITH_TIMEOUT(!(masked = eventOfRequest("sse-delta-marker", u"policy.masked")).isEmpty(), 10000);
    QHash<QString, int> counts;
    for (const QJsonValue &m : masked.value(QStringLiteral("masks")).toArray()) {
        const QJsonObject o = m.toObject();
        counts[o.value(QStringLiteral("rule")).toString()] += o.value(QStringLiteral("count")).toInt();
        // Each range points at a replacement in the body as the client got it.
        for (const QJsonValue &r : o.value(QStringLiteral("ranges")).toArray()) {
            const QByteArray replaced = a.body.mid(qsizetype(r.toArray().at(0).toDouble()), qsizetype(r.toArray().at(1).toDouble()));
            QVERIFY2(replaced == "[EMAIL]" || replaced == "[CREDIT_CARD]", replaced.constData());
        }
    }
    QCOMPARE(counts.value(QStringLiteral("mask-email")), 1);
    QCOMPARE(counts.value(QStringLiteral("mask-cards")), 1);
    const QByteArray decision = QJsonDocument(masked).toJson();
    for (const char *piece : {"love", "lace", "exam", "4111"})
        QVERIFY(!decision.contains(piece));
}

void TestMaskRules::anUnmaskableStreamIsBrokenOffAndTheUpstreamLetGo()
{
    // An event with more choices than the masker tracks across events: the stream cannot be masked,
    // so the client gets an error event and the end of the body at once, and the upstream, still
    // streaming for another 10 s, is let go rather than read to its end.
    QByteArray body = "data: {\"marker\":\"sse-broken-off-marker\"}\n\n";
    QByteArray wide = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[";
    for (int i = 0; i < 17; ++i)
        wide += QByteArray(i ? "," : "") + "{\"index\":" + QByteArray::number(i) + ",\"delta\":{\"content\":\"choice text\"}}";
    body += wide + "]}\n\n";
    const QByteArray later = "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
                             "\"delta\":{\"content\":\"later text\"}}]}\n\n";
    for (int i = 0; i < 100; ++i)
        body += later;
    const QString path = QStringLiteral("/reflect?mode=sse&split=%1&pause=0.1&tag=broken-off").arg(later.size());
    QElapsedTimer t;
    t.start();
    const CurlResult c = curl(QStringList{QStringLiteral("-i"), QStringLiteral("-H"),
                                          QStringLiteral("Authorization: Bearer ") + QString::fromLatin1(m_alice)}
                              + upload(QStringLiteral("broken-off.txt"), body)
                              + QStringList{m_daemon.proxyUrl() + QStringLiteral("/pii") + path});
    const qint64 took = t.elapsed();
    QVERIFY2(c.exitCode == 0, c.err.constData());   // a whole response: the chunked body was ended
    const Answer a = parseAnswer(c);
    QCOMPARE(a.status, 200);
    QVERIFY2(a.body.contains("\"type\":\"gatehouse_unmaskable_stream\""), a.body.constData());
    QVERIFY(!a.body.contains("later text"));
    QVERIFY(!a.body.contains("choice text"));
    QVERIFY2(took < 5000, qPrintable(QString::number(took)));   // not the upstream's 10 s

    // The upstream saw its answer cut off: the gateway closed the connection.
    QTRY_VERIFY_WITH_TIMEOUT(curl({QString::fromLatin1(m_upstream.url() + "/aborts")}).out.contains("tag=broken-off"), 10000);

    // The record says the response was broken off, and the next request on the connection works.
    QJsonObject end;
    QTRY_VERIFY_WITH_TIMEOUT(!(end = eventOfRequest("sse-broken-off-marker", u"http.response.end")).isEmpty(), 10000);
    QCOMPARE(end.value(QStringLiteral("broken_off")).toBool(), true);
    const Answer next = send(m_alice, QStringLiteral("/pii/echo"));
    QCOMPARE(next.status, 200);
}

void TestMaskRules::responsesApiDeltasAreMaskedAcrossEvents()
{
    // The OpenAI Responses API's shape: output_text.delta events split an address and a card, then
    // .done and response.completed carry the whole text; sent in 13-byte chunks.
    const QList<QByteArray> deltas = {"Write to ada.", "love", "lace@exam", "ple.com or pay 4111 11", "11 1111 1111", " today."};
    QByteArray whole;
    for (const QByteArray &d : deltas)
        whole += d;
    auto event = [](const QByteArray &type, const QByteArray &members) -> QByteArray {
        return "event: " + type + "\ndata: {\"type\":\"" + type + "\"," + members + "}\n\n";
    };
    const QByteArray where = "\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0";
    QByteArray body = event("response.created", "\"sequence_number\":0,\"response\":{\"marker\":\"sse-responses-marker\"}");
    int seq = 1;
    for (const QByteArray &d : deltas)
        body += event("response.output_text.delta", "\"sequence_number\":" + QByteArray::number(seq++) + "," + where + ",\"delta\":\"" + d
                                                        + "\",\"logprobs\":[]");
    body += event("response.output_text.done", "\"sequence_number\":" + QByteArray::number(seq++) + "," + where + ",\"text\":\"" + whole + "\"");
    body += event("response.completed", "\"sequence_number\":" + QByteArray::number(seq++)
                                            + ",\"response\":{\"output\":[{\"content\":[{\"text\":\"" + whole + "\"}]}]}");
    const QStringList data = upload(QStringLiteral("responses-deltas.txt"), body);
    const Answer a = send(m_alice, QStringLiteral("/pii/reflect?mode=sse&split=13&pause=0.002"),
                          data);
    QCOMPARE(a.status, 200);
    for (const char *piece : {"ada.", "love", "lace", "exam", "ple.com", "4111"})
        QVERIFY2(!a.body.contains(piece), a.body.constData());
    QString text;
    QString done;
    QString completed;
    QList<int> sequence;
    QByteArray bad;
    for (const QJsonObject &o : dataObjects(a.body, bad)) {
        sequence.append(o.value(QStringLiteral("sequence_number")).toInt());
        const QString type = o.value(QStringLiteral("type")).toString();
        if (type == u"response.output_text.delta") {
            QCOMPARE(o.value(QStringLiteral("item_id")).toString(), QStringLiteral("msg_1"));
            text += o.value(QStringLiteral("delta")).toString();
        } else if (type == u"response.output_text.done") {
            done = o.value(QStringLiteral("text")).toString();
        } else if (type == u"response.completed") {
            completed = o.value(QStringLiteral("response")).toObject().value(QStringLiteral("output")).toArray().at(0).toObject()
                            .value(QStringLiteral("content")).toArray().at(0).toObject().value(QStringLiteral("text")).toString();
        }
    }
    QVERIFY2(bad.isEmpty(), bad.constData());
    // The connection has a custom pattern, so the text is held to the end of its stream: it comes
    // in a delta just before .done, and every copy of the whole text says the same.
    const QString expected = QStringLiteral("Write to [EMAIL] or pay [CREDIT_CARD] today.");
    QCOMPARE(text, expected);
    QCOMPARE(done, expected);
    QCOMPARE(completed, expected);
    QCOMPARE(sequence.size(), 1 + deltas.size() + 1 + 2);
    QVERIFY(std::is_sorted(sequence.begin(), sequence.end()));
}

void TestMaskRules::compressedResponsesAreDecodedOrRefused()
{
    const QStringList data = upload(QStringLiteral("gz.txt"), kPlain.repeated(3));
    for (const char *encoding : {"gzip", "deflate"}) {
        // The client asks for gzip; the upstream answers compressed; the client gets it masked and plain.
        const Answer a = send(m_alice, QStringLiteral("/pii/reflect?split=20&encoding=") + QLatin1String(encoding),
                              data + QStringList{QStringLiteral("-H"),
                               QStringLiteral("Accept-Encoding: gzip")});
        QCOMPARE(a.status, 200);
        QVERIFY(header(a.head, "Content-Encoding").isEmpty());
        QCOMPARE(a.body, kMasked.repeated(3));
    }
    // The upstream was asked for identity, whatever the client accepts.
    const Answer echo = send(m_alice, QStringLiteral("/pii/echo"), {QStringLiteral("-H"), QStringLiteral("Accept-Encoding: gzip, br")});
    QCOMPARE(echo.status, 200);
    QVERIFY2(echo.body.contains("[\"Accept-Encoding\", \"identity\"]"), echo.body.constData());
    // A coding the gateway cannot read is never passed on.
    const Answer br = send(m_alice, QStringLiteral("/pii/reflect?encoding=br"), data);
    QCOMPARE(br.status, 502);
    QCOMPARE(br.json().value(QStringLiteral("error")).toString(), QStringLiteral("unmaskable"));
    QVERIFY(!br.body.contains("lovelace"));
}

void TestMaskRules::jsonFieldsAreMaskedWholeWithinTheBound()
{
    const QByteArray json = "{\"user\": {\"name\": \"Ada\", \"ssn\": \"123-45-6789\", \"mail\": \"ada\\u0040example.com\"},"
                            " \"note\": \"caf\\u00e9 EMP-000042\", \"n\": 1.50}";
    const QStringList data = upload(QStringLiteral("doc.json"), json);
    const Answer a = send(m_alice, QStringLiteral("/pii/reflect?split=9&mode=chunked&type=application/json"),
                          data);
    QCOMPARE(a.status, 200);
    // Masked whole, so it goes out with its new length.
    QCOMPARE(header(a.head, "Content-Length").toInt(), a.body.size());
    const QJsonObject doc = a.json();
    QCOMPARE(doc.value(QStringLiteral("user")).toObject().value(QStringLiteral("ssn")).toString(), QStringLiteral("[SSN]"));
    QCOMPARE(doc.value(QStringLiteral("user")).toObject().value(QStringLiteral("name")).toString(), QStringLiteral("Ada"));
    QCOMPARE(doc.value(QStringLiteral("user")).toObject().value(QStringLiteral("mail")).toString(), QStringLiteral("[EMAIL]"));
    QVERIFY(doc.value(QStringLiteral("note")).toString().contains(QLatin1String("[EMPLOYEE]")));
    QVERIFY(a.body.contains("1.50"));   // untouched bytes stay as sent

    // Over mask_body_limit (16 KiB here), and not JSON at all: refused, never passed on unmasked.
    const Answer big = send(m_alice, QStringLiteral("/pii/reflect?mode=chunked&split=8192&type=application/json"),
                            upload(QStringLiteral("doc.json"), "{\"user\": {\"ssn\": \"123-45-6789\"}, \"pad\": \""
                                                                    + QByteArray(20 * 1024, 'x') + "\"}"));
    QCOMPARE(big.status, 502);
    QCOMPARE(big.json().value(QStringLiteral("error")).toString(), QStringLiteral("unmaskable"));
    QVERIFY(!big.body.contains("123-45-6789"));
    const Answer broken = send(m_alice, QStringLiteral("/pii/reflect?type=application/json"),
                               upload(QStringLiteral("doc.json"), "{\"user\": {\"ssn\": \"123-45-6789\""));
    QCOMPARE(broken.status, 502);
    QVERIFY(!broken.body.contains("123-45-6789"));
}

namespace {

// Python's parser, which unlike Qt's refuses an invalid escape such as "\[".
bool strictJson(const QByteArray &json)
{
    QProcess py;
    py.start(QStringLiteral("python3"), {QStringLiteral("-c"), QStringLiteral("import json,sys; json.loads(sys.stdin.buffer.read())")});
    py.write(json);
    py.closeWriteChannel();
    return py.waitForFinished(10000) && py.exitStatus() == QProcess::NormalExit && py.exitCode() == 0;
}

} // namespace

// A JSON answer no json_fields rule covers: a value right after an escape and one spelled with
// \u escapes come back masked, and the JSON stays valid; in a JSON answer and in an SSE event.
void TestMaskRules::jsonAnswersStayValidJson()
{
    QVERIFY(apply("[[connection]]\nname = \"plainjson\"\ntype = \"http\"\nupstream = \"" + m_upstream.url()
                  + "\"\nallow_groups = [\"ml-eng\"]\n\n[[rule]]\nname = \"mask-email-plainjson\"\nkind = \"mask\"\n"
                    "connections = [\"plainjson\"]\ndetector = \"email\"\n"));
    const QByteArray json = R"({"note":"Contact:\nada@example.org","alt":"a\u0040example.org","n":[1.50,true]})";
    const QByteArray masked = R"({"note":"Contact:\n[EMAIL]","alt":"[EMAIL]","n":[1.50,true]})";
    const QStringList data = upload(QStringLiteral("plain.json"), json);
    Answer a;
    QTRY_VERIFY_WITH_TIMEOUT((a = send(m_alice, QStringLiteral("/plainjson/reflect?split=9&type=application/json"), data)).status == 200,
                             5000);
    QCOMPARE(a.body, masked);
    QCOMPARE(header(a.head, "Content-Length").toInt(), masked.size());
    QVERIFY(strictJson(a.body));
    QVERIFY(!strictJson(R"({"note":"Contact:\[EMAIL]"})")); // the check can fail

    // Chunked, or compressed (its decoded size unknown): masked decoded all the same.
    for (const char *how : {"mode=chunked&split=9", "encoding=gzip&split=9"}) {
        const Answer c = send(m_alice, QStringLiteral("/plainjson/reflect?type=application/json&") + QLatin1String(how), data);
        QCOMPARE(c.status, 200);
        QVERIFY(!header(c.head, "Content-Encoding").size());
        QCOMPARE(c.body, masked);
    }

    // A watch stream (a JSON value per event, the body never ending on its own): each event goes
    // out, masked, as soon as it is whole, while the upstream is still sending.
    QByteArray watch;
    for (int i = 0; i < 3; ++i)
        watch += R"({"type":"MODIFIED","object":{"owner":"ada\u0040example.org","n":)" + QByteArray::number(i) + "}}\n";
    const qsizetype piece = watch.size() / 3;
    QProcess client;
    client.start(QStringLiteral("curl"), QStringList{QStringLiteral("-sN"), QStringLiteral("-H"),
                                                     QStringLiteral("Authorization: Bearer ") + QString::fromLatin1(m_alice)}
                                             + upload(QStringLiteral("watch.json"), watch)
                                             + QStringList{m_daemon.proxyUrl()
                                                           + QStringLiteral("/plainjson/reflect?type=application/json&mode=chunked&pause=3&split=")
                                                           + QString::number(piece)});
    QByteArray seen;
    QTRY_VERIFY_WITH_TIMEOUT((seen += client.readAllStandardOutput()).contains("\"n\":1}}\n"), 8000);   // 2 of 3 sent, lines whole
    QVERIFY(client.state() == QProcess::Running);
    QVERIFY(!seen.contains("\"n\":2"));
    QVERIFY(gh::test::waitFinished(client, 15000));
    seen += client.readAllStandardOutput();
    QCOMPARE(seen, QByteArray(watch).replace(R"(ada\u0040example.org)", "[EMAIL]"));

    // The same object as an SSE event's data, read in 7-byte pieces.
    const Answer sse = send(m_alice, QStringLiteral("/plainjson/reflect?mode=sse&split=7&pause=0.002"),
                            upload(QStringLiteral("plain.json"), "event: note\ndata: " + json + "\n\ndata: [DONE]\n\n"));
    QCOMPARE(sse.status, 200);
    QCOMPARE(sse.body, "event: note\ndata: " + masked + "\n\ndata: [DONE]\n\n");
    QVERIFY(strictJson(sse.body.split('\n').at(1).mid(6)));
}

void TestMaskRules::maskingIsRecordedWithoutTheOriginalValues()
{
    const QByteArray marker = "mask-record-marker";
    const Answer a = send(m_alice, QStringLiteral("/pii/reflect?split=13"),
                          {QStringLiteral("--data-binary"), QString::fromLatin1(kPlain + marker)});
    QCOMPARE(a.status, 200);
    QVERIFY(a.body.startsWith(kMasked.chopped(1)));
    QJsonObject masked;
    QByteArray recordedResponses;
    QTRY_VERIFY_WITH_TIMEOUT(([&] {
        recordedResponses.clear();
        for (const QJsonObject &e : requestEvents(marker.constData())) {
            const QString kind = e.value(QStringLiteral("kind")).toString();
            if (kind == u"policy.masked")
                masked = e.value(QStringLiteral("data")).toObject();
            else if (kind.startsWith(u"http.response") || kind == u"http.chunk")
                recordedResponses += QJsonDocument(e).toJson(QJsonDocument::Compact);
        }
        return !masked.isEmpty();
    }()), 10000);
    QHash<QString, int> counts;
    for (const QJsonValue &m : masked.value(QStringLiteral("masks")).toArray())
        counts[m.toObject().value(QStringLiteral("rule")).toString()] += m.toObject().value(QStringLiteral("count")).toInt();
    QCOMPARE(counts.value(QStringLiteral("mask-email")), 1);
    QCOMPARE(counts.value(QStringLiteral("mask-cards")), 1);
    QCOMPARE(counts.value(QStringLiteral("mask-employee-ids")), 1);
    const QByteArray decision = QJsonDocument(masked).toJson();
    QVERIFY(!decision.contains("lovelace"));
    QVERIFY(!decision.contains("4111 1111 1111 1111"));
    // What is recorded of the response is what the client saw: masked.
    QVERIFY(!recordedResponses.isEmpty());
    QVERIFY(!recordedResponses.contains("lovelace"));
    QVERIFY(!recordedResponses.contains("EMP-123456"));
}

void TestMaskRules::approverSeesAMaskedBodyExcerpt()
{
    auto client = startHeld(m_alice, QStringLiteral("/pii/reflect?excerpt=1"),
                            {QStringLiteral("--data-binary"), QStringLiteral("approve-me for ada.lovelace@example.com")});
    const QJsonObject pending = waitForPending(QStringLiteral("/reflect?excerpt=1"));
    QVERIFY(!pending.isEmpty());
    const QString excerpt = pending.value(QStringLiteral("body_excerpt")).toString();
    QCOMPARE(excerpt, QStringLiteral("approve-me for [EMAIL]"));
    QCOMPARE(ctlAs(m_erin, {QStringLiteral("approve"), pending.value(QStringLiteral("id")).toString()}).exitCode, 0);
    const Answer a = finish(*client);
    QCOMPARE(a.status, 200);
    QCOMPARE(a.body, QByteArray("approve-me for [EMAIL]"));
}

QTEST_GUILESS_MAIN(TestMaskRules)
#include "tst_maskrules.moc"
