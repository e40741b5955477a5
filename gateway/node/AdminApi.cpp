#include "node/AdminApi.h"

#include "admin/Metrics.h"
#include "approvals/ApprovalBroker.h"
#include "core/Clock.h"
#include "core/NodeConfig.h"
#include "core/Resources.h"
#include "core/SecretBox.h"
#include "identity/Authenticator.h"
#include "identity/TokenIssuer.h"
#include "node/AdminPreview.h"
#include "node/AdminSessions.h"
#include "node/AdminStats.h"
#include "node/ConnectionProbe.h"
#include "node/EventHub.h"
#include "recording/Recorder.h"
#include "recording/Store.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

namespace gh {

namespace {

QString iso(const QDateTime &t)
{
    return t.isValid() ? t.toUTC().toString(Qt::ISODate) : QString();
}

QJsonArray toArray(const QStringList &l)
{
    return QJsonArray::fromStringList(l);
}

QStringList pathSegments(const QByteArray &path)
{
    QStringList out;
    for (const QByteArray &raw : path.split('/')) {
        if (!raw.isEmpty())
            out << QString::fromUtf8(QByteArray::fromPercentEncoding(raw));
    }
    return out;
}

// `rule "x": match.path` -> "rule/x": the resource an apply error is about.
QString resourceOfKey(const QString &key)
{
    static const QRegularExpression re(QStringLiteral("^(connection|rule) \"([^\"]*)\""));
    const auto m = re.match(key);
    return m.hasMatch() ? m.captured(1) + QLatin1Char('/') + m.captured(2) : QString();
}

Result<QJsonObject> jsonBody(const HttpRequest &req)
{
    QJsonParseError err{};
    const QJsonDocument doc = QJsonDocument::fromJson(req.body, &err);
    if (err.error != QJsonParseError::NoError)
        return Error(QStringLiteral("the body is not valid JSON: %1 at offset %2").arg(err.errorString()).arg(err.offset));
    if (!doc.isObject())
        return Error(QStringLiteral("the body must be a JSON object"));
    return doc.object();
}

} // namespace

Status AdminApi::sealCredential(Connection &c) const
{
    // Sealing uses a fresh nonce each time: a literal that equals what is already stored keeps its
    // stored sealed form, so applying the same file twice changes nothing.
    auto stored = m_s.store->connection(c.name);
    if (stored && stored->has_value()) {
        const Credential &old = (*stored)->credential;
        auto keep = [this](QString &field, const QString &oldField) {
            if (field.isEmpty() || hasReference(field) || !hasReference(oldField))
                return;
            auto plain = m_s.secrets->open(oldField);
            if (plain && *plain == field)
                field = oldField;
        };
        keep(c.credential.value, old.value);
        keep(c.credential.password, old.password);
    }
    return sealLiterals(c, *m_s.secrets);
}

AdminApi::AdminApi(const AdminServices &services, QObject *parent)
    : QObject(parent)
    , m_s(services)
{
    m_requests = &m_s.metrics->counter("gatehouse_admin_requests_total", "Admin API requests answered.");
    m_refused = &m_s.metrics->counter("gatehouse_admin_refused_total",
                                      "Admin API requests refused for a missing, bad or insufficient token.");
    m_sessions = std::make_unique<AdminSessions>(*m_s.store, *m_s.clock, m_s.issuer, *m_s.reads);
}

AdminApi::~AdminApi() = default;

AdminApi::Role AdminApi::roleOf(const Principal &p) const
{
    if (p.isAdminToken() || p.inAnyGroup(m_s.config->adminGroups))
        return Role::Admin;
    if (p.inAnyGroup(m_s.config->auditorGroups))
        return Role::Auditor;
    auto set = m_s.store->resources();
    if (set) {
        for (const Rule &r : set->rules) {
            if (r.kind == QLatin1String("approve") && p.inAnyGroup(r.approvers))
                return Role::Approver;
        }
    }
    return Role::None;
}

void AdminApi::handle(const HttpRequest &req, const HttpResponder &res)
{
    m_requests->inc();
    if (req.path == "/healthz") {
        if (req.method != "GET" && req.method != "HEAD")
            return res.sendError(405, "method_not_allowed", QStringLiteral("use GET"));
        return handleHealth(res);
    }
    if (req.path == "/metrics") {
        if (req.method != "GET")
            return res.sendError(405, "method_not_allowed", QStringLiteral("use GET"));
        return res.send(200, QByteArrayLiteral("text/plain; version=0.0.4; charset=utf-8"),
                        m_s.metrics->renderPrometheus());
    }
    if (!req.path.startsWith("/api/v1/") && req.path != "/api/v1")
        return res.sendError(404, "not_found", QStringLiteral("no such route; the API lives under /api/v1/"));

    const QByteArray authz = req.header("Authorization");
    if (!authz.startsWith("Bearer ") || authz.size() <= 7) {
        m_refused->inc();
        return res.sendError(401, "unauthenticated",
                             QStringLiteral("send Authorization: Bearer <token> (the admin token or a JWT)"));
    }
    const QByteArray token = authz.mid(7).trimmed();
    m_s.auth->authenticate(token, this, [this, req, res](Result<Principal> who) {
        if (!who) {
            m_refused->inc();
            qInfo("admin API: refused %s %s from %s: %s", req.method.constData(), req.path.constData(),
                  qPrintable(req.peer.toString()), qPrintable(who.error().message));
            return res.sendError(401, "unauthenticated", who.error().message);
        }
        route(req, res, who.value());
    });
}

void AdminApi::handleHealth(const HttpResponder &res)
{
    const Status st = m_s.store->health();
    QJsonObject body{{QStringLiteral("version"), QStringLiteral(GATEHOUSE_VERSION)}};
    if (st) {
        body.insert(QStringLiteral("status"), QStringLiteral("ok"));
        return res.sendJson(200, body);
    }
    body.insert(QStringLiteral("status"), QStringLiteral("failing"));
    body.insert(QStringLiteral("reason"), QString(QStringLiteral("store: ") + st.error().message));
    res.sendJson(503, body);
}

void AdminApi::route(const HttpRequest &req, const HttpResponder &res, const Principal &who)
{
    const QStringList seg = pathSegments(req.path).mid(2);   // drop "api", "v1"
    const QString top = seg.value(0);
    const Role role = roleOf(who);
    auto forbid = [&](const QString &what) {
        m_refused->inc();
        qInfo("admin API: %s may not %s", qPrintable(who.subject), qPrintable(what));
        res.sendError(403, "forbidden", QStringLiteral("your token does not allow %1").arg(what));
    };

    // The editors' helpers (docs/admin-api.md): a rule preview and a connection test.
    if (top == QLatin1String("preview")
        || (top == QLatin1String("connections") && seg.size() >= 2 && seg.last() == QLatin1String("test") && req.method == "POST")) {
        if (role != Role::Admin)
            return forbid(QStringLiteral("administering the gateway"));
        if (top == QLatin1String("preview"))
            return AdminPreview::handle(req, res, *m_s.store);
        return ConnectionProbe::handle(req, res, seg, *m_s.store, m_s.secrets, this);
    }
    if (top == QLatin1String("whoami"))
        return whoami(res, who);
    if (top == QLatin1String("sessions")) {
        if (role < Role::Auditor)
            return forbid(QStringLiteral("reading sessions"));
        return m_sessions->serve(req, res, seg);
    }
    if (top == QLatin1String("approvals")) {
        if (role < Role::Approver)
            return forbid(QStringLiteral("seeing approvals"));
        return approvals(req, res, seg, who);
    }
    if (top == QLatin1String("events")) {
        if (role == Role::None)
            return forbid(QStringLiteral("following the event stream"));
        return events(res, who, role);
    }
    if (top == QLatin1String("stats")) {
        if (role < Role::Auditor)
            return forbid(QStringLiteral("reading statistics"));
        return handleStatsRequest(m_s, req, res);   // on AdminReads' threads
    }
    const bool known = top == QLatin1String("connections") || top == QLatin1String("rules")
        || top == QLatin1String("apply") || top == QLatin1String("export") || top == QLatin1String("tokens");
    if (!known)
        return res.sendError(404, "not_found", QStringLiteral("no such route: %1").arg(QString::fromUtf8(req.path)));
    if (role != Role::Admin)
        return forbid(QStringLiteral("administering the gateway"));

    if (top == QLatin1String("connections"))
        return resources<Connection>(req, res, seg, who);
    if (top == QLatin1String("rules"))
        return resources<Rule>(req, res, seg, who);
    if (top == QLatin1String("apply")) {
        if (req.method != "POST" || seg.size() != 1)
            return res.sendError(405, "method_not_allowed", QStringLiteral("use POST /api/v1/apply"));
        return apply(req, res, who);
    }
    if (top == QLatin1String("export")) {
        if (req.method != "GET" || seg.size() != 1)
            return res.sendError(405, "method_not_allowed", QStringLiteral("use GET /api/v1/export"));
        return exportResources(res);
    }
    return tokens(req, res, seg, who);
}

void AdminApi::whoami(const HttpResponder &res, const Principal &who)
{
    static const char *const roleNames[] = {"none", "approver", "auditor", "admin"};
    const Role role = roleOf(who);
    static const char *const kinds[] = {"admin-token", "gateway", "oidc"};
    res.sendJson(200, QJsonObject{
                          {QStringLiteral("subject"), who.subject},
                          {QStringLiteral("groups"), toArray(who.groups)},
                          {QStringLiteral("issuer"), who.issuer},
                          {QStringLiteral("kind"), QLatin1String(kinds[int(who.kind)])},
                          {QStringLiteral("role"), QLatin1String(roleNames[int(role)])},
                          {QStringLiteral("expires_at"), who.expiresAt.isValid() ? QJsonValue(iso(who.expiresAt)) : QJsonValue()},
                      });
}

void AdminApi::sendStoreError(const HttpResponder &res, const Error &e)
{
    qWarning("admin API: store error: %s", qPrintable(e.message));
    res.sendError(503, "store_unavailable", QStringLiteral("the store failed: %1").arg(e.message));
}

namespace {

// What differs between the connection and the rule routes; the routes themselves are one template.
template <typename T>
struct ResourceKind;

template <>
struct ResourceKind<Connection> {
    static constexpr QLatin1String kName{"connection"};
    static const QList<Connection> &all(const ResourceSet &s) { return s.connections; }
    static constexpr auto get = &Store::connection;
    static constexpr auto put = &Store::putConnection;
    static constexpr auto remove = &Store::deleteConnection;
    static Result<Connection> fromJson(const QJsonObject &o) { return connectionFromJson(o); }
};

template <>
struct ResourceKind<Rule> {
    static constexpr QLatin1String kName{"rule"};
    static const QList<Rule> &all(const ResourceSet &s) { return s.rules; }
    static constexpr auto get = &Store::rule;
    static constexpr auto put = &Store::putRule;
    static constexpr auto remove = &Store::deleteRule;
    static Result<Rule> fromJson(const QJsonObject &o) { return ruleFromJson(o); }
};

} // namespace

template <typename T>
void AdminApi::resources(const HttpRequest &req, const HttpResponder &res, const QStringList &seg, const Principal &who)
{
    using K = ResourceKind<T>;
    if (seg.size() == 1) {
        if (req.method != "GET")
            return res.sendError(405, "method_not_allowed",
                                 QStringLiteral("use GET, or PUT/DELETE /api/v1/%1s/<name>").arg(K::kName));
        auto set = m_s.store->resources();
        if (!set)
            return sendStoreError(res, set.error());
        QJsonArray list;
        for (const T &item : K::all(*set))
            list.append(toJson(item));
        return res.sendJson(200, list);
    }
    if (seg.size() != 2)
        return res.sendError(404, "not_found", QStringLiteral("no such route"));
    const QString name = seg.at(1);
    const QString item = K::kName + QLatin1Char('/') + name;
    const QString missing = QStringLiteral("no %1 named \"%2\"").arg(K::kName, name);
    if (req.method == "GET") {
        auto found = (m_s.store->*K::get)(name);
        if (!found)
            return sendStoreError(res, found.error());
        if (!found->has_value())
            return res.sendError(404, "not_found", missing);
        return res.sendJson(200, toJson(**found));
    }
    if (req.method == "DELETE") {
        auto gone = (m_s.store->*K::remove)(name);
        if (!gone)
            return sendStoreError(res, gone.error());
        if (!*gone)
            return res.sendError(404, "not_found", missing);
        resourcesChanged({item}, who);
        return res.sendJson(200, QJsonObject{{QStringLiteral("deleted"), item}});
    }
    if (req.method != "PUT")
        return res.sendError(405, "method_not_allowed", QStringLiteral("use GET, PUT or DELETE"));
    auto body = jsonBody(req);
    if (!body)
        return res.sendError(400, "bad_request", body.error().message);
    QJsonObject o = *body;
    if (o.contains(QStringLiteral("name")) && o.value(QStringLiteral("name")).toString() != name)
        return res.sendError(400, "invalid", QStringLiteral("the body's name differs from the URL's"));
    o.insert(QStringLiteral("name"), name);
    auto parsed = K::fromJson(o);
    if (!parsed)
        return res.sendJson(400, QJsonObject{{QStringLiteral("error"), QStringLiteral("invalid")},
                                             {QStringLiteral("message"), parsed.error().toString()},
                                             {QStringLiteral("key"), parsed.error().key}});
    if constexpr (std::is_same_v<T, Connection>) {
        if (auto st = sealCredential(*parsed); !st)
            return res.sendError(400, "invalid", st.error().toString());
    }
    auto put = (m_s.store->*K::put)(*parsed);
    if (!put)
        return sendStoreError(res, put.error());
    if (*put != PutOutcome::Unchanged)
        resourcesChanged({item}, who);
    res.sendJson(*put == PutOutcome::Created ? 201 : 200, toJson(*parsed));
}

void AdminApi::apply(const HttpRequest &req, const HttpResponder &res, const Principal &who)
{
    QString source = QString::fromUtf8(req.header("X-Gatehouse-Source"));
    if (source.isEmpty())
        source = QStringLiteral("<request>");
    auto invalid = [&](const Error &e) {
        QJsonObject body{{QStringLiteral("error"), QStringLiteral("invalid")},
                         {QStringLiteral("message"), e.message},
                         {QStringLiteral("file"), source},
                         {QStringLiteral("key"), e.key},
                         {QStringLiteral("resource"), resourceOfKey(e.key)}};
        if (e.line > 0)
            body.insert(QStringLiteral("line"), e.line);
        res.sendJson(400, body);
    };

    auto parsed = parseResources(req.body, source);
    if (!parsed)
        return invalid(parsed.error());
    ResourceSet set = std::move(parsed).value();
    for (Connection &c : set.connections) {
        if (auto st = sealCredential(c); !st) {
            Error e = st.error();
            if (e.key.isEmpty())
                e.key = QStringLiteral("connection \"%1\": credential").arg(c.name);
            e.line = c.line;
            return invalid(e);
        }
    }
    auto outcome = m_s.store->applyResources(set);
    if (!outcome)
        return sendStoreError(res, outcome.error());
    const QStringList changed = outcome->created + outcome->updated;
    if (!changed.isEmpty())
        resourcesChanged(changed, who);
    res.sendJson(200, QJsonObject{{QStringLiteral("created"), toArray(outcome->created)},
                                  {QStringLiteral("updated"), toArray(outcome->updated)},
                                  {QStringLiteral("unchanged"), toArray(outcome->unchanged)}});
}

void AdminApi::exportResources(const HttpResponder &res)
{
    auto set = m_s.store->resources();
    if (!set)
        return sendStoreError(res, set.error());
    res.send(200, QByteArrayLiteral("application/toml; charset=utf-8"), toToml(*set));
}

void AdminApi::tokens(const HttpRequest &req, const HttpResponder &res, const QStringList &seg, const Principal &who)
{
    if (seg.size() == 1 && req.method == "GET") {
        auto list = m_s.store->issuedTokens();
        if (!list)
            return sendStoreError(res, list.error());
        QJsonArray out;
        for (const IssuedToken &t : *list) {
            out.append(QJsonObject{
                {QStringLiteral("jti"), t.jti},
                {QStringLiteral("subject"), t.subject},
                {QStringLiteral("groups"), toArray(t.groups)},
                {QStringLiteral("issued_at"), t.issuedAt.isValid() ? QJsonValue(iso(t.issuedAt)) : QJsonValue()},
                {QStringLiteral("expires_at"), t.expiresAt.isValid() ? QJsonValue(iso(t.expiresAt)) : QJsonValue()},
                {QStringLiteral("revoked_at"), t.revokedAt.isValid() ? QJsonValue(iso(t.revokedAt)) : QJsonValue()},
            });
        }
        return res.sendJson(200, out);
    }
    if (seg.size() == 1 && req.method == "POST") {
        auto body = jsonBody(req);
        if (!body)
            return res.sendError(400, "bad_request", body.error().message);
        const QJsonObject o = *body;
        const QString subject = o.value(QStringLiteral("subject")).toString();
        if (subject.isEmpty())
            return res.sendError(400, "invalid", QStringLiteral("subject: a non-empty string is required"));
        QStringList groups;
        const QJsonValue gv = o.value(QStringLiteral("groups"));
        if (!gv.isUndefined() && !gv.isArray())
            return res.sendError(400, "invalid", QStringLiteral("groups: must be an array of strings"));
        for (const QJsonValue &g : gv.toArray()) {
            if (!g.isString() || g.toString().isEmpty())
                return res.sendError(400, "invalid", QStringLiteral("groups: must be an array of non-empty strings"));
            groups << g.toString();
        }
        std::chrono::seconds ttl = std::chrono::minutes(15);
        if (o.contains(QStringLiteral("ttl"))) {
            auto d = parseDuration(o.value(QStringLiteral("ttl")).toString());
            if (!d)
                return res.sendError(400, "invalid", QStringLiteral("ttl: ") + d.error().message);
            ttl = std::chrono::duration_cast<std::chrono::seconds>(*d);
            if (ttl.count() < 1)
                return res.sendError(400, "invalid", QStringLiteral("ttl: must be at least one second"));
        }
        auto issued = m_s.issuer->issue(subject, groups, ttl, m_s.config->maxTokenTtl, m_s.clock->now());
        if (!issued)
            return res.sendError(400, "invalid", issued.error().message);
        if (auto st = m_s.store->recordIssuedToken(issued->jti, subject, groups, issued->issuedAt, issued->expiresAt); !st)
            return sendStoreError(res, st.error());
        qInfo("token issued by %s: jti=%s subject=%s groups=%s expires=%s%s", qPrintable(who.subject),
              qPrintable(issued->jti), qPrintable(subject), qPrintable(groups.join(QLatin1Char(','))),
              qPrintable(iso(issued->expiresAt)), issued->capped ? " (ttl capped by max_token_ttl)" : "");
        return res.sendJson(201, QJsonObject{
                                     {QStringLiteral("token"), QString::fromLatin1(issued->token)},
                                     {QStringLiteral("jti"), issued->jti},
                                     {QStringLiteral("subject"), subject},
                                     {QStringLiteral("groups"), toArray(groups)},
                                     {QStringLiteral("issued_at"), iso(issued->issuedAt)},
                                     {QStringLiteral("expires_at"), iso(issued->expiresAt)},
                                     {QStringLiteral("capped"), issued->capped},
                                 });
    }
    if (seg.size() == 3 && seg.at(2) == QLatin1String("revoke") && req.method == "POST") {
        const QString jti = seg.at(1);
        if (jti.isEmpty() || jti.size() > 256)
            return res.sendError(400, "invalid", QStringLiteral("a token id (jti) is required"));
        // Our own tokens expire within max_token_ttl; a foreign one is kept revoked for a day.
        QDateTime expires = m_s.clock->now().addSecs(std::max<qint64>(m_s.config->maxTokenTtl.count(), 86400));
        if (auto list = m_s.store->issuedTokens(); list) {
            for (const IssuedToken &t : *list)
                if (t.jti == jti && t.expiresAt.isValid())
                    expires = t.expiresAt;
        }
        auto known = m_s.store->revokeToken(jti, m_s.clock->now(), expires);
        if (!known)
            return sendStoreError(res, known.error());
        m_s.auth->revoke(jti, expires);
        qInfo("token revoked by %s: jti=%s%s", qPrintable(who.subject), qPrintable(jti),
              *known ? "" : " (not issued here; refused from now on all the same)");
        return res.sendJson(200, QJsonObject{{QStringLiteral("jti"), jti},
                                             {QStringLiteral("revoked"), true},
                                             {QStringLiteral("issued_here"), *known}});
    }
    res.sendError(404, "not_found", QStringLiteral("no such route: %1 %2")
                                        .arg(QString::fromLatin1(req.method), QString::fromUtf8(req.path)));
}

void AdminApi::approvals(const HttpRequest &req, const HttpResponder &res, const QStringList &seg, const Principal &who)
{
    if (!m_s.approvals)
        return res.sendError(503, "unavailable", QStringLiteral("approvals are not available on this gateway"));
    const bool admin = roleOf(who) == Role::Admin;
    // An approver sees the approvals of the rules they are an approver of (as the rule stood when the
    // request was held); an admin sees all.
    auto visible = [&](const Approval &a) { return admin || isApproverOf(a, who); };

    if (seg.size() == 1) {
        if (req.method != "GET")
            return res.sendError(405, "method_not_allowed", QStringLiteral("use GET /api/v1/approvals"));
        std::optional<Approval::State> state;
        const QString wanted = req.query.queryItemValue(QStringLiteral("state"), QUrl::FullyDecoded);
        if (!wanted.isEmpty()) {
            state = approvalStateFromName(wanted);
            if (!state)
                return res.sendError(400, "invalid", QStringLiteral("state: one of pending, approved, denied, expired"));
        }
        auto list = m_s.approvals->list(state);
        if (!list)
            return sendStoreError(res, list.error());
        QJsonArray out;
        for (const Approval &a : *list) {
            if (visible(a))
                out.append(toJson(a));
        }
        return res.sendJson(200, out);
    }

    const QString id = seg.at(1);
    const QString missing = QStringLiteral("no approval with id %1").arg(id);
    if (seg.size() == 2) {
        if (req.method != "GET")
            return res.sendError(405, "method_not_allowed",
                                 QStringLiteral("use GET, or POST /api/v1/approvals/<id>/approve|deny|revoke"));
        auto found = m_s.approvals->get(id);
        if (!found)
            return sendStoreError(res, found.error());
        // Approvals of other rules are not there for this caller at all.
        if (!found->has_value() || !visible(**found))
            return res.sendError(404, "not_found", missing);
        return res.sendJson(200, toJson(**found));
    }

    const QString action = seg.value(2);
    if (seg.size() != 3
        || (action != QLatin1String("approve") && action != QLatin1String("deny") && action != QLatin1String("revoke")))
        return res.sendError(404, "not_found", QStringLiteral("no such route: %1").arg(QString::fromUtf8(req.path)));
    if (req.method != "POST")
        return res.sendError(405, "method_not_allowed", QStringLiteral("use POST"));
    QJsonObject body;
    if (!req.body.trimmed().isEmpty()) {
        auto parsed = jsonBody(req);
        if (!parsed)
            return res.sendError(400, "bad_request", parsed.error().message);
        body = *parsed;
    }
    const QJsonValue reason = body.value(QStringLiteral("reason"));
    if (!reason.isUndefined() && !reason.isNull() && !reason.isString())
        return res.sendError(400, "invalid", QStringLiteral("reason: must be a string"));
    const QString why = reason.toString().trimmed();
    if (why.size() > 1000)
        return res.sendError(400, "invalid", QStringLiteral("reason: at most 1000 characters"));
    const bool revoke = action == QLatin1String("revoke");
    DecideResult r;
    if (revoke) {
        r = m_s.approvals->revokeGrant(id, who, admin, why);
    } else {
        ApprovalDecision decision;
        decision.approve = action == QLatin1String("approve");
        decision.asAdmin = admin;
        decision.reason = why;
        const QJsonValue forValue = body.value(QStringLiteral("for"));
        if (!forValue.isUndefined() && !forValue.isNull()) {
            if (!decision.approve)
                return res.sendError(400, "invalid", QStringLiteral("for: only an approval can be for a duration"));
            auto d = parseDuration(forValue.toString());
            if (!forValue.isString() || !d)
                return res.sendError(400, "invalid", QStringLiteral("for: a duration such as 15m or 1h"));
            decision.forDuration = *d;
        }
        r = m_s.approvals->decide(id, who, decision);
    }
    if (!r.ok()) {
        if (r.status == 403 || r.status == 409)
            m_refused->inc();
        qInfo("admin API: %s may not %s approval %s: %s", qPrintable(who.subject), qPrintable(action), qPrintable(id),
              qPrintable(r.message));
        if (revoke && r.status == 403) {   // as for GET: approvals of other rules are not there for this caller
            r.status = 404;
            r.error = "not_found";
            r.message = missing;
        }
        return res.sendError(r.status, r.error, r.message);
    }
    res.sendJson(200, toJson(*r.approval));
}

void AdminApi::events(const HttpResponder &res, const Principal &who, Role role)
{
    m_s.events->subscribe(res, [role, who](const QString &type, const QJsonObject &data) {
        if (role == Role::Admin)
            return true;
        if (role == Role::Auditor)
            return type.startsWith(QLatin1String("session."));
        // An approver follows the approvals of the rules they may decide, their own requests included.
        if (!type.startsWith(QLatin1String("approval.")))
            return false;
        QStringList approvers;
        for (const QJsonValue &g : data.value(QStringLiteral("approvers")).toArray())
            approvers << g.toString();
        return who.inAnyGroup(approvers);
    });
}

void AdminApi::resourcesChanged(const QStringList &changed, const Principal &who)
{
    qInfo("resources changed%s: %s", who.subject.isEmpty() ? "" : qPrintable(QStringLiteral(" by ") + who.subject),
          qPrintable(changed.join(QStringLiteral(", "))));
    m_s.events->publish(QStringLiteral("rule.changed"),
                        QJsonObject{{QStringLiteral("revision"), double(m_s.store->resourceRevision())},
                                    {QStringLiteral("changed"), toArray(changed)}});
}

} // namespace gh
