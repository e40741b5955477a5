// The session routes behind the desktop's sessions list and replay view, against the real daemon:
// search and "has" filters, until, event windows by seq and time, the timeline index, roles.
#include "ui/SessionsTestGateway.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUrl>
#include <QtTest>

using gh::test::SessionsTestGateway;

namespace {

QStringList ids(const QJsonDocument &doc)
{
    QStringList out;
    for (const QJsonValue &v : doc.array())
        out << v.toObject().value(QLatin1String("id")).toString();
    return out;
}

QList<QJsonObject> lines(const QByteArray &body)
{
    QList<QJsonObject> out;
    for (const QByteArray &l : body.split('\n')) {
        if (!l.trimmed().isEmpty())
            out << QJsonDocument::fromJson(l).object();
    }
    return out;
}

qint64 num(const QJsonObject &o, const char *key)
{
    return qint64(o.value(QLatin1String(key)).toDouble());
}

} // namespace

class tst_SessionsQuery final : public QObject {
    Q_OBJECT

private:
    QJsonDocument list(const QString &query, int expectStatus = 200)
    {
        const auto r = m_gw.daemon().request("GET", QStringLiteral("/api/v1/sessions?") + query, m_gw.audrey);
        if (r.status != expectStatus)
            qWarning("%s -> %d %s", qPrintable(query), r.status, r.body.constData());
        return r.status == expectStatus ? r.json() : QJsonDocument();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QString why;
        QVERIFY2(m_gw.start(&why), qPrintable(why));
    }

    void hasFilters()
    {
        QCOMPARE(ids(list(QStringLiteral("has=deny"))), QStringList{m_gw.deniedId()});
        QCOMPARE(ids(list(QStringLiteral("has=masking"))), QStringList{m_gw.maskedId()});
        QCOMPARE(ids(list(QStringLiteral("has=approval"))), QStringList());
        QCOMPARE(ids(list(QStringLiteral("has=deny,masking"))), (QStringList{m_gw.maskedId(), m_gw.deniedId()}));
        QCOMPARE(ids(list(QStringLiteral("has=deny&connection=pii"))), QStringList());
        const auto bad = m_gw.daemon().request("GET", QStringLiteral("/api/v1/sessions?has=deny,oops"), m_gw.audrey);
        QCOMPARE(bad.status, 400);
        QCOMPARE(bad.json().object().value(QLatin1String("error")).toString(), QStringLiteral("invalid"));
    }

    void search()
    {
        const QString masked = m_gw.maskedId();
        QCOMPARE(ids(list(QStringLiteral("q=") + masked.left(8))), QStringList{masked});
        QCOMPARE(ids(list(QStringLiteral("q=") + masked.left(8).toUpper())), QStringList{masked});   // any case
        QCOMPARE(ids(list(QStringLiteral("q=ALIC"))).size(), 3);        // the subject
        QCOMPARE(ids(list(QStringLiteral("q=pi"))), QStringList{masked});   // the connection "pii"
        QCOMPARE(ids(list(QStringLiteral("q=127.0.0.1"))).size(), 3);   // the client address
        QCOMPARE(ids(list(QStringLiteral("q=nobody-has-this"))), QStringList());
        QCOMPARE(ids(list(QStringLiteral("q=") + QString(300, QLatin1Char('x')), 400)), QStringList());
    }

    void timeRange()
    {
        // until is exclusive: the newest session's start leaves the two older ones.
        const QString newestStart = m_gw.sessions.at(0).toObject().value(QLatin1String("started_at")).toString();
        QCOMPARE(ids(list(QStringLiteral("until=") + QString::fromLatin1(QUrl::toPercentEncoding(newestStart)))),
                 (QStringList{m_gw.deniedId(), m_gw.allowedId()}));
        QCOMPARE(ids(list(QStringLiteral("since=1h"))).size(), 3);
        QCOMPARE(ids(list(QStringLiteral("until=1h"))), QStringList());   // until an hour ago: none yet
        QCOMPARE(ids(list(QStringLiteral("since=1h&until=2000-01-01T00:00:00Z"))), QStringList());
        QCOMPARE(m_gw.daemon().request("GET", QStringLiteral("/api/v1/sessions?until=yesterdayish"), m_gw.audrey).status, 400);
        QCOMPARE(m_gw.daemon().request("GET", QStringLiteral("/api/v1/sessions?limit=0"), m_gw.audrey).status, 400);
        QCOMPARE(ids(list(QStringLiteral("limit=1"))), QStringList{m_gw.maskedId()});
    }

    void eventWindows()
    {
        const QString id = m_gw.allowedId();
        const QString base = QStringLiteral("/api/v1/sessions/%1/events").arg(id);
        const auto all = m_gw.daemon().request("GET", base, m_gw.audrey);   // the old route, unchanged
        QCOMPARE(all.status, 200);
        const QList<QJsonObject> every = lines(all.body);
        QVERIFY2(every.size() >= 4, all.body.constData());   // two requests and two responses at least
        QCOMPARE(qint64(every.size()), num(m_gw.sessions.at(2).toObject(), "event_count"));

        const auto window = m_gw.daemon().request("GET", base + QStringLiteral("?from_seq=1&limit=2"), m_gw.audrey);
        QCOMPARE(window.status, 200);
        const QList<QJsonObject> two = lines(window.body);
        QCOMPARE(two.size(), 2);
        QCOMPARE(two.at(0), every.at(1));
        QCOMPARE(two.at(1), every.at(2));

        // By time: from the third event's time on, up to (not including) the last one's.
        const qint64 t2 = num(every.at(2), "ts_us");
        const qint64 tLast = num(every.last(), "ts_us");
        const auto byTime = m_gw.daemon().request(
            "GET", base + QStringLiteral("?from_us=%1&to_us=%2").arg(t2).arg(tLast), m_gw.audrey);
        QCOMPARE(byTime.status, 200);
        const QList<QJsonObject> span = lines(byTime.body);
        QVERIFY(!span.isEmpty());
        QVERIFY(num(span.first(), "seq") <= 2);
        QCOMPARE(num(span.first(), "ts_us"), num(every.at(int(num(span.first(), "seq"))), "ts_us"));
        for (const QJsonObject &e : span)
            QVERIFY(num(e, "ts_us") >= t2 && num(e, "ts_us") < tLast);
        const auto after = m_gw.daemon().request("GET", base + QStringLiteral("?from_us=%1").arg(tLast + 1'000'000), m_gw.audrey);
        QCOMPARE(after.status, 200);
        QVERIFY(lines(after.body).isEmpty());

        for (const char *bad : {"?limit=0", "?limit=10001", "?from_seq=-1", "?from_seq=x", "?from_seq=0&from_us=1", "?to_us=soon"}) {
            const auto r = m_gw.daemon().request("GET", base + QLatin1String(bad), m_gw.audrey);
            QVERIFY2(r.status == 400, bad);
            QCOMPARE(r.json().object().value(QLatin1String("error")).toString(), QStringLiteral("invalid"));
        }
        QCOMPARE(m_gw.daemon().request("GET", QStringLiteral("/api/v1/sessions/nope/events?limit=5"), m_gw.audrey).status, 404);
    }

    void timeline()
    {
        const QString id = m_gw.deniedId();
        const auto every = lines(m_gw.daemon().request("GET", QStringLiteral("/api/v1/sessions/%1/events").arg(id), m_gw.audrey).body);
        const auto r = m_gw.daemon().request("GET", QStringLiteral("/api/v1/sessions/%1/timeline").arg(id), m_gw.audrey);
        QCOMPARE(r.status, 200);
        const QJsonObject t = r.json().object();
        QCOMPARE(num(t, "count"), qint64(every.size()));
        QCOMPARE(num(t, "total"), qint64(every.size()));
        const QJsonArray seq = t.value(QLatin1String("seq")).toArray();
        const QJsonArray ts = t.value(QLatin1String("ts_us")).toArray();
        const QJsonArray kind = t.value(QLatin1String("kind")).toArray();
        const QJsonArray kinds = t.value(QLatin1String("kinds")).toArray();
        QCOMPARE(seq.size(), every.size());
        QCOMPARE(ts.size(), every.size());
        QCOMPARE(kind.size(), every.size());
        for (int i = 0; i < every.size(); ++i) {
            QCOMPARE(qint64(seq.at(i).toDouble()), num(every.at(i), "seq"));
            QCOMPARE(qint64(ts.at(i).toDouble()), num(every.at(i), "ts_us"));
            QCOMPARE(kinds.at(kind.at(i).toInt()).toString(), every.at(i).value(QLatin1String("kind")).toString());
        }
        QVERIFY(kinds.contains(QStringLiteral("policy.refused")));
        QCOMPARE(num(t, "first_us"), num(every.first(), "ts_us"));
        QCOMPARE(num(t, "last_us"), num(every.last(), "ts_us"));

        // A slice of a longer session: one event from the second one on.
        const QString allowed = m_gw.allowedId();
        const auto allowedEvents = lines(m_gw.daemon().request("GET", QStringLiteral("/api/v1/sessions/%1/events").arg(allowed), m_gw.audrey).body);
        QVERIFY(allowedEvents.size() >= 3);
        const qint64 second = num(allowedEvents.at(1), "seq");
        const auto slice = m_gw.daemon().request(
            "GET", QStringLiteral("/api/v1/sessions/%1/timeline?from_seq=%2&limit=1").arg(allowed).arg(second), m_gw.audrey);
        QCOMPARE(slice.status, 200);
        QCOMPARE(num(slice.json().object(), "count"), qint64(1));
        QCOMPARE(num(slice.json().object(), "total"), qint64(allowedEvents.size()));
        QCOMPARE(qint64(slice.json().object().value(QLatin1String("seq")).toArray().at(0).toDouble()), second);
        QCOMPARE(m_gw.daemon().request("GET", QStringLiteral("/api/v1/sessions/%1/timeline?limit=-3").arg(id), m_gw.audrey).status, 400);
        QCOMPARE(m_gw.daemon().request("GET", QStringLiteral("/api/v1/sessions/nope/timeline"), m_gw.audrey).status, 404);
    }

    void roles()
    {
        // Someone who is neither auditor nor admin sees none of it.
        for (const QString &path : {QStringLiteral("/api/v1/sessions?q=a"), QStringLiteral("/api/v1/sessions/%1/timeline").arg(m_gw.deniedId()),
                                    QStringLiteral("/api/v1/sessions/%1/events?limit=1").arg(m_gw.deniedId())}) {
            QCOMPARE(m_gw.daemon().request("GET", path, m_gw.rita).status, 403);
            QCOMPARE(m_gw.daemon().request("GET", path, m_gw.admin()).status, 200);
        }
        QCOMPARE(m_gw.daemon().request("POST", QStringLiteral("/api/v1/sessions/%1/timeline").arg(m_gw.deniedId()), m_gw.admin()).status, 405);
    }

private:
    SessionsTestGateway m_gw;
};

QTEST_GUILESS_MAIN(tst_SessionsQuery)
#include "tst_sessionsquery.moc"
