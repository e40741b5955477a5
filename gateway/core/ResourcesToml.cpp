#include "core/Resources.h"

#include "core/NodeConfig.h"

#include <QByteArray>

// toToml(): resources written back as the resource file that parseResources() reads to the same state.

namespace gh {

namespace {

// TOML basic string: escapes what TOML requires, leaves other Unicode as UTF-8.
void appendTomlString(QByteArray &out, const QString &s)
{
    out += '"';
    const QByteArray utf8 = s.toUtf8();
    for (char ch : utf8) {
        const auto c = static_cast<unsigned char>(ch);
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\t': out += "\\t"; break;
        case '\n': out += "\\n"; break;
        case '\f': out += "\\f"; break;
        case '\r': out += "\\r"; break;
        default:
            if (c < 0x20 || c == 0x7f)
                out += "\\u00" + QByteArray::number(c, 16).rightJustified(2, '0').toUpper();
            else
                out += ch;
        }
    }
    out += '"';
}

void appendTomlList(QByteArray &out, const QStringList &list)
{
    out += '[';
    for (qsizetype i = 0; i < list.size(); ++i) {
        if (i > 0)
            out += ", ";
        appendTomlString(out, list[i]);
    }
    out += ']';
}

void kv(QByteArray &out, const char *key, const QString &value)
{
    out += key;
    out += " = ";
    appendTomlString(out, value);
    out += '\n';
}

void kvList(QByteArray &out, const char *key, const QStringList &value)
{
    out += key;
    out += " = ";
    appendTomlList(out, value);
    out += '\n';
}

// { a = "x", b = "y" } from the non-empty pairs.
void appendInline(QByteArray &out, const QList<QPair<QByteArray, QString>> &pairs)
{
    out += "{ ";
    bool first = true;
    for (const auto &[k, v] : pairs) {
        if (v.isEmpty())
            continue;
        if (!first)
            out += ", ";
        first = false;
        out += k + " = ";
        appendTomlString(out, v);
    }
    out += " }";
}

} // namespace

QByteArray toToml(const ResourceSet &set)
{
    QByteArray out;
    for (const Connection &c : set.connections) {
        if (!out.isEmpty())
            out += '\n';
        out += "[[connection]]\n";
        kv(out, "name", c.name);
        kv(out, "type", c.type);
        kv(out, "upstream", c.upstream);
        if (!c.allowGroups.isEmpty())
            kvList(out, "allow_groups", c.allowGroups);
        if (!c.credential.isEmpty()) {
            out += "credential = ";
            appendInline(out, {{"header", c.credential.header}, {"value", c.credential.value},
                               {"user", c.credential.user}, {"password", c.credential.password}});
            out += '\n';
        }
        if (!c.database.isEmpty())
            kv(out, "database", c.database);
        if (!c.caFile.isEmpty())
            kv(out, "ca_file", c.caFile);
    }
    for (const Rule &r : set.rules) {
        if (!out.isEmpty())
            out += '\n';
        out += "[[rule]]\n";
        kv(out, "name", r.name);
        kv(out, "kind", r.kind);
        kvList(out, "connections", r.connections);
        kvList(out, "groups", r.groups);
        if (!r.match.isEmpty()) {
            const RuleMatch &m = r.match;
            out += "match = { ";
            bool first = true;
            const auto field = [&](const char *key, const QString &v) {
                if (v.isEmpty())
                    return;
                if (!first)
                    out += ", ";
                first = false;
                out += key;
                out += " = ";
                appendTomlString(out, v);
            };
            field("method", m.method);
            field("path", m.path);
            if (!m.headers.isEmpty()) {
                if (!first)
                    out += ", ";
                first = false;
                out += "header = { ";
                for (qsizetype i = 0; i < m.headers.size(); ++i) {
                    if (i > 0)
                        out += ", ";
                    appendTomlString(out, m.headers[i].first);
                    out += " = ";
                    appendTomlString(out, m.headers[i].second);
                }
                out += " }";
            }
            field("body", m.body);
            field("query", m.query);
            field("class", m.queryClass);
            out += " }\n";
        }
        if (r.kind == u"approve") {
            kvList(out, "approvers", r.approvers);
            out += "approvals = " + QByteArray::number(r.approvals) + '\n';
            out += QByteArray("justification = ") + (r.justification ? "true" : "false") + '\n';
            kv(out, "timeout", formatDuration(r.timeout));
        }
        if (!r.detector.isEmpty())
            kv(out, "detector", r.detector);
        if (!r.pattern.isEmpty())
            kv(out, "pattern", r.pattern);
        if (!r.replace.isEmpty())
            kv(out, "replace", r.replace);
        if (!r.jsonFields.isEmpty())
            kvList(out, "json_fields", r.jsonFields);
        if (!r.columns.isEmpty())
            kvList(out, "columns", r.columns);
    }
    return out;
}

} // namespace gh
