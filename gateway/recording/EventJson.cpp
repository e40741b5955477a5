#include "recording/EventJson.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QVarLengthArray>

#include <algorithm>
#include <cstring>

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

} // namespace

namespace json {

bool isSafeUtf8(QByteArrayView bytes)
{
    const auto *p = reinterpret_cast<const quint8 *>(bytes.data());
    const auto *const end = p + bytes.size();
    while (p < end) {
        const quint8 c = *p;
        if (c < 0x80) {
            if (end - p >= 8 && (load8(p) & kHighBits) == 0)
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
void appendEscape(QByteArray &out, quint8 c)
{
    switch (c) {
    case '"': out += "\\\""; break;
    case '\\': out += "\\\\"; break;
    case '\b': out += "\\b"; break;
    case '\f': out += "\\f"; break;
    case '\n': out += "\\n"; break;
    case '\r': out += "\\r"; break;
    case '\t': out += "\\t"; break;
    default: {
        const char u[] = {'\\', 'u', '0', '0', hexDigits[c >> 4], hexDigits[c & 0xF]};
        out.append(u, sizeof u);
    }
    }
}

bool needsEscape(quint8 c)
{
    return c < 0x20 || c == '"' || c == '\\';
}

// Without the quotes: joined header values are written into one string.
void appendUtf8Content(QByteArray &out, QByteArrayView text)
{
    const char *run = text.data();
    const char *const end = text.data() + text.size();
    for (const char *p = run; p < end; ++p) {
        while (end - p >= 8 && plainWord(load8(p)))
            p += 8;
        if (p == end)
            break;
        const auto c = quint8(*p);
        if (!needsEscape(c))
            continue;
        out.append(run, p - run);
        run = p + 1;
        appendEscape(out, c);
    }
    out.append(run, end - run);
}

void appendLatin1Content(QByteArray &out, QByteArrayView latin1)
{
    const char *run = latin1.data();
    const char *const end = latin1.data() + latin1.size();
    for (const char *p = run; p < end; ++p) {
        const auto c = quint8(*p);
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\')
            continue;
        out.append(run, p - run);
        run = p + 1;
        if (c < 0x80) {
            appendEscape(out, c);
        } else {   // U+0080..U+00FF in UTF-8
            const char two[] = {char(0xC0 | (c >> 6)), char(0x80 | (c & 0x3F))};
            out.append(two, sizeof two);
        }
    }
    out.append(run, end - run);
}

bool hasSurrogate(const QString &text)
{
    return std::any_of(text.cbegin(), text.cend(), [](QChar c) { return c.isSurrogate(); });
}

} // namespace

void appendUtf8String(QByteArray &out, QByteArrayView text)
{
    out += '"';
    appendUtf8Content(out, text);
    out += '"';
}

void appendLatin1String(QByteArray &out, QByteArrayView latin1)
{
    out += '"';
    appendLatin1Content(out, latin1);
    out += '"';
}

void appendString(QByteArray &out, const QString &text)
{
    if (hasSurrogate(text)) {
        // A lone surrogate gets a \u escape of its own from QJsonDocument; rare enough to ask it.
        const QByteArray array = QJsonDocument(QJsonArray{text}).toJson(QJsonDocument::Compact);
        out += QByteArrayView(array).sliced(1, array.size() - 2);
        return;
    }
    appendUtf8String(out, text.toUtf8());
}

} // namespace json

// ---- EventJson ------------------------------------------------------------------------------

EventJson::EventJson()
{
    m_json.reserve(256);
    m_json += "{}";
}

void EventJson::beginMember(QLatin1StringView key)
{
    m_json.chop(1);
    if (m_json.size() > 1)
        m_json += ',';
    json::appendLatin1String(m_json, QByteArrayView(key.data(), key.size()));
    m_json += ':';
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
    beginMember(key);
    if (json::isSafeUtf8(utf8))
        json::appendUtf8String(m_json, utf8);
    else   // what QString::fromUtf8 makes of it, replacement characters and all
        json::appendString(m_json, QString::fromUtf8(utf8));
    m_json += '}';
    return *this;
}

EventJson &EventJson::addText(QLatin1StringView key, const QString &text)
{
    beginMember(key);
    json::appendString(m_json, text);
    m_json += '}';
    return *this;
}

EventJson &EventJson::addLatin1(QLatin1StringView key, QByteArrayView latin1)
{
    beginMember(key);
    json::appendLatin1String(m_json, latin1);
    m_json += '}';
    return *this;
}

EventJson &EventJson::addNumber(QLatin1StringView key, qint64 value)
{
    beginMember(key);
    m_json += QByteArray::number(value);
    m_json += '}';
    return *this;
}

EventJson &EventJson::addBool(QLatin1StringView key, bool value)
{
    beginMember(key);
    m_json += value ? "true" : "false";
    m_json += '}';
    return *this;
}

EventJson &EventJson::addObject(QLatin1StringView key, const EventJson &object)
{
    beginMember(key);
    m_json += object.m_json;
    m_json += '}';
    return *this;
}

// ---- headers --------------------------------------------------------------------------------

namespace {

quint8 asciiLower(quint8 c)
{
    return c >= 'A' && c <= 'Z' ? quint8(c + ('a' - 'A')) : c;
}

bool equalsAsciiCaseInsensitive(QByteArrayView a, QByteArrayView b)
{
    if (a.size() != b.size())
        return false;
    for (qsizetype i = 0; i < a.size(); ++i)
        if (asciiLower(quint8(a[i])) != asciiLower(quint8(b[i])))
            return false;
    return true;
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

void appendLoweredKey(QByteArray &out, QByteArrayView name)
{
    QVarLengthArray<char, 64> lowered(name.size());
    std::transform(name.begin(), name.end(), lowered.begin(), [](char c) { return char(asciiLower(quint8(c))); });
    json::appendLatin1String(out, QByteArrayView(lowered.constData(), lowered.size()));
}

void appendHeaderValue(QByteArray &out, QByteArrayView value)
{
    // As headersForRecord's headerText(): UTF-8 when it is safely that, otherwise Latin-1.
    if (json::isSafeUtf8(value))
        json::appendUtf8Content(out, value);
    else
        json::appendLatin1Content(out, value);
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
    for (const auto &[name, value] : headers) {
        const QByteArrayView trimmed = QByteArrayView(name).trimmed();
        if (trimmed.isEmpty())
            continue;
        auto is = [&](QByteArrayView other) { return equalsAsciiCaseInsensitive(trimmed, other); };
        if (is("authorization") || is("proxy-authorization") || is("cookie")
            || std::any_of(extraSecretNames.cbegin(), extraSecretNames.cend(),
                           [&](const QByteArray &n) { return is(QByteArrayView(n).trimmed()); }))
            continue;
        kept.append({trimmed, value, is("set-cookie")});
    }
    // A QJsonObject keeps its keys sorted; repeats stay in arrival order, folded into one value.
    std::stable_sort(kept.begin(), kept.end(),
                     [](const Kept &a, const Kept &b) { return lessAsciiCaseInsensitive(a.name, b.name); });

    EventJson out;
    QByteArray &json = out.m_json;
    json.chop(1);
    qsizetype bytes = 0;
    for (const Kept &k : kept)
        bytes += k.name.size() + k.value.size() + 8;
    json.reserve(json.size() + bytes + bytes / 8 + 2);
    for (qsizetype i = 0; i < kept.size();) {
        if (json.size() > 1)
            json += ',';
        appendLoweredKey(json, kept[i].name);
        json += ":\"";
        qsizetype j = i;
        for (; j < kept.size() && equalsAsciiCaseInsensitive(kept[j].name, kept[i].name); ++j) {
            if (j > i)
                json += ", ";
            if (kept[j].redacted)
                json += "[redacted]";
            else
                appendHeaderValue(json, kept[j].value);
        }
        json += '"';
        i = j;
    }
    json += '}';
    return out;
}

} // namespace gh
