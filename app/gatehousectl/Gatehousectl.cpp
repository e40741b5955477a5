#include "Gatehousectl.h"

#include "CtlText.h"
#include "TablePrinter.h"
#include "core/NodeConfig.h"
#include "core/Result.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonObject>
#include <QSaveFile>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QThread>
#include <QUrl>
#include <QUrlQuery>

#include <cstdio>

namespace gh {

using ctl::abbreviate;
using ctl::oneLine;
using ctl::segment;

namespace {

const QString kDefaultServer = QStringLiteral("http://127.0.0.1:8700");

// Options that take a value, by long name; short aliases map onto them.
const QSet<QString> kValueOptions{
    QStringLiteral("server"), QStringLiteral("token"), QStringLiteral("data-dir"), QStringLiteral("output"),
    QStringLiteral("file"), QStringLiteral("for"), QStringLiteral("reason"), QStringLiteral("subject"),
    QStringLiteral("groups"), QStringLiteral("ttl"), QStringLiteral("connection"), QStringLiteral("since"),
    QStringLiteral("limit"), QStringLiteral("state"), QStringLiteral("speed"), QStringLiteral("max-idle"),
    QStringLiteral("cacert"),
};
const QSet<QString> kFlagOptions{QStringLiteral("help"), QStringLiteral("version")};

QString readTrimmed(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(f.read(64 * 1024)).trimmed();
}

// The list inside a list answer: the array itself, or the first array member of an object.
QJsonArray listOf(const QJsonDocument &doc)
{
    if (doc.isArray())
        return doc.array();
    const QJsonObject o = doc.object();
    for (const char *key : {"items", "connections", "rules", "approvals", "sessions", "tokens"}) {
        const QJsonValue v = o.value(QLatin1String(key));
        if (v.isArray())
            return v.toArray();
    }
    for (auto it = o.begin(); it != o.end(); ++it) {
        if (it->isArray())
            return it->toArray();
    }
    return {};
}

// One line telling what a recorded event was, for `play`: the well-known fields first (method
// and path bare, the rest as key=value), then other scalars, then bodies abbreviated.
QString summarize(const QJsonObject &e)
{
    static const QStringList bare{QStringLiteral("method"), QStringLiteral("path"), QStringLiteral("target"),
                                  QStringLiteral("url"), QStringLiteral("query")};
    static const QStringList named{QStringLiteral("status"), QStringLiteral("decision"), QStringLiteral("rule"),
                                   QStringLiteral("detector"), QStringLiteral("approval"), QStringLiteral("subject"),
                                   QStringLiteral("connection"), QStringLiteral("message"), QStringLiteral("error")};
    static const QStringList skip{QStringLiteral("seq"), QStringLiteral("ts_us"), QStringLiteral("kind"),
                                  QStringLiteral("hash"), QStringLiteral("prev_hash"), QStringLiteral("sig"),
                                  QStringLiteral("signature"), QStringLiteral("session"), QStringLiteral("session_id")};
    static const QStringList bodies{QStringLiteral("body"), QStringLiteral("request_body"),
                                    QStringLiteral("response_body"), QStringLiteral("rows"), QStringLiteral("result")};
    QStringList parts;
    for (const QString &k : bare) {
        const QJsonValue v = e.value(k);
        if (v.isString() || v.isDouble())
            parts.append(TablePrinter::cell(v));
    }
    for (const QString &k : named) {
        const QJsonValue v = e.value(k);
        if (v.isString() || v.isDouble() || v.isBool())
            parts.append(k + QLatin1Char('=') + TablePrinter::cell(v));
    }
    for (auto it = e.begin(); it != e.end(); ++it) {
        const QString k = it.key();
        if (skip.contains(k) || bodies.contains(k) || bare.contains(k) || named.contains(k) || it->isObject()
            || it->isArray())
            continue;
        parts.append(k + QLatin1Char('=') + TablePrinter::cell(*it));
    }
    for (const QString &k : bodies) {
        const QJsonValue v = e.value(k);
        if (v.isUndefined() || v.isNull())
            continue;
        QString text;
        if (v.isString())
            text = v.toString();
        else if (v.isArray())
            text = QString::fromUtf8(QJsonDocument(v.toArray()).toJson(QJsonDocument::Compact));
        else if (v.isObject())
            text = QString::fromUtf8(QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact));
        else
            text = TablePrinter::cell(v);
        parts.append(k + QStringLiteral(": ") + abbreviate(text, 60)
                     + (text.size() > 60 ? QStringLiteral(" (%1 chars)").arg(text.size()) : QString()));
    }
    return abbreviate(parts.join(QLatin1Char(' ')), 200);
}


} // namespace

Gatehousectl::Gatehousectl() = default;
Gatehousectl::~Gatehousectl() = default;

QString Gatehousectl::usage()
{
    return QStringLiteral(
        "Usage: gatehousectl [--server URL] [--token TOKEN] [--data-dir DIR] VERB ...\n"
        "\n"
        "Verbs:\n"
        "  apply -f FILE.toml                       create or update connections and rules\n"
        "  export [-o FILE.toml]                    print all resources as TOML\n"
        "  get connections|rules|approvals|sessions|tokens [-o table|json]\n"
        "        sessions: [--connection NAME] [--subject NAME] [--since WHEN] [--limit N]\n"
        "        approvals: [--state pending|approved|denied|expired]\n"
        "  approve ID [--for DURATION] [--reason TEXT]\n"
        "  deny ID [--reason TEXT]\n"
        "  approvals watch [-o json]                follow approval events until interrupted\n"
        "  approvals revoke ID [--reason TEXT]      end the time-boxed grant of an approve --for now\n"
        "  token issue --subject NAME [--groups a,b] [--ttl 15m] [-o json]\n"
        "                                           prints the token alone on stdout\n"
        "  token revoke JTI\n"
        "  sessions show ID [-o table|json]\n"
        "  sessions export ID [-o FILE.jsonl]       JSON Lines, one event per line\n"
        "  sessions verify ID                       exit 0 \"intact\", exit 1 naming the first bad event\n"
        "  play ID [--speed 4] [--max-idle 2s]      replay a session with its recorded timing\n"
        "  delete connection|rule NAME\n"
        "\n"
        "Options:\n"
        "  --server URL     admin API (default: $GATEHOUSE_SERVER, else DATA_DIR/admin.url,\n"
        "                   else http://127.0.0.1:8700)\n"
        "  --token TOKEN    bearer token (default: $GATEHOUSE_TOKEN, else DATA_DIR/admin.token)\n"
        "  --cacert FILE    PEM CA certificate(s) to trust for an https server (default:\n"
        "                   $GATEHOUSE_CACERT, else the system's)\n"
        "  --data-dir DIR   the daemon's data dir (default: $GATEHOUSE_DATA_DIR, else\n"
        "                   $XDG_DATA_HOME/gatehouse, else /var/lib/gatehouse)\n"
        "  -h, --help       show this help\n"
        "  --version        show the version\n"
        "\n"
        "Exit status: 0 success, 1 runtime failure, 2 bad usage or bad configuration.\n");
}

void Gatehousectl::out(const QByteArray &bytes)
{
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stdout);
    std::fflush(stdout);
}

void Gatehousectl::err(const QString &line)
{
    const QByteArray bytes = QByteArrayLiteral("gatehousectl: ") + oneLine(line).toUtf8() + '\n';
    std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stderr);
    std::fflush(stderr);
}

int Gatehousectl::usageError(const QString &message)
{
    err(message + QStringLiteral(" (see gatehousectl --help)"));
    return Usage;
}

int Gatehousectl::failure(const QString &message)
{
    err(message);
    return Failure;
}

// ---- arguments --------------------------------------------------------------------------

int Gatehousectl::parse(const QStringList &args)
{
    bool optionsEnded = false;
    for (qsizetype i = 0; i < args.size(); ++i) {
        const QString &a = args[i];
        if (optionsEnded || !a.startsWith(QLatin1Char('-')) || a == QLatin1String("-")) {
            m_args.positional.append(a);
            continue;
        }
        if (a == QLatin1String("--")) {
            optionsEnded = true;
            continue;
        }
        QString name;
        QString value;
        bool hasValue = false;
        if (a.startsWith(QLatin1String("--"))) {
            name = a.mid(2);
            if (const qsizetype eq = name.indexOf(QLatin1Char('=')); eq >= 0) {
                value = name.mid(eq + 1);
                name = name.left(eq);
                hasValue = true;
            }
        } else if (a.size() == 2) {
            const QChar c = a.at(1);
            if (c == QLatin1Char('o'))
                name = QStringLiteral("output");
            else if (c == QLatin1Char('f'))
                name = QStringLiteral("file");
            else if (c == QLatin1Char('h'))
                name = QStringLiteral("help");
            else
                return usageError(QStringLiteral("unknown option %1").arg(a));
        } else {
            return usageError(QStringLiteral("unknown option %1").arg(a));
        }
        if (kFlagOptions.contains(name)) {
            if (hasValue)
                return usageError(QStringLiteral("option --%1 takes no value").arg(name));
            m_args.options.insert(name, QString());
            continue;
        }
        if (!kValueOptions.contains(name))
            return usageError(QStringLiteral("unknown option %1").arg(a));
        if (!hasValue) {
            if (i + 1 >= args.size())
                return usageError(QStringLiteral("option %1 needs a value").arg(a));
            value = args[++i];
        }
        if (m_args.options.contains(name))
            return usageError(QStringLiteral("option --%1 given twice").arg(name));
        m_args.options.insert(name, value);
    }
    return Ok;
}

int Gatehousectl::checkOptions(const QString &verb, const QSet<QString> &allowed)
{
    static const QSet<QString> global{QStringLiteral("server"), QStringLiteral("token"), QStringLiteral("data-dir"),
                                      QStringLiteral("cacert"), QStringLiteral("help"), QStringLiteral("version")};
    for (auto it = m_args.options.cbegin(); it != m_args.options.cend(); ++it) {
        if (!global.contains(it.key()) && !allowed.contains(it.key()))
            return usageError(QStringLiteral("'%1' does not take --%2").arg(verb, it.key()));
    }
    return Ok;
}

int Gatehousectl::outputFormat(QString *format)
{
    *format = m_args.value(QStringLiteral("output"), QStringLiteral("table"));
    if (*format != QLatin1String("table") && *format != QLatin1String("json"))
        return usageError(QStringLiteral("-o takes table or json, not \"%1\"").arg(*format));
    return Ok;
}

// ---- where the daemon is ----------------------------------------------------------------

QString Gatehousectl::resolveDataDir() const
{
    if (m_args.has(QStringLiteral("data-dir")))
        return m_args.value(QStringLiteral("data-dir"));
    const QString env = qEnvironmentVariable("GATEHOUSE_DATA_DIR");
    if (!env.isEmpty())
        return env;
    const QString user = defaultDataDir();
    if (QFileInfo::exists(user + QStringLiteral("/admin.token")) || QFileInfo::exists(user + QStringLiteral("/admin.url")))
        return user;
    // A system-wide daemon, when we may read its token.
    const QString system = QStringLiteral("/var/lib/gatehouse");
    if (QFileInfo(system + QStringLiteral("/admin.token")).isReadable())
        return system;
    return user;
}

int Gatehousectl::connect()
{
    m_dataDir = resolveDataDir();

    QString server = m_args.value(QStringLiteral("server"));
    if (server.isEmpty())
        server = qEnvironmentVariable("GATEHOUSE_SERVER");
    if (server.isEmpty())
        server = readTrimmed(m_dataDir + QStringLiteral("/admin.url"));
    if (server.isEmpty())
        server = kDefaultServer;
    if (!server.contains(QStringLiteral("://")))
        server.prepend(QStringLiteral("http://"));
    const QUrl url(server, QUrl::StrictMode);
    if (!url.isValid() || url.host().isEmpty()
        || (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https")))
        return usageError(QStringLiteral("invalid server URL \"%1\"").arg(server));
    m_server = url.toString();

    QString token;
    if (m_args.has(QStringLiteral("token"))) {
        token = m_args.value(QStringLiteral("token"));
        m_tokenSource = QStringLiteral("--token");
    } else if (!qEnvironmentVariable("GATEHOUSE_TOKEN").isEmpty()) {
        token = qEnvironmentVariable("GATEHOUSE_TOKEN").trimmed();
        m_tokenSource = QStringLiteral("GATEHOUSE_TOKEN");
    } else {
        const QString file = m_dataDir + QStringLiteral("/admin.token");
        token = readTrimmed(file);
        m_tokenSource = token.isEmpty() ? QString() : file;
    }
    m_client = std::make_unique<AdminClient>(url, token);

    QString caFile = m_args.value(QStringLiteral("cacert"));
    if (caFile.isEmpty())
        caFile = qEnvironmentVariable("GATEHOUSE_CACERT");
    if (!caFile.isEmpty()) {
        const QList<QSslCertificate> cas = QSslCertificate::fromPath(caFile, QSsl::Pem);
        if (cas.isEmpty())
            return usageError(QStringLiteral("--cacert %1: no PEM certificate could be read").arg(caFile));
        QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
        ssl.addCaCertificates(cas);
        m_client->setSslConfiguration(ssl);
    }
    return Ok;
}

AdminReply Gatehousectl::call(const QByteArray &method, const QString &path, const QByteArray &body,
                              const QByteArray &contentType, const HttpHeaders &headers)
{
    return m_client->callSync(method, path, body, contentType, std::chrono::milliseconds(30'000), headers);
}

AdminReply Gatehousectl::download(const QString &path, const std::function<bool(const QByteArray &)> &onData)
{
    return m_client->downloadSync(path, onData, std::chrono::milliseconds(30'000),
                                  {{QByteArrayLiteral("Accept"), QByteArrayLiteral("application/x-ndjson")}});
}

int Gatehousectl::reportFailure(const AdminReply &reply, const QString &what)
{
    const QString message = reply.errorText;
    switch (reply.status) {
    case 0:
        return failure(QStringLiteral("cannot reach the gateway at %1: %2").arg(m_server, message));
    case 400:
        err(QStringLiteral("%1: the gateway rejected the request: %2").arg(what, message));
        return Usage;
    case 401:
        if (m_tokenSource.isEmpty())
            return failure(QStringLiteral("the gateway at %1 wants a token and none was given "
                                          "(use --token, GATEHOUSE_TOKEN or %2/admin.token)")
                               .arg(m_server, m_dataDir));
        return failure(QStringLiteral("the gateway at %1 refused the token from %2 (401): %3")
                           .arg(m_server, m_tokenSource, message));
    case 403:
        return failure(QStringLiteral("%1: forbidden (403): %2").arg(what, message));
    case 404:
        return failure(QStringLiteral("%1: not found (404): %2").arg(what, message));
    default:
        if (reply.broken)
            return failure(QStringLiteral("%1: the answer broke off: %2").arg(what, message));
        if (reply.status >= 500)
            return failure(QStringLiteral("%1: the gateway failed (%2): %3").arg(what).arg(reply.status).arg(message));
        return failure(QStringLiteral("%1: HTTP %2: %3").arg(what).arg(reply.status).arg(message));
    }
}

void Gatehousectl::printJson(const QJsonDocument &doc)
{
    out(doc.toJson(QJsonDocument::Indented));
}

bool Gatehousectl::writeOutput(const QByteArray &data, const QString &file)
{
    if (file.isEmpty() || file == QLatin1String("-")) {
        out(data);
        return true;
    }
    QSaveFile f(file);
    if (!f.open(QIODevice::WriteOnly) || f.write(data) != data.size() || !f.commit()) {
        err(QStringLiteral("cannot write %1: %2").arg(file, f.errorString()));
        return false;
    }
    return true;
}

// ---- run --------------------------------------------------------------------------------

int Gatehousectl::run(const QStringList &args)
{
    if (const int rc = parse(args))
        return rc;
    if (m_args.has(QStringLiteral("help"))) {
        out(usage().toUtf8());
        return Ok;
    }
    if (m_args.has(QStringLiteral("version"))) {
        out(QByteArrayLiteral("gatehousectl " GATEHOUSE_VERSION "\n"));
        return Ok;
    }
    if (m_args.positional.isEmpty())
        return usageError(QStringLiteral("no verb given"));
    m_verb = m_args.positional.takeFirst();

    using Command = int (Gatehousectl::*)();
    struct Verb {
        Command command;
        QSet<QString> options;
    };
    const QHash<QString, Verb> verbs{
        {QStringLiteral("apply"), {&Gatehousectl::cmdApply, {QStringLiteral("file")}}},
        {QStringLiteral("export"), {&Gatehousectl::cmdExport, {QStringLiteral("output")}}},
        {QStringLiteral("get"),
         {&Gatehousectl::cmdGet,
          {QStringLiteral("output"), QStringLiteral("connection"), QStringLiteral("subject"), QStringLiteral("since"),
           QStringLiteral("limit"), QStringLiteral("state")}}},
        {QStringLiteral("approve"), {nullptr, {QStringLiteral("for"), QStringLiteral("reason")}}},
        {QStringLiteral("deny"), {nullptr, {QStringLiteral("reason")}}},
        {QStringLiteral("approvals"), {&Gatehousectl::cmdApprovals, {QStringLiteral("output"), QStringLiteral("reason")}}},
        {QStringLiteral("token"),
         {&Gatehousectl::cmdToken,
          {QStringLiteral("subject"), QStringLiteral("groups"), QStringLiteral("ttl"), QStringLiteral("output")}}},
        {QStringLiteral("sessions"), {&Gatehousectl::cmdSessions, {QStringLiteral("output")}}},
        {QStringLiteral("play"), {&Gatehousectl::cmdPlay, {QStringLiteral("speed"), QStringLiteral("max-idle")}}},
        {QStringLiteral("delete"), {&Gatehousectl::cmdDelete, {}}},
    };
    const auto it = verbs.constFind(m_verb);
    if (it == verbs.cend())
        return usageError(QStringLiteral("unknown verb \"%1\"").arg(m_verb));
    if (const int rc = checkOptions(m_verb, it->options))
        return rc;
    if (const int rc = connect())
        return rc;
    if (m_verb == QLatin1String("approve"))
        return cmdDecide(true);
    if (m_verb == QLatin1String("deny"))
        return cmdDecide(false);
    return (this->*(it->command))();
}

// ---- verbs ------------------------------------------------------------------------------

int Gatehousectl::cmdApply()
{
    if (!m_args.positional.isEmpty())
        return usageError(QStringLiteral("apply takes no arguments besides -f FILE"));
    const QString file = m_args.value(QStringLiteral("file"));
    if (file.isEmpty())
        return usageError(QStringLiteral("apply needs -f FILE.toml"));
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly))
        return failure(QStringLiteral("cannot read %1: %2").arg(file, f.errorString()));
    const QByteArray toml = f.readAll();

    QByteArray source = file.toUtf8();
    for (char &c : source) {
        if (c == '\r' || c == '\n' || c == '\0')
            c = ' ';
    }
    const AdminReply reply = call("POST", QStringLiteral("/api/v1/apply"), toml, "application/toml",
                                  {{QByteArrayLiteral("X-Gatehouse-Source"), source}});
    if (reply.status == 400) {
        const QJsonObject o = reply.json.object();
        // The user's own name for the file, whatever the server echoes.
        Error e(reply.errorText, file, o.value(QStringLiteral("line")).toInt(), o.value(QStringLiteral("key")).toString());
        err(e.toString());
        return Usage;
    }
    if (!reply.ok())
        return reportFailure(reply, QStringLiteral("apply %1").arg(file));
    const QJsonObject o = reply.json.object();
    QByteArray lines;
    for (const char *what : {"created", "updated", "unchanged"}) {
        for (const QJsonValue &v : o.value(QLatin1String(what)).toArray())
            lines += v.toString().toUtf8() + ' ' + what + '\n';
    }
    out(lines);
    return Ok;
}

int Gatehousectl::cmdExport()
{
    if (!m_args.positional.isEmpty())
        return usageError(QStringLiteral("export takes no arguments"));
    const AdminReply reply = call("GET", QStringLiteral("/api/v1/export"));
    if (!reply.ok())
        return reportFailure(reply, QStringLiteral("export"));
    return writeOutput(reply.body, m_args.value(QStringLiteral("output"))) ? Ok : Failure;
}

int Gatehousectl::cmdGet()
{
    if (m_args.positional.size() != 1)
        return usageError(QStringLiteral("get needs one of connections, rules, approvals, sessions, tokens"));
    QString format;
    if (const int rc = outputFormat(&format))
        return rc;
    const QString kind = m_args.positional.first();
    static const QHash<QString, QStringList> columns{
        {QStringLiteral("connections"), {QStringLiteral("name"), QStringLiteral("type"), QStringLiteral("upstream"), QStringLiteral("allow_groups")}},
        {QStringLiteral("rules"), {QStringLiteral("name"), QStringLiteral("kind"), QStringLiteral("connections"), QStringLiteral("groups")}},
        {QStringLiteral("approvals"), {QStringLiteral("id"), QStringLiteral("state"), QStringLiteral("connection"), QStringLiteral("subject"), QStringLiteral("rule"), QStringLiteral("created_at"), QStringLiteral("expires_at")}},
        {QStringLiteral("sessions"), {QStringLiteral("id"), QStringLiteral("connection"), QStringLiteral("subject"), QStringLiteral("started_at"), QStringLiteral("ended_at")}},
        {QStringLiteral("tokens"), {QStringLiteral("jti"), QStringLiteral("subject"), QStringLiteral("groups"), QStringLiteral("expires_at"), QStringLiteral("revoked")}},
    };
    if (!columns.contains(kind))
        return usageError(QStringLiteral("cannot get \"%1\": use connections, rules, approvals, sessions or tokens").arg(kind));

    QStringList allowed;
    if (kind == QLatin1String("sessions"))
        allowed = {QStringLiteral("connection"), QStringLiteral("subject"), QStringLiteral("since"), QStringLiteral("limit")};
    else if (kind == QLatin1String("approvals"))
        allowed = {QStringLiteral("state")};
    QUrlQuery query;
    for (const QString &name : {QStringLiteral("connection"), QStringLiteral("subject"), QStringLiteral("since"),
                                QStringLiteral("limit"), QStringLiteral("state")}) {
        if (!m_args.has(name))
            continue;
        if (!allowed.contains(name))
            return usageError(QStringLiteral("'get %1' does not take --%2").arg(kind, name));
        query.addQueryItem(name, QString::fromLatin1(QUrl::toPercentEncoding(m_args.value(name))));
    }
    QString path = QStringLiteral("/api/v1/") + kind;
    if (!query.isEmpty())
        path += QLatin1Char('?') + query.toString(QUrl::FullyEncoded);
    const AdminReply reply = call("GET", path);
    if (!reply.ok())
        return reportFailure(reply, QStringLiteral("get %1").arg(kind));
    if (reply.json.isNull())
        return failure(QStringLiteral("get %1: the gateway did not answer with JSON").arg(kind));
    if (format == QLatin1String("json")) {
        printJson(reply.json);
        return Ok;
    }
    if (kind == QLatin1String("approvals"))
        return printApprovalsTable(listOf(reply.json));
    out(TablePrinter::fromObjects(listOf(reply.json), columns.value(kind)).toUtf8());
    return Ok;
}

int Gatehousectl::cmdToken()
{
    const QString sub = m_args.positional.value(0);
    if (sub == QLatin1String("issue")) {
        if (m_args.positional.size() != 1)
            return usageError(QStringLiteral("token issue takes no arguments besides its options"));
        if (m_args.has(QStringLiteral("output")) && m_args.value(QStringLiteral("output")) != QLatin1String("json"))
            return usageError(QStringLiteral("token issue takes -o json or nothing"));
        const QString subject = m_args.value(QStringLiteral("subject")).trimmed();
        if (subject.isEmpty())
            return usageError(QStringLiteral("token issue needs --subject NAME"));
        QJsonArray groups;
        for (const QString &g : m_args.value(QStringLiteral("groups")).split(QLatin1Char(','), Qt::SkipEmptyParts))
            groups.append(g.trimmed());
        QJsonObject body{{QStringLiteral("subject"), subject}, {QStringLiteral("groups"), groups}};
        if (m_args.has(QStringLiteral("ttl"))) {
            const QString ttl = m_args.value(QStringLiteral("ttl"));
            const auto parsed = parseDuration(ttl);
            if (!parsed.ok())
                return usageError(QStringLiteral("--ttl %1: %2").arg(ttl, parsed.error().message));
            body.insert(QStringLiteral("ttl"), ttl);
        }
        const AdminReply reply = call("POST", QStringLiteral("/api/v1/tokens"),
                                      QJsonDocument(body).toJson(QJsonDocument::Compact), "application/json");
        if (!reply.ok())
            return reportFailure(reply, QStringLiteral("token issue"));
        const QJsonObject o = reply.json.object();
        const QString token = o.value(QStringLiteral("token")).toString();
        if (token.isEmpty())
            return failure(QStringLiteral("token issue: the gateway's answer holds no token"));
        if (o.value(QStringLiteral("capped")).toBool())
            err(QStringLiteral("note: the gateway capped the token's lifetime to its maximum; it expires at %1")
                    .arg(TablePrinter::cell(o.value(QStringLiteral("expires_at")))));
        if (m_args.value(QStringLiteral("output")) == QLatin1String("json"))
            printJson(reply.json);
        else
            out(token.toUtf8() + '\n');
        return Ok;
    }
    if (sub == QLatin1String("revoke")) {
        if (m_args.positional.size() != 2)
            return usageError(QStringLiteral("token revoke needs the token's JTI"));
        if (m_args.has(QStringLiteral("subject")) || m_args.has(QStringLiteral("groups")) || m_args.has(QStringLiteral("ttl"))
            || m_args.has(QStringLiteral("output")))
            return usageError(QStringLiteral("token revoke takes only the JTI"));
        const QString jti = m_args.positional.at(1);
        const AdminReply reply = call("POST", QStringLiteral("/api/v1/tokens/%1/revoke").arg(segment(jti)), "{}",
                                      "application/json");
        if (!reply.ok())
            return reportFailure(reply, QStringLiteral("token revoke %1").arg(jti));
        out(QStringLiteral("token %1 revoked\n").arg(jti).toUtf8());
        return Ok;
    }
    return usageError(sub.isEmpty() ? QStringLiteral("token needs issue or revoke")
                                    : QStringLiteral("unknown token command \"%1\"").arg(sub));
}

int Gatehousectl::cmdSessions()
{
    const QString sub = m_args.positional.value(0);
    if (m_args.positional.size() != 2 || !(sub == QLatin1String("show") || sub == QLatin1String("export") || sub == QLatin1String("verify")))
        return usageError(QStringLiteral("use sessions show|export|verify ID"));
    const QString id = m_args.positional.at(1);
    const QString base = QStringLiteral("/api/v1/sessions/") + segment(id);

    if (sub == QLatin1String("export")) {
        // Written as it arrives: a session can be far larger than this process should hold. A file
        // appears only whole (QSaveFile); standard output gets what came before a failure.
        const QString file = m_args.value(QStringLiteral("output"));
        const bool toStdout = file.isEmpty() || file == QLatin1String("-");
        QSaveFile saved(file);
        if (!toStdout && !saved.open(QIODevice::WriteOnly))
            return failure(QStringLiteral("cannot write %1: %2").arg(file, saved.errorString()));
        const AdminReply reply = download(base + QStringLiteral("/events"), [&](const QByteArray &data) {
            if (toStdout) {
                out(data);
                return true;
            }
            return saved.write(data) == data.size();
        });
        if (!toStdout && reply.broken && reply.errorText == QLatin1String("stopped"))
            return failure(QStringLiteral("cannot write %1: %2").arg(file, saved.errorString()));
        if (!reply.ok())
            return reportFailure(reply, QStringLiteral("sessions export %1").arg(id));
        if (!toStdout && !saved.commit())
            return failure(QStringLiteral("cannot write %1: %2").arg(file, saved.errorString()));
        return Ok;
    }

    QString format;
    if (const int rc = outputFormat(&format))
        return rc;
    if (sub == QLatin1String("verify")) {
        // The gateway hashes every recorded byte before it answers: minutes for a session of many
        // gigabytes, with nothing to show for it until then.
        const AdminReply reply = m_client->callSync("GET", base + QStringLiteral("/verify"), {}, {},
                                                    std::chrono::minutes(30));
        if (!reply.ok())
            return reportFailure(reply, QStringLiteral("sessions verify %1").arg(id));
        const QJsonObject o = reply.json.object();
        const QJsonValue intact = o.value(QStringLiteral("intact"));
        if (!intact.isBool())
            return failure(QStringLiteral("sessions verify %1: the gateway's answer says nothing about integrity").arg(id));
        if (format == QLatin1String("json"))
            printJson(reply.json);
        if (intact.toBool()) {
            if (format != QLatin1String("json"))
                out(QByteArrayLiteral("intact\n"));
            return Ok;
        }
        const QString reason = o.value(QStringLiteral("reason")).toString();
        const QString seq = TablePrinter::cell(o.value(QStringLiteral("first_bad_seq")));
        if (format != QLatin1String("json"))
            out(QStringLiteral("not intact: first bad event seq %1%2\n")
                    .arg(seq, reason.isEmpty() ? QString() : QStringLiteral(": ") + oneLine(reason))
                    .toUtf8());
        return Failure;
    }

    // show
    const AdminReply reply = call("GET", base);
    if (!reply.ok())
        return reportFailure(reply, QStringLiteral("sessions show %1").arg(id));
    if (format == QLatin1String("json")) {
        printJson(reply.json);
        return Ok;
    }
    const QJsonObject o = reply.json.object();
    QStringList keys{QStringLiteral("id"), QStringLiteral("connection"), QStringLiteral("subject"),
                     QStringLiteral("groups"), QStringLiteral("issuer"), QStringLiteral("client"),
                     QStringLiteral("started_at"), QStringLiteral("ended_at")};
    keys.removeIf([&o](const QString &k) { return !o.contains(k); });
    for (const QString &k : o.keys()) {
        if (!keys.contains(k))
            keys.append(k);
    }
    TablePrinter table({QStringLiteral("FIELD"), QStringLiteral("VALUE")});
    for (const QString &k : keys)
        table.addRow({k, TablePrinter::cell(o.value(k))});
    // Without the header row: a record, not a list.
    out(table.render().section(QLatin1Char('\n'), 1).toUtf8());
    return Ok;
}

int Gatehousectl::cmdPlay()
{
    if (m_args.positional.size() != 1)
        return usageError(QStringLiteral("play needs the session ID"));
    const QString id = m_args.positional.first();
    bool ok = true;
    const double speed = m_args.value(QStringLiteral("speed"), QStringLiteral("1")).toDouble(&ok);
    if (!ok || !(speed > 0) || speed > 1e6)
        return usageError(QStringLiteral("--speed takes a positive number"));
    // Long idle stretches are shortened, as terminal recorders do; the printed offsets stay true.
    std::chrono::milliseconds maxIdle(2000);
    if (m_args.has(QStringLiteral("max-idle"))) {
        const auto parsed = parseDuration(m_args.value(QStringLiteral("max-idle")));
        if (!parsed.ok())
            return usageError(QStringLiteral("--max-idle: %1").arg(parsed.error().message));
        maxIdle = *parsed;
    }
    // Played as the events arrive, so a long session starts at once; the gateway sends no faster
    // than they are played.
    qint64 first = -1;
    qint64 previous = -1;
    int lineNo = 0;
    QByteArray pending;   // the start of a line whose end has not arrived
    QString bad;
    auto play = [&](const QByteArray &raw) {
        ++lineNo;
        const QByteArray line = raw.trimmed();
        if (line.isEmpty())
            return true;
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(line, &error);
        if (error.error != QJsonParseError::NoError || !doc.isObject()) {
            bad = QStringLiteral("play %1: event line %2 is not a JSON object").arg(id).arg(lineNo);
            return false;
        }
        const QJsonObject e = doc.object();
        const qint64 ts = qint64(e.value(QStringLiteral("ts_us")).toDouble(-1));
        if (ts >= 0) {
            if (first < 0)
                first = previous = ts;
            const qint64 gapUs = qMax<qint64>(0, ts - previous);
            const qint64 waitMs = qMin<qint64>(qint64(double(gapUs) / 1000.0 / speed), maxIdle.count());
            if (waitMs > 0)
                QThread::msleep(quint64(waitMs));
            previous = ts;
        }
        const double offset = ts >= 0 && first >= 0 ? double(ts - first) / 1e6 : 0.0;
        out(QStringLiteral("+%1s  #%2  %3  %4\n")
                .arg(offset, 9, 'f', 3)
                .arg(TablePrinter::cell(e.value(QStringLiteral("seq"))), -4)
                .arg(e.value(QStringLiteral("kind")).toString(), -20)
                .arg(summarize(e))
                .toUtf8());
        return true;
    };
    const AdminReply reply = download(QStringLiteral("/api/v1/sessions/%1/events").arg(segment(id)),
                                      [&](const QByteArray &data) {
                                          pending += data;
                                          qsizetype from = 0;
                                          for (qsizetype nl; (nl = pending.indexOf('\n', from)) >= 0; from = nl + 1) {
                                              if (!play(pending.sliced(from, nl - from)))
                                                  return false;
                                          }
                                          pending.remove(0, from);
                                          return true;
                                      });
    if (!bad.isEmpty())
        return failure(bad);
    if (!reply.ok())
        return reportFailure(reply, QStringLiteral("play %1").arg(id));
    if (!pending.isEmpty() && !play(pending))
        return failure(bad);
    return Ok;
}

int Gatehousectl::cmdDelete()
{
    if (m_args.positional.size() != 2)
        return usageError(QStringLiteral("use delete connection|rule NAME"));
    const QString kind = m_args.positional.at(0);
    const QString name = m_args.positional.at(1);
    if (kind != QLatin1String("connection") && kind != QLatin1String("rule"))
        return usageError(QStringLiteral("cannot delete \"%1\": use connection or rule").arg(kind));
    const AdminReply reply = call("DELETE", QStringLiteral("/api/v1/%1s/%2").arg(kind, segment(name)));
    if (!reply.ok())
        return reportFailure(reply, QStringLiteral("delete %1/%2").arg(kind, name));
    out(QStringLiteral("%1/%2 deleted\n").arg(kind, name).toUtf8());
    return Ok;
}

} // namespace gh
