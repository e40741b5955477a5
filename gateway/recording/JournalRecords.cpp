#include "recording/JournalRecords.h"

#include <optional>

namespace gh::journal {

namespace {

class Writer {
public:
    explicit Writer(Kind kind, qsizetype reserve = 64) { m_out.reserve(reserve); m_out += char(kind); }
    Writer &i64(qint64 v)
    {
        char b[8];
        for (int i = 0; i < 8; ++i)
            b[i] = char((quint64(v) >> (8 * i)) & 0xFF);
        m_out.append(b, 8);
        return *this;
    }
    Writer &bytes(QByteArrayView v)
    {
        const auto n = quint32(v.size());
        char b[4];
        for (int i = 0; i < 4; ++i)
            b[i] = char((n >> (8 * i)) & 0xFF);
        m_out.append(b, 4);
        m_out.append(v.data(), v.size());
        return *this;
    }
    Writer &text(const QString &v) { return bytes(v.toUtf8()); }
    Writer &list(const QStringList &v)
    {
        i64(v.size());
        for (const QString &s : v)
            text(s);
        return *this;
    }
    QByteArray take() { return std::move(m_out); }

private:
    QByteArray m_out;
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
    QByteArray bytes()
    {
        if (!need(4))
            return {};
        quint32 n = 0;
        for (int i = 0; i < 4; ++i)
            n |= quint32(quint8(m_in[m_at + i])) << (8 * i);
        m_at += 4;
        if (!need(qsizetype(n)))
            return {};
        QByteArray v(m_in.data() + m_at, qsizetype(n));
        m_at += qsizetype(n);
        return v;
    }
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
