#pragma once

#include "core/Result.h"

#include <QString>
#include <QStringList>

#include <toml++/toml.h>

#include <initializer_list>
#include <optional>
#include <string_view>

namespace gh {

// Typed access to a parsed TOML tree that records the first error (file, line, key) instead of
// throwing, so the config and resource parsers read like a list of fields.
class TomlReader final {
public:
    explicit TomlReader(QString file) : m_file(std::move(file)) {}

    // Parses a document; syntax errors become an Error with the line toml++ reports.
    static Result<toml::table> parseDocument(const QByteArray &text, const QString &file);

    static int lineOf(const toml::node &n);
    static int lineOf(const toml::key &k);
    static QString typeName(const toml::node &n);
    static QString fromStd(std::string_view s) { return QString::fromUtf8(s.data(), qsizetype(s.size())); }

    bool failed() const { return m_error.has_value(); }
    const Error &error() const { return *m_error; }
    const QString &file() const { return m_file; }

    // Records an error unless one is already recorded; always returns false for `return fail(...)`.
    bool fail(const QString &key, int line, const QString &message);

    // Fails on the first key of t not in allowed, naming it as prefix + key.
    bool onlyKeys(const toml::table &t, std::initializer_list<std::string_view> allowed, const QString &prefix);

    std::optional<QString> string(const toml::node &n, const QString &key);
    std::optional<QStringList> stringArray(const toml::node &n, const QString &key);
    std::optional<qint64> integer(const toml::node &n, const QString &key);
    std::optional<bool> boolean(const toml::node &n, const QString &key);
    const toml::table *table(const toml::node &n, const QString &key);

private:
    bool wrongType(const toml::node &n, const QString &key, const char *expected);

    QString m_file;
    std::optional<Error> m_error;
};

} // namespace gh
