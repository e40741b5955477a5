#include "recording/SessionChain.h"

#include <QVarLengthArray>
#include <QtEndian>

#include <cstring>

namespace gh {

namespace {

template <typename T>
QByteArray bigEndian(T v)
{
    QByteArray out(sizeof(T), Qt::Uninitialized);
    qToBigEndian(v, out.data());
    return out;
}

} // namespace

QByteArray SessionChain::append(qint64 seq, qint64 tsUs, const QString &kind, QByteArrayView data)
{
    // The fixed-size fields go through one buffer: one update instead of five, no allocation. The
    // kind is ASCII in practice: encoded in place, through toUtf8() only when it is not.
    QVarLengthArray<char, 64> kindBytes;
    bool ascii = true;
    for (const QChar c : kind)
        ascii = ascii && c.unicode() < 0x80;
    if (ascii) {
        kindBytes.resize(kind.size());
        for (qsizetype i = 0; i < kind.size(); ++i)
            kindBytes[i] = char(kind.at(i).unicode());
    } else {
        const QByteArray utf8 = kind.toUtf8();
        kindBytes.append(utf8.constData(), utf8.size());
    }
    unsigned char fields[kHashSize + 8 + 8 + 4];
    std::memcpy(fields, m_head.constData(), kHashSize);
    qToBigEndian(quint64(seq), fields + kHashSize);
    qToBigEndian(quint64(tsUs), fields + kHashSize + 8);
    qToBigEndian(quint32(kindBytes.size()), fields + kHashSize + 16);
    unsigned char dataSize[8];
    qToBigEndian(quint64(data.size()), dataSize);

    m_hasher.update(fields, sizeof fields);
    m_hasher.update(kindBytes.constData(), size_t(kindBytes.size()));
    m_hasher.update(dataSize, sizeof dataSize);
    m_hasher.update(data);
    QByteArray hash(kHashSize, Qt::Uninitialized);
    if (!m_hasher.finish(reinterpret_cast<unsigned char *>(hash.data())))
        return {};
    m_head = hash;
    ++m_count;
    return hash;
}

QByteArray SessionChain::headMessage(const QString &sessionId, qint64 eventCount, QByteArrayView head)
{
    const QByteArray id = sessionId.toUtf8();
    QByteArray out = QByteArrayLiteral("gatehouse-session-v1");
    out += bigEndian(quint32(id.size()));
    out += id;
    out += bigEndian(quint64(eventCount));
    out += head;
    return out;
}

} // namespace gh
