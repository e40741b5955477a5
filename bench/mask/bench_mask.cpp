// Throughput of the masking engine against a plain RE2 scan of the same patterns, one core.
//
//   bench_mask [MiB=64] [runs=5] [all|stream|buffer] [clean|dense]
//   (stream|buffer: time only that, for perf; clean|dense: only that corpus)
//
// Corpora: (i) clean English-like text, (ii) JSON lines where about 1 token in 20 is PII. The
// baseline is what any masker must at least do: one RE2 alternation of the ten built-in patterns,
// FindAndConsume'd over the buffer. The masker additionally tells which rule fired, runs the
// checksums and writes the output. Best of `runs`, MB/s = 10^6 bytes per second.
#include "masking/Detectors.h"
#include "masking/MaskPlan.h"
#include "masking/StreamingMasker.h"

#include <re2/re2.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>

using namespace gh;

namespace {

const char *const kWords[] = {
    "the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on",
    "not", "he", "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "had", "they",
    "you", "were", "their", "one", "all", "we", "can", "her", "has", "there", "been", "if", "more", "when",
    "will", "would", "who", "so", "no", "gateway", "request", "response", "policy", "approval", "record",
    "session", "upstream", "customer", "invoice", "shipment", "quarterly", "report", "meeting", "server",
    "database", "network", "latency", "throughput", "configuration", "deployment", "between", "through",
    "important", "different", "following", "without", "another", "general", "possible", "information"};

std::string pick(std::mt19937 &rng)
{
    return kWords[rng() % (sizeof(kWords) / sizeof(kWords[0]))];
}

std::string digits(std::mt19937 &rng, int n)
{
    std::string s;
    for (int i = 0; i < n; ++i)
        s += char('0' + rng() % 10);
    return s;
}

// GCC 12 at -O3 warns falsely (-Wrestrict) on chains of std::string operator+; append instead.
std::string cat(std::initializer_list<std::string> parts)
{
    std::string s;
    for (const std::string &p : parts)
        s.append(p);
    return s;
}

std::string luhnCard(std::mt19937 &rng)
{
    const std::string s = cat({"4", digits(rng, 14)});
    for (char c = '0'; c <= '9'; ++c) {
        std::string t = s;
        t.push_back(c);
        if (gh::luhnValid(QByteArrayView(t.data(), qsizetype(t.size()))))
            return t;
    }
    return s;
}

std::string pii(std::mt19937 &rng)
{
    switch (rng() % 9) {
    case 0: return cat({pick(rng), ".", pick(rng), "@example.com"});
    case 1: return luhnCard(rng);
    case 2: return cat({"5", digits(rng, 2), "-", digits(rng, 2), "-", digits(rng, 4)});
    case 3: return cat({"(555) ", digits(rng, 3), "-", digits(rng, 4)});
    case 4: return "GB82WEST12345698765432";
    case 5: return cat({"10.", std::to_string(rng() % 256), ".", std::to_string(rng() % 256), ".7"});
    case 6: return "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
    case 7: return "AKIAIOSFODNN7EXAMPLE";
    default: return "Bearer abcdef0123456789ABCDEF";
    }
}

QByteArray cleanText(qsizetype bytes)
{
    std::mt19937 rng(1);
    std::string s;
    s.reserve(size_t(bytes) + 256);
    while (qsizetype(s.size()) < bytes) {
        const int len = 8 + int(rng() % 12);
        std::string w = pick(rng);
        w[0] = char(std::toupper(w[0]));
        s += w;
        for (int i = 1; i < len; ++i) {
            s += ' ';
            s += (rng() % 25 == 0) ? std::to_string(rng() % 1000) : pick(rng);
        }
        s += (rng() % 6 == 0) ? ".\n" : ". ";
    }
    return QByteArray(s.data(), bytes);
}

QByteArray denseJson(qsizetype bytes)
{
    std::mt19937 rng(2);
    std::string s;
    s.reserve(size_t(bytes) + 512);
    auto token = [&] { return rng() % 20 == 0 ? pii(rng) : pick(rng); };
    while (qsizetype(s.size()) < bytes) {
        s.append(cat({"{\"id\": ", std::to_string(rng() % 100000), ", \"user\": \"", token(), "\", \"note\": \""}));
        for (int i = 0; i < 14; ++i) {
            if (i)
                s.push_back(' ');
            s.append(token());
        }
        s.append(cat({"\", \"tags\": [\"", token(), "\", \"", token(), "\"], \"owner\": \"", token(), "\"}\n"}));
    }
    return QByteArray(s.data(), bytes);
}

double bestMBps(int runs, qsizetype bytes, const std::function<void()> &f)
{
    double best = 0;
    for (int i = 0; i < runs; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        f();
        const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
        best = std::max(best, double(bytes) / 1e6 / dt.count());
    }
    return best;
}

volatile qsizetype g_sink = 0; // keeps the work observable so the compiler cannot drop it

const char *g_only = ""; // "stream" or "buffer": time only that one (for a profiler)

void run(const char *name, const QByteArray &buf, const std::shared_ptr<const MaskPlan> &plan, const RE2 &baseline, int runs)
{
    if (!std::strcmp(g_only, "stream")) {
        StreamingMasker sm(plan);
        for (int i = 0; i < runs; ++i)
            for (qsizetype at = 0; at < buf.size(); at += 16 * 1024)
                g_sink = g_sink + sm.feed(QByteArrayView(buf).sliced(at, std::min<qsizetype>(16 * 1024, buf.size() - at))).size();
        return;
    }
    if (!std::strcmp(g_only, "buffer")) {
        for (int i = 0; i < runs; ++i)
            g_sink = g_sink + plan->maskBuffer(buf).data.size();
        return;
    }
    long long plainMatches = 0;
    const double plain = bestMBps(runs, buf.size(), [&] {
        re2::StringPiece in(buf.constData(), size_t(buf.size()));
        plainMatches = 0;
        while (RE2::FindAndConsume(&in, baseline))
            ++plainMatches;
    });
    qsizetype hits = 0;
    const double masked = bestMBps(runs, buf.size(), [&] {
        const MaskResult r = plan->maskBuffer(buf);
        hits = r.hits.size();
        g_sink = g_sink + r.data.size();
    });
    const double streamed = bestMBps(runs, buf.size(), [&] {
        StreamingMasker sm(plan);
        qsizetype out = 0;
        for (qsizetype at = 0; at < buf.size(); at += 16 * 1024)
            out += sm.feed(QByteArrayView(buf).sliced(at, std::min<qsizetype>(16 * 1024, buf.size() - at))).size();
        out += sm.finish().size();
        g_sink = g_sink + out;
    });
    std::printf("%-24s %8.1f MB/s plain RE2 scan (%lld matches)\n", name, plain, plainMatches);
    std::printf("%-24s %8.1f MB/s MaskPlan::maskBuffer (%lld hits)   ratio %.2f\n", "", masked, (long long)hits,
                masked / plain);
    std::printf("%-24s %8.1f MB/s StreamingMasker, 16 KiB feeds     ratio %.2f\n", "", streamed, streamed / plain);
}

} // namespace

int main(int argc, char **argv)
{
    const qsizetype mib = argc > 1 ? std::atoi(argv[1]) : 64;
    const int runs = argc > 2 ? std::atoi(argv[2]) : 5;
    if (argc > 3 && std::strcmp(argv[3], "all"))
        g_only = argv[3];
    const char *corpus = argc > 4 ? argv[4] : "";
    QList<Rule> rules;
    for (const QString &d : builtinDetectorNames()) {
        Rule r;
        r.name = QStringLiteral("mask-") + QString(d).replace(QLatin1Char('_'), QLatin1Char('-'));
        r.kind = QStringLiteral("mask");
        r.detector = d;
        rules.append(r);
    }
    auto plan = MaskPlan::compile(rules);
    if (!plan) {
        std::fprintf(stderr, "%s\n", qPrintable(plan.error().toString()));
        return 1;
    }
    const QByteArray alternation = MaskPlan::builtinAlternation();
    RE2::Options o;
    o.set_encoding(RE2::Options::EncodingLatin1);
    o.set_max_mem(64 << 20);
    const RE2 baseline(re2::StringPiece(alternation.constData(), size_t(alternation.size())), o);
    std::printf("bench_mask: %lld MiB per corpus, best of %d, one thread\n", (long long)mib, runs);
    if (std::strcmp(corpus, "dense"))
        run("clean English-like text", cleanText(mib << 20), *plan, baseline, runs);
    if (std::strcmp(corpus, "clean"))
        run("PII-dense JSON lines", denseJson(mib << 20), *plan, baseline, runs);
    return 0;
}
