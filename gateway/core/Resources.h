#pragma once

#include "core/Result.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

#include <chrono>

namespace gh {

// The credential the gateway adds upstream. HTTP uses header/value, PostgreSQL user/password.
// A value is a template: literal text plus ${env:NAME}, ${file:PATH} or ${sealed:...} references.
struct Credential {
    QString header;
    QString value;
    QString user;
    QString password;

    bool isEmpty() const { return header.isEmpty() && value.isEmpty() && user.isEmpty() && password.isEmpty(); }
    friend bool operator==(const Credential &, const Credential &) = default;
};

// A target callers reach through the gateway ([[connection]] in a resource file).
struct Connection {
    QString name;              // [a-z0-9-]{1,63}
    QString type;              // "http" | "postgres"
    QString upstream;          // http(s)://host:port[/base] | postgres://host:port
    QStringList allowGroups;   // who may use it at all; empty = nobody but... see docs (nobody)
    Credential credential;
    QString database;          // postgres: upstream database name
    QString caFile;            // https upstreams: extra CA bundle to verify against

    int line = 0;              // where it was defined in its source file; not compared, not stored

    friend bool operator==(const Connection &a, const Connection &b)
    {
        return a.name == b.name && a.type == b.type && a.upstream == b.upstream
            && a.allowGroups == b.allowGroups && a.credential == b.credential
            && a.database == b.database && a.caFile == b.caFile;
    }
};

// The request-side match of a deny or approve rule; every key given must match (RE2 patterns).
struct RuleMatch {
    QString method;
    QString path;                               // upstream path after /<connection>, query included
    QList<QPair<QString, QString>> headers;     // header name -> RE2 on its value
    QString body;
    QString query;                              // PostgreSQL: RE2 on the SQL text
    QString queryClass;                         // PostgreSQL: "ddl" | "dml" | "read" | "dcl" | "tcl"

    bool isEmpty() const
    {
        return method.isEmpty() && path.isEmpty() && headers.isEmpty() && body.isEmpty()
            && query.isEmpty() && queryClass.isEmpty();
    }
    friend bool operator==(const RuleMatch &, const RuleMatch &) = default;
};

// A policy rule ([[rule]]): deny | approve | mask.
struct Rule {
    QString name;
    QString kind;                                   // "deny" | "approve" | "mask"
    QStringList connections{QStringLiteral("*")};   // globs over connection names
    QStringList groups{QStringLiteral("*")};        // globs over the caller's groups
    RuleMatch match;

    // approve
    QStringList approvers;
    int approvals = 1;
    bool justification = false;
    std::chrono::milliseconds timeout{std::chrono::minutes(5)};

    // mask
    QString detector;        // a built-in detector name, or empty when pattern is set
    QString pattern;         // custom RE2
    QString replace;         // empty = default "[<DETECTOR>]" / "[MASKED]"
    QStringList jsonFields;  // "$.user.ssn"
    QStringList columns;     // PostgreSQL column globs

    int line = 0;            // not compared, not stored

    friend bool operator==(const Rule &a, const Rule &b)
    {
        return a.name == b.name && a.kind == b.kind && a.connections == b.connections
            && a.groups == b.groups && a.match == b.match && a.approvers == b.approvers
            && a.approvals == b.approvals && a.justification == b.justification
            && a.timeout == b.timeout && a.detector == b.detector && a.pattern == b.pattern
            && a.replace == b.replace && a.jsonFields == b.jsonFields && a.columns == b.columns;
    }
};

struct ResourceSet {
    QList<Connection> connections;
    QList<Rule> rules;
};

// Parses a resource file. Every error names the resource (`connection "x"` / `rule "y"`), the key
// and the line; unknown keys, wrong types, bad names, duplicate names, RE2 patterns that do not
// compile, unknown detectors and bad globs are all errors. The first error is returned.
Result<ResourceSet> parseResources(const QByteArray &toml, const QString &sourceName);

// Writes a resource file that parseResources() reads back to an equal ResourceSet.
QByteArray toToml(const ResourceSet &set);

// JSON form used by the admin API and the store. fromJson validates exactly like the TOML parser
// (errors name the key; line is 0).
QJsonObject toJson(const Connection &c);
QJsonObject toJson(const Rule &r);
Result<Connection> connectionFromJson(const QJsonObject &o);
Result<Rule> ruleFromJson(const QJsonObject &o);

// Semantic checks shared by every entry point. `where` prefixes the key, e.g. `rule "x"`.
Status validate(const Connection &c);
Status validate(const Rule &r);

// The built-in masking detectors (contract §3); the masking module implements them.
const QStringList &builtinDetectorNames();

} // namespace gh
