#include "core/NodeConfig.h"

#include "core/TomlReader.h"

#include <QDir>
#include <QFile>
#include <QUrl>

#include <arpa/inet.h>

#include <limits>

namespace gh {

namespace {

bool isLiteralIp(const QString &host, bool v6)
{
    const QByteArray h = host.toLatin1();
    unsigned char buf[16];
    return inet_pton(v6 ? AF_INET6 : AF_INET, h.constData(), buf) == 1;
}

// http(s) URL with a host; returns an empty message when fine.
QString checkHttpUrl(const QString &text)
{
    const QUrl url(text, QUrl::StrictMode);
    if (!url.isValid())
        return QStringLiteral("not a valid URL: ") + url.errorString();
    if (url.scheme() != u"https" && url.scheme() != u"http")
        return QStringLiteral("must be an https:// or http:// URL");
    if (url.host().isEmpty())
        return QStringLiteral("URL has no host");
    return {};
}

class NodeConfigParser final {
public:
    explicit NodeConfigParser(const QString &file) : m_r(file) {}

    Result<NodeConfig> run(const toml::table &root)
    {
        NodeConfig cfg;
        cfg.sourceFile = m_r.file();
        if (!m_r.onlyKeys(root, {"gateway", "identity", "roles", "proxy", "recording"}, QString()))
            return m_r.error();
        if (const toml::node *n = root.get("gateway"))
            if (const toml::table *t = m_r.table(*n, QStringLiteral("gateway")))
                gateway(*t, cfg);
        if (const toml::node *n = root.get("identity"))
            if (const toml::table *t = m_r.table(*n, QStringLiteral("identity")))
                identity(*t, cfg);
        if (const toml::node *n = root.get("roles"))
            if (const toml::table *t = m_r.table(*n, QStringLiteral("roles")))
                roles(*t, cfg);
        if (const toml::node *n = root.get("proxy"))
            if (const toml::table *t = m_r.table(*n, QStringLiteral("proxy")))
                proxy(*t, cfg.proxy);
        if (const toml::node *n = root.get("recording"))
            if (const toml::table *t = m_r.table(*n, QStringLiteral("recording")))
                recording(*t, cfg.recording);
        if (m_r.failed())
            return m_r.error();
        return cfg;
    }

private:
    void listen(const toml::table &t, std::string_view key, ListenAddress &out)
    {
        const toml::node *n = t.get(key);
        if (!n)
            return;
        const QString name = QStringLiteral("gateway.") + TomlReader::fromStd(key);
        if (auto s = m_r.string(*n, name)) {
            auto addr = ListenAddress::parse(*s);
            if (!addr)
                m_r.fail(name, TomlReader::lineOf(*n), addr.error().message);
            else
                out = *addr;
        }
    }

    void gateway(const toml::table &t, NodeConfig &cfg)
    {
        const QString p = QStringLiteral("gateway.");
        if (!m_r.onlyKeys(t, {"data_dir", "admin_listen", "http_listen", "pg_listen", "store", "tls_cert", "tls_key"}, p))
            return;
        if (const toml::node *n = t.get("data_dir")) {
            if (auto s = m_r.string(*n, p + u"data_dir")) {
                if (s->isEmpty() || !QDir::isAbsolutePath(*s))
                    m_r.fail(p + u"data_dir", TomlReader::lineOf(*n), QStringLiteral("must be an absolute path"));
                cfg.dataDir = *s;
            }
        }
        listen(t, "admin_listen", cfg.adminListen);
        listen(t, "http_listen", cfg.httpListen);
        listen(t, "pg_listen", cfg.pgListen);
        if (const toml::node *n = t.get("store")) {
            if (auto s = m_r.string(*n, p + u"store")) {
                cfg.store = *s;
                if (*s != u"sqlite") {
                    const QUrl url(*s, QUrl::StrictMode);
                    if (!url.isValid() || (url.scheme() != u"postgresql" && url.scheme() != u"postgres")
                        || url.host().isEmpty())
                        m_r.fail(p + u"store", TomlReader::lineOf(*n),
                                 QStringLiteral("expected \"sqlite\" or a \"postgresql://user@host/db\" URL"));
                }
            }
        }
        for (auto [key, out] : {std::pair{"tls_cert", &cfg.tlsCert}, std::pair{"tls_key", &cfg.tlsKey}}) {
            if (const toml::node *n = t.get(key)) {
                const QString name = p + QLatin1String(key);
                if (auto s = m_r.string(*n, name)) {
                    if (s->isEmpty())
                        m_r.fail(name, TomlReader::lineOf(*n), QStringLiteral("must not be empty"));
                    *out = *s;
                }
            }
        }
        if (cfg.tlsCert.isEmpty() != cfg.tlsKey.isEmpty()) {
            const bool haveCert = !cfg.tlsCert.isEmpty();
            const toml::node *n = t.get(haveCert ? "tls_cert" : "tls_key");
            m_r.fail(p + (haveCert ? u"tls_cert" : u"tls_key"), n ? TomlReader::lineOf(*n) : 0,
                     haveCert ? QStringLiteral("tls_cert needs tls_key as well")
                              : QStringLiteral("tls_key needs tls_cert as well"));
        }
        // Two listeners on one fixed address would fail at bind time with a less helpful message.
        const std::array<std::pair<const char *, const ListenAddress *>, 3> listeners{{
            {"admin_listen", &cfg.adminListen}, {"http_listen", &cfg.httpListen}, {"pg_listen", &cfg.pgListen}}};
        for (size_t i = 0; i < listeners.size(); ++i)
            for (size_t j = i + 1; j < listeners.size(); ++j)
                if (listeners[i].second->port != 0 && *listeners[i].second == *listeners[j].second) {
                    const toml::node *n = t.get(listeners[j].first);
                    m_r.fail(p + QLatin1String(listeners[j].first), n ? TomlReader::lineOf(*n) : 0,
                             QStringLiteral("same address as gateway.%1").arg(QLatin1String(listeners[i].first)));
                }
    }

    void identity(const toml::table &t, NodeConfig &cfg)
    {
        const QString p = QStringLiteral("identity.");
        if (!m_r.onlyKeys(t, {"max_token_ttl", "oidc"}, p))
            return;
        if (const toml::node *n = t.get("max_token_ttl")) {
            if (auto s = m_r.string(*n, p + u"max_token_ttl")) {
                auto d = parseDuration(*s);
                if (!d)
                    m_r.fail(p + u"max_token_ttl", TomlReader::lineOf(*n), d.error().message);
                else if (*d < std::chrono::seconds(1))
                    m_r.fail(p + u"max_token_ttl", TomlReader::lineOf(*n), QStringLiteral("must be at least 1s"));
                else
                    cfg.maxTokenTtl = std::chrono::duration_cast<std::chrono::seconds>(*d);
            }
        }
        if (const toml::node *n = t.get("oidc")) {
            const toml::array *a = n->as_array();
            if (!a || !a->is_array_of_tables()) {
                m_r.fail(p + u"oidc", TomlReader::lineOf(*n),
                         QStringLiteral("expected an array of tables ([[identity.oidc]])"));
                return;
            }
            for (size_t i = 0; i < a->size(); ++i)
                oidc(*a->get(i)->as_table(), p + QStringLiteral("oidc[%1].").arg(i), cfg);
        }
    }

    void oidc(const toml::table &t, const QString &p, NodeConfig &cfg)
    {
        if (!m_r.onlyKeys(t, {"issuer", "audience", "jwks_file", "jwks_url", "groups_claim"}, p))
            return;
        OidcProviderConfig o;
        const int tableLine = TomlReader::lineOf(t);
        auto required = [&](std::string_view key, QString &out) {
            const toml::node *n = t.get(key);
            const QString name = p + TomlReader::fromStd(key);
            if (!n)
                return m_r.fail(name, tableLine, QStringLiteral("missing required key"));
            auto s = m_r.string(*n, name);
            if (!s)
                return false;
            if (s->isEmpty())
                return m_r.fail(name, TomlReader::lineOf(*n), QStringLiteral("must not be empty"));
            out = *s;
            return true;
        };
        if (required("issuer", o.issuer)) {
            const QString bad = checkHttpUrl(o.issuer);
            if (!bad.isEmpty())
                m_r.fail(p + u"issuer", TomlReader::lineOf(*t.get("issuer")), bad);
            for (const OidcProviderConfig &other : std::as_const(cfg.oidc))
                if (other.issuer == o.issuer)
                    m_r.fail(p + u"issuer", TomlReader::lineOf(*t.get("issuer")),
                             QStringLiteral("another [[identity.oidc]] has the same issuer"));
        }
        required("audience", o.audience);
        const bool hasFile = t.contains("jwks_file");
        const bool hasUrl = t.contains("jwks_url");
        if (hasFile == hasUrl)
            m_r.fail(p + (hasFile ? u"jwks_url" : u"jwks_file"), hasFile ? TomlReader::lineOf(*t.get("jwks_url")) : tableLine,
                     QStringLiteral("set exactly one of jwks_file and jwks_url"));
        if (hasFile)
            required("jwks_file", o.jwksFile);
        if (hasUrl && required("jwks_url", o.jwksUrl)) {
            const QString bad = checkHttpUrl(o.jwksUrl);
            if (!bad.isEmpty())
                m_r.fail(p + u"jwks_url", TomlReader::lineOf(*t.get("jwks_url")), bad);
        }
        if (t.contains("groups_claim"))
            required("groups_claim", o.groupsClaim);
        cfg.oidc << o;
    }

    void roles(const toml::table &t, NodeConfig &cfg)
    {
        const QString p = QStringLiteral("roles.");
        if (!m_r.onlyKeys(t, {"admin", "auditor"}, p))
            return;
        for (auto [key, out] : {std::pair{"admin", &cfg.adminGroups}, std::pair{"auditor", &cfg.auditorGroups}}) {
            const toml::node *n = t.get(key);
            if (!n)
                continue;
            const QString name = p + QLatin1String(key);
            if (auto list = m_r.stringArray(*n, name)) {
                for (const QString &g : std::as_const(*list))
                    if (g.isEmpty())
                        m_r.fail(name, TomlReader::lineOf(*n), QStringLiteral("group names must not be empty"));
                *out = *list;
            }
        }
    }

    // A duration string from min to max.
    void durationKey(const toml::table &t, std::string_view key, const QString &p, std::chrono::milliseconds min,
                     std::chrono::milliseconds max, std::chrono::milliseconds &out)
    {
        const toml::node *n = t.get(key);
        if (!n)
            return;
        const QString name = p + TomlReader::fromStd(key);
        auto s = m_r.string(*n, name);
        if (!s)
            return;
        auto d = parseDuration(*s);
        if (!d)
            m_r.fail(name, TomlReader::lineOf(*n), d.error().message);
        else if (*d < min || *d > max)
            m_r.fail(name, TomlReader::lineOf(*n),
                     QStringLiteral("must be from %1 to %2").arg(formatDuration(min), formatDuration(max)));
        else
            out = *d;
    }

    // A byte count: an integer, or a string parseSize() reads ("64MiB"); from min to max.
    void sizeKey(const toml::table &t, std::string_view key, const QString &p, qint64 min, qint64 max,
                 const QString &range, qint64 &out)
    {
        const toml::node *n = t.get(key);
        if (!n)
            return;
        const QString name = p + TomlReader::fromStd(key);
        const int line = TomlReader::lineOf(*n);
        qint64 value = -1;
        if (const auto *i = n->as_integer()) {
            if (i->get() < 0)
                m_r.fail(name, line, QStringLiteral("sizes cannot be negative"));
            else
                value = qint64(i->get());
        } else if (const auto *str = n->as_string()) {
            auto parsed = parseSize(TomlReader::fromStd(str->get()));
            if (!parsed)
                m_r.fail(name, line, parsed.error().message);
            else
                value = *parsed;
        } else {
            m_r.fail(name, line, QStringLiteral("expected a size (an integer or a string like \"64MiB\"), found %1")
                                     .arg(TomlReader::typeName(*n)));
        }
        if (value < 0)
            return;
        if (value < min || value > max)
            m_r.fail(name, line, QStringLiteral("must be %1").arg(range));
        else
            out = value;
    }

    // An integer from min to max.
    void integerKey(const toml::table &t, std::string_view key, const QString &p, qint64 min, qint64 max,
                    const QString &range, int &out)
    {
        const toml::node *n = t.get(key);
        if (!n)
            return;
        const QString name = p + TomlReader::fromStd(key);
        auto i = m_r.integer(*n, name);
        if (!i)
            return;
        if (*i < min || *i > max)
            m_r.fail(name, TomlReader::lineOf(*n), QStringLiteral("must be %1").arg(range));
        else
            out = int(*i);
    }

    void proxy(const toml::table &t, ProxyConfig &out)
    {
        using namespace std::chrono_literals;
        const QString p = QStringLiteral("proxy.");
        if (!m_r.onlyKeys(t, {"workers", "connect_timeout", "read_timeout", "header_timeout", "idle_timeout",
                              "max_request_headers", "max_request_body", "max_idle_upstreams", "rule_body_limit",
                              "mask_body_limit"}, p))
            return;
        integerKey(t, "workers", p, 0, 64, QStringLiteral("0 (one per core) or from 1 to 64"), out.workers);
        // QTimer counts int milliseconds; a day is far more than any of these needs.
        durationKey(t, "connect_timeout", p, 100ms, 24h, out.connectTimeout);
        durationKey(t, "read_timeout", p, 100ms, 24h, out.readTimeout);
        durationKey(t, "header_timeout", p, 100ms, 24h, out.headerTimeout);
        durationKey(t, "idle_timeout", p, 100ms, 24h, out.idleTimeout);
        sizeKey(t, "max_request_headers", p, 1 << 10, 1 << 20, QStringLiteral("from 1KiB to 1MiB"), out.maxRequestHeaders);
        sizeKey(t, "max_request_body", p, 0, std::numeric_limits<qint64>::max(), QStringLiteral("0 or more"),
                out.maxRequestBody);
        integerKey(t, "max_idle_upstreams", p, 0, 1024, QStringLiteral("from 0 (no pooling) to 1024"), out.maxIdleUpstreams);
        sizeKey(t, "rule_body_limit", p, 1 << 10, 64 << 20, QStringLiteral("from 1KiB to 64MiB"), out.ruleBodyLimit);
        sizeKey(t, "mask_body_limit", p, 1 << 10, 256 << 20, QStringLiteral("from 1KiB to 256MiB"), out.maskBodyLimit);
    }

    void recording(const toml::table &t, RecordingConfig &out)
    {
        const QString p = QStringLiteral("recording.");
        if (!m_r.onlyKeys(t, {"body_cap", "synchronous"}, p))
            return;
        // Each recorded piece is held in memory and written as one row.
        sizeKey(t, "body_cap", p, 0, 256 << 20, QStringLiteral("from 0 (no bodies) to 256MiB"), out.bodyCap);
        if (const toml::node *n = t.get("synchronous")) {
            if (auto s = m_r.string(*n, p + u"synchronous")) {
                if (*s == u"full" || *s == u"normal")
                    out.syncOnCommit = *s == u"full";
                else
                    m_r.fail(p + u"synchronous", TomlReader::lineOf(*n),
                             QStringLiteral("expected \"full\" or \"normal\", not \"%1\"").arg(*s));
            }
        }
    }

    TomlReader m_r;
};

} // namespace

Result<ListenAddress> ListenAddress::parse(const QString &text)
{
    const auto bad = [&](const QString &why) {
        return Error(QStringLiteral("invalid listen address \"%1\": %2").arg(text, why));
    };
    QString host;
    QString port;
    if (text.startsWith(QLatin1Char('['))) {
        const qsizetype close = text.indexOf(QLatin1String("]:"));
        if (close < 0)
            return bad(QStringLiteral("expected [IPv6]:port"));
        host = text.mid(1, close - 1);
        port = text.mid(close + 2);
        if (!isLiteralIp(host, true))
            return bad(QStringLiteral("\"%1\" is not an IPv6 address").arg(host));
    } else {
        const qsizetype colon = text.lastIndexOf(QLatin1Char(':'));
        if (colon < 0)
            return bad(QStringLiteral("expected host:port"));
        host = text.left(colon);
        port = text.mid(colon + 1);
        if (host.contains(QLatin1Char(':')))
            return bad(QStringLiteral("IPv6 addresses need brackets, like [::1]:8700"));
        if (host != u"localhost" && !isLiteralIp(host, false))
            return bad(QStringLiteral("host must be an IP address or localhost"));
    }
    if (port.isEmpty() || port.size() > 5)
        return bad(QStringLiteral("port must be a number from 0 to 65535"));
    for (QChar c : std::as_const(port))
        if (c < QLatin1Char('0') || c > QLatin1Char('9'))
            return bad(QStringLiteral("port must be a number from 0 to 65535"));
    const uint value = port.toUInt();
    if (value > 65535)
        return bad(QStringLiteral("port must be a number from 0 to 65535"));
    return ListenAddress{host, quint16(value)};
}

QString ListenAddress::toString() const
{
    if (host.contains(QLatin1Char(':')))
        return QLatin1Char('[') + host + QLatin1String("]:") + QString::number(port);
    return host + QLatin1Char(':') + QString::number(port);
}

Result<NodeConfig> NodeConfig::load(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return Error(QStringLiteral("cannot read config file: ") + f.errorString(), path, 0, QString());
    return parse(f.readAll(), path);
}

Result<NodeConfig> NodeConfig::parse(const QByteArray &toml, const QString &sourceName)
{
    auto doc = TomlReader::parseDocument(toml, sourceName);
    if (!doc)
        return doc.error();
    return NodeConfigParser(sourceName).run(*doc);
}

QString defaultDataDir()
{
    // The XDG spec says to ignore a relative XDG_DATA_HOME.
    const QString xdg = qEnvironmentVariable("XDG_DATA_HOME");
    if (!xdg.isEmpty() && QDir::isAbsolutePath(xdg))
        return QDir::cleanPath(xdg + QLatin1String("/gatehouse"));
    QString home = qEnvironmentVariable("HOME");
    if (home.isEmpty())
        home = QDir::homePath();
    return QDir::cleanPath(home + QLatin1String("/.local/share/gatehouse"));
}

} // namespace gh
