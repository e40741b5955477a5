#include "core/TomlReader.h"

namespace gh {

Result<toml::table> TomlReader::parseDocument(const QByteArray &text, const QString &file)
{
    // The packaged toml++ is built with exceptions; they are caught here and never leave the parser.
    try {
        return toml::parse(std::string_view(text.constData(), size_t(text.size())));
    } catch (const toml::parse_error &e) {
        return Error(QStringLiteral("TOML syntax error: ") + fromStd(e.description()), file,
                     int(e.source().begin.line), QString());
    }
}

int TomlReader::lineOf(const toml::node &n)
{
    return int(n.source().begin.line);
}

int TomlReader::lineOf(const toml::key &k)
{
    return int(k.source().begin.line);
}

QString TomlReader::typeName(const toml::node &n)
{
    switch (n.type()) {
    case toml::node_type::table: return QStringLiteral("a table");
    case toml::node_type::array: return QStringLiteral("an array");
    case toml::node_type::string: return QStringLiteral("a string");
    case toml::node_type::integer: return QStringLiteral("an integer");
    case toml::node_type::floating_point: return QStringLiteral("a float");
    case toml::node_type::boolean: return QStringLiteral("a boolean");
    case toml::node_type::date: return QStringLiteral("a date");
    case toml::node_type::time: return QStringLiteral("a time");
    case toml::node_type::date_time: return QStringLiteral("a date-time");
    case toml::node_type::none: break;
    }
    return QStringLiteral("nothing");
}

bool TomlReader::fail(const QString &key, int line, const QString &message)
{
    if (!m_error)
        m_error = Error(message, m_file, line, key);
    return false;
}

bool TomlReader::onlyKeys(const toml::table &t, std::initializer_list<std::string_view> allowed,
                          const QString &prefix)
{
    for (auto &&[k, v] : t) {
        bool known = false;
        for (std::string_view a : allowed)
            known = known || k.str() == a;
        if (!known)
            return fail(prefix + fromStd(k.str()), lineOf(k), QStringLiteral("unknown key"));
    }
    return true;
}

bool TomlReader::wrongType(const toml::node &n, const QString &key, const char *expected)
{
    return fail(key, lineOf(n),
                QStringLiteral("expected %1, found %2").arg(QLatin1String(expected), typeName(n)));
}

std::optional<QString> TomlReader::string(const toml::node &n, const QString &key)
{
    if (const auto *s = n.as_string())
        return fromStd(s->get());
    wrongType(n, key, "a string");
    return std::nullopt;
}

std::optional<QStringList> TomlReader::stringArray(const toml::node &n, const QString &key)
{
    const auto *a = n.as_array();
    if (!a) {
        wrongType(n, key, "an array of strings");
        return std::nullopt;
    }
    QStringList out;
    for (const toml::node &e : *a) {
        const auto *s = e.as_string();
        if (!s) {
            wrongType(e, key, "an array of strings");
            return std::nullopt;
        }
        out << fromStd(s->get());
    }
    return out;
}

std::optional<qint64> TomlReader::integer(const toml::node &n, const QString &key)
{
    if (const auto *i = n.as_integer())
        return qint64(i->get());
    wrongType(n, key, "an integer");
    return std::nullopt;
}

std::optional<bool> TomlReader::boolean(const toml::node &n, const QString &key)
{
    if (const auto *b = n.as_boolean())
        return b->get();
    wrongType(n, key, "true or false");
    return std::nullopt;
}

const toml::table *TomlReader::table(const toml::node &n, const QString &key)
{
    if (const auto *t = n.as_table())
        return t;
    wrongType(n, key, "a table");
    return nullptr;
}

} // namespace gh
