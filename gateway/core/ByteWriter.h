#pragma once

#include <QByteArray>
#include <QByteArrayView>

#include <algorithm>
#include <cstring>

namespace gh {

// Appends to a QByteArray through a raw pointer, for the proxy's hot paths that build bytes from
// many small pieces (heads, an event's JSON, journal records).
//
// Qt 6.4's QByteArray::append spends about a hundred instructions per call (aliasing checks, the
// growth policy, the terminating zero), and a proxied request made some three hundred such calls:
// callgrind counted them as a fifth of the proxy's user time. The writer sizes the array up front
// (to its capacity, or more when asked), writes into it, and cuts it to what was written when it
// finishes or goes out of scope; in between, the array's size is not its content. Pieces must not
// point into the array being written.
class ByteWriter final {
public:
    explicit ByteWriter(QByteArray &out, qsizetype expected = 0) : m_out(out)
    {
        const qsizetype used = out.size();
        out.resize(std::max(out.capacity(), used + expected));
        m_begin = out.data();
        m_at = m_begin + used;
        m_end = m_begin + out.size();
    }
    ~ByteWriter() { finish(); }
    Q_DISABLE_COPY_MOVE(ByteWriter)

    void reserve(qsizetype extra)
    {
        if (m_end - m_at < extra)
            grow(extra);
    }
    void put(char c)
    {
        if (m_at == m_end)
            grow(1);
        *m_at++ = c;
    }
    void put(const char *data, qsizetype size)
    {
        if (m_end - m_at < size)
            grow(size);
        if (size > 0) {
            std::memcpy(m_at, data, size_t(size));
            m_at += size;
        }
    }
    void put(QByteArrayView bytes) { put(bytes.data(), bytes.size()); }
    // A string literal without its terminating zero.
    template <qsizetype N>
    void literal(const char (&text)[N])
    {
        put(text, N - 1);
    }
    void number(qint64 value)
    {
        if (value < 0) {
            put('-');
            unsignedNumber(0 - quint64(value));
        } else {
            unsignedNumber(quint64(value));
        }
    }
    void unsignedNumber(quint64 value)
    {
        char digits[20];
        char *p = digits + sizeof digits;
        do {
            *--p = char('0' + value % 10);
            value /= 10;
        } while (value);
        put(p, digits + sizeof digits - p);
    }
    // Room for `size` bytes the caller writes itself, then commits with advance().
    char *claim(qsizetype size)
    {
        reserve(size);
        return m_at;
    }
    void advance(qsizetype size) { m_at += size; }
    // Takes back the last `size` bytes written.
    void chop(qsizetype size) { m_at -= std::min(size, this->size()); }

    qsizetype size() const { return m_at - m_begin; }
    // The array holds exactly what was written (also done by the destructor); nothing may be
    // written after it.
    void finish()
    {
        if (m_begin)
            m_out.resize(size());
        m_begin = m_at = m_end = nullptr;
    }

private:
    void grow(qsizetype need)
    {
        Q_ASSERT(m_begin);
        const qsizetype used = size();
        const qsizetype capacity = std::max<qsizetype>(used + need, 2 * (m_end - m_begin) + 64);
        m_out.resize(capacity);
        m_begin = m_out.data();
        m_at = m_begin + used;
        m_end = m_begin + capacity;
    }

    QByteArray &m_out;
    char *m_begin = nullptr;
    char *m_at = nullptr;
    char *m_end = nullptr;
};

} // namespace gh
