#pragma once

#include <QString>

#include <optional>
#include <utility>
#include <variant>

namespace gh {

// An error that names where it came from: a config or resource file's line and key, or just a message.
struct Error {
    QString message;
    QString file;     // file name as the user gave it; empty when not from a file
    int line = 0;     // 1-based; 0 when unknown
    QString key;      // dotted key, e.g. "gateway.admin_listen" or `rule "x": match.path`

    Error() = default;
    explicit Error(QString msg) : message(std::move(msg)) {}
    Error(QString msg, QString f, int l, QString k)
        : message(std::move(msg)), file(std::move(f)), line(l), key(std::move(k)) {}

    // "file:line: key: message", leaving out what is unknown.
    QString toString() const
    {
        QString out;
        if (!file.isEmpty()) {
            out += file;
            if (line > 0)
                out += QLatin1Char(':') + QString::number(line);
            out += QLatin1String(": ");
        } else if (line > 0) {
            out += QLatin1String("line ") + QString::number(line) + QLatin1String(": ");
        }
        if (!key.isEmpty())
            out += key + QLatin1String(": ");
        return out + message;
    }
};

// Result<T>: a value or an Error; parsing, config and compilation return this instead of throwing.
template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : m_v(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : m_v(std::in_place_index<1>, std::move(error)) {}

    bool ok() const { return m_v.index() == 0; }
    explicit operator bool() const { return ok(); }

    T &value() & { return std::get<0>(m_v); }
    const T &value() const & { return std::get<0>(m_v); }
    // By value from a temporary: `for (const X &x : store.list().value())` would otherwise iterate
    // a reference into a Result destroyed before the loop's first step.
    T value() && { return std::get<0>(std::move(m_v)); }
    T *operator->() { return &value(); }
    const T *operator->() const { return &value(); }
    T &operator*() & { return value(); }
    const T &operator*() const & { return value(); }
    T operator*() && { return std::move(*this).value(); }

    const Error &error() const { return std::get<1>(m_v); }

private:
    std::variant<T, Error> m_v;
};

// Result<void>: success or an Error.
template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : m_error(std::move(error)) {}

    bool ok() const { return !m_error.has_value(); }
    explicit operator bool() const { return ok(); }
    const Error &error() const { return *m_error; }

private:
    std::optional<Error> m_error;
};

using Status = Result<void>;

} // namespace gh
