#include "identity/TokenIssuer.h"
#include "recording/JournalRecords.h"
#include "recording/Recorder.h"
#include "recording/RecordingJournal.h"
#include "recording/SessionChain.h"
#include "recording/SqliteStore.h"
#include "support/SegmentTamper.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <sqlite3.h>

#include <chrono>

using namespace gh;

namespace {

Principal alice()
{
    Principal p;
    p.kind = Principal::Kind::Oidc;
    p.subject = QStringLiteral("alice");
    p.groups = {QStringLiteral("ml-eng"), QStringLiteral("ci-bots")};
    p.issuer = QStringLiteral("https://idp.example.com");
    return p;
}

qint64 nowUs()
{
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

QJsonObject request(int n)
{
    return QJsonObject{{QStringLiteral("method"), QStringLiteral("GET")},
                       {QStringLiteral("path"), QStringLiteral("/v1/items/%1").arg(n)}};
}

} // namespace

class tst_Recorder : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void recordsWhoWhereAndWhat();
    void droppingTheLastReferenceEndsTheSession();
    void durableFiresOnceCommitted();
    void durableReportsAFailedWrite();
    void recordDurableSurvivesTheProcessBeforeTheCommit();
    void nothingIsRecordedAfterTheEnd();
    void bodies_data();
    void bodies();
    void aKnownFullSizeIsKept();
    void eventJsonRecordsTheSameBytes_data();
    void eventJsonRecordsTheSameBytes();
    void secretHeadersNeverReachTheStore();
    void headersAreRecordedByName();

    void endedSessionVerifies();
    void emptySessionVerifies();
    void openSessionIsIntactButSaysItIsUnsigned();
    void tamperingIsFound_data();
    void tamperingIsFound();
    void rewrittenChainFailsTheSignature();
    void anotherGatewaysSignatureIsRefused();
    void longSessionsArePagedThrough();
    void unknownSessionIsAnError();

private:
    QString dbPath() const { return m_dir->filePath(QStringLiteral("gatehouse.db")); }
    void openStore();
    // Records one event and waits until the store reports it committed.
    qint64 recordDurably(SessionRecording &s, const QString &kind, const QJsonObject &data,
                         const QByteArray &body = {});
    qint64 recordDurably(SessionRecording &s, const QString &kind, EventJson data, const QByteArray &body = {});
    QByteArray storedData(const QString &id, qint64 seq);
    // A session of `events` committed events, ended and signed; returns its id.
    QString endedSession(int events);
    void waitEnded(const QString &id);
    QJsonObject eventData(const QString &id, qint64 seq);
    // Edits the database file behind the gateway's back, as someone with write access to it could.
    void tamper(const QString &sql);
    // Edits the session's event records in the recording segments the same way, each keeping its
    // length (and so every offset the index holds), with a CRC that matches again.
    void tamperEvents(const QString &id, const std::function<void(journal::Decoded &)> &edit);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<SqliteStore> m_store;
    std::unique_ptr<TokenIssuer> m_issuer;
};

void tst_Recorder::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    auto issuer = TokenIssuer::loadOrCreate(m_dir->path());
    QVERIFY2(issuer.ok(), issuer ? "" : qPrintable(issuer.error().message));
    m_issuer = std::move(*issuer);
    openStore();
}

void tst_Recorder::cleanup()
{
    m_store.reset();
    m_issuer.reset();
    m_dir.reset();
}

void tst_Recorder::openStore()
{
    auto store = SqliteStore::open(dbPath());
    QVERIFY2(store.ok(), store ? "" : qPrintable(store.error().message));
    m_store = std::move(*store);
}

qint64 tst_Recorder::recordDurably(SessionRecording &s, const QString &kind, const QJsonObject &data,
                                   const QByteArray &body)
{
    std::optional<Status> outcome;
    const qint64 seq = s.record(kind, data, body, this, [&outcome](Status st) { outcome = st; });
    [&] {
        QTRY_VERIFY(outcome.has_value());
        QVERIFY2(outcome->ok(), qPrintable(outcome->error().message));
    }();
    return seq;
}

QString tst_Recorder::endedSession(int events)
{
    Recorder recorder(*m_store, *m_issuer);
    auto s = recorder.begin(alice(), QStringLiteral("llm"), QStringLiteral("127.0.0.1:50000"));
    for (int i = 0; i < events; ++i)
        recordDurably(*s, i % 2 ? QStringLiteral("http.response") : QStringLiteral("http.request"), request(i));
    s->end();
    waitEnded(s->id());
    return s->id();
}

void tst_Recorder::waitEnded(const QString &id)
{
    QTRY_VERIFY(m_store->session(id).ok() && m_store->session(id)->has_value()
                && (*m_store->session(id))->endedAtUs.has_value());
}

QJsonObject tst_Recorder::eventData(const QString &id, qint64 seq)
{
    auto events = m_store->events(id, seq, 1);
    if (!events || events->size() != 1 || events->first().seq != seq)
        return {};
    return QJsonDocument::fromJson(events->first().data).object();
}

void tst_Recorder::tamper(const QString &sql)
{
    m_store.reset();   // finishes its queued writes first
    sqlite3 *db = nullptr;
    QCOMPARE(sqlite3_open_v2(QFile::encodeName(dbPath()).constData(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
    char *error = nullptr;
    const int rc = sqlite3_exec(db, sql.toUtf8().constData(), nullptr, nullptr, &error);
    const QString message = error ? QString::fromUtf8(error) : QString();
    sqlite3_free(error);
    const int changed = sqlite3_total_changes(db);
    sqlite3_close(db);
    QVERIFY2(rc == SQLITE_OK, qPrintable(message));
    QVERIFY2(changed > 0, "the tampering changed nothing");
    openStore();
}

void tst_Recorder::tamperEvents(const QString &id, const std::function<void(journal::Decoded &)> &edit)
{
    m_store.reset();
    Result<int> changed = test::editEventRecords(dbPath() + QStringLiteral(".recordings"), id, edit);
    QVERIFY2(changed.ok(), changed ? "" : qPrintable(changed.error().message));
    QVERIFY2(*changed > 0, "the tampering changed nothing");
    openStore();
}

// ---- recording ------------------------------------------------------------------------------

void tst_Recorder::recordsWhoWhereAndWhat()
{
    const qint64 before = nowUs();
    Recorder recorder(*m_store, *m_issuer);
    QVERIFY(recorder.health().ok());
    auto s = recorder.begin(alice(), QStringLiteral("llm"), QStringLiteral("127.0.0.1:50000"));
    QVERIFY(!s->id().isEmpty());
    QCOMPARE(recordDurably(*s, QStringLiteral("http.request"), request(1)), 0);
    s->addBytes(100, 0);
    QCOMPARE(recordDurably(*s, QStringLiteral("http.response"), QJsonObject{{QStringLiteral("status"), 200}}), 1);
    s->addBytes(0, 2500);
    s->end();
    s->end();   // idempotent: a second end neither fails nor re-signs
    waitEnded(s->id());
    const qint64 after = nowUs();

    const SessionInfo info = **m_store->session(s->id());
    QCOMPARE(info.connection, QStringLiteral("llm"));
    QCOMPARE(info.subject, QStringLiteral("alice"));
    QCOMPARE(info.groups, alice().groups);
    QCOMPARE(info.issuer, QStringLiteral("https://idp.example.com"));
    QCOMPARE(info.clientAddr, QStringLiteral("127.0.0.1:50000"));
    QCOMPARE(info.bytesIn, 100);
    QCOMPARE(info.bytesOut, 2500);
    QCOMPARE(info.eventCount, 2);
    QVERIFY(info.startedAtUs >= before && info.startedAtUs <= after);
    QVERIFY(*info.endedAtUs >= info.startedAtUs && *info.endedAtUs <= after);

    const QList<StoredEvent> events = *m_store->events(s->id(), 0, 10);
    QCOMPARE(events.size(), 2);
    QCOMPARE(events.at(0).kind, QStringLiteral("http.request"));
    QCOMPARE(events.at(1).kind, QStringLiteral("http.response"));
    QVERIFY(events.at(0).tsUs >= info.startedAtUs);
    QVERIFY(events.at(1).tsUs >= events.at(0).tsUs);
    QVERIFY(*info.endedAtUs >= events.at(1).tsUs);
    QCOMPARE(QJsonDocument::fromJson(events.at(0).data).object(), request(1));
    QCOMPARE(events.at(0).hash.size(), SessionChain::kHashSize);
    QCOMPARE(info.headHash, events.at(1).hash);
}

void tst_Recorder::droppingTheLastReferenceEndsTheSession()
{
    Recorder recorder(*m_store, *m_issuer);
    auto s = recorder.begin(alice(), QStringLiteral("llm"), QStringLiteral("127.0.0.1:50001"));
    const QString id = s->id();
    recordDurably(*s, QStringLiteral("http.request"), request(1));
    s.reset();   // a client that vanished mid-session
    waitEnded(id);
    auto v = verifySession(*m_store, *m_issuer, id);
    QVERIFY(v.ok());
    QVERIFY2(v->intact, qPrintable(v->reason));
    QCOMPARE(v->events, 1);
}

void tst_Recorder::durableFiresOnceCommitted()
{
    Recorder recorder(*m_store, *m_issuer);
    auto s = recorder.begin(alice(), QStringLiteral("llm"), QStringLiteral("127.0.0.1:50002"));
    struct Seen {
        bool called = false;
        bool ok = false;
        bool onOurThread = false;
        bool readable = false;
    };
    QList<Seen> seen(3);
    for (int i = 0; i < 3; ++i) {
        const QString id = s->id();
        const qint64 seq = s->record(QStringLiteral("http.request"), request(i), {}, this, [&, i, id](Status st) {
            seen[i].called = true;
            seen[i].ok = st.ok();
            seen[i].onOurThread = QThread::currentThread() == thread();
            // A read connection sees only committed data: the event is durable when this runs.
            seen[i].readable = eventData(id, i) == request(i);
        });
        QCOMPARE(seq, i);
    }
    QTRY_VERIFY(seen.at(0).called && seen.at(1).called && seen.at(2).called);
    for (const Seen &x : std::as_const(seen)) {
        QVERIFY(x.ok);
        QVERIFY(x.onOurThread);
        QVERIFY(x.readable);
    }
}

void tst_Recorder::durableReportsAFailedWrite()
{
    // The event is kept (its segment has it) while the database refuses writes, but the store
    // cannot index it, so it turns unhealthy and the proxy stops forwarding until it can again.
    Recorder recorder(*m_store, *m_issuer);
    auto s = recorder.begin(alice(), QStringLiteral("llm"), QStringLiteral("127.0.0.1:50003"));
    recordDurably(*s, QStringLiteral("http.request"), request(0));
    QVERIFY(m_store->setWritesBlockedForTesting(true).ok());
    recordDurably(*s, QStringLiteral("http.request"), request(1));
    QTRY_VERIFY(!recorder.health().ok());
    QVERIFY(m_store->setWritesBlockedForTesting(false).ok());
    QTRY_VERIFY(recorder.health().ok());
    QCOMPARE(eventData(s->id(), 1), request(1));
    // A record that cannot be written at all is refused: after the end, nothing more is taken.
    s->end();
    std::optional<Status> outcome;
    s->record(QStringLiteral("http.request"), request(2), {}, this, [&outcome](Status st) { outcome = st; });
    QTRY_VERIFY(outcome.has_value());
    QVERIFY(!outcome->ok());
}

void tst_Recorder::recordDurableSurvivesTheProcessBeforeTheCommit()
{
    QString id;
    {
        Recorder recorder(*m_store, *m_issuer);
        auto s = recorder.begin(alice(), QStringLiteral("llm"), QStringLiteral("127.0.0.1:50005"));
        id = s->id();
        recordDurably(*s, QStringLiteral("http.request"), request(0));
        // The proxy's form: back at once, the commit still to come (here: never, the writes fail).
        QVERIFY(m_store->setWritesBlockedForTesting(true).ok());
        Result<qint64> seq = s->recordDurable(QStringLiteral("http.request"), EventJson().addNumber(QLatin1StringView("n"), 1));
        QVERIFY2(seq.ok(), qPrintable(seq.ok() ? QString() : seq.error().message));
        QCOMPARE(*seq, qint64(1));
        QTRY_VERIFY(!recorder.health().ok());   // the next request is refused, this one is safe
        QVERIFY(m_store->setWritesBlockedForTesting(false).ok());
        s->end();
    }
    // The store closes (as a killed process would leave it: the event only in the journal) and
    // opens again: the event is there, and the chain through it is whole.
    m_store.reset();
    openStore();
    QCOMPARE(eventData(id, 1), QJsonObject({{QStringLiteral("n"), 1}}));
    waitEnded(id);
    auto v = verifySession(*m_store, *m_issuer, id);
    QVERIFY(v.ok());
    QVERIFY2(v->intact, qPrintable(v->reason));
    QCOMPARE(v->events, 2);
}

void tst_Recorder::nothingIsRecordedAfterTheEnd()
{
    Recorder recorder(*m_store, *m_issuer);
    auto s = recorder.begin(alice(), QStringLiteral("llm"), QStringLiteral("127.0.0.1:50004"));
    recordDurably(*s, QStringLiteral("http.request"), request(0));
    s->end();
    std::optional<Status> outcome;
    QCOMPARE(s->record(QStringLiteral("http.request"), request(1), {}, this, [&outcome](Status st) { outcome = st; }), -1);
    QTRY_VERIFY(outcome.has_value());
    QVERIFY(!outcome->ok());
    waitEnded(s->id());
    auto v = verifySession(*m_store, *m_issuer, s->id());
    QVERIFY(v.ok() && v->intact);
    QCOMPARE(v->events, 1);
}

void tst_Recorder::bodies_data()
{
    QTest::addColumn<qint64>("cap");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("key");          // where the body is kept; empty: nowhere
    QTest::addColumn<QByteArray>("recorded");
    QTest::addColumn<bool>("truncated");

    const QByteArray binary("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", 18);
    QTest::newRow("no body") << qint64(64) << QByteArray() << QString() << QByteArray() << false;
    QTest::newRow("text") << qint64(64) << QByteArray("{\"prompt\":\"caf\xc3\xa9\"}") << QStringLiteral("body")
                          << QByteArray("{\"prompt\":\"caf\xc3\xa9\"}") << false;
    QTest::newRow("text exactly at the cap") << qint64(5) << QByteArray("hello") << QStringLiteral("body")
                                             << QByteArray("hello") << false;
    QTest::newRow("text over the cap") << qint64(5) << QByteArray("hello world") << QStringLiteral("body")
                                       << QByteArray("hello") << true;
    QTest::newRow("cap splits a character") << qint64(4) << QByteArray("ab\xe2\x82\xac" "c") << QStringLiteral("body")
                                            << QByteArray("ab") << true;
    // Qt's JSON reader would drop it from text, so it is kept exact as base64.
    QTest::newRow("byte-order mark kept") << qint64(64) << QByteArray("\xef\xbb\xbfhi") << QStringLiteral("body_b64")
                                          << QByteArray("\xef\xbb\xbfhi") << false;
    QTest::newRow("binary") << qint64(64) << binary << QStringLiteral("body_b64") << binary << false;
    QTest::newRow("binary over the cap") << qint64(8) << binary << QStringLiteral("body_b64") << binary.first(8) << true;
    QTest::newRow("invalid UTF-8") << qint64(64) << QByteArray("\xc3\x28") << QStringLiteral("body_b64")
                                   << QByteArray("\xc3\x28") << false;
    QTest::newRow("NUL bytes are text") << qint64(64) << QByteArray("a\0b", 3) << QStringLiteral("body")
                                        << QByteArray("a\0b", 3) << false;
    // The body is written into the event's JSON from its bytes: every escape must read back exact.
    const QByteArray escapes("q\"b\\s/\b\f\n\r\t\x01\x1f\x7f end");
    QTest::newRow("escaped characters") << qint64(64) << escapes << QStringLiteral("body") << escapes << false;
    QTest::newRow("4-byte character") << qint64(64) << QByteArray("\xf0\x9f\x94\x92 ok") << QStringLiteral("body")
                                      << QByteArray("\xf0\x9f\x94\x92 ok") << false;
    QTest::newRow("overlong form") << qint64(64) << QByteArray("\xc0\xaf") << QStringLiteral("body_b64")
                                   << QByteArray("\xc0\xaf") << false;
    QTest::newRow("encoded surrogate") << qint64(64) << QByteArray("\xed\xa0\x80") << QStringLiteral("body_b64")
                                       << QByteArray("\xed\xa0\x80") << false;
    QTest::newRow("past U+10FFFF") << qint64(64) << QByteArray("\xf4\x90\x80\x80") << QStringLiteral("body_b64")
                                   << QByteArray("\xf4\x90\x80\x80") << false;
    QTest::newRow("cut at the end") << qint64(64) << QByteArray("ab\xe2\x82") << QStringLiteral("body_b64")
                                    << QByteArray("ab\xe2\x82") << false;
}

void tst_Recorder::bodies()
{
    QFETCH(qint64, cap);
    QFETCH(QByteArray, body);
    QFETCH(QString, key);
    QFETCH(QByteArray, recorded);
    QFETCH(bool, truncated);

    Recorder recorder(*m_store, *m_issuer, Recorder::Options{cap});
    QCOMPARE(recorder.options().bodyCap, cap);
    auto s = recorder.begin(alice(), QStringLiteral("llm"), QStringLiteral("127.0.0.1:50005"));
    const qint64 seq = recordDurably(*s, QStringLiteral("http.request"), request(1), body);
    const QJsonObject data = eventData(s->id(), seq);
    QCOMPARE(data.value(QStringLiteral("path")).toString(), QStringLiteral("/v1/items/1"));

    const QString other = key == QLatin1String("body") ? QStringLiteral("body_b64") : QStringLiteral("body");
    if (key.isEmpty()) {
        QVERIFY(!data.contains(QStringLiteral("body")));
        QVERIFY(!data.contains(QStringLiteral("body_b64")));
    } else {
        QVERIFY(!data.contains(other));
        const QString stored = data.value(key).toString();
        QCOMPARE(key == QLatin1String("body") ? stored.toUtf8() : QByteArray::fromBase64(stored.toLatin1()), recorded);
    }
    QCOMPARE(data.value(QStringLiteral("body_truncated")).toBool(), truncated);
    if (truncated)
        QCOMPARE(data.value(QStringLiteral("body_size")).toInteger(), body.size());
    else
        QVERIFY(!data.contains(QStringLiteral("body_size")));
}

qint64 tst_Recorder::recordDurably(SessionRecording &s, const QString &kind, EventJson data, const QByteArray &body)
{
    std::optional<Status> outcome;
    const qint64 seq = s.record(kind, std::move(data), body, this, [&outcome](Status st) { outcome = st; });
    [&] {
        QTRY_VERIFY(outcome.has_value());
        QVERIFY2(outcome->ok(), qPrintable(outcome->error().message));
    }();
    return seq;
}

QByteArray tst_Recorder::storedData(const QString &id, qint64 seq)
{
    Result<QList<StoredEvent>> events = m_store->events(id, seq, 1);
    return events && events->size() == 1 ? events->first().data : QByteArray("(missing)");
}

void tst_Recorder::eventJsonRecordsTheSameBytes_data()
{
    bodies_data();
}

void tst_Recorder::eventJsonRecordsTheSameBytes()
{
    // The proxy records through EventJson; a session must read the same whichever form made it.
    QFETCH(qint64, cap);
    QFETCH(QByteArray, body);
    Recorder recorder(*m_store, *m_issuer, Recorder::Options{cap});
    auto viaObject = recorder.begin(alice(), QStringLiteral("llm"), QStringLiteral("127.0.0.1:50010"));
    auto viaEventJson = recorder.begin(alice(), QStringLiteral("llm"), QStringLiteral("127.0.0.1:50011"));
    const QList<std::pair<QByteArray, QByteArray>> headers{
        {"Content-Type", "text/plain"}, {"Authorization", "Bearer secret"}, {"X-Note", "caf\xc3\xa9"}};
    const QByteArray path("/v1/caf\xc3\xa9?q=\"x\"");

    // A request as the proxy makes it (keys in QJsonObject order).
    const QJsonObject request{{QStringLiteral("headers"), headersForRecord(headers)},
                              {QStringLiteral("method"), QStringLiteral("POST")},
                              {QStringLiteral("path"), QString::fromUtf8(path)},
                              {QStringLiteral("request_id"), QStringLiteral("r-1")}};
    EventJson fastRequest;
    fastRequest.addObject(QLatin1StringView("headers"), headersJsonForRecord(headers))
        .addLatin1(QLatin1StringView("method"), "POST")
        .addUtf8(QLatin1StringView("path"), path)
        .addLatin1(QLatin1StringView("request_id"), "r-1");
    // A response that knows its full size, and one whose caller set body members of its own, which
    // give way to the recorder's when there is a body.
    const QJsonObject sized{{QStringLiteral("body_size"), qint64(1'000'000)}, {QStringLiteral("status"), 200}};
    EventJson fastSized;
    fastSized.addNumber(QLatin1StringView("body_size"), 1'000'000).addNumber(QLatin1StringView("status"), 200);
    const QJsonObject own{{QStringLiteral("body"), QStringLiteral("mine")},
                          {QStringLiteral("body_truncated"), false},
                          {QStringLiteral("status"), 201}};
    EventJson fastOwn;
    fastOwn.addUtf8(QLatin1StringView("body"), QByteArrayView("mine"))
        .addBool(QLatin1StringView("body_truncated"), false)
        .addNumber(QLatin1StringView("status"), 201);

    const std::pair<QJsonObject, EventJson> cases[] = {{request, fastRequest}, {sized, fastSized}, {own, fastOwn}};
    for (const auto &[object, fast] : cases) {
        const qint64 a = recordDurably(*viaObject, QStringLiteral("http.request"), object, body);
        const qint64 b = recordDurably(*viaEventJson, QStringLiteral("http.request"), fast, body);
        QCOMPARE(a, b);
        QCOMPARE(storedData(viaEventJson->id(), b), storedData(viaObject->id(), a));
    }
    QVERIFY(!storedData(viaEventJson->id(), 0).contains("secret"));
}

void tst_Recorder::aKnownFullSizeIsKept()
{
    // A streamed body's first chunk: the proxy knows the full size from Content-Length.
    Recorder recorder(*m_store, *m_issuer, Recorder::Options{4});
    auto s = recorder.begin(alice(), QStringLiteral("llm"), QStringLiteral("127.0.0.1:50006"));
    const qint64 seq = recordDurably(*s, QStringLiteral("http.response"),
                                     QJsonObject{{QStringLiteral("body_size"), 1000000}}, QByteArray("abcdefgh"));
    const QJsonObject data = eventData(s->id(), seq);
    QCOMPARE(data.value(QStringLiteral("body_size")).toInteger(), 1000000);
    QCOMPARE(data.value(QStringLiteral("body")).toString(), QStringLiteral("abcd"));
}

void tst_Recorder::secretHeadersNeverReachTheStore()
{
    const QList<std::pair<QByteArray, QByteArray>> headers{
        {"Authorization", "Bearer client-token-SECRET-1"},
        {"cookie", "sid=SECRET-2"},
        {"Proxy-Authorization", "Basic SECRET-3"},
        {"X-API-Key", "SECRET-4"},   // the connection's credential header
        {"Set-Cookie", "session=SECRET-5; HttpOnly"},
        {"Content-Type", "application/json"},
    };
    const QJsonObject recordedHeaders = headersForRecord(headers, {QByteArrayLiteral("x-api-key")});
    QCOMPARE(recordedHeaders,
             (QJsonObject{{QStringLiteral("content-type"), QStringLiteral("application/json")},
                          {QStringLiteral("set-cookie"), QStringLiteral("[redacted]")}}));

    Recorder recorder(*m_store, *m_issuer);
    auto s = recorder.begin(alice(), QStringLiteral("llm"), QStringLiteral("127.0.0.1:50007"));
    recordDurably(*s, QStringLiteral("http.request"), QJsonObject{{QStringLiteral("headers"), recordedHeaders}});
    s->end();
    waitEnded(s->id());
    m_store.reset();   // everything on disk, WAL included

    QByteArray onDisk;
    for (const QString &dir : QStringList{m_dir->path(), dbPath() + QStringLiteral(".recordings")}) {
        const QStringList files = QDir(dir).entryList(QDir::Files);
        for (const QString &name : files) {
            QFile f(dir + QLatin1Char('/') + name);
            QVERIFY(f.open(QIODevice::ReadOnly));
            onDisk += f.readAll();
        }
    }
    QVERIFY(onDisk.contains("application/json"));   // the scan does see what was recorded
    for (const char *secret : {"SECRET-1", "SECRET-2", "SECRET-3", "SECRET-4", "SECRET-5"})
        QVERIFY2(!onDisk.contains(secret), secret);
}

void tst_Recorder::headersAreRecordedByName()
{
    const QJsonObject h = headersForRecord({{"Accept", "text/plain"},
                                            {"accept", "application/json"},
                                            {"X-Latin", "caf\xe9"},
                                            {"X-Utf8", "caf\xc3\xa9"},
                                            {"AUTHORIZATION", "Bearer x"}});
    QCOMPARE(h.value(QStringLiteral("accept")).toString(), QStringLiteral("text/plain, application/json"));
    QCOMPARE(h.value(QStringLiteral("x-latin")).toString(), QStringLiteral("caf\u00e9"));
    QCOMPARE(h.value(QStringLiteral("x-utf8")).toString(), QStringLiteral("caf\u00e9"));
    QVERIFY(!h.contains(QStringLiteral("authorization")));
    QCOMPARE(h.size(), 3);
}

// ---- verification ---------------------------------------------------------------------------

void tst_Recorder::endedSessionVerifies()
{
    const QString id = endedSession(5);
    openStore();   // what is on disk, not what a cache remembers
    auto v = verifySession(*m_store, *m_issuer, id);
    QVERIFY2(v.ok(), v ? "" : qPrintable(v.error().message));
    QVERIFY2(v->intact, qPrintable(v->reason));
    QCOMPARE(v->events, 5);
    QCOMPARE(v->firstBadSeq, -1);
    QVERIFY(v->reason.isEmpty());
}

void tst_Recorder::emptySessionVerifies()
{
    const QString id = endedSession(0);
    auto v = verifySession(*m_store, *m_issuer, id);
    QVERIFY(v.ok());
    QVERIFY2(v->intact, qPrintable(v->reason));
    QCOMPARE(v->events, 0);
}

void tst_Recorder::openSessionIsIntactButSaysItIsUnsigned()
{
    Recorder recorder(*m_store, *m_issuer);
    auto s = recorder.begin(alice(), QStringLiteral("llm"), QStringLiteral("127.0.0.1:50008"));
    recordDurably(*s, QStringLiteral("http.request"), request(0));
    recordDurably(*s, QStringLiteral("http.response"), request(1));
    auto v = verifySession(*m_store, *m_issuer, s->id());
    QVERIFY(v.ok());
    QVERIFY(v->intact);
    QCOMPARE(v->events, 2);
    QVERIFY2(v->reason.contains(QLatin1String("open")) && v->reason.contains(QLatin1String("signed")),
             qPrintable(v->reason));
}

void tst_Recorder::tamperingIsFound_data()
{
    QTest::addColumn<QString>("tampering");
    QTest::addColumn<qint64>("firstBad");
    QTest::addColumn<QString>("reasonSays");

    // Every session here has events 0..4, each {"method":"GET","path":"/v1/items/<n>"}, 0 and 2
    // and 4 requests, 1 and 3 responses.
    QTest::newRow("changed data") << QStringLiteral("data") << qint64(2) << QStringLiteral("hash");
    QTest::newRow("damaged on disk") << QStringLiteral("damage") << qint64(2) << QStringLiteral("cannot be read");
    QTest::newRow("changed time") << QStringLiteral("time") << qint64(3) << QStringLiteral("hash");
    QTest::newRow("changed kind") << QStringLiteral("kind") << qint64(1) << QStringLiteral("hash");
    QTest::newRow("changed stored hash") << QStringLiteral("hash") << qint64(0) << QStringLiteral("hash");
    QTest::newRow("removed an event") << QStringLiteral("remove 2") << qint64(2) << QStringLiteral("missing");
    QTest::newRow("removed the first event") << QStringLiteral("remove 0") << qint64(0) << QStringLiteral("missing");
    QTest::newRow("removed the last event") << QStringLiteral("remove 4") << qint64(4) << QStringLiteral("removed");
    QTest::newRow("removed the last event, count fixed") << QStringLiteral("remove 4, count") << qint64(4)
                                                         << QStringLiteral("head");
    QTest::newRow("removed the last event, count and head fixed") << QStringLiteral("remove 4, count, head")
                                                                  << qint64(0) << QStringLiteral("signature");
    QTest::newRow("swapped two events") << QStringLiteral("swap") << qint64(1) << QStringLiteral("hash");
    QTest::newRow("added an event") << QStringLiteral("add") << qint64(5) << QStringLiteral("hash");
    QTest::newRow("forged head signature") << QStringLiteral("sql UPDATE sessions SET head_signature = randomblob(64)")
                                           << qint64(0) << QStringLiteral("signature");
    QTest::newRow("head signature removed") << QStringLiteral("sql UPDATE sessions SET head_signature = NULL")
                                            << qint64(0) << QStringLiteral("not signed");
    QTest::newRow("index entry removed") << QStringLiteral("sql DELETE FROM event_runs") << qint64(0)
                                         << QStringLiteral("removed");
}

void tst_Recorder::tamperingIsFound()
{
    QFETCH(QString, tampering);
    QFETCH(qint64, firstBad);
    QFETCH(QString, reasonSays);

    const QString id = endedSession(5);
    QVERIFY(verifySession(*m_store, *m_issuer, id)->intact);
    const QList<StoredEvent> before = *m_store->events(id, 0, 10);
    QCOMPARE(before.size(), 5);
    // Someone else's session id, as long as this one: the record no longer belongs to it.
    const QString elsewhere = QString(id).replace(0, 1, id.front() == u'0' ? u'1' : u'0');
    if (tampering.startsWith(QLatin1String("sql "))) {
        tamper(tampering.mid(4));
    } else if (tampering == u"data") {
        tamperEvents(id, [](journal::Decoded &d) {
            if (d.event.seq == 2)
                d.event.data.replace("GET", "PUT");
        });
    } else if (tampering == u"damage") {
        m_store.reset();
        const QString dir = dbPath() + QStringLiteral(".recordings");
        bool damaged = false;
        for (const QString &name : QDir(dir).entryList({QStringLiteral("*.seg")}, QDir::Files)) {
            QFile f(dir + QLatin1Char('/') + name);
            QVERIFY(f.open(QIODevice::ReadWrite));
            QByteArray bytes = f.readAll();
            const qsizetype at = bytes.indexOf("/v1/items/2");
            if (at < 0)
                continue;
            bytes[at + 1] = 'w';   // a flipped bit, no CRC fixed
            QVERIFY(f.seek(0));
            f.write(bytes);
            damaged = true;
        }
        QVERIFY(damaged);
        openStore();
    } else if (tampering == u"time") {
        tamperEvents(id, [](journal::Decoded &d) {
            if (d.event.seq == 3)
                d.event.tsUs -= 1'000'000;
        });
    } else if (tampering == u"kind") {
        tamperEvents(id, [](journal::Decoded &d) {
            if (d.event.seq == 1)
                d.event.kind = QStringLiteral("policy.masked");   // as long as "http.response"
        });
    } else if (tampering == u"hash") {
        tamperEvents(id, [](journal::Decoded &d) {
            if (d.event.seq == 0)
                d.event.hash = QByteArray(32, '\0');
        });
    } else if (tampering.startsWith(QLatin1String("remove "))) {
        const qint64 seq = tampering.mid(7, 1).toLongLong();
        tamperEvents(id, [&](journal::Decoded &d) {
            if (d.event.seq == seq)
                d.sessionId = elsewhere;
        });
        if (tampering.contains(QLatin1String("head")))
            tamper(QStringLiteral("UPDATE sessions SET event_count = 4, head_hash = X'%1'")
                       .arg(QString::fromLatin1(before.at(3).hash.toHex())));
        else if (tampering.contains(QLatin1String("count")))
            tamper(QStringLiteral("UPDATE sessions SET event_count = 4"));
    } else if (tampering == u"swap") {
        tamperEvents(id, [](journal::Decoded &d) {
            if (d.event.seq == 1 || d.event.seq == 3)
                d.event.seq = 4 - d.event.seq;
        });
    } else if (tampering == u"add") {
        // A copy of the last event as a sixth, appended to its segment and indexed.
        m_store.reset();
        Event copy{5, before.at(4).tsUs, before.at(4).kind, before.at(4).data, before.at(4).hash};
        const QByteArray record = journal::encodeStoredEvent(id, copy);
        auto journalDir = RecordingJournal::open(dbPath() + QStringLiteral(".recordings"));
        QVERIFY(journalDir.ok());
        auto at = (*journalDir)->append(record);
        QVERIFY(at.ok());
        journalDir->reset();
        tamper(QStringLiteral("INSERT INTO event_runs SELECT session_id, 5, 5, last_ts_us, last_ts_us, %1, %2, %3, 1, "
                              "kinds, other_kinds, last_hash FROM event_runs WHERE session_id = '%4'; "
                              "INSERT INTO segments (id, indexed_bytes, sealed) VALUES (%1, %3, 1)")
                   .arg(at->segment)
                   .arg(at->offset)
                   .arg(at->offset + 8 + record.size())
                   .arg(id));
    } else {
        QFAIL("unknown tampering");
    }
    auto v = verifySession(*m_store, *m_issuer, id);
    QVERIFY2(v.ok(), v ? "" : qPrintable(v.error().message));
    QVERIFY(!v->intact);
    QCOMPARE(v->firstBadSeq, firstBad);
    QVERIFY2(v->reason.contains(reasonSays), qPrintable(v->reason));
}

void tst_Recorder::rewrittenChainFailsTheSignature()
{
    // Whoever can write the file and knows the hash layout can rebuild a consistent chain; only
    // the gateway's signature stands in the way.
    const QString id = endedSession(3);
    const QList<StoredEvent> events = *m_store->events(id, 0, 10);
    SessionChain chain;
    QHash<qint64, QByteArray> hashes;
    for (const StoredEvent &e : events) {
        QByteArray data = e.data;
        if (e.seq == 1)
            data.replace("GET", "PUT");
        hashes.insert(e.seq, chain.append(e.seq, e.tsUs, e.kind, data));
    }
    tamperEvents(id, [&](journal::Decoded &d) {
        if (d.event.seq == 1)
            d.event.data.replace("GET", "PUT");
        d.event.hash = hashes.value(d.event.seq);
    });
    tamper(QStringLiteral("UPDATE sessions SET head_hash = X'%1';").arg(QString::fromLatin1(chain.head().toHex())));
    auto v = verifySession(*m_store, *m_issuer, id);
    QVERIFY(v.ok());
    QVERIFY(!v->intact);
    QCOMPARE(v->firstBadSeq, 0);
    QVERIFY2(v->reason.contains(QLatin1String("signature")), qPrintable(v->reason));
}

void tst_Recorder::anotherGatewaysSignatureIsRefused()
{
    const QString id = endedSession(2);
    QTemporaryDir otherDir;
    auto other = TokenIssuer::loadOrCreate(otherDir.path());
    QVERIFY(other.ok());
    const SessionInfo info = **m_store->session(id);
    const QByteArray foreign = (*other)->sign(SessionChain::headMessage(id, info.eventCount, info.headHash));
    QCOMPARE(foreign.size(), 64);
    tamper(QStringLiteral("UPDATE sessions SET head_signature = X'%1'").arg(QString::fromLatin1(foreign.toHex())));
    auto v = verifySession(*m_store, *m_issuer, id);
    QVERIFY(v.ok());
    QVERIFY(!v->intact);
    QVERIFY2(v->reason.contains(QLatin1String("signature")), qPrintable(v->reason));
    // ...while that gateway's own key accepts it: the refusal is about the key, not the bytes.
    QVERIFY(verifySession(*m_store, **other, id)->intact);
}

void tst_Recorder::longSessionsArePagedThrough()
{
    Recorder recorder(*m_store, *m_issuer);
    auto s = recorder.begin(alice(), QStringLiteral("llm"), QStringLiteral("127.0.0.1:50009"));
    const int n = 2100;
    for (int i = 0; i < n - 1; ++i)
        s->record(QStringLiteral("http.chunk"), request(i));
    recordDurably(*s, QStringLiteral("http.chunk"), request(n - 1));
    s->end();
    waitEnded(s->id());
    auto v = verifySession(*m_store, *m_issuer, s->id());
    QVERIFY(v.ok() && v->intact);
    QCOMPARE(v->events, n);

    tamperEvents(s->id(), [](journal::Decoded &d) {
        if (d.event.seq == 1500)
            d.event.data.replace("GET", "PUT");
    });
    v = verifySession(*m_store, *m_issuer, s->id());
    QVERIFY(v.ok());
    QVERIFY(!v->intact);
    QCOMPARE(v->firstBadSeq, 1500);
    QCOMPARE(v->events, 1500);   // the events before it did verify
}

void tst_Recorder::unknownSessionIsAnError()
{
    auto v = verifySession(*m_store, *m_issuer, QStringLiteral("no-such-session"));
    QVERIFY(!v.ok());
    QVERIFY(v.error().message.contains(QLatin1String("no-such-session")));
}

QTEST_GUILESS_MAIN(tst_Recorder)
#include "tst_recorder.moc"
