#include "recording/EventJson.h"
#include "recording/Recorder.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace gh;

namespace {

QByteArray viaQt(const QJsonObject &o)
{
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

using Headers = QList<std::pair<QByteArray, QByteArray>>;

} // namespace

// EventJson is the recorder's fast path: what it writes must be, byte for byte, what the
// QJsonObject path writes, or the same exchange would be recorded differently depending on the
// caller. Every test compares with QJsonDocument itself.
class tst_EventJson : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void textFromUtf8BytesIsWrittenLikeQt_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::newRow("empty") << QByteArray();
        QTest::newRow("ascii") << QByteArray("/v1/chat/completions?stream=true");
        QTest::newRow("quote and backslash") << QByteArray("a\"b\\c");
        QTest::newRow("json escapes") << QByteArray("\b\f\n\r\t");
        QTest::newRow("other control characters") << QByteArray("\x01\x1f\x7f", 3) + QByteArray(1, '\0');
        QTest::newRow("slash stays") << QByteArray("</script>");
        QTest::newRow("two-byte") << QByteArray("caf\xc3\xa9");
        QTest::newRow("three-byte") << QByteArray("\xe2\x82\xac 5");
        QTest::newRow("four-byte") << QByteArray("\xf0\x9f\x98\x80");
        QTest::newRow("U+2028 and U+2029") << QByteArray("\xe2\x80\xa8\xe2\x80\xa9");
        QTest::newRow("byte-order mark inside") << QByteArray("a\xef\xbb\xbf" "b");
        QTest::newRow("invalid lead byte") << QByteArray("a\xff" "b");
        QTest::newRow("lone continuation") << QByteArray("\x80");
        QTest::newRow("truncated sequence") << QByteArray("\xe2\x82");
        QTest::newRow("overlong slash") << QByteArray("\xc0\xaf");
        QTest::newRow("encoded surrogate") << QByteArray("\xed\xa0\x80");
        QTest::newRow("past U+10FFFF") << QByteArray("\xf4\x90\x80\x80");
        QTest::newRow("latin-1 text") << QByteArray("na\xefve");
        // Bodies are scanned eight bytes at a time: every special byte at every offset of a word.
        const QByteArray specials[] = {QByteArray("\""), QByteArray("\\"), QByteArray("\n"), QByteArray(1, '\0'),
                                       QByteArray("\x1f"), QByteArray("\xc3\xa9"), QByteArray("\xef\xbb\xbf"),
                                       QByteArray("\xff"), QByteArray("\x7f")};
        for (const QByteArray &special : specials)
            for (int at = 0; at < 17; ++at)
                QTest::addRow("%s at %d of a long run", special.toHex().constData(), at)
                    << QByteArray(at, 'a') + special + QByteArray(23 - at, 'z');
        QTest::newRow("long ascii") << QByteArray("0123456789abcdefghijklmnopqrstuvwxyz").repeated(40);
    }
    void textFromUtf8BytesIsWrittenLikeQt()
    {
        QFETCH(QByteArray, bytes);
        EventJson fast;
        fast.addUtf8(QLatin1StringView("path"), bytes);
        QCOMPARE(fast.json(), viaQt({{QStringLiteral("path"), QString::fromUtf8(bytes)}}));
    }

    void textFromQStringIsWrittenLikeQt_data()
    {
        QTest::addColumn<QString>("text");
        QTest::newRow("plain") << QStringLiteral("the gateway could not record the request");
        QTest::newRow("escapes") << QStringLiteral("tab\there \"quoted\" back\\slash\nnew line");
        QTest::newRow("non-ascii") << QString::fromUtf8("gr\xc3\xbc\xc3\x9f \xe2\x82\xac \xf0\x9f\x98\x80");
        QTest::newRow("lone high surrogate") << QString(QChar(0xD800)) + QStringLiteral("x");
        QTest::newRow("lone low surrogate") << QStringLiteral("x") + QString(QChar(0xDC00));
        QTest::newRow("nul") << QString(QChar(0)) + QStringLiteral("z");
    }
    void textFromQStringIsWrittenLikeQt()
    {
        QFETCH(QString, text);
        EventJson fast;
        fast.addText(QLatin1StringView("message"), text);
        QCOMPARE(fast.json(), viaQt({{QStringLiteral("message"), text}}));
    }

    void latin1IsWrittenLikeQt()
    {
        QByteArray all;
        for (int c = 0; c < 256; ++c)
            all += char(c);
        EventJson fast;
        fast.addLatin1(QLatin1StringView("request_id"), all);
        QCOMPARE(fast.json(), viaQt({{QStringLiteral("request_id"), QString::fromLatin1(all)}}));
    }

    void membersNumbersAndNestingAreWrittenLikeQt()
    {
        EventJson headers;
        headers.addUtf8(QLatin1StringView("content-type"), QByteArrayView("application/json"));
        EventJson fast;
        // In key order, as a QJsonObject keeps them.
        fast.addNumber(QLatin1StringView("body_size"), 1'000'000)
            .addBool(QLatin1StringView("body_truncated"), false)
            .addObject(QLatin1StringView("headers"), headers)
            .addObject(QLatin1StringView("nothing"), EventJson())
            .addBool(QLatin1StringView("ok"), true)
            .addNumber(QLatin1StringView("status"), 200)
            .addNumber(QLatin1StringView("z"), -42);
        const QJsonObject object{{QStringLiteral("body_size"), qint64(1'000'000)},
                                 {QStringLiteral("body_truncated"), false},
                                 {QStringLiteral("headers"),
                                  QJsonObject{{QStringLiteral("content-type"), QStringLiteral("application/json")}}},
                                 {QStringLiteral("nothing"), QJsonObject()},
                                 {QStringLiteral("ok"), true},
                                 {QStringLiteral("status"), 200},
                                 {QStringLiteral("z"), -42}};
        QCOMPARE(fast.json(), viaQt(object));
        QCOMPARE(EventJson().json(), viaQt({}));
        QVERIFY(EventJson().isEmpty());
        QVERIFY(!fast.isEmpty());
    }

    // Sized up front, an event is built without moving its bytes: a proxied request's two events
    // reallocated three times as their members and body went in.
    void aReservedObjectIsBuiltInPlace()
    {
        const QByteArray headers(600, 'h');
        EventJson data(4096);
        const char *const start = data.json().constData();
        data.addNumber(QLatin1StringView("body_size"), 1024)
            .addUtf8(QLatin1StringView("headers"), headers)
            .addLatin1(QLatin1StringView("request_id"), "abc-1")
            .addNumber(QLatin1StringView("status"), 200);
        QCOMPARE(data.json().constData(), start);
        QVERIFY(data.json().startsWith("{\"body_size\":1024,\"headers\":\"hhh"));
        QCOMPARE(EventJson(0).json(), QByteArray("{}"));
        QVERIFY(EventJson::bodyReserve(1024) >= 1024 * 4 / 3);   // a binary body's base64 fits
    }

    void bodyMembersAreNoticed()
    {
        EventJson none;
        none.addUtf8(QLatin1StringView("bodyguard"), QByteArrayView("x"));
        QVERIFY(!none.hasBody() && !none.hasBodySize() && !none.hasBodyTruncated());
        EventJson all;
        all.addUtf8(QLatin1StringView("body"), QByteArrayView("x"))
            .addNumber(QLatin1StringView("body_size"), 3)
            .addBool(QLatin1StringView("body_truncated"), true);
        QVERIFY(all.hasBody() && all.hasBodySize() && all.hasBodyTruncated());
        EventJson b64;
        b64.addUtf8(QLatin1StringView("body_b64"), QByteArrayView("eA=="));
        QVERIFY(b64.hasBody());
    }

    void headersAreTheSameAsHeadersForRecord_data()
    {
        QTest::addColumn<Headers>("headers");
        QTest::addColumn<QList<QByteArray>>("secrets");
        QTest::newRow("none") << Headers{} << QList<QByteArray>{};
        QTest::newRow("typical request")
            << Headers{{"Host", "127.0.0.1:8701"}, {"User-Agent", "curl/7.88.1"}, {"Accept", "*/*"},
                       {"Authorization", "Bearer secret-token"}, {"X-Request-Id", "abc"}}
            << QList<QByteArray>{};
        QTest::newRow("typical response")
            << Headers{{"Server", "nginx/1.22.1"}, {"Date", "Wed, 25 Nov 2026 15:00:00 GMT"},
                       {"Content-Type", "application/octet-stream"}, {"Content-Length", "1024"},
                       {"Last-Modified", "Wed, 25 Nov 2026 14:00:00 GMT"}, {"Connection", "keep-alive"},
                       {"ETag", "\"65f1-400\""}, {"Accept-Ranges", "bytes"}}
            << QList<QByteArray>{};
        QTest::newRow("secrets, any case and padding")
            << Headers{{"COOKIE", "a=b"}, {" proxy-authorization ", "Basic x"}, {"X-Api-Key", "k"},
                       {"x-upstream-key", "u"}, {"Keep", "me"}}
            << QList<QByteArray>{"x-api-key", " X-Upstream-Key "};
        QTest::newRow("repeats fold in arrival order, whatever their case")
            << Headers{{"Via", "1"}, {"accept", "a"}, {"VIA", "2"}, {"Accept", "b"}, {"via", "3"}}
            << QList<QByteArray>{};
        QTest::newRow("set-cookie redacted and folded")
            << Headers{{"Set-Cookie", "s=1; HttpOnly"}, {"set-cookie", "t=2"}} << QList<QByteArray>{};
        QTest::newRow("values that are not text")
            << Headers{{"X-Latin1", "na\xefve"}, {"X-Bom", "\xef\xbb\xbfhi"}, {"X-Ctl", QByteArray("a\x01\tb\"\\", 6)},
                       {"X-Utf8", "caf\xc3\xa9"}, {"X-Bad", "\xc0\xaf\xff"}}
            << QList<QByteArray>{};
        QTest::newRow("odd names")
            << Headers{{"", "empty name"}, {"  ", "blank name"}, {"X-\xe9t\xc9", "latin-1 name"}, {"A\"B", "quote"},
                       {"a", "x"}, {"A", "y"}, {"[", "bracket sorts after upper case"}, {"_", "underscore"}}
            << QList<QByteArray>{};
    }
    void headersAreTheSameAsHeadersForRecord()
    {
        QFETCH(Headers, headers);
        QFETCH(QList<QByteArray>, secrets);
        QCOMPARE(headersJsonForRecord(headers, secrets).json(), viaQt(headersForRecord(headers, secrets)));
    }
};

QTEST_GUILESS_MAIN(tst_EventJson)
#include "tst_eventjson.moc"
