#pragma once

#include <QByteArray>
#include <QByteArrayView>

namespace gh {

// The JSON string and number codec JsonFieldMasker and SseDeltaMasker share: they read JSON in
// place, byte by byte, and write back only the strings they change.
class JsonText final {
public:
    JsonText() = delete;

    static bool isWs(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

    // Reads the string token at in[pos] (the opening quote) and moves pos past its closing quote.
    // `decoded` views the raw bytes when the string has no escape (the common case: no copy), else
    // `scratch`, which is reused (its capacity kept). False with `error` set on malformed input;
    // pos then points at the offending byte.
    static bool readString(QByteArrayView in, qsizetype &pos, QByteArray &scratch, QByteArrayView &decoded,
                           const char *&error);
    // Reads the number token at in[pos] and moves pos past it.
    static bool readNumber(QByteArrayView in, qsizetype &pos, const char *&error);
    // Writes `text` as a JSON string literal, quotes included. Non-ASCII bytes pass as they are.
    static void appendString(QByteArray &out, QByteArrayView text);
    // The same without the quotes.
    static void appendEscaped(QByteArray &out, QByteArrayView text);
};

// Walks a valid JSON text forward and tells whether a range of it lies inside one string token, so
// a raw pattern match there (which may start at an escape's letter) can be told from one across the
// JSON syntax. Queries must come in order of their start; each byte is looked at about once.
class JsonStringCursor final {
public:
    // The JSON text is json[begin, end); positions are in `json`.
    JsonStringCursor(QByteArrayView json, qsizetype begin, qsizetype end);

    // True when [from, to) lies between the quotes of one string token.
    bool insideString(qsizetype from, qsizetype to);

private:
    void advance(qsizetype to);

    QByteArrayView m_in;
    qsizetype m_begin;
    qsizetype m_end;
    qsizetype m_pos;
    bool m_inString = false;
    bool m_escape = false;
    qsizetype m_close = -1; // the closing quote of the string m_pos is in, once looked for
};

} // namespace gh
