#include "recording/JournalRecords.h"

#include "core/ByteWriter.h"

#include <cstring>
#include <optional>

namespace gh::journal {

namespace {

bool isAscii(const QString &text)
{
    for (const QChar c : text)
        if (c.unicode() >= 0x80)
            return false;
    return true;
}

// The fields, little-endian, into room made beforehand (by Writer, or a record sized in advance).
char *putLength(char *out, qsizetype size)
{
    const auto n = quint32(size);
    for (int i = 0; i < 4; ++i)
        out[i] = char((n >> (8 * i)) & 0xFF);
    return out + 4;
}

char *putI64(char *out, qint64 v)
{
    for (int i = 0; i < 8; ++i)
        out[i] = char((quint64(v) >> (8 * i)) & 0xFF);
    return out + 8;
}

char *putBytes(char *out, QByteArrayView v)
{
    out = putLength(out, v.size());
    if (!v.isEmpty())
        std::memcpy(out, v.data(), size_t(v.size()));
    return out + v.size();
}

// An ASCII text as it is (its UTF-8 is itself), any other through its UTF-8 form.
char *putText(char *out, const QString &text, const QByteArray &utf8)
{
    if (!utf8.isNull())
        return putBytes(out, utf8);
    out = putLength(out, text.size());
    const QChar *in = text.constData();
    for (qsizetype i = 0; i < text.size(); ++i)
        out[i] = char(in[i].unicode());
    return out + text.size();
}

class Writer {
public:
    explicit Writer(Kind kind, qsizetype reserve = 64) : m_writer(m_out, reserve) { m_writer.put(char(kind)); }
    Q_DISABLE_COPY_MOVE(Writer)
    Writer &i64(qint64 v)
    {
        putI64(m_writer.claim(8), v);
        m_writer.advance(8);
        return *this;
    }
    Writer &bytes(QByteArrayView v)
    {
        putBytes(m_writer.claim(4 + v.size()), v);
        m_writer.advance(4 + v.size());
        return *this;
    }
    Writer &text(const QString &v)
    {
        // Ids and kinds are ASCII: written as they are read, without a UTF-8 copy.
        if (!isAscii(v))
            return bytes(v.toUtf8());
        putText(m_writer.claim(4 + v.size()), v, QByteArray());
        m_writer.advance(4 + v.size());
        return *this;
    }
    Writer &list(const QStringList &v)
    {
        i64(v.size());
        for (const QString &s : v)
            text(s);
        return *this;
    }
    QByteArray take()
    {
        m_writer.finish();
        return std::move(m_out);
    }

private:
    QByteArray m_out;
    ByteWriter m_writer;
};

class Reader {
public:
    explicit Reader(QByteArrayView in) : m_in(in) {}
    bool ok() const { return m_ok; }
    bool atEnd() const { return m_at == m_in.size(); }
    qint64 i64()
    {
        if (!need(8))
            return 0;
        quint64 v = 0;
        for (int i = 0; i < 8; ++i)
            v |= quint64(quint8(m_in[m_at + i])) << (8 * i);
        m_at += 8;
        return qint64(v);
    }
    QByteArrayView view()
    {
        if (!need(4))
            return {};
        quint32 n = 0;
        for (int i = 0; i < 4; ++i)
            n |= quint32(quint8(m_in[m_at + i])) << (8 * i);
        m_at += 4;
        if (!need(qsizetype(n)))
            return {};
        QByteArrayView v(m_in.data() + m_at, qsizetype(n));
        m_at += qsizetype(n);
        return v;
    }
    QByteArray bytes() { return view().toByteArray(); }
    QString text() { return QString::fromUtf8(bytes()); }
    QStringList list()
    {
        const qint64 n = i64();
        QStringList v;
        if (n < 0 || n > m_in.size())   // each entry takes 4 bytes at least: a bound without trust
            m_ok = false;
        for (qint64 i = 0; m_ok && i < n; ++i)
            v << text();
        return v;
    }

private:
    bool need(qsizetype n)
    {
        if (!m_ok || n < 0 || m_in.size() - m_at < n)
            m_ok = false;
        return m_ok;
    }
    QByteArrayView m_in;
    qsizetype m_at = 1;   // after the kind byte
    bool m_ok = true;
};

} // namespace

QByteArray encodeStart(const SessionStart &s)
{
    return Writer(Kind::SessionStart, 256)
        .text(s.id)
        .text(s.connection)
        .text(s.subject)
        .list(s.groups)
        .text(s.issuer)
        .text(s.clientAddr)
        .i64(s.startedAtUs)
        .take();
}

QByteArray encodeEvent(const QString &sessionId, const Event &e)
{
    return Writer(Kind::Event, 96 + e.data.size() + e.hash.size())
        .text(sessionId)
        .i64(e.seq)
        .i64(e.tsUs)
        .text(e.kind)
        .bytes(e.data)
        .bytes(e.hash)
        .take();
}


StoredEventRecord::StoredEventRecord(const QString &sessionId, const Event &event, qsizetype compressThreshold)
    : m_sessionId(sessionId), m_event(event)
{
    if (!isAscii(sessionId))
        m_sessionIdUtf8 = sessionId.toUtf8();
    if (!isAscii(event.kind))
        m_kindUtf8 = event.kind.toUtf8();
    // Most events are small: kept as they are, without the codec's copy.
    if (event.data.size() > compressThreshold)
        m_compressed = BodyCodec::encode(event.data, compressThreshold);
    m_zstd = m_compressed.encoding == BodyCodec::Encoding::Zstd;
    const qsizetype idBytes = m_sessionIdUtf8.isNull() ? sessionId.size() : m_sessionIdUtf8.size();
    const qsizetype kindBytes = m_kindUtf8.isNull() ? event.kind.size() : m_kindUtf8.size();
    const qsizetype stored = m_zstd ? m_compressed.bytes.size() : event.data.size();
    m_size = 1 + (4 + idBytes) + 8 + 8 + (4 + kindBytes) + 8 + 8 + (4 + stored) + (4 + event.hash.size());
}

void StoredEventRecord::write(char *out) const
{
    *out++ = char(Kind::StoredEvent);
    out = putText(out, m_sessionId, m_sessionIdUtf8);
    out = putI64(out, m_event.seq);
    out = putI64(out, m_event.tsUs);
    out = putText(out, m_event.kind, m_kindUtf8);
    out = putI64(out, m_zstd ? 1 : 0);
    out = putI64(out, m_event.data.size());
    out = putBytes(out, m_zstd ? m_compressed.bytes : m_event.data);
    (void)putBytes(out, m_event.hash);
}

QByteArray encodeStoredEvent(const QString &sessionId, const Event &e, qsizetype compressThreshold)
{
    const StoredEventRecord record(sessionId, e, compressThreshold);
    QByteArray out(record.size(), Qt::Uninitialized);
    record.write(out.data());
    return out;
}

Result<std::optional<EventView>> peekEvent(QByteArrayView record)
{
    if (record.isEmpty() || (Kind(record.front()) != Kind::Event && Kind(record.front()) != Kind::StoredEvent))
        return std::optional<EventView>();
    Reader r(record);
    EventView v;
    v.sessionId = r.view();
    v.seq = r.i64();
    v.tsUs = r.i64();
    v.kind = r.view();
    if (Kind(record.front()) == Kind::StoredEvent) {
        const qint64 encoding = r.i64();
        if (encoding != 0 && encoding != 1)
            return Error(QStringLiteral("an event record with an unknown encoding %1").arg(encoding));
        v.encoding = encoding == 1 ? BodyCodec::Encoding::Zstd : BodyCodec::Encoding::Identity;
        v.rawSize = r.i64();
        v.stored = r.view();
    } else {
        v.stored = r.view();
        v.rawSize = v.stored.size();
    }
    v.hash = r.view();
    if (!r.ok() || !r.atEnd() || v.rawSize < 0)
        return Error(QStringLiteral("a malformed event record"));
    if (v.sessionId.isEmpty())
        return Error(QStringLiteral("an event record without a session id"));
    return std::optional<EventView>(v);
}

QByteArray encodeEnd(const QString &sessionId, const SessionEnd &e)
{
    return Writer(Kind::SessionEnd, 256)
        .text(sessionId)
        .i64(e.endedAtUs)
        .i64(e.bytesIn)
        .i64(e.bytesOut)
        .bytes(e.headHash)
        .bytes(e.headSignature)
        .i64(e.eventCount.value_or(-1))
        .take();
}

QByteArray encodeProbe()
{
    return Writer(Kind::Probe).take();
}

Result<Decoded> decode(QByteArrayView record)
{
    if (record.isEmpty())
        return Error(QStringLiteral("an empty journal record"));
    Decoded d;
    Reader r(record);
    switch (Kind(record.front())) {
    case Kind::SessionStart:
        d.kind = Kind::SessionStart;
        d.start.id = r.text();
        d.start.connection = r.text();
        d.start.subject = r.text();
        d.start.groups = r.list();
        d.start.issuer = r.text();
        d.start.clientAddr = r.text();
        d.start.startedAtUs = r.i64();
        d.sessionId = d.start.id;
        break;
    case Kind::Event:
        d.kind = Kind::Event;
        d.sessionId = r.text();
        d.event.seq = r.i64();
        d.event.tsUs = r.i64();
        d.event.kind = r.text();
        d.event.data = r.bytes();
        d.event.hash = r.bytes();
        break;
    case Kind::StoredEvent: {
        Result<std::optional<EventView>> v = peekEvent(record);
        if (!v)
            return v.error();
        Result<QByteArray> data = BodyCodec::decode((*v)->encoding, (*v)->stored.toByteArray());
        if (!data)
            return data.error();
        if (data->size() != (*v)->rawSize)
            return Error(QStringLiteral("an event record whose data is %1 bytes, not %2").arg(data->size()).arg((*v)->rawSize));
        d.kind = Kind::Event;
        d.sessionId = QString::fromUtf8((*v)->sessionId);
        d.event.seq = (*v)->seq;
        d.event.tsUs = (*v)->tsUs;
        d.event.kind = QString::fromUtf8((*v)->kind);
        d.event.data = *std::move(data);
        d.event.hash = (*v)->hash.toByteArray();
        return d;
    }
    case Kind::SessionEnd:
        d.kind = Kind::SessionEnd;
        d.sessionId = r.text();
        d.end.endedAtUs = r.i64();
        d.end.bytesIn = r.i64();
        d.end.bytesOut = r.i64();
        d.end.headHash = r.bytes();
        d.end.headSignature = r.bytes();
        if (const qint64 count = r.i64(); count >= 0)
            d.end.eventCount = count;
        break;
    case Kind::Probe:
        d.kind = Kind::Probe;
        break;
    default:
        return Error(QStringLiteral("a journal record of unknown kind %1").arg(int(quint8(record.front()))));
    }
    if (!r.ok() || !r.atEnd())
        return Error(QStringLiteral("a malformed journal record"));
    if (d.kind != Kind::Probe && d.sessionId.isEmpty())
        return Error(QStringLiteral("a journal record without a session id"));
    return d;
}

} // namespace gh::journal
