#include "admin/Metrics.h"

#include <QTest>
#include <QThread>

#include <memory>
#include <vector>

using namespace gh;

class tst_Metrics : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void counterHasHelpAndTypeLines();
    void sameNameAndLabelsGiveTheSameCounter();
    void labelValuesAreEscaped_data();
    void labelValuesAreEscaped();
    void helpTextIsEscaped();
    void histogramBucketsAreCumulative();
    void gaugesAndCallbacksRender();
    void misuseIsNotRendered();
    void concurrentIncrementsSumCorrectly();
    void processMetricsArePlausible();
};

static QList<QByteArray> lines(const QByteArray &text)
{
    QList<QByteArray> out = text.split('\n');
    if (!out.isEmpty() && out.last().isEmpty())
        out.removeLast();
    return out;
}

void tst_Metrics::counterHasHelpAndTypeLines()
{
    Metrics m;
    m.counter("gatehouse_requests_total", "Requests proxied.", {{"connection", "llm"}}).inc(3);
    const QByteArray text = m.renderPrometheus();
    QCOMPARE(lines(text), (QList<QByteArray>{"# HELP gatehouse_requests_total Requests proxied.",
                                             "# TYPE gatehouse_requests_total counter",
                                             "gatehouse_requests_total{connection=\"llm\"} 3"}));
    QVERIFY(text.endsWith('\n'));   // the format wants a final newline
}

void tst_Metrics::sameNameAndLabelsGiveTheSameCounter()
{
    Metrics m;
    Counter &a = m.counter("x_total", "X.", {{"k", "1"}});
    Counter &b = m.counter("x_total", "X.", {{"k", "1"}});
    Counter &c = m.counter("x_total", "X.", {{"k", "2"}});
    QCOMPARE(&a, &b);
    QVERIFY(&a != &c);
    a.inc();
    b.inc();
    c.inc(5);
    const QByteArray text = m.renderPrometheus();
    QCOMPARE(text.count("# TYPE x_total counter"), 1);   // one family, two series
    QVERIFY(text.contains("x_total{k=\"1\"} 2\n"));
    QVERIFY(text.contains("x_total{k=\"2\"} 5\n"));
}

void tst_Metrics::labelValuesAreEscaped_data()
{
    QTest::addColumn<QByteArray>("value");
    QTest::addColumn<QByteArray>("rendered");
    QTest::newRow("quote") << QByteArray("say \"hi\"") << QByteArray("say \\\"hi\\\"");
    QTest::newRow("backslash") << QByteArray("C:\\path") << QByteArray("C:\\\\path");
    QTest::newRow("newline") << QByteArray("two\nlines") << QByteArray("two\\nlines");
    QTest::newRow("utf-8 passes") << QByteArray("caf\xc3\xa9") << QByteArray("caf\xc3\xa9");
}

void tst_Metrics::labelValuesAreEscaped()
{
    QFETCH(QByteArray, value);
    QFETCH(QByteArray, rendered);
    Metrics m;
    m.counter("t_total", "T.", {{"v", value}}).inc();
    const QByteArray text = m.renderPrometheus();
    QVERIFY2(text.contains(QByteArray("t_total{v=\"" + rendered + "\"} 1\n")), text.constData());
    QCOMPARE(lines(text).size(), 3);   // an escaped newline does not break the line structure
}

void tst_Metrics::helpTextIsEscaped()
{
    Metrics m;
    m.gauge("g", "a\\b\nc").set(1);
    QCOMPARE(lines(m.renderPrometheus()).first(), QByteArray("# HELP g a\\\\b\\nc"));
}

void tst_Metrics::histogramBucketsAreCumulative()
{
    Metrics m;
    Histogram &h = m.histogram("lat_seconds", "Latency.", {0.5, 0.1, 1}, {{"route", "/x"}});
    for (double v : {0.05, 0.1, 0.3, 0.7, 2.0})
        h.observe(v);
    const QList<QByteArray> expected{
        "# HELP lat_seconds Latency.",
        "# TYPE lat_seconds histogram",
        "lat_seconds_bucket{route=\"/x\",le=\"0.1\"} 2",   // 0.1 falls into le="0.1"
        "lat_seconds_bucket{route=\"/x\",le=\"0.5\"} 3",
        "lat_seconds_bucket{route=\"/x\",le=\"1\"} 4",
        "lat_seconds_bucket{route=\"/x\",le=\"+Inf\"} 5",
        "lat_seconds_sum{route=\"/x\"} 3.15",
        "lat_seconds_count{route=\"/x\"} 5",
    };
    QCOMPARE(lines(m.renderPrometheus()), expected);
}

void tst_Metrics::gaugesAndCallbacksRender()
{
    Metrics m;
    Gauge &g = m.gauge("open_connections", "Open.");
    g.inc();
    g.inc();
    g.dec();
    m.gaugeCallback("queue_depth", "Depth.", [] { return 0.25; });
    const QByteArray text = m.renderPrometheus();
    QVERIFY(text.contains("\nopen_connections 1\n"));
    QVERIFY(text.contains("\nqueue_depth 0.25\n"));
    QVERIFY(text.contains("# TYPE queue_depth gauge\n"));
}

void tst_Metrics::misuseIsNotRendered()
{
    Metrics m;
    m.counter("dual", "D.").inc();
    QTest::ignoreMessage(QtWarningMsg, "metrics: \"dual\" is already registered with another type");
    m.gauge("dual", "D.").set(7);   // usable, but not rendered
    QTest::ignoreMessage(QtWarningMsg, "metrics: invalid metric name \"1bad\"");
    m.counter("1bad", "B.").inc();
    QTest::ignoreMessage(QtWarningMsg, "metrics: invalid label name \"le\" on h");
    m.counter("h", "H.", {{"le", "1"}}).inc();
    const QByteArray text = m.renderPrometheus();
    QCOMPARE(text, QByteArray("# HELP dual D.\n# TYPE dual counter\ndual 1\n"));
}

void tst_Metrics::concurrentIncrementsSumCorrectly()
{
    Metrics m;
    Counter &c = m.counter("hits_total", "Hits.");
    Histogram &h = m.histogram("sizes", "Sizes.", {10, 100});
    constexpr int threads = metrics::kStripes + 2;   // some stripes shared by two threads
    constexpr int perThread = 50'000;
    std::vector<std::unique_ptr<QThread>> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back(QThread::create([&] {
            for (int i = 0; i < perThread; ++i) {
                c.inc();
                h.observe(double(i % 200));
                // Registration from other threads meanwhile must be safe too.
                if (i % 10'000 == 0)
                    m.counter("hits_total", "Hits.").inc(0);
            }
        }));
        workers.back()->start();
    }
    for (auto &w : workers)
        QVERIFY(w->wait(30'000));
    QCOMPARE(c.value(), quint64(threads) * perThread);
    QCOMPARE(h.sum(), double(threads) * (perThread / 200) * (199 * 200 / 2));   // exact: whole numbers
    const QByteArray text = m.renderPrometheus();
    QVERIFY(text.contains(QByteArray("hits_total " + QByteArray::number(threads * perThread) + '\n')));
    QVERIFY(text.contains(QByteArray("sizes_count " + QByteArray::number(threads * perThread) + '\n')));
    // i % 200 in 0..10 is 11 of every 200 observations.
    QVERIFY(text.contains(QByteArray("sizes_bucket{le=\"10\"} " + QByteArray::number(threads * perThread / 200 * 11) + '\n')));
}

void tst_Metrics::processMetricsArePlausible()
{
    Metrics m;
    m.registerProcessMetrics();
    const double now = double(QDateTime::currentMSecsSinceEpoch()) / 1000.0;
    const double start = ProcessInfo::startTimeSeconds();
    QVERIFY2(start <= now + 1 && start > now - 3600, qPrintable(QString::number(start, 'f')));
    const qint64 rss = ProcessInfo::residentMemoryBytes();
    QVERIFY(rss > 1024 * 1024);   // a Qt process is at least a megabyte
    const QByteArray text = m.renderPrometheus();
    QVERIFY(text.contains("# TYPE process_resident_memory_bytes gauge\n"));
    QVERIFY(text.contains("# TYPE process_start_time_seconds gauge\n"));
}

QTEST_GUILESS_MAIN(tst_Metrics)
#include "tst_metrics.moc"
