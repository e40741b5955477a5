#include "masking/JsonText.h"

namespace gh {

namespace {

void appendUtf8(QByteArray &out, uint cp)
{
    if (cp < 0x80) {
        out += char(cp);
    } else if (cp < 0x800) {
        out += char(0xC0 | (cp >> 6));
        out += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += char(0xE0 | (cp >> 12));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    } else {
        out += char(0xF0 | (cp >> 18));
        out += char(0x80 | ((cp >> 12) & 0x3F));
        out += char(0x80 | ((cp >> 6) & 0x3F));
        out += char(0x80 | (cp & 0x3F));
    }
}

uint hex4(QByteArrayView in, qsizetype &pos)
{
    uint v = 0;
    for (int i = 0; i < 4; ++i, ++pos) {
        if (pos >= in.size())
            return 0x110000;
        const char c = in[pos];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= uint(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= uint(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= uint(c - 'A' + 10);
        else
            return 0x110000;
    }
    return v;
}

// The escape appendString() writes for c, or nullptr when c is written as it is.
const char *shortEscape(char c)
{
    switch (c) {
    case '"': return "\\\"";
    case '\\': return "\\\\";
    case '\n': return "\\n";
    case '\r': return "\\r";
    case '\t': return "\\t";
    case '\b': return "\\b";
    case '\f': return "\\f";
    default: return nullptr;
    }
}

} // namespace

bool JsonText::readString(QByteArrayView in, qsizetype &pos, QByteArray &scratch, QByteArrayView &decoded,
                          const char *&error)
{
    const qsizetype begin = ++pos; // "
    bool escaped = false;
    for (;;) {
        if (pos >= in.size()) {
            error = "unterminated string";
            return false;
        }
        const char c = in[pos];
        if (c == '"')
            break;
        if (static_cast<unsigned char>(c) < 0x20) {
            error = "control character in string";
            return false;
        }
        if (c == '\\') {
            if (!escaped) {
                scratch.resize(0);
                scratch.append(in.data() + begin, pos - begin);
                escaped = true;
            }
            if (++pos >= in.size()) {
                error = "unterminated string";
                return false;
            }
            switch (in[pos]) {
            case '"': scratch += '"'; break;
            case '\\': scratch += '\\'; break;
            case '/': scratch += '/'; break;
            case 'b': scratch += '\b'; break;
            case 'f': scratch += '\f'; break;
            case 'n': scratch += '\n'; break;
            case 'r': scratch += '\r'; break;
            case 't': scratch += '\t'; break;
            case 'u': {
                ++pos;
                uint cp = hex4(in, pos);
                if (cp > 0xFFFF) {
                    error = "bad \\u escape";
                    return false;
                }
                if (cp >= 0xD800 && cp <= 0xDBFF) {
                    if (!in.sliced(pos).startsWith("\\u")) {
                        error = "unpaired surrogate";
                        return false;
                    }
                    pos += 2;
                    const uint lo = hex4(in, pos);
                    if (lo < 0xDC00 || lo > 0xDFFF) {
                        error = "unpaired surrogate";
                        return false;
                    }
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                    error = "unpaired surrogate";
                    return false;
                }
                appendUtf8(scratch, cp);
                continue; // hex4 already moved past the escape
            }
            default:
                error = "bad escape";
                return false;
            }
            ++pos;
            continue;
        }
        if (escaped)
            scratch += c;
        ++pos;
    }
    decoded = escaped ? QByteArrayView(scratch) : in.sliced(begin, pos - begin);
    ++pos; // "
    return true;
}

bool JsonText::readNumber(QByteArrayView in, qsizetype &pos, const char *&error)
{
    auto at = [&](char c) { return pos < in.size() && in[pos] == c; };
    auto digits = [&] {
        const qsizetype from = pos;
        while (pos < in.size() && in[pos] >= '0' && in[pos] <= '9')
            ++pos;
        return pos > from;
    };
    error = "bad number";
    if (at('-'))
        ++pos;
    if (at('0'))
        ++pos;
    else if (!digits())
        return false;
    if (at('.')) {
        ++pos;
        if (!digits())
            return false;
    }
    if (at('e') || at('E')) {
        ++pos;
        if (at('+') || at('-'))
            ++pos;
        if (!digits())
            return false;
    }
    error = nullptr;
    return true;
}

void JsonText::appendString(QByteArray &out, QByteArrayView text)
{
    out.reserve(out.size() + text.size() + 2);
    out += '"';
    appendEscaped(out, text);
    out += '"';
}

void JsonText::appendEscaped(QByteArray &out, QByteArrayView text)
{
    static const char hex[] = "0123456789abcdef";
    qsizetype plain = 0; // text[plain, i) is copied in one go
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const char *esc = shortEscape(c);
        if (!esc && static_cast<unsigned char>(c) >= 0x20)
            continue;
        out.append(text.data() + plain, i - plain);
        plain = i + 1;
        if (esc) {
            out += esc;
        } else {
            out += "\\u00";
            out += hex[(c >> 4) & 0xF];
            out += hex[c & 0xF];
        }
    }
    out.append(text.data() + plain, text.size() - plain);
}

JsonStringCursor::JsonStringCursor(QByteArrayView json, qsizetype begin, qsizetype end)
    : m_in(json), m_begin(begin), m_end(end), m_pos(begin)
{
}

void JsonStringCursor::advance(qsizetype to)
{
    for (; m_pos < to; ++m_pos) {
        const char c = m_in[m_pos];
        if (!m_inString) {
            if (c == '"') {
                m_inString = true;
                m_close = -1;
            }
        } else if (m_escape) {
            m_escape = false;
        } else if (c == '\\') {
            m_escape = true;
        } else if (c == '"') {
            m_inString = false;
        }
    }
}

bool JsonStringCursor::insideString(qsizetype from, qsizetype to)
{
    if (from < m_begin || to > m_end || from < m_pos)
        return false;
    advance(from);
    if (!m_inString)
        return false;
    if (m_close < 0) {
        bool escape = m_escape;
        for (m_close = m_pos; m_close < m_end; ++m_close) {
            const char c = m_in[m_close];
            if (escape)
                escape = false;
            else if (c == '\\')
                escape = true;
            else if (c == '"')
                break;
        }
    }
    return to <= m_close;
}

} // namespace gh
