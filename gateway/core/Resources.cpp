#include "core/Resources.h"

#include "core/NodeConfig.h"
#include "core/TomlReader.h"

#include <QHash>
#include <QJsonArray>
#include <QUrl>

#include <re2/re2.h>

#include <cmath>
#include <functional>
#include <limits>
#include <optional>

namespace gh {

namespace {

// A semantic problem found in a parsed resource: the key below the resource (e.g. "match.path"),
// what is wrong, and for array values which element.
struct Problem {
    QString key;
    QString message;
    qsizetype index = -1;
};
using Check = std::optional<Problem>;

bool allChars(const QString &s, QStringView extra, bool upper)
{
    for (QChar c : s) {
        const char16_t u = c.unicode();
        const bool ok = (u >= u'a' && u <= u'z') || (u >= u'0' && u <= u'9') || (upper && u >= u'A' && u <= u'Z')
            || extra.contains(c);
        if (!ok)
            return false;
    }
    return true;
}

bool isName(const QString &s) { return !s.isEmpty() && s.size() <= 63 && allChars(s, u"-", false); }
bool isConnectionGlob(const QString &s) { return !s.isEmpty() && allChars(s, u"*?_.-", false); }
bool isGroupGlob(const QString &s) { return !s.isEmpty() && allChars(s, u"*?_.-/:@", true); }
bool isGroupName(const QString &s) { return !s.isEmpty() && allChars(s, u"_.-/:@", true); }
bool isColumnGlob(const QString &s) { return !s.isEmpty() && allChars(s, u"*?_.$-", true); }
bool isHeaderName(const QString &s) { return !s.isEmpty() && allChars(s, u"!#$%&'*+-.^_`|~", true); }

QString quoted(const QString &s) { return QLatin1Char('"') + s + QLatin1Char('"'); }

// Empty when the pattern compiles; otherwise RE2's own explanation.
QString re2Error(const QString &pattern)
{
    const QByteArray utf8 = pattern.toUtf8();
    RE2::Options opts;
    opts.set_log_errors(false);
    const RE2 re(re2::StringPiece(utf8.constData(), size_t(utf8.size())), opts);
    if (!re.ok())
        return QStringLiteral("invalid RE2 pattern: ") + QString::fromStdString(re.error());
    return {};
}

bool re2MatchesEmpty(const QString &pattern)
{
    const QByteArray utf8 = pattern.toUtf8();
    RE2::Options opts;
    opts.set_log_errors(false);
    const RE2 re(re2::StringPiece(utf8.constData(), size_t(utf8.size())), opts);
    return re.ok() && RE2::PartialMatch(re2::StringPiece(), re);
}

// "$.a.b", "$.items[*].ssn", "$.list[0]": the subset the masking module walks.
QString jsonPathError(const QString &p)
{
    const QString expected = QStringLiteral("expected a JSON path like $.user.ssn or $.items[*].ssn, got ") + quoted(p);
    if (!p.startsWith(QLatin1Char('$')) || p.size() < 2)
        return expected;
    qsizetype i = 1;
    while (i < p.size()) {
        if (p[i] == QLatin1Char('.')) {
            const qsizetype start = ++i;
            while (i < p.size() && allChars(QString(p[i]), u"_-", true))
                ++i;
            if (i == start)
                return expected;
        } else if (p[i] == QLatin1Char('[')) {
            const qsizetype close = p.indexOf(QLatin1Char(']'), i);
            if (close < 0)
                return expected;
            const QString inner = p.mid(i + 1, close - i - 1);
            bool digits = !inner.isEmpty();
            for (QChar c : inner)
                digits = digits && c >= QLatin1Char('0') && c <= QLatin1Char('9');
            if (inner != u"*" && !digits)
                return expected;
            i = close + 1;
        } else {
            return expected;
        }
    }
    return {};
}

Check checkList(const QStringList &list, const QString &key, bool (*valid)(const QString &), const QString &what,
                bool allowEmptyList)
{
    if (list.isEmpty() && !allowEmptyList)
        return Problem{key, QStringLiteral("must not be empty (leave the key out to mean all)")};
    for (qsizetype i = 0; i < list.size(); ++i)
        if (!valid(list[i]))
            return Problem{key, quoted(list[i]) + QStringLiteral(" is not ") + what, i};
    return std::nullopt;
}

Check checkPattern(const QString &pattern, const QString &key)
{
    if (pattern.isEmpty())
        return Problem{key, QStringLiteral("must not be empty")};
    const QString err = re2Error(pattern);
    if (!err.isEmpty())
        return Problem{key, err};
    return std::nullopt;
}

Check checkConnection(const Connection &c)
{
    if (!isName(c.name))
        return Problem{QStringLiteral("name"), QStringLiteral("must be 1 to 63 characters of a-z, 0-9 and -")};
    const bool http = c.type == u"http";
    const bool pg = c.type == u"postgres";
    if (!http && !pg)
        return Problem{QStringLiteral("type"), QStringLiteral("must be \"http\" or \"postgres\"")};

    const QString up = QStringLiteral("upstream");
    if (c.upstream.isEmpty())
        return Problem{up, QStringLiteral("missing required key")};
    const QUrl url(c.upstream, QUrl::StrictMode);
    if (!url.isValid())
        return Problem{up, QStringLiteral("not a valid URL: ") + url.errorString()};
    const QString scheme = url.scheme();
    if (http && scheme != u"http" && scheme != u"https")
        return Problem{up, QStringLiteral("an http connection needs an http:// or https:// upstream")};
    if (pg && scheme != u"postgres" && scheme != u"postgresql")
        return Problem{up, QStringLiteral("a postgres connection needs a postgres:// or postgresql:// upstream")};
    if (url.host().isEmpty())
        return Problem{up, QStringLiteral("URL has no host")};
    if (!url.userInfo().isEmpty())
        return Problem{up, QStringLiteral("credentials do not belong in the URL; use credential")};
    if (url.hasQuery() || url.hasFragment())
        return Problem{up, QStringLiteral("URL must not have a query or fragment")};
    if (pg && !url.path().isEmpty() && url.path() != u"/")
        return Problem{up, QStringLiteral("a postgres upstream takes no path; set database instead")};

    if (auto p = checkList(c.allowGroups, QStringLiteral("allow_groups"), isGroupGlob,
                           QStringLiteral("a valid group (letters, digits and _ . - / : @ * ?)"), true))
        return p;

    const Credential &cr = c.credential;
    if (http) {
        if (!cr.user.isEmpty())
            return Problem{QStringLiteral("credential.user"), QStringLiteral("only postgres connections take user")};
        if (!cr.password.isEmpty())
            return Problem{QStringLiteral("credential.password"), QStringLiteral("only postgres connections take password")};
        if (!cr.isEmpty()) {
            if (cr.header.isEmpty())
                return Problem{QStringLiteral("credential.header"), QStringLiteral("missing required key")};
            if (!isHeaderName(cr.header))
                return Problem{QStringLiteral("credential.header"), quoted(cr.header) + QStringLiteral(" is not a valid HTTP header name")};
            if (cr.value.isEmpty())
                return Problem{QStringLiteral("credential.value"), QStringLiteral("missing required key")};
        }
    } else {
        if (!cr.header.isEmpty())
            return Problem{QStringLiteral("credential.header"), QStringLiteral("only http connections take header")};
        if (!cr.value.isEmpty())
            return Problem{QStringLiteral("credential.value"), QStringLiteral("only http connections take value")};
        if (!cr.isEmpty() && cr.user.isEmpty())
            return Problem{QStringLiteral("credential.user"), QStringLiteral("missing required key")};
    }
    if (!c.database.isEmpty() && !pg)
        return Problem{QStringLiteral("database"), QStringLiteral("only postgres connections take database")};
    if (!c.caFile.isEmpty() && scheme != u"https")
        return Problem{QStringLiteral("ca_file"), QStringLiteral("only https upstreams are verified against a CA file")};
    return std::nullopt;
}

Check checkMatch(const RuleMatch &m)
{
    if (!m.method.isEmpty())
        if (auto p = checkPattern(m.method, QStringLiteral("match.method")))
            return p;
    if (!m.path.isEmpty())
        if (auto p = checkPattern(m.path, QStringLiteral("match.path")))
            return p;
    for (const auto &[name, pattern] : m.headers) {
        const QString key = QStringLiteral("match.header.") + name;
        if (!isHeaderName(name))
            return Problem{key, quoted(name) + QStringLiteral(" is not a valid HTTP header name")};
        if (auto p = checkPattern(pattern, key))
            return p;
    }
    for (qsizetype i = 0; i < m.headers.size(); ++i)
        for (qsizetype j = 0; j < i; ++j)
            if (m.headers[i].first.compare(m.headers[j].first, Qt::CaseInsensitive) == 0)
                return Problem{QStringLiteral("match.header.") + m.headers[i].first,
                               QStringLiteral("header names are case-insensitive; this one is given twice")};
    if (!m.body.isEmpty())
        if (auto p = checkPattern(m.body, QStringLiteral("match.body")))
            return p;
    if (!m.query.isEmpty())
        if (auto p = checkPattern(m.query, QStringLiteral("match.query")))
            return p;
    static const QStringList classes{u"ddl"_qs, u"dml"_qs, u"read"_qs, u"dcl"_qs, u"tcl"_qs};
    if (!m.queryClass.isEmpty() && !classes.contains(m.queryClass))
        return Problem{QStringLiteral("match.class"), QStringLiteral("must be one of ddl, dml, read, dcl, tcl")};
    // All given keys must match, so HTTP and PostgreSQL keys together would never match anything.
    const bool httpKeys = !m.method.isEmpty() || !m.path.isEmpty() || !m.headers.isEmpty() || !m.body.isEmpty();
    const bool pgKeys = !m.query.isEmpty() || !m.queryClass.isEmpty();
    if (httpKeys && pgKeys)
        return Problem{m.query.isEmpty() ? QStringLiteral("match.class") : QStringLiteral("match.query"),
                       QStringLiteral("mixes HTTP keys (method, path, header, body) with PostgreSQL keys (query, class); "
                                      "such a rule never matches")};
    return std::nullopt;
}

Check checkRule(const Rule &r)
{
    if (!isName(r.name))
        return Problem{QStringLiteral("name"), QStringLiteral("must be 1 to 63 characters of a-z, 0-9 and -")};
    const bool deny = r.kind == u"deny";
    const bool approve = r.kind == u"approve";
    const bool mask = r.kind == u"mask";
    if (!deny && !approve && !mask)
        return Problem{QStringLiteral("kind"), QStringLiteral("must be \"deny\", \"approve\" or \"mask\"")};
    if (auto p = checkList(r.connections, QStringLiteral("connections"), isConnectionGlob,
                           QStringLiteral("a connection name or glob (a-z 0-9 * ? _ . -)"), false))
        return p;
    if (auto p = checkList(r.groups, QStringLiteral("groups"), isGroupGlob,
                           QStringLiteral("a group name or glob (letters, digits and _ . - / : @ * ?)"), false))
        return p;

    const Rule defaults;
    if (!approve) {
        const QString notHere = QStringLiteral("only approve rules take this key");
        if (!r.approvers.isEmpty())
            return Problem{QStringLiteral("approvers"), notHere};
        if (r.approvals != defaults.approvals)
            return Problem{QStringLiteral("approvals"), notHere};
        if (r.justification != defaults.justification)
            return Problem{QStringLiteral("justification"), notHere};
        if (r.timeout != defaults.timeout)
            return Problem{QStringLiteral("timeout"), notHere};
    }
    if (!mask) {
        const QString notHere = QStringLiteral("only mask rules take this key");
        if (!r.detector.isEmpty())
            return Problem{QStringLiteral("detector"), notHere};
        if (!r.pattern.isEmpty())
            return Problem{QStringLiteral("pattern"), notHere};
        if (!r.replace.isEmpty())
            return Problem{QStringLiteral("replace"), notHere};
        if (!r.jsonFields.isEmpty())
            return Problem{QStringLiteral("json_fields"), notHere};
        if (!r.columns.isEmpty())
            return Problem{QStringLiteral("columns"), notHere};
    }

    if (deny || approve) {
        if (r.match.isEmpty())
            return Problem{QStringLiteral("match"),
                           QStringLiteral("a %1 rule needs a non-empty match").arg(r.kind)};
        if (auto p = checkMatch(r.match))
            return p;
    }
    if (approve) {
        if (auto p = checkList(r.approvers, QStringLiteral("approvers"), isGroupName,
                               QStringLiteral("a group name (letters, digits and _ . - / : @)"), false))
            return Problem{p->key, p->index < 0 ? QStringLiteral("an approve rule needs at least one approver group")
                                                : p->message, p->index};
        if (r.approvals < 1 || r.approvals > 10)
            return Problem{QStringLiteral("approvals"), QStringLiteral("must be between 1 and 10")};
        if (r.timeout <= std::chrono::milliseconds(0))
            return Problem{QStringLiteral("timeout"), QStringLiteral("must be greater than zero")};
    }
    if (mask) {
        if (!r.match.isEmpty())
            return Problem{QStringLiteral("match"),
                           QStringLiteral("mask rules apply to responses; scope them with connections and groups")};
        if (r.detector.isEmpty() == r.pattern.isEmpty())
            return Problem{r.detector.isEmpty() ? QStringLiteral("detector") : QStringLiteral("pattern"),
                           QStringLiteral("a mask rule needs exactly one of detector and pattern")};
        if (!r.detector.isEmpty() && !builtinDetectorNames().contains(r.detector))
            return Problem{QStringLiteral("detector"),
                           quoted(r.detector) + QStringLiteral(" is not a built-in detector (")
                               + builtinDetectorNames().join(QStringLiteral(", ")) + QLatin1Char(')')};
        if (!r.pattern.isEmpty()) {
            if (auto p = checkPattern(r.pattern, QStringLiteral("pattern")))
                return p;
            if (re2MatchesEmpty(r.pattern))
                return Problem{QStringLiteral("pattern"), QStringLiteral("matches the empty string, so it would mask everywhere")};
        }
        for (qsizetype i = 0; i < r.jsonFields.size(); ++i) {
            const QString err = jsonPathError(r.jsonFields[i]);
            if (!err.isEmpty())
                return Problem{QStringLiteral("json_fields"), err, i};
        }
        if (auto p = checkList(r.columns, QStringLiteral("columns"), isColumnGlob,
                               QStringLiteral("a column name or glob"), true))
            return p;
    }
    return std::nullopt;
}

QString where(const QString &type, const QString &name) { return type + QLatin1Char(' ') + quoted(name); }

// The line of the value a problem key points at ("match.header.X-Api-Key", element `index`).
int lineFor(const toml::table &t, const Problem &p)
{
    const toml::node *node = &t;
    QString rest = p.key;
    while (!rest.isEmpty()) {
        const toml::table *tab = node->as_table();
        if (!tab)
            break;
        // Try the whole remainder first: header names may contain dots.
        const QByteArray whole = rest.toUtf8();
        if (const toml::node *n = tab->get(std::string_view(whole.constData(), size_t(whole.size())))) {
            node = n;
            break;
        }
        const qsizetype dot = rest.indexOf(QLatin1Char('.'));
        const QByteArray head = (dot < 0 ? rest : rest.left(dot)).toUtf8();
        const toml::node *n = tab->get(std::string_view(head.constData(), size_t(head.size())));
        if (!n)
            break;
        node = n;
        rest = dot < 0 ? QString() : rest.mid(dot + 1);
    }
    if (p.index >= 0)
        if (const toml::array *a = node->as_array())
            if (const toml::node *e = a->get(size_t(p.index)))
                node = e;
    const int line = TomlReader::lineOf(*node);
    return line > 0 ? line : TomlReader::lineOf(t);
}

class ResourceParser final {
public:
    explicit ResourceParser(const QString &file) : m_r(file) {}

    std::optional<Connection> connection(const toml::table &t, const QString &fallbackWhere)
    {
        Connection c;
        c.line = TomlReader::lineOf(t);
        QString w = fallbackWhere;
        if (!readName(t, w, QStringLiteral("connection"), c.name))
            return std::nullopt;
        const QString p = w + QLatin1String(": ");
        if (!m_r.onlyKeys(t, {"name", "type", "upstream", "allow_groups", "credential", "database", "ca_file"}, p))
            return std::nullopt;
        required(t, "type", p, c.type);
        required(t, "upstream", p, c.upstream);
        optionalList(t, "allow_groups", p, c.allowGroups);
        optionalString(t, "database", p, c.database, true);
        optionalString(t, "ca_file", p, c.caFile, true);
        if (const toml::node *n = t.get("credential")) {
            if (const toml::table *ct = m_r.table(*n, p + u"credential")) {
                const QString cp = p + QLatin1String("credential.");
                if (m_r.onlyKeys(*ct, {"header", "value", "user", "password"}, cp)) {
                    optionalString(*ct, "header", cp, c.credential.header, true);
                    optionalString(*ct, "value", cp, c.credential.value, true);
                    optionalString(*ct, "user", cp, c.credential.user, true);
                    optionalString(*ct, "password", cp, c.credential.password, true);
                }
                if (!m_r.failed() && c.credential.isEmpty())
                    m_r.fail(p + u"credential", TomlReader::lineOf(*ct), QStringLiteral("is empty; leave it out instead"));
            }
        }
        if (m_r.failed())
            return std::nullopt;
        if (auto problem = checkConnection(c)) {
            m_r.fail(p + problem->key, lineFor(t, *problem), problem->message);
            return std::nullopt;
        }
        return c;
    }

    std::optional<Rule> rule(const toml::table &t, const QString &fallbackWhere)
    {
        Rule r;
        r.line = TomlReader::lineOf(t);
        QString w = fallbackWhere;
        if (!readName(t, w, QStringLiteral("rule"), r.name))
            return std::nullopt;
        const QString p = w + QLatin1String(": ");
        if (!required(t, "kind", p, r.kind))
            return std::nullopt;
        if (r.kind != u"deny" && r.kind != u"approve" && r.kind != u"mask") {
            m_r.fail(p + u"kind", TomlReader::lineOf(*t.get("kind")), QStringLiteral("must be \"deny\", \"approve\" or \"mask\""));
            return std::nullopt;
        }
        // Keys of another kind are named as such rather than as unknown, so a mask rule that
        // carries `approvers` says why it is wrong.
        static const QHash<QString, QString> kindOf{
            {u"match"_qs, u"deny and approve"_qs},
            {u"approvers"_qs, u"approve"_qs}, {u"approvals"_qs, u"approve"_qs},
            {u"justification"_qs, u"approve"_qs}, {u"timeout"_qs, u"approve"_qs},
            {u"detector"_qs, u"mask"_qs}, {u"pattern"_qs, u"mask"_qs}, {u"replace"_qs, u"mask"_qs},
            {u"json_fields"_qs, u"mask"_qs}, {u"columns"_qs, u"mask"_qs}};
        for (auto &&[k, v] : t) {
            const QString key = TomlReader::fromStd(k.str());
            if (key == u"name" || key == u"kind" || key == u"connections" || key == u"groups")
                continue;
            const auto it = kindOf.constFind(key);
            if (it == kindOf.constEnd()) {
                m_r.fail(p + key, TomlReader::lineOf(k), QStringLiteral("unknown key"));
                return std::nullopt;
            }
            if (!it->contains(r.kind)) {
                m_r.fail(p + key, TomlReader::lineOf(k),
                         QStringLiteral("only %1 rules take this key, not %2 rules").arg(*it, r.kind));
                return std::nullopt;
            }
        }
        optionalList(t, "connections", p, r.connections);
        optionalList(t, "groups", p, r.groups);
        if (const toml::node *n = t.get("match"))
            if (const toml::table *mt = m_r.table(*n, p + u"match"))
                readMatch(*mt, p + QLatin1String("match."), r.match);
        optionalList(t, "approvers", p, r.approvers);
        if (const toml::node *n = t.get("approvals"))
            if (auto v = m_r.integer(*n, p + u"approvals"))
                r.approvals = int(qBound(qint64(std::numeric_limits<int>::min()), *v, qint64(std::numeric_limits<int>::max())));
        if (const toml::node *n = t.get("justification"))
            if (auto v = m_r.boolean(*n, p + u"justification"))
                r.justification = *v;
        if (const toml::node *n = t.get("timeout")) {
            if (auto s = m_r.string(*n, p + u"timeout")) {
                auto d = parseDuration(*s);
                if (d)
                    r.timeout = *d;
                else
                    m_r.fail(p + u"timeout", TomlReader::lineOf(*n), d.error().message);
            }
        }
        optionalString(t, "detector", p, r.detector, true);
        optionalString(t, "pattern", p, r.pattern, true);
        optionalString(t, "replace", p, r.replace, false);
        optionalList(t, "json_fields", p, r.jsonFields);
        optionalList(t, "columns", p, r.columns);
        if (m_r.failed())
            return std::nullopt;
        if (auto problem = checkRule(r)) {
            m_r.fail(p + problem->key, lineFor(t, *problem), problem->message);
            return std::nullopt;
        }
        return r;
    }

    Result<ResourceSet> document(const toml::table &root)
    {
        ResourceSet set;
        for (auto &&[k, v] : root) {
            const QString key = TomlReader::fromStd(k.str());
            if (key != u"connection" && key != u"rule")
                return Error(QStringLiteral("unknown table; a resource file holds [[connection]] and [[rule]]"),
                             m_r.file(), TomlReader::lineOf(k), key);
            const toml::array *a = v.as_array();
            if (!a || !a->is_array_of_tables())
                return Error(QStringLiteral("must be written as [[%1]] (an array of tables)").arg(key), m_r.file(),
                             TomlReader::lineOf(v) > 0 ? TomlReader::lineOf(v) : TomlReader::lineOf(k), key);
        }
        QHash<QString, int> seen;
        if (const toml::array *a = root[std::string_view("connection")].as_array()) {
            for (size_t i = 0; i < a->size(); ++i) {
                auto c = connection(*a->get(i)->as_table(), QStringLiteral("connection #%1").arg(i + 1));
                if (!c)
                    return m_r.error();
                if (!checkDuplicate(seen, QStringLiteral("connection"), c->name, *a->get(i)->as_table()))
                    return m_r.error();
                set.connections << *c;
            }
        }
        seen.clear();
        if (const toml::array *a = root[std::string_view("rule")].as_array()) {
            for (size_t i = 0; i < a->size(); ++i) {
                auto r = rule(*a->get(i)->as_table(), QStringLiteral("rule #%1").arg(i + 1));
                if (!r)
                    return m_r.error();
                if (!checkDuplicate(seen, QStringLiteral("rule"), r->name, *a->get(i)->as_table()))
                    return m_r.error();
                set.rules << *r;
            }
        }
        return set;
    }

    const Error &error() const { return m_r.error(); }

private:
    bool checkDuplicate(QHash<QString, int> &seen, const QString &type, const QString &name, const toml::table &t)
    {
        const int line = TomlReader::lineOf(*t.get("name"));
        const auto it = seen.constFind(name);
        if (it != seen.constEnd())
            return m_r.fail(where(type, name) + QLatin1String(": name"), line,
                            QStringLiteral("duplicate %1 name (first defined on line %2)").arg(type).arg(*it));
        seen.insert(name, line);
        return true;
    }

    bool readName(const toml::table &t, QString &w, const QString &type, QString &out)
    {
        const toml::node *n = t.get("name");
        if (!n)
            return m_r.fail(w + QLatin1String(": name"), TomlReader::lineOf(t), QStringLiteral("missing required key"));
        auto s = m_r.string(*n, w + QLatin1String(": name"));
        if (!s)
            return false;
        out = *s;
        w = where(type, *s);
        return true;
    }

    bool required(const toml::table &t, std::string_view key, const QString &p, QString &out)
    {
        const toml::node *n = t.get(key);
        if (!n)
            return m_r.fail(p + TomlReader::fromStd(key), TomlReader::lineOf(t), QStringLiteral("missing required key"));
        auto s = m_r.string(*n, p + TomlReader::fromStd(key));
        if (!s)
            return false;
        out = *s;
        return true;
    }

    void optionalString(const toml::table &t, std::string_view key, const QString &p, QString &out, bool nonEmpty)
    {
        const toml::node *n = t.get(key);
        if (!n)
            return;
        if (auto s = m_r.string(*n, p + TomlReader::fromStd(key))) {
            if (nonEmpty && s->isEmpty())
                m_r.fail(p + TomlReader::fromStd(key), TomlReader::lineOf(*n), QStringLiteral("must not be empty"));
            out = *s;
        }
    }

    void optionalList(const toml::table &t, std::string_view key, const QString &p, QStringList &out)
    {
        if (const toml::node *n = t.get(key))
            if (auto list = m_r.stringArray(*n, p + TomlReader::fromStd(key)))
                out = *list;
    }

    void readMatch(const toml::table &t, const QString &p, RuleMatch &m)
    {
        if (!m_r.onlyKeys(t, {"method", "path", "header", "body", "query", "class"}, p))
            return;
        optionalString(t, "method", p, m.method, true);
        optionalString(t, "path", p, m.path, true);
        optionalString(t, "body", p, m.body, true);
        optionalString(t, "query", p, m.query, true);
        optionalString(t, "class", p, m.queryClass, true);
        if (const toml::node *n = t.get("header")) {
            if (const toml::table *ht = m_r.table(*n, p + u"header")) {
                if (ht->empty())
                    m_r.fail(p + u"header", TomlReader::lineOf(*ht), QStringLiteral("must name at least one header"));
                for (auto &&[k, v] : *ht) {
                    const QString name = TomlReader::fromStd(k.str());
                    if (auto s = m_r.string(v, p + QLatin1String("header.") + name))
                        m.headers.append({name, *s});
                }
            }
        }
    }

    TomlReader m_r;
};

// JSON documents are mapped onto a TOML tree so that they go through the very same checks.
std::optional<toml::table> jsonToToml(const QJsonObject &o, const QString &prefix, Error &error);

std::optional<toml::array> jsonToTomlArray(const QJsonArray &a, const QString &key, Error &error);

bool jsonValueToToml(const QJsonValue &v, const QString &key, Error &error,
                     const std::function<void(toml::node &&)> &put)
{
    switch (v.type()) {
    case QJsonValue::String: {
        const QByteArray s = v.toString().toUtf8();
        toml::value<std::string> n(std::string(s.constData(), size_t(s.size())));
        put(std::move(n));
        return true;
    }
    case QJsonValue::Bool: {
        toml::value<bool> n(v.toBool());
        put(std::move(n));
        return true;
    }
    case QJsonValue::Double: {
        const double d = v.toDouble();
        // Range first: converting an out-of-range double to an integer is undefined.
        if (std::abs(d) < 9.0e15 && d == std::trunc(d)) {
            toml::value<int64_t> n{int64_t(d)};
            put(std::move(n));
        } else {
            toml::value<double> n(d);
            put(std::move(n));
        }
        return true;
    }
    case QJsonValue::Array: {
        auto a = jsonToTomlArray(v.toArray(), key, error);
        if (!a)
            return false;
        put(std::move(*a));
        return true;
    }
    case QJsonValue::Object: {
        auto t = jsonToToml(v.toObject(), key + QLatin1Char('.'), error);
        if (!t)
            return false;
        put(std::move(*t));
        return true;
    }
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        break;
    }
    error = Error(QStringLiteral("null is not a valid value; leave the key out instead"), QString(), 0, key);
    return false;
}

std::optional<toml::array> jsonToTomlArray(const QJsonArray &a, const QString &key, Error &error)
{
    toml::array out;
    for (const QJsonValue &e : a)
        if (!jsonValueToToml(e, key, error, [&](toml::node &&n) { out.push_back(std::move(n)); }))
            return std::nullopt;
    return out;
}

std::optional<toml::table> jsonToToml(const QJsonObject &o, const QString &prefix, Error &error)
{
    toml::table out;
    for (auto it = o.constBegin(); it != o.constEnd(); ++it) {
        const QByteArray k = it.key().toUtf8();
        const std::string key(k.constData(), size_t(k.size()));
        if (!jsonValueToToml(it.value(), prefix + it.key(), error,
                             [&](toml::node &&n) { out.insert_or_assign(key, std::move(n)); }))
            return std::nullopt;
    }
    return out;
}

QString jsonWhere(const QString &type, const QJsonObject &o)
{
    const QJsonValue name = o.value(QLatin1String("name"));
    return name.isString() ? where(type, name.toString()) : type;
}

QJsonArray toJsonArray(const QStringList &l)
{
    return QJsonArray::fromStringList(l);
}

} // namespace

const QStringList &builtinDetectorNames()
{
    static const QStringList names{u"email"_qs, u"credit_card"_qs, u"us_ssn"_qs, u"phone"_qs, u"iban"_qs,
                                   u"ipv4"_qs, u"jwt"_qs, u"aws_access_key"_qs, u"private_key"_qs,
                                   u"bearer_token"_qs};
    return names;
}

Status validate(const Connection &c)
{
    if (auto p = checkConnection(c))
        return Error(p->message, QString(), c.line, where(QStringLiteral("connection"), c.name) + QLatin1String(": ") + p->key);
    return {};
}

Status validate(const Rule &r)
{
    if (auto p = checkRule(r))
        return Error(p->message, QString(), r.line, where(QStringLiteral("rule"), r.name) + QLatin1String(": ") + p->key);
    return {};
}

Result<ResourceSet> parseResources(const QByteArray &toml, const QString &sourceName)
{
    auto doc = TomlReader::parseDocument(toml, sourceName);
    if (!doc)
        return doc.error();
    return ResourceParser(sourceName).document(*doc);
}

QJsonObject toJson(const Connection &c)
{
    QJsonObject o{{u"name"_qs, c.name}, {u"type"_qs, c.type}, {u"upstream"_qs, c.upstream},
                  {u"allow_groups"_qs, toJsonArray(c.allowGroups)}};
    if (!c.credential.isEmpty()) {
        QJsonObject cr;
        const std::pair<QString, QString> fields[] = {{u"header"_qs, c.credential.header}, {u"value"_qs, c.credential.value},
                                                      {u"user"_qs, c.credential.user}, {u"password"_qs, c.credential.password}};
        for (const auto &[k, v] : fields)
            if (!v.isEmpty())
                cr.insert(k, v);
        o.insert(u"credential"_qs, cr);
    }
    if (!c.database.isEmpty())
        o.insert(u"database"_qs, c.database);
    if (!c.caFile.isEmpty())
        o.insert(u"ca_file"_qs, c.caFile);
    return o;
}

QJsonObject toJson(const Rule &r)
{
    QJsonObject o{{u"name"_qs, r.name}, {u"kind"_qs, r.kind}, {u"connections"_qs, toJsonArray(r.connections)},
                  {u"groups"_qs, toJsonArray(r.groups)}};
    if (!r.match.isEmpty()) {
        QJsonObject m;
        const std::pair<QString, QString> fields[] = {{u"method"_qs, r.match.method}, {u"path"_qs, r.match.path},
                                                      {u"body"_qs, r.match.body}, {u"query"_qs, r.match.query},
                                                      {u"class"_qs, r.match.queryClass}};
        for (const auto &[k, v] : fields)
            if (!v.isEmpty())
                m.insert(k, v);
        if (!r.match.headers.isEmpty()) {
            QJsonObject h;
            for (const auto &[name, pattern] : r.match.headers)
                h.insert(name, pattern);
            m.insert(u"header"_qs, h);
        }
        o.insert(u"match"_qs, m);
    }
    if (r.kind == u"approve") {
        o.insert(u"approvers"_qs, toJsonArray(r.approvers));
        o.insert(u"approvals"_qs, r.approvals);
        o.insert(u"justification"_qs, r.justification);
        o.insert(u"timeout"_qs, formatDuration(r.timeout));
    }
    if (!r.detector.isEmpty())
        o.insert(u"detector"_qs, r.detector);
    if (!r.pattern.isEmpty())
        o.insert(u"pattern"_qs, r.pattern);
    if (!r.replace.isEmpty())
        o.insert(u"replace"_qs, r.replace);
    if (!r.jsonFields.isEmpty())
        o.insert(u"json_fields"_qs, toJsonArray(r.jsonFields));
    if (!r.columns.isEmpty())
        o.insert(u"columns"_qs, toJsonArray(r.columns));
    return o;
}

Result<Connection> connectionFromJson(const QJsonObject &o)
{
    Error error;
    const QString w = jsonWhere(QStringLiteral("connection"), o);
    auto t = jsonToToml(o, w + QLatin1String(": "), error);
    if (!t)
        return error;
    ResourceParser parser{QString()};
    auto c = parser.connection(*t, w);
    if (!c)
        return parser.error();
    return *c;
}

Result<Rule> ruleFromJson(const QJsonObject &o)
{
    Error error;
    const QString w = jsonWhere(QStringLiteral("rule"), o);
    auto t = jsonToToml(o, w + QLatin1String(": "), error);
    if (!t)
        return error;
    ResourceParser parser{QString()};
    auto r = parser.rule(*t, w);
    if (!r)
        return parser.error();
    return *r;
}

} // namespace gh
