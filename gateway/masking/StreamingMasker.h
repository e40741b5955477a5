#pragma once

#include "masking/MaskPlan.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QPair>
#include <QString>

#include <memory>
#include <vector>

namespace gh {

// What one rule masked in one response, for the recording's decision event: counts and where the
// replacements are in the output stream (offset, length), never the original values.
struct MaskSummary {
    QString rule;
    QString detector;
    qint64 count = 0;
    QList<QPair<qint64, qint64>> ranges; // output offset, length; the first kMaxRanges only

    static constexpr qsizetype kMaxRanges = 256;
    friend bool operator==(const MaskSummary &, const MaskSummary &) = default;
};

// What one masker replaced so far, by plan entry: the MaskSummary list its summary() reports.
class MaskTally {
public:
    explicit MaskTally(const MaskPlan &plan) : m_byEntry(plan.entries().size()) {}
    void record(const MaskPlan &plan, int entry, qint64 outOffset, qint64 outLength);
    QList<MaskSummary> summary() const;   // the entries that masked something, in plan order

private:
    std::vector<MaskSummary> m_byEntry;
};

// Masks one response body as it streams, on one thread. Output equals MaskPlan::maskBuffer() of
// the whole body however the body is split into reads, for every match up to window() bytes.
//
// Bytes mode holds back the last window()+1 bytes (the carry-over), moved back further so that no
// candidate is cut; a PEM private key block being received is held up to privateKeyWindow. Past
// that bound the block is replaced and the rest of it dropped up to its END line ("swallowing"),
// so a long key never leaks; any other single match longer than privateKeyWindow is masked as far
// as it was seen and its continuation may pass unmasked.
//
// Sse mode masks a text/event-stream event by event: an event is held until the blank line that
// ends it, then masked and emitted whole, so no event is split mid-match and nothing is delayed
// past its event. An event longer than sseEventBound falls back to the Bytes-mode window.
class StreamingMasker final {
public:
    enum class Mode { Bytes, Sse };
    struct Options {
        Mode mode = Mode::Bytes;
        qsizetype window = 0; // 0: plan->maxMatchLength()
        qsizetype privateKeyWindow = MaskPlan::kPrivateKeyWindow;
        qsizetype sseEventBound = 64 * 1024;
        // Bytes mode: release everything no match still open at the end can reach
        // (MaskPlan::openMatchStart), not only what lies a window back, so a short streamed text
        // goes out word by word. Same output; plans with a custom pattern keep the window.
        bool releaseEarly = false;
    };
    // One replacement as record() counts it, for a caller that frames the output anew.
    struct Hit {
        int entry = 0;
        qint64 offset = 0; // in this masker's output
        qint64 length = 0;
    };

    explicit StreamingMasker(std::shared_ptr<const MaskPlan> plan);
    StreamingMasker(std::shared_ptr<const MaskPlan> plan, Options options);
    Q_DISABLE_COPY_MOVE(StreamingMasker)

    // Bytes that are final and may be sent now (possibly none).
    QByteArray feed(QByteArrayView chunk);
    // The rest, at the end of the body.
    QByteArray finish();

    QList<MaskSummary> summary() const;
    // Every replacement from now on is also appended to `log` (nullptr: stop).
    void setHitLog(std::vector<Hit> *log) { m_hitLog = log; }
    // Where the SSE event starting at buf[0] ends (just past its blank line), or -1 if it has not
    // ended yet; the search resumes at `scanFrom`, which is updated for the next call.
    static qsizetype findSseEventEnd(QByteArrayView buf, qsizetype &scanFrom);
    qint64 bytesOut() const { return m_outPos; }
    qsizetype window() const { return m_window; }
    qsizetype held() const { return m_buf.size() - m_ctx; }

private:
    void process(QByteArray &out, bool final);
    bool swallow(bool final);
    qsizetype sseEventEnd();
    void scanTo(qsizetype limit);
    void emitUpTo(QByteArray &out, qsizetype cut);
    void record(int entry, qint64 outOffset, qint64 outLength);
    qsizetype openPrivateKeyAt() const;
    qsizetype consume(qsizetype cut, bool keepContext);
    void keepScanned(qsizetype drop);

    std::shared_ptr<const MaskPlan> m_plan;
    Options m_options;
    qsizetype m_window;
    QByteArray m_buf;        // context byte(s) + bytes not yet emitted
    qsizetype m_ctx = 0;     // m_buf[0, m_ctx) was already emitted: context for \b only
    qsizetype m_sseScan = 0; // where to resume looking for the end of the current SSE event
    mutable qsizetype m_keyFrom = 0; // no "-----BEGIN" starts in m_buf before this (openPrivateKeyAt)
    qint64 m_outPos = 0;
    bool m_swallowing = false;
    std::vector<MaskPlan::Span> m_spans; // reused: no allocation per feed once warm
    // Held-back bytes already scanned and final: the next scan starts at m_resumeAt (-1: at
    // m_ctx), and the first m_keptSpans of m_spans are the candidates found before it.
    qsizetype m_resumeAt = -1;
    size_t m_keptSpans = 0;
    MaskTally m_tally;
    std::vector<Hit> *m_hitLog = nullptr;
};

} // namespace gh
