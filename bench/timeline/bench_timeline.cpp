// bench_timeline: (1) paints 100k synthetic events with the real TimelineWidget into a 1600x120
// QImage at several zoom levels; (2) against a real gatehoused holding a 100k-event session (made
// through the proxy on one keep-alive connection), times loading the replay and seeking: from
// setting the cursor to a far event until the detail pane shows that event in full.
//
//   bench_timeline [--events 100000] [--seeks 40] [--paint-only]
#include "GatewayLink.h"
#include "admin/AdminClient.h"
#include "sessions/EventDetailPane.h"
#include "sessions/SessionExporter.h"
#include "sessions/ReplayView.h"
#include "sessions/TimelineWidget.h"
#include "support/DaemonProcess.h"
#include "support/TestTools.h"

#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QJsonArray>
#include <QJsonObject>
#include <QPainter>
#include <QProcess>
#include <QRandomGenerator>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <cstdio>

namespace {

struct Stats {
    double median = 0;
    double max = 0;
};

Stats stats(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return {v.empty() ? 0 : v[v.size() / 2], v.empty() ? 0 : v.back()};
}

void paintBench(int events)
{
    gh::TimelineWidget w;
    w.resize(1600, 120);
    // Bursty traffic over about a day: exchanges of request, response and a few chunks, some denials,
    // approvals and masking, with idle gaps.
    std::vector<qint64> ts;
    std::vector<quint16> kind;
    QRandomGenerator rng(42);
    qint64 t = 1'700'000'000'000'000;
    while (int(ts.size()) < events) {
        t += rng.bounded(2) ? rng.bounded(200'000) : rng.bounded(20'000'000);
        const int chunks = rng.bounded(6);
        const std::initializer_list<quint16> exchange = {0, 1};
        for (quint16 k : exchange) {
            ts.push_back(t += rng.bounded(5000));
            kind.push_back(k);
        }
        for (int c = 0; c < chunks; ++c) {
            ts.push_back(t += rng.bounded(3000));
            kind.push_back(2);
        }
        const int r = rng.bounded(100);
        if (r < 3) {
            ts.push_back(t += 10);
            kind.push_back(3);
        } else if (r < 5) {
            ts.push_back(t += 10);
            kind.push_back(4);
        } else if (r < 15) {
            ts.push_back(t += 10);
            kind.push_back(5);
        }
    }
    ts.resize(size_t(events));
    kind.resize(size_t(events));
    const qint64 first = ts.front();
    const qint64 last = ts.back();
    w.setEvents(std::move(ts), std::move(kind),
                {QStringLiteral("http.request"), QStringLiteral("http.response"), QStringLiteral("http.chunk"),
                 QStringLiteral("policy.refused"), QStringLiteral("approval.requested"), QStringLiteral("policy.masked")});
    QImage img(1600, 120, QImage::Format_ARGB32_Premultiplied);
    std::printf("paint: %d events over %.0f s, 1600x120 QImage, 200 paints per zoom level\n", events,
                double(last - first) / 1e6);
    {
        // The first paint of a process also fills the font and glyph caches: shown on its own.
        QElapsedTimer cold;
        cold.start();
        QPainter p(&img);
        w.paintTo(p, QRect(0, 0, 1600, 120));
        p.end();
        std::printf("  first paint of the process (cold glyph cache): %.3f ms\n", double(cold.nsecsElapsed()) / 1e6);
    }
    std::printf("  %-28s %10s %10s\n", "zoom", "median ms", "max ms");
    for (double zoom : {1.0, 10.0, 100.0, 1000.0, 100000.0}) {
        w.showAll();
        w.zoomAt(800, zoom);
        std::vector<double> ms;
        for (int i = 0; i < 200; ++i) {
            QElapsedTimer timer;
            timer.start();
            QPainter p(&img);
            w.paintTo(p, QRect(0, 0, 1600, 120));
            p.end();
            ms.push_back(double(timer.nsecsElapsed()) / 1e6);
        }
        const Stats s = stats(ms);
        img.save(QDir::temp().filePath(QStringLiteral("bench_timeline_%1x.png").arg(zoom)));
        const QByteArray label = QByteArray::number(zoom, 'g', 6) + "x (" + QByteArray::number(w.viewSpan() / 1e6, 'f', 3) + " s shown)";
        std::printf("  %-28s %10.3f %10.3f\n", label.constData(), s.median, s.max);
    }
    std::printf("  (one frame per zoom level: %s)\n", qPrintable(QDir::temp().filePath(QStringLiteral("bench_timeline_*x.png"))));
}

// The longest the event loop went without running a 1 ms timer: what a user would feel as a freeze.
class StallMeter final {
public:
    StallMeter()
    {
        m_timer.setInterval(1);
        QObject::connect(&m_timer, &QTimer::timeout, [this] {
            m_max = std::max(m_max, double(m_since.nsecsElapsed()) / 1e6);
            m_since.restart();
        });
    }
    void start()
    {
        m_max = 0;
        m_since.start();
        m_timer.start();
    }
    double stop()
    {
        m_timer.stop();
        return m_max;
    }

private:
    QTimer m_timer;
    QElapsedTimer m_since;
    double m_max = 0;
};

bool waitFor(const std::function<bool()> &done, int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (!done()) {
        if (t.elapsed() > timeoutMs)
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    }
    return true;
}

int seekBench(int events, int seeks)
{
    using namespace gh::test;
    QTemporaryDir tmp;
    const QString load = QStringLiteral(GATEHOUSE_SOURCE_DIR_DEFAULT "/bench/timeline/load.py");
    QProcess upstream;
    upstream.start(QStringLiteral("python3"), {load, QStringLiteral("serve")});
    QByteArray said;
    while (!said.contains('\n') && upstream.waitForReadyRead(10000))
        said += upstream.readAllStandardOutput();
    if (!said.startsWith("PORT "))
        return std::fprintf(stderr, "the bench upstream did not start: %s\n", said.constData()), 1;
    const QByteArray port = said.mid(5).trimmed();
    std::printf("  bench upstream on port %s\n", port.constData());
    const auto stopUpstream = qScopeGuard([&] {
        upstream.kill();
        upstream.waitForFinished();
    });
    DaemonProcess daemon;
    if (!daemon.start())
        return std::fprintf(stderr, "gatehoused: %s\n", qPrintable(daemon.error())), 1;
    const QByteArray rules = "[[connection]]\nname = \"llm\"\ntype = \"http\"\nupstream = \"http://127.0.0.1:" + port
        + "\"\nallow_groups = [\"ml-eng\"]\n";
    QFile f(tmp.filePath(QStringLiteral("r.toml")));
    if (!f.open(QIODevice::WriteOnly) || f.write(rules) != rules.size())
        return 1;
    f.close();
    if (daemon.ctl({QStringLiteral("apply"), QStringLiteral("-f"), f.fileName()}).exitCode != 0)
        return std::fprintf(stderr, "apply failed\n"), 1;
    const QByteArray token = daemon.ctl({QStringLiteral("token"), QStringLiteral("issue"), QStringLiteral("--subject"),
                                         QStringLiteral("bench"), QStringLiteral("--groups"), QStringLiteral("ml-eng")})
                                 .out.trimmed();
    // One keep-alive connection: one session. Probe how many events an exchange makes first.
    auto send = [&](int n) {
        QProcess p;
        p.setProcessChannelMode(QProcess::ForwardedChannels);
        p.start(QStringLiteral("python3"), {load, QStringLiteral("send"), daemon.proxyUrl(), QString::fromLatin1(token), QString::number(n),
                                            QStringLiteral("/llm/v1/models")});
        p.waitForFinished(-1);
        return p.exitCode() == 0;
    };
    QElapsedTimer made;
    made.start();
    if (!send(100))
        return std::fprintf(stderr, "load failed\n"), 1;
    auto newest = [&] {
        return daemon.request("GET", QStringLiteral("/api/v1/sessions?limit=1"), daemon.adminToken()).json().array().at(0).toObject();
    };
    waitFor([&] { return !newest().value(QLatin1String("ended_at")).isNull(); }, 10000);
    const double perExchange = newest().value(QLatin1String("event_count")).toDouble() / 100.0;
    const int exchanges = int(events / perExchange) + 1;
    std::printf("\nseek: making a session of %d exchanges (%.1f events each) through the proxy...\n", exchanges, perExchange);
    std::fflush(stdout);
    if (!send(exchanges))
        return std::fprintf(stderr, "load failed\n"), 1;
    QJsonObject session;
    waitFor([&] {
        session = newest();
        return session.value(QLatin1String("event_count")).toDouble() >= events * 0.99 && !session.value(QLatin1String("ended_at")).isNull();
    }, 120000);
    const QString id = session.value(QLatin1String("id")).toString();
    const qint64 count = qint64(session.value(QLatin1String("event_count")).toDouble());
    std::printf("  session %s: %lld events, made in %.1f s\n", qPrintable(id), count, double(made.elapsed()) / 1000);

    if (qEnvironmentVariableIsSet("BENCH_TIMELINE_KEEP")) {   // for poking at it by hand
        std::printf("  admin %s token %s session %s; waiting for stdin to close\n", qPrintable(daemon.adminUrl()),
                    daemon.adminToken().constData(), qPrintable(id));
        std::fflush(stdout);
        QFile in;
        if (in.open(stdin, QIODevice::ReadOnly))
            in.readAll();
    }
    // The timeline index in one request, as a client sees it (HTTP + JSON parse).
    gh::AdminClient client(QUrl(daemon.adminUrl()), QString::fromLatin1(daemon.adminToken()));
    std::vector<double> idx;
    qsizetype bytes = 0;
    for (int i = 0; i < 5; ++i) {
        QElapsedTimer t;
        t.start();
        const gh::AdminReply r = client.callSync("GET", QStringLiteral("/api/v1/sessions/%1/timeline").arg(id));
        idx.push_back(double(t.nsecsElapsed()) / 1e6);
        bytes = r.body.size();
        if (!r.ok())
            return std::fprintf(stderr, "timeline: %s\n", qPrintable(r.errorText)), 1;
    }
    const Stats is = stats(idx);
    std::vector<double> win;
    for (int i = 0; i < 5; ++i) {
        QElapsedTimer t;
        t.start();
        const gh::AdminReply r = client.callSync(
            "GET", QStringLiteral("/api/v1/sessions/%1/events?from_seq=%2&limit=%3").arg(id).arg(count / 2).arg(gh::ReplayView::windowSize));
        win.push_back(double(t.nsecsElapsed()) / 1e6);
    }
    const Stats ws = stats(win);
    std::printf("  GET /events?from_seq=<middle>&limit=%d (one detail window): median %.1f ms, max %.1f ms (5 runs)\n",
                gh::ReplayView::windowSize, ws.median, ws.max);
    std::printf("  GET /timeline, all %lld events in one answer (%.1f MiB): median %.1f ms, max %.1f ms (5 runs)\n",
                count, double(bytes) / 1048576.0, is.median, is.max);

    gh::GatewayLink link;
    link.attachRemote(QUrl(daemon.adminUrl()), QString::fromLatin1(daemon.adminToken()));
    gh::ReplayView view(&link, nullptr);
    view.resize(1600, 800);
    view.show();
    std::vector<double> opens;
    std::vector<double> stalls;
    StallMeter meter;
    for (int i = 0; i < 3; ++i) {
        bool loaded = false;
        auto c = QObject::connect(&view, &gh::ReplayView::loaded, [&] { loaded = true; });
        QElapsedTimer t;
        t.start();
        meter.start();
        view.open(id);
        if (!waitFor([&] { return loaded; }, 60000))
            return std::fprintf(stderr, "the replay did not load\n"), 1;
        opens.push_back(double(t.nsecsElapsed()) / 1e6);
        stalls.push_back(meter.stop());
        QObject::disconnect(c);
    }
    const Stats os = stats(opens);
    const Stats st = stats(stalls);
    std::printf("  ReplayView::open until the whole timeline is painted-ready (%d slices of %d): median %.1f ms, max %.1f ms (3 runs)\n",
                int((count + gh::ReplayView::sliceSize - 1) / gh::ReplayView::sliceSize), gh::ReplayView::sliceSize, os.median, os.max);
    std::printf("  longest event-loop stall while it loads: median %.1f ms, max %.1f ms\n", st.median, st.max);

    // Export of the whole session to a file, as the sessions page does it.
    {
        QTemporaryDir out;
        gh::SessionExporter exporter(&client, id, count);
        bool finished = false;
        bool ok = false;
        QObject::connect(&exporter, &gh::SessionExporter::finished, [&](bool good, const QString &) {
            finished = true;
            ok = good;
        });
        QElapsedTimer t;
        t.start();
        meter.start();
        exporter.start(out.filePath(QStringLiteral("s.jsonl")));
        if (!waitFor([&] { return finished; }, 300000) || !ok)
            return std::fprintf(stderr, "the export failed\n"), 1;
        const double stall = meter.stop();
        std::printf("  export of all %lld events to JSON Lines (%.0f MiB): %.1f s, longest event-loop stall %.1f ms\n", count,
                    double(QFileInfo(out.filePath(QStringLiteral("s.jsonl"))).size()) / 1048576.0, double(t.elapsed()) / 1000, stall);
    }

    // Seeks to far points: each lands outside the cached windows, so it includes the window fetch.
    QRandomGenerator rng(7);
    std::vector<double> seekMs;
    std::vector<double> cachedMs;
    qint64 shownSeq = -1;
    QObject::connect(&view, &gh::ReplayView::detailShown, [&](qint64 seq) { shownSeq = seq; });
    gh::TimelineWidget *tl = view.timeline();
    for (int i = 0; i < seeks; ++i) {
        const qsizetype target = qsizetype(rng.bounded(quint32(tl->count())));
        const qint64 seq = view.seqAt(target);
        shownSeq = -1;
        QElapsedTimer t;
        t.start();
        tl->setCursor(target);
        if (!waitFor([&] { return shownSeq == seq; }, 10000))
            return std::fprintf(stderr, "seek to %lld did not show\n", seq), 1;
        seekMs.push_back(double(t.nsecsElapsed()) / 1e6);
        // And a step next to it: served from the cached window.
        const qint64 next = view.seqAt(std::min(target + 1, tl->count() - 1));
        shownSeq = -1;
        t.restart();
        tl->setCursor(std::min(target + 1, tl->count() - 1));
        if (next != seq && !waitFor([&] { return shownSeq == next; }, 10000))
            return 1;
        cachedMs.push_back(double(t.nsecsElapsed()) / 1e6);
    }
    const Stats ss = stats(seekMs);
    const Stats cs = stats(cachedMs);
    std::printf("  seek to a random far event until its detail is shown (window fetch of %d events): median %.1f ms, max %.1f ms (%d seeks)\n",
                gh::ReplayView::windowSize, ss.median, ss.max, seeks);
    std::printf("  step to the next event (cached window): median %.2f ms, max %.2f ms\n", cs.median, cs.max);
    daemon.stop();
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    qputenv("QT_QPA_PLATFORM", QByteArrayLiteral("offscreen"));
    if (qEnvironmentVariableIsEmpty("GATEHOUSE_BUILD_DIR"))
        qputenv("GATEHOUSE_BUILD_DIR", QByteArrayLiteral(GATEHOUSE_BUILD_DIR_DEFAULT));
    if (qEnvironmentVariableIsEmpty("GATEHOUSE_SOURCE_DIR"))
        qputenv("GATEHOUSE_SOURCE_DIR", QByteArrayLiteral(GATEHOUSE_SOURCE_DIR_DEFAULT));
    QApplication app(argc, argv);
    const QStringList args = app.arguments();
    auto option = [&](const QString &name, int fallback) {
        const qsizetype at = args.indexOf(name);
        return at >= 0 && at + 1 < args.size() ? args.at(at + 1).toInt() : fallback;
    };
    const int events = option(QStringLiteral("--events"), 100000);
    paintBench(events);
    if (args.contains(QStringLiteral("--paint-only")))
        return 0;
    return seekBench(events, option(QStringLiteral("--seeks"), 40));
}
