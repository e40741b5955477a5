#include "masking/StreamingMasker.h"

#include <algorithm>
#include <cstring>

namespace gh {

namespace {

// Characters of a PEM body as the private_key detector accepts them (see Detectors.cpp).
bool isKeyBodyChar(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '='
        || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == ':' || c == ','
        || c == '\\' || c == '-';
}

constexpr QByteArrayView kBegin("-----BEGIN");
constexpr QByteArrayView kEnd("-----END");
constexpr QByteArrayView kKeyTail(" PRIVATE KEY-----");
constexpr qsizetype kMaxHeaderLine = 80; // "-----END ENCRYPTED PRIVATE KEY-----" and friends

} // namespace

StreamingMasker::StreamingMasker(std::shared_ptr<const MaskPlan> plan) : StreamingMasker(std::move(plan), Options{}) {}

StreamingMasker::StreamingMasker(std::shared_ptr<const MaskPlan> plan, Options options)
    : m_plan(std::move(plan)), m_options(options),
      m_window(options.window > 0 ? options.window : m_plan->maxMatchLength()), m_tally(*m_plan)
{
    m_options.privateKeyWindow = std::max(m_options.privateKeyWindow, m_window);
    m_options.sseEventBound = std::max<qsizetype>(m_options.sseEventBound, 1);
}

QByteArray StreamingMasker::feed(QByteArrayView chunk)
{
    QByteArray out;
    if (m_plan->empty() && m_options.mode == Mode::Bytes) {
        m_outPos += chunk.size();
        return chunk.toByteArray();
    }
    m_buf.append(chunk.data(), chunk.size());
    process(out, false);
    return out;
}

QByteArray StreamingMasker::finish()
{
    QByteArray out;
    process(out, true);
    m_buf.clear();
    m_ctx = 0;
    m_sseScan = 0;
    m_keyFrom = 0;
    return out;
}

void MaskTally::record(const MaskPlan &plan, int entry, qint64 outOffset, qint64 outLength)
{
    MaskSummary &s = m_byEntry[size_t(entry)];
    if (s.count == 0) {   // named on first use: most entries of a plan never mask a given response
        s.rule = plan.entry(entry).rule;
        s.detector = plan.entry(entry).detector;
    }
    ++s.count;
    if (s.ranges.size() < MaskSummary::kMaxRanges)
        s.ranges.append({outOffset, outLength});
}

QList<MaskSummary> MaskTally::summary() const
{
    QList<MaskSummary> out;
    for (const MaskSummary &s : m_byEntry)
        if (s.count > 0)
            out.append(s);
    return out;
}

QList<MaskSummary> StreamingMasker::summary() const
{
    return m_tally.summary();
}

void StreamingMasker::record(int entry, qint64 outOffset, qint64 outLength)
{
    m_tally.record(*m_plan, entry, outOffset, outLength);
    if (m_hitLog)
        m_hitLog->push_back(Hit{entry, outOffset, outLength});
}

// Drops m_buf[0, cut) after it was emitted, keeping its last kContext bytes as context so the next
// scan judges a word boundary, and ipv4 its "part of a dotted number" check, against the real
// preceding bytes. Returns how many bytes were dropped.
qsizetype StreamingMasker::consume(qsizetype cut, bool keepContext)
{
    constexpr qsizetype kContext = 2;
    const qsizetype drop = keepContext ? std::max<qsizetype>(0, cut - kContext) : cut;
    // Move the carry to the front by hand and keep the capacity. QByteArray::remove(0, n) only
    // advances its start; the next append then found a byte too little room in front and
    // reallocated, growing the block by a chunk on every feed (measured: 40% of streaming time
    // went to page faults and copies).
    const qsizetype keep = m_buf.size() - drop;
    if (drop > 0 && keep > 0)
        std::memmove(m_buf.data(), m_buf.constData() + drop, size_t(keep));
    m_buf.truncate(keep);
    m_ctx = cut - drop;
    m_sseScan = std::max(m_ctx, m_sseScan - drop);
    m_keyFrom = std::max<qsizetype>(0, m_keyFrom - drop);
    m_resumeAt = -1;
    return drop;
}

// After emitting up to the cut and dropping `drop` bytes from the front, keeps what the last scan learned about
// the held-back bytes up to the last byte no match can contain: a match cannot cross that byte, so
// the candidates before it are final and a scan resumed just after it finds what a scan from
// `cut` would (measured: the 4 KiB carry-over was a fifth of the bytes scanned with 16 KiB reads).
void StreamingMasker::keepScanned(qsizetype drop)
{
    const qsizetype brk = m_plan->lastBreak(QByteArrayView(m_buf), m_ctx);
    if (brk < 0)
        return;
    size_t kept = 0;
    for (const MaskPlan::Span &s : m_spans) {
        const MaskPlan::Span moved{s.begin - drop, s.end - drop, s.maskBegin - drop, s.entry};
        if (moved.begin < m_ctx) {
            if (moved.end > m_ctx)
                return; // cut through a candidate (an open key's start): scan again from the cut
            continue;
        }
        if (moved.begin > brk)
            break;
        m_spans[kept++] = moved;
    }
    m_spans.resize(kept);
    m_keptSpans = kept;
    m_resumeAt = brk + 1;
}

// Finds the candidates in m_buf[m_ctx, limit); bytes past limit are not seen.
void StreamingMasker::scanTo(qsizetype limit)
{
    qsizetype from = m_ctx;
    if (m_resumeAt >= m_ctx && m_resumeAt <= limit) {
        from = m_resumeAt;
        m_spans.resize(m_keptSpans);
    } else {
        m_spans.clear();
    }
    m_resumeAt = -1;
    m_plan->findSpans(QByteArrayView(m_buf).first(limit), from, m_spans);
}

// Writes m_buf[m_ctx, cut) masked with the spans of the last scanTo(). The caller guarantees that
// no candidate crosses `cut`.
void StreamingMasker::emitUpTo(QByteArray &out, qsizetype cut)
{
    out.reserve(out.size() + (cut - m_ctx) + 64); // one allocation, not one per appended piece
    qsizetype copied = m_ctx;
    for (const MaskPlan::Span &s : m_spans) {
        if (s.entry < 0 || s.end > cut)
            continue;
        const QByteArray &replace = m_plan->entry(s.entry).replace;
        out.append(m_buf.constData() + copied, s.maskBegin - copied);
        m_outPos += s.maskBegin - copied;
        record(s.entry, m_outPos, replace.size());
        out.append(replace);
        m_outPos += replace.size();
        copied = s.end;
    }
    out.append(m_buf.constData() + copied, cut - copied);
    m_outPos += cut - copied;
}

qsizetype StreamingMasker::sseEventEnd()
{
    return findSseEventEnd(QByteArrayView(m_buf), m_sseScan);
}

// Lines end in \n, \r\n or \r.
qsizetype StreamingMasker::findSseEventEnd(QByteArrayView buf, qsizetype &scanFrom)
{
    const qsizetype n = buf.size();
    const char *b = buf.data();
    for (qsizetype i = scanFrom; i < n; ++i) {
        if (b[i] != '\n' && b[i] != '\r')
            continue;
        qsizetype j = i + 1;
        if (b[i] == '\r') {
            if (j == n) { // a lone \r may yet be the first half of \r\n
                scanFrom = i;
                return -1;
            }
            if (b[j] == '\n')
                ++j;
        }
        if (j == n) {
            scanFrom = i;
            return -1;
        }
        if (b[j] == '\n')
            return j + 1;
        if (b[j] == '\r') // a \n after it, not here yet, would only add an empty line to the next event
            return j + 1 < n && b[j + 1] == '\n' ? j + 2 : j + 1;
        i = j - 1;
    }
    scanFrom = n;
    return -1;
}

// The start of a PEM private key block still being received (BEGIN seen, no END yet, only key
// characters since), or -1. Only the last BEGIN can be open: an earlier one was closed or broken.
qsizetype StreamingMasker::openPrivateKeyAt() const
{
    // memchr for the dash, then compare: glibc's memchr is vectorised, its memmem for a 10-byte
    // needle is not (1.3 instructions a byte in callgrind), and QByteArray::lastIndexOf is a byte
    // loop. Bytes before m_keyFrom were searched already: held-back bytes are searched once.
    qsizetype b = -1;
    const char *const stop = m_buf.constData() + m_buf.size();
    for (const char *at = m_buf.constData() + std::max(m_ctx, m_keyFrom); stop - at >= kBegin.size();) {
        const auto *dash = static_cast<const char *>(memchr(at, '-', size_t(stop - at - (kBegin.size() - 1))));
        if (!dash)
            break;
        if (std::memcmp(dash, kBegin.data(), size_t(kBegin.size())) == 0)
            b = dash - m_buf.constData();
        at = dash + 1;
    }
    m_keyFrom = b >= 0 ? b : std::max(m_ctx, m_buf.size() - (kBegin.size() - 1));
    if (b < 0)
        return -1;
    const qsizetype lineEnd = std::min(m_buf.size(), b + kMaxHeaderLine);
    const qsizetype tail = m_buf.indexOf(kKeyTail, b);
    qsizetype k;
    if (tail < 0 || tail >= lineEnd)
        return lineEnd == m_buf.size() ? b : -1; // header still arriving, or not a private key
    k = tail + kKeyTail.size();
    qsizetype bodyEnd = m_buf.size();
    if (const qsizetype end = m_buf.indexOf(kEnd, k); end >= 0) {
        const qsizetype endTail = m_buf.indexOf(kKeyTail, end);
        if (endTail >= 0 && endTail < end + kMaxHeaderLine)
            return -1; // complete: the detector's own match covers it
        if (m_buf.size() >= end + kMaxHeaderLine)
            return -1; // an END line that is not a private key's: not a key block
        bodyEnd = end;  // the END line is still arriving
    }
    for (; k < bodyEnd; ++k)
        if (!isKeyBodyChar(m_buf[k]))
            return -1;
    return b;
}

// Drops an overlong private key block up to and including its END line. False when more input
// is needed.
bool StreamingMasker::swallow(bool final)
{
    const char *b = m_buf.constData();
    const qsizetype n = m_buf.size();
    for (qsizetype i = m_ctx; i < n; ++i) {
        if (b[i] == '-' && QByteArrayView(m_buf).sliced(i).startsWith(kEnd)) {
            const qsizetype tail = m_buf.indexOf(kKeyTail, i);
            if (tail >= 0 && tail < i + kMaxHeaderLine) {
                consume(tail + kKeyTail.size(), false);
                m_swallowing = false;
                return true;
            }
            if (n - i < kMaxHeaderLine && !final) { // the END line may still be arriving
                consume(i, false);
                return false;
            }
        } else if (b[i] == '-' && n - i < kEnd.size() && kEnd.startsWith(QByteArrayView(m_buf).sliced(i)) && !final) {
            consume(i, false);
            return false;
        } else if (!isKeyBodyChar(b[i])) {
            consume(i, false); // not key material after all: stop dropping here
            m_swallowing = false;
            return true;
        }
    }
    consume(n, false);
    m_swallowing = !final;
    return false;
}

void StreamingMasker::process(QByteArray &out, bool final)
{
    for (;;) {
        if (m_swallowing && !swallow(final))
            return;
        if (m_options.mode == Mode::Sse) {
            const qsizetype end = sseEventEnd();
            if (end >= 0) {
                scanTo(end);
                emitUpTo(out, end);
                consume(end, false);
                m_ctx = 0;
                m_sseScan = 0;
                continue;
            }
            if (!final && m_buf.size() - m_ctx <= m_options.sseEventBound)
                return;
        }
        const qsizetype len = m_buf.size();
        if (final) {
            scanTo(len);
            emitUpTo(out, len);
            consume(len, false);
            return;
        }
        // Everything before len - window - 1 is final: a match of at most `window` bytes starting
        // there lies wholly inside the buffer, with one byte more for a trailing \b.
        qsizetype safe = len - m_window - 1;
        if (m_options.releaseEarly)
            safe = std::max(safe, m_plan->openMatchStart(QByteArrayView(m_buf), std::max(m_ctx, safe)));
        if (safe <= m_ctx)
            return;
        scanTo(len);
        // Hold back every candidate that reaches past the cut, and then any that reaches past the
        // new cut: a failed candidate (a dotted number that is no address, digits failing Luhn)
        // must be scanned again together with the ones it overlaps, or one of those, seen alone,
        // would pass where the whole body's scan rejects it.
        qsizetype cut = safe;
        qsizetype straddlerEnd = -1;
        for (bool moved = true; moved;) {
            moved = false;
            for (const MaskPlan::Span &s : m_spans) {
                if (s.begin >= cut)
                    break;
                if (s.end > cut) {
                    cut = s.begin;
                    straddlerEnd = std::max(straddlerEnd, s.end);
                    moved = true;
                    break;
                }
            }
        }
        const qsizetype key = m_plan->hasPrivateKeyRule() ? openPrivateKeyAt() : -1;
        if (key >= 0 && key < cut)
            cut = key;
        if (len - cut > m_options.privateKeyWindow) {
            if (key >= 0) {
                // An overlong key block (or an open one behind an overlong match): replace it now
                // and drop the rest of it as it arrives. Nothing at or after `key` is sent.
                scanTo(key);
                emitUpTo(out, key);
                const int entry = m_plan->privateKeyEntry();
                const QByteArray &replace = m_plan->entry(entry).replace;
                record(entry, m_outPos, replace.size());
                out.append(replace);
                m_outPos += replace.size();
                consume(key, false);
                m_swallowing = true;
                continue;
            }
            cut = std::max(straddlerEnd, safe); // a single match longer than the bound
        }
        if (cut <= m_ctx)
            return;
        emitUpTo(out, cut); // spans ending past `cut` are skipped: they are not final yet
        const qsizetype dropped = consume(cut, true);
        if (key < 0) // lastBreak() does not see a key block: with one open, scan again from the cut
            keepScanned(dropped);
        return;
    }
}

} // namespace gh
