#include "recording/JournalRecords.h"

#include <QTest>

using namespace gh;

// The journal's record forms: each kind reads back as written, and a damaged record is an error,
// never a crash or a half-filled value.
class tst_JournalRecords : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void startRoundTrips()
    {
        SessionStart s;
        s.id = QStringLiteral("0b5e3c1a-6a41-4f7e-9d55-1f2e3d4c5b6a");
        s.connection = QStringLiteral("llm");
        s.subject = QStringLiteral("zoë@example.com");
        s.groups = {QStringLiteral("eng"), QStringLiteral("ops"), QString()};
        s.issuer = QStringLiteral("https://idp.example.com");
        s.clientAddr = QStringLiteral("[::1]:50123");
        s.startedAtUs = 1764669600123456;
        auto d = journal::decode(journal::encodeStart(s));
        QVERIFY2(d.ok(), qPrintable(d.ok() ? QString() : d.error().message));
        QCOMPARE(int(d->kind), int(journal::Kind::SessionStart));
        QCOMPARE(d->sessionId, s.id);
        QCOMPARE(d->start.connection, s.connection);
        QCOMPARE(d->start.subject, s.subject);
        QCOMPARE(d->start.groups, s.groups);
        QCOMPARE(d->start.issuer, s.issuer);
        QCOMPARE(d->start.clientAddr, s.clientAddr);
        QCOMPARE(d->start.startedAtUs, s.startedAtUs);
    }

    void eventRoundTrips()
    {
        Event e;
        e.seq = 41;
        e.tsUs = -5;   // whatever the clock said, back as it was
        e.kind = QStringLiteral("http.request");
        e.data = QByteArray("{\"body\":\"\\u0000 bin\"}") + QByteArray(1, '\0') + QByteArray(70000, 'z');
        e.hash = QByteArray(32, '\xAB');
        auto d = journal::decode(journal::encodeEvent(QStringLiteral("sess"), e));
        QVERIFY(d.ok());
        QCOMPARE(int(d->kind), int(journal::Kind::Event));
        QCOMPARE(d->sessionId, QStringLiteral("sess"));
        QCOMPARE(d->event.seq, e.seq);
        QCOMPARE(d->event.tsUs, e.tsUs);
        QCOMPARE(d->event.kind, e.kind);
        QCOMPARE(d->event.data, e.data);
        QCOMPARE(d->event.hash, e.hash);
    }

    // The form events are kept in, written where they go (StoredEventRecord, a segment's mapped
    // bytes) and read back: ids and kinds beyond ASCII as UTF-8, large data compressed, exactly
    // size() bytes written.
    void storedEventRoundTrips_data()
    {
        QTest::addColumn<QString>("sessionId");
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QByteArray>("data");
        QTest::newRow("ascii, small") << QStringLiteral("5f0c") << QStringLiteral("http.response")
                                      << QByteArray("{\"status\":200}");
        QTest::newRow("beyond ascii") << QStringLiteral("s\u00e9ance-\U0001F511") << QStringLiteral("r\u00e9ponse")
                                      << QByteArray("{}");
        QTest::newRow("compressed") << QStringLiteral("big") << QStringLiteral("http.response")
                                    << (QByteArray("{\"body\":\"") + QByteArray(70000, 'z') + "\"}");
    }

    void storedEventRoundTrips()
    {
        QFETCH(QString, sessionId);
        QFETCH(QString, kind);
        QFETCH(QByteArray, data);
        Event e;
        e.seq = 7;
        e.tsUs = 1'700'000'000'000'000;
        e.kind = kind;
        e.data = data;
        e.hash = QByteArray(32, '\x5A');
        const journal::StoredEventRecord record(sessionId, e);
        QByteArray bytes(record.size() + 16, '\xEE');   // guard bytes after it stay untouched
        record.write(bytes.data());
        QCOMPARE(bytes.right(16), QByteArray(16, '\xEE'));
        bytes.chop(16);
        QCOMPARE(bytes, journal::encodeStoredEvent(sessionId, e));
        QCOMPARE(data.size() > 4096, bytes.size() < data.size());   // the threshold's compression

        QCOMPARE(bytes.front(), char(journal::Kind::StoredEvent));
        QVERIFY(!journal::decode(bytes.chopped(1)).ok());
        QVERIFY(!journal::decode(QByteArray(bytes + 'x')).ok());
        auto d = journal::decode(bytes);
        QVERIFY2(d.ok(), d.ok() ? "" : qPrintable(d.error().toString()));
        QCOMPARE(int(d->kind), int(journal::Kind::Event));   // decoded: its data inflated
        QCOMPARE(d->sessionId, sessionId);
        QCOMPARE(d->event.seq, e.seq);
        QCOMPARE(d->event.tsUs, e.tsUs);
        QCOMPARE(d->event.kind, kind);
        QCOMPARE(d->event.data, data);
        QCOMPARE(d->event.hash, e.hash);
        auto view = journal::peekEvent(bytes);
        QVERIFY(view.ok() && view->has_value());
        QCOMPARE(QString::fromUtf8((*view)->sessionId), sessionId);
        QCOMPARE((*view)->rawSize, qint64(data.size()));
    }

    void endRoundTrips()
    {
        SessionEnd x;
        x.endedAtUs = 99;
        x.bytesIn = 1LL << 40;
        x.bytesOut = 7;
        x.headHash = QByteArray(32, '\x01');
        x.headSignature = QByteArray(64, '\x02');
        x.eventCount = 12;
        auto d = journal::decode(journal::encodeEnd(QStringLiteral("sess"), x));
        QVERIFY(d.ok());
        QCOMPARE(int(d->kind), int(journal::Kind::SessionEnd));
        QCOMPARE(d->end.endedAtUs, x.endedAtUs);
        QCOMPARE(d->end.bytesIn, x.bytesIn);
        QCOMPARE(d->end.bytesOut, x.bytesOut);
        QCOMPARE(d->end.headHash, x.headHash);
        QCOMPARE(d->end.headSignature, x.headSignature);
        QCOMPARE(d->end.eventCount, x.eventCount);
        x.eventCount.reset();   // "count the stored ones" stays that
        QVERIFY(!journal::decode(journal::encodeEnd(QStringLiteral("sess"), x))->end.eventCount.has_value());
        QCOMPARE(int(journal::decode(journal::encodeProbe())->kind), int(journal::Kind::Probe));
    }

    void damagedRecordsAreErrors()
    {
        Event e;
        e.kind = QStringLiteral("http.response");
        e.data = "{}";
        e.hash = QByteArray(32, 'h');
        const QByteArray whole = journal::encodeEvent(QStringLiteral("s"), e);
        // Every cut short of the whole, and one byte too many.
        for (qsizetype n = 0; n < whole.size(); ++n)
            QVERIFY2(!journal::decode(whole.first(n)).ok(), qPrintable(QString::number(n)));
        QVERIFY(!journal::decode(QByteArray(whole + 'x')).ok());
        QVERIFY(!journal::decode(QByteArray("Q")).ok());   // an unknown kind
        // A length that claims more than there is.
        QByteArray lying = whole;
        lying[1] = '\xFF';
        lying[2] = '\xFF';
        QVERIFY(!journal::decode(lying).ok());
        // A session start whose group count is absurd.
        SessionStart s;
        s.id = QStringLiteral("x");
        QByteArray start = journal::encodeStart(s);
        const qsizetype groupsAt = 1 + 4 + 1 + 4 + 4;   // kind, id "x", connection "", subject ""
        start[groupsAt + 7] = '\x7F';
        QVERIFY(!journal::decode(start).ok());
        // No session id where one is needed.
        QVERIFY(!journal::decode(journal::encodeEvent(QString(), e)).ok());
    }
};

QTEST_GUILESS_MAIN(tst_JournalRecords)
#include "tst_journalrecords.moc"
