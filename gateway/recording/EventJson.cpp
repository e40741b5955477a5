#include "recording/EventJson.h"

#include "core/AsciiCase.h"
#include "core/ByteWriter.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QVarLengthArray>

#include <algorithm>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace gh {

namespace {

// Eight bytes at a time: bodies are mostly ASCII that needs no escape, and these two scans run over
// every recorded body byte.
constexpr quint64 kOnes = 0x0101010101010101ULL;
constexpr quint64 kHighBits = 0x8080808080808080ULL;

quint64 load8(const void *p)
{
    quint64 w;
    std::memcpy(&w, p, sizeof w);
    return w;
}

bool anyByteBelow(quint64 w, quint8 n)   // exact for n <= 128
{
    return ((w - kOnes * n) & ~w & kHighBits) != 0;
}

bool anyByteIs(quint64 w, quint8 c)
{
    return anyByteBelow(w ^ (kOnes * c), 1);
}

// True when none of the eight bytes is a control character, '"' or '\\' (the bytes JSON escapes).
bool plainWord(quint64 w)
{
    return !anyByteBelow(w, 0x20) && !anyByteIs(w, '"') && !anyByteIs(w, '\\');
}

#if defined(__SSE2__)
// Sixteen bytes at a time where the CPU has it (every x86-64 does): a recorded 1 KiB body is
// scanned twice (is it text, what needs escaping), and these loops were a tenth of an event's cost.
bool ascii16(const char *p)
{
    return _mm_movemask_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i *>(p))) == 0;
}

bool plain16(const char *p)
{
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
    const __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1F)), v);   // v <= 0x1F
    const __m128i quote = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
    const __m128i backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
    return _mm_movemask_epi8(_mm_or_si128(control, _mm_or_si128(quote, backslash))) == 0;
}
#else
bool ascii16(const char *p)
{
    return ((load8(p) | load8(p + 8)) & kHighBits) == 0;
}

bool plain16(const char *p)
{
    return plainWord(load8(p)) && plainWord(load8(p + 8));
}
#endif

} // namespace

namespace json {

bool isSafeUtf8(QByteArrayView bytes)
{
    const auto *p = reinterpret_cast<const quint8 *>(bytes.data());
    const auto *const end = p + bytes.size();
    while (p < end) {
        const quint8 c = *p;
        if (c < 0x80) {
            if (end - p >= 16 && ascii16(reinterpret_cast<const char *>(p)))
                p += 16;
            else if (end - p >= 8 && (load8(p) & kHighBits) == 0)
                p += 8;
            else
                ++p;
            continue;
        }
        qsizetype n = 0;
        quint32 cp = 0;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (end - p <= n)
            return false;
        for (qsizetype i = 1; i <= n; ++i) {
            if ((p[i] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF
            || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFEFF)
            return false;
        p += n + 1;
    }
    return true;
}

namespace {

constexpr char hexDigits[] = "0123456789abcdef";

// The escape QJsonDocument writes for an ASCII character that cannot stand as itself.
void appendEscape(ByteWriter &out, quint8 c)
{
    switch (c) {
    case '"': out.literal("\\\""); break;
    case '\\': out.literal("\\\\"); break;
    case '\b': out.literal("\\b"); break;
    case '\f': out.literal("\\f"); break;
    case '\n': out.literal("\\n"); break;
    case '\r': out.literal("\\r"); break;
    case '\t': out.literal("\\t"); break;
    default: {
        const char u[] = {'\\', 'u', '0', '0', hexDigits[c >> 4], hexDigits[c & 0xF]};
        out.put(u, sizeof u);
    }
    }
}

bool needsEscape(quint8 c)
{
    return c < 0x20 || c == '"' || c == '\\';
}

// Without the quotes: joined header values are written into one string.
void appendUtf8Content(ByteWriter &out, QByteArrayView text)
{
    const char *run = text.data();
    const char *const end = text.data() + text.size();
    for (const char *p = run; p < end; ++p) {
        while (end - p >= 16 && plain16(p))
            p += 16;
        while (end - p >= 8 && plainWord(load8(p)))
            p += 8;
        if (p == end)
            break;
        const auto c = quint8(*p);
        if (!needsEscape(c))
            continue;
        out.put(run, p - run);
        run = p + 1;
        appendEscape(out, c);
    }
    out.put(run, end - run);
}

void appendLatin1Content(ByteWriter &out, QByteArrayView latin1)
{
    const char *run = latin1.data();
    const char *const end = latin1.data() + latin1.size();
    for (const char *p = run; p < end; ++p) {
        // Plain ASCII (ids, methods, most header names) goes by 16 and 8 bytes at a time.
        while (end - p >= 16 && plain16(p) && ascii16(p))
            p += 16;
        while (end - p >= 8 && plainWord(load8(p)) && (load8(p) & kHighBits) == 0)
            p += 8;
        if (p == end)
            break;
        const auto c = quint8(*p);
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\')
            continue;
        out.put(run, p - run);
        run = p + 1;
        if (c < 0x80) {
            appendEscape(out, c);
        } else {   // U+0080..U+00FF in UTF-8
            const char two[] = {char(0xC0 | (c >> 6)), char(0x80 | (c & 0x3F))};
            out.put(two, sizeof two);
        }
    }
    out.put(run, end - run);
}

bool hasSurrogate(const QString &text)
{
    return std::any_of(text.cbegin(), text.cend(), [](QChar c) { return c.isSurrogate(); });
}

} // namespace

void appendUtf8String(ByteWriter &out, QByteArrayView text)
{
    out.reserve(text.size() + 2);
    out.put('"');
    appendUtf8Content(out, text);
    out.put('"');
}

void appendLatin1String(ByteWriter &out, QByteArrayView latin1)
{
    out.reserve(latin1.size() + 2);
    out.put('"');
    appendLatin1Content(out, latin1);
    out.put('"');
}

void appendString(ByteWriter &out, const QString &text)
{
    if (hasSurrogate(text)) {
        // A lone surrogate gets a \u escape of its own from QJsonDocument; rare enough to ask it.
        const QByteArray array = QJsonDocument(QJsonArray{text}).toJson(QJsonDocument::Compact);
        out.put(QByteArrayView(array).sliced(1, array.size() - 2));
        return;
    }
    appendUtf8String(out, text.toUtf8());
}

void appendUtf8String(QByteArray &out, QByteArrayView text)
{
    ByteWriter w(out, text.size() + 2);
    appendUtf8String(w, text);
}

void appendLatin1String(QByteArray &out, QByteArrayView latin1)
{
    ByteWriter w(out, latin1.size() + 2);
    appendLatin1String(w, latin1);
}

void appendString(QByteArray &out, const QString &text)
{
    ByteWriter w(out, text.size() + 2);
    appendString(w, text);
}

} // namespace json

// ---- EventJson ------------------------------------------------------------------------------

EventJson::EventJson(qsizetype reserve)
{
    m_json.reserve(std::max<qsizetype>(reserve, 256));
    m_json.append("{}", 2);
}

void EventJson::beginMember(ByteWriter &out, QLatin1StringView key)
{
    // Keys are the callers' ASCII literals (see the header): written as they are, no escaping.
    Q_ASSERT(std::all_of(key.begin(), key.end(), [](char c) { return quint8(c) >= 0x20 && quint8(c) < 0x80 && c != '"' && c != '\\'; }));
    out.chop(1);   // the closing brace, written again by the caller
    char *p = out.claim(key.size() + 4);
    char *const start = p;
    if (out.size() > 1)
        *p++ = ',';
    *p++ = '"';
    std::memcpy(p, key.data(), size_t(key.size()));
    p += key.size();
    *p++ = '"';
    *p++ = ':';
    out.advance(p - start);
    if (key.startsWith(QLatin1String("body"))) {
        if (key == QLatin1String("body"))
            m_bodyKeys |= Body;
        else if (key == QLatin1String("body_b64"))
            m_bodyKeys |= BodyB64;
        else if (key == QLatin1String("body_truncated"))
            m_bodyKeys |= BodyTruncated;
        else if (key == QLatin1String("body_size"))
            m_bodyKeys |= BodySize;
    }
}

EventJson &EventJson::addUtf8(QLatin1StringView key, QByteArrayView utf8)
{
    ByteWriter out(m_json, key.size() + utf8.size() + 8);
    beginMember(out, key);
    if (json::isSafeUtf8(utf8))
        json::appendUtf8String(out, utf8);
    else   // what QString::fromUtf8 makes of it, replacement characters and all
        json::appendString(out, QString::fromUtf8(utf8));
    out.put('}');
    return *this;
}

EventJson &EventJson::addText(QLatin1StringView key, const QString &text)
{
    ByteWriter out(m_json, key.size() + text.size() + 8);
    beginMember(out, key);
    json::appendString(out, text);
    out.put('}');
    return *this;
}

EventJson &EventJson::addLatin1(QLatin1StringView key, QByteArrayView latin1)
{
    ByteWriter out(m_json, key.size() + latin1.size() + 8);
    beginMember(out, key);
    json::appendLatin1String(out, latin1);
    out.put('}');
    return *this;
}

EventJson &EventJson::addNumber(QLatin1StringView key, qint64 value)
{
    ByteWriter out(m_json, key.size() + 28);
    beginMember(out, key);
    out.number(value);
    out.put('}');
    return *this;
}

EventJson &EventJson::addBool(QLatin1StringView key, bool value)
{
    ByteWriter out(m_json, key.size() + 12);
    beginMember(out, key);
    if (value)
        out.literal("true");
    else
        out.literal("false");
    out.put('}');
    return *this;
}

EventJson &EventJson::addObject(QLatin1StringView key, const EventJson &object)
{
    ByteWriter out(m_json, key.size() + object.m_json.size() + 8);
    beginMember(out, key);
    out.put(object.m_json);
    out.put('}');
    return *this;
}

// ---- headers --------------------------------------------------------------------------------

namespace {

quint8 asciiLower(quint8 c)
{
    return quint8(gh::asciiLower(char(c)));
}

// Orders names as their lower-cased Latin-1 forms compare in a QJsonObject (by UTF-16 code unit,
// which for Latin-1 is the byte).
bool lessAsciiCaseInsensitive(QByteArrayView a, QByteArrayView b)
{
    const qsizetype n = std::min(a.size(), b.size());
    for (qsizetype i = 0; i < n; ++i) {
        const quint8 x = asciiLower(quint8(a[i]));
        const quint8 y = asciiLower(quint8(b[i]));
        if (x != y)
            return x < y;
    }
    return a.size() < b.size();
}

// Names are tokens, which need no escape: written lower-cased as they are, through the escaping
// writer only when one is not.
void appendLoweredKey(ByteWriter &out, QByteArrayView name)
{
    char *const start = out.claim(name.size() + 2);
    char *p = start;
    *p++ = '"';
    for (const char ch : name) {
        const quint8 c = asciiLower(quint8(ch));
        if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') {
            QVarLengthArray<char, 64> lowered(name.size());
            std::transform(name.begin(), name.end(), lowered.begin(), [](char x) { return char(asciiLower(quint8(x))); });
            json::appendLatin1String(out, QByteArrayView(lowered.constData(), lowered.size()));
            return;
        }
        *p++ = char(c);
    }
    *p++ = '"';
    out.advance(p - start);
}

void appendHeaderValue(ByteWriter &out, QByteArrayView value)
{
    // As headersForRecord's headerText(): UTF-8 when it is safely that, otherwise Latin-1.
    if (json::isSafeUtf8(value))
        json::appendUtf8Content(out, value);
    else
        json::appendLatin1Content(out, value);
}

enum class Secret { No, Yes, Redacted };

Secret secrecy(QByteArrayView name, const QList<QByteArray> &extraSecretNames)
{
    auto is = [&](QByteArrayView other) { return equalsIgnoringAsciiCase(name, other); };
    if (is("authorization") || is("proxy-authorization") || is("cookie"))
        return Secret::Yes;
    for (const QByteArray &n : extraSecretNames)
        if (is(QByteArrayView(n).trimmed()))
            return Secret::Yes;
    return is("set-cookie") ? Secret::Redacted : Secret::No;
}

} // namespace

EventJson headersJsonForRecord(const QList<std::pair<QByteArray, QByteArray>> &headers,
                               const QList<QByteArray> &extraSecretNames)
{
    struct Kept {
        QByteArrayView name;   // trimmed, original case
        QByteArrayView value;
        bool redacted;
    };
    QVarLengthArray<Kept, 32> kept;
    qsizetype bytes = 0;
    for (const auto &[name, value] : headers) {
        const QByteArrayView trimmed = QByteArrayView(name).trimmed();
        if (trimmed.isEmpty())
            continue;
        const Secret secret = secrecy(trimmed, extraSecretNames);
        if (secret == Secret::Yes)
            continue;
        // A QJsonObject keeps its keys sorted; repeats stay in arrival order, folded into one
        // value. Insertion keeps that order and allocates nothing for the usual dozen headers.
        qsizetype at = kept.size();
        while (at > 0 && lessAsciiCaseInsensitive(trimmed, kept[at - 1].name))
            --at;
        kept.insert(at, Kept{trimmed, value, secret == Secret::Redacted});
        bytes += trimmed.size() + value.size() + 8;
    }

    EventJson result;
    ByteWriter out(result.m_json, bytes + bytes / 8 + 2);
    out.chop(1);
    for (qsizetype i = 0; i < kept.size();) {
        if (out.size() > 1)
            out.put(',');
        appendLoweredKey(out, kept[i].name);
        out.literal(":\"");
        qsizetype j = i;
        for (; j < kept.size() && equalsIgnoringAsciiCase(kept[j].name, kept[i].name); ++j) {
            if (j > i)
                out.literal(", ");
            if (kept[j].redacted)
                out.literal("[redacted]");
            else
                appendHeaderValue(out, kept[j].value);
        }
        out.put('"');
        i = j;
    }
    out.put('}');
    out.finish();
    return result;
}

} // namespace gh
