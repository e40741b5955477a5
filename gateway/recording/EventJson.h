#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QLatin1StringView>
#include <QList>
#include <QString>

#include <utility>

namespace gh {

class ByteWriter;
class EventJson;
EventJson headersJsonForRecord(const QList<std::pair<QByteArray, QByteArray>> &headers,
                               const QList<QByteArray> &extraSecretNames);

// An event's data as a JSON object written straight into bytes: the cheap way to hand
// SessionRecording::record() its fields on every proxied request. For the same members in the same
// order it writes exactly what QJsonDocument(QJsonObject).toJson(Compact) writes (a QJsonObject
// sorts its keys: add them sorted to get the bytes the QJsonObject form records). Keys must be
// unique and are written as given (ASCII literals).
class EventJson final {
public:
    // `reserve`: the bytes the object is expected to grow to, the members the recorder adds for
    // a body included, so building it (and recording it) reallocates nothing.
    explicit EventJson(qsizetype reserve = 256);
    // What the recorder adds for a body of `bytes` at most (its base64 form and the members' names).
    static constexpr qsizetype bodyReserve(qsizetype bytes) { return (bytes + 2) / 3 * 4 + 96; }

    // Text from UTF-8 bytes, read the way QString::fromUtf8 reads them (invalid sequences become
    // U+FFFD).
    EventJson &addUtf8(QLatin1StringView key, QByteArrayView utf8);
    EventJson &addText(QLatin1StringView key, const QString &text);
    // Text from Latin-1 bytes (QString::fromLatin1): request ids, methods, status codes' names.
    EventJson &addLatin1(QLatin1StringView key, QByteArrayView latin1);
    EventJson &addNumber(QLatin1StringView key, qint64 value);
    EventJson &addBool(QLatin1StringView key, bool value);
    EventJson &addObject(QLatin1StringView key, const EventJson &object);

    // The complete object, "{}" when empty.
    const QByteArray &json() const { return m_json; }
    QByteArray take() && { return std::move(m_json); }
    bool isEmpty() const { return m_json.size() <= 2; }

    // Whether one of the body members the recorder writes itself (body, body_b64, body_truncated,
    // body_size) was added; record() then takes a slower path so the recorder's own wins.
    bool hasBody() const { return m_bodyKeys & (Body | BodyB64); }
    bool hasBodyTruncated() const { return m_bodyKeys & BodyTruncated; }
    bool hasBodySize() const { return m_bodyKeys & BodySize; }

private:
    friend EventJson headersJsonForRecord(const QList<std::pair<QByteArray, QByteArray>> &,
                                          const QList<QByteArray> &);
    enum BodyKey : unsigned { Body = 1, BodyB64 = 2, BodyTruncated = 4, BodySize = 8 };
    void beginMember(ByteWriter &out, QLatin1StringView key);

    QByteArray m_json;   // always a complete object: members go in before the closing brace
    unsigned m_bodyKeys = 0;
};

// JSON string writers shared by EventJson and the recorder; they append a quoted, escaped string
// exactly as QJsonDocument writes the same text.
namespace json {
// True when the bytes are text every JSON reader gets back unchanged: strict UTF-8 (no overlong
// forms, surrogates or code points past U+10FFFF, which a round trip would turn into U+FFFD) and no
// U+FEFF, which QJsonDocument drops (a byte-order mark) even inside strings.
bool isSafeUtf8(QByteArrayView bytes);
// `text` must pass isSafeUtf8 (or be ASCII).
void appendUtf8String(QByteArray &out, QByteArrayView text);
void appendLatin1String(QByteArray &out, QByteArrayView latin1);
void appendString(QByteArray &out, const QString &text);
// The same into a writer (core/ByteWriter.h), for callers writing more around them.
void appendUtf8String(ByteWriter &out, QByteArrayView text);
void appendLatin1String(ByteWriter &out, QByteArrayView latin1);
void appendString(ByteWriter &out, const QString &text);
} // namespace json

// The request/response headers as headersForRecord() keeps them (secrets left out, names
// lower-cased, repeats folded, Set-Cookie redacted), written as a JSON object: the same bytes
// QJsonDocument(headersForRecord(...)).toJson(Compact) gives, without the QJsonObject.
EventJson headersJsonForRecord(const QList<std::pair<QByteArray, QByteArray>> &headers,
                               const QList<QByteArray> &extraSecretNames = {});

} // namespace gh
