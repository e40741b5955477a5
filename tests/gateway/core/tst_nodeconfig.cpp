#include "core/NodeConfig.h"

#include <QFile>
#include <QHash>
#include <QTemporaryDir>
#include <QTest>

using namespace std::chrono_literals;

class tst_NodeConfig final : public QObject {
    Q_OBJECT

private slots:
    void emptyFileGivesContractDefaults()
    {
        const auto cfg = gh::NodeConfig::parse(QByteArray(), u"empty.toml"_qs);
        QVERIFY(cfg.ok());
        QCOMPARE(cfg->adminListen.toString(), u"127.0.0.1:8700"_qs);
        QCOMPARE(cfg->httpListen.toString(), u"127.0.0.1:8701"_qs);
        QCOMPARE(cfg->pgListen.toString(), u"127.0.0.1:8702"_qs);
        QCOMPARE(cfg->store, u"sqlite"_qs);
        QCOMPARE(cfg->maxTokenTtl, std::chrono::seconds(1h));
        QVERIFY(cfg->dataDir.isEmpty());
        QVERIFY(cfg->oidc.isEmpty());
        QCOMPARE(cfg->proxy.workers, 0);
        QCOMPARE(cfg->proxy.connectTimeout, std::chrono::milliseconds(5s));
        QCOMPARE(cfg->proxy.readTimeout, std::chrono::milliseconds(300s));
        QCOMPARE(cfg->proxy.headerTimeout, std::chrono::milliseconds(30s));
        QCOMPARE(cfg->proxy.idleTimeout, std::chrono::milliseconds(60s));
        QCOMPARE(cfg->proxy.maxRequestHeaders, qint64(64 * 1024));
        QCOMPARE(cfg->proxy.maxRequestBody, qint64(0));
        QCOMPARE(cfg->proxy.maxIdleUpstreams, 32);
        QCOMPARE(cfg->recording.bodyCap, qint64(1 << 20));
        QCOMPARE(cfg->recording.syncOnCommit, false);   // synchronous = "normal"
    }

    void fullFile()
    {
        const QByteArray toml =
            "[gateway]\n"
            "data_dir     = \"/var/lib/gatehouse\"\n"
            "admin_listen = \"[::1]:9700\"\n"
            "http_listen  = \"0.0.0.0:0\"\n"
            "pg_listen    = \"localhost:5433\"\n"
            "store        = \"postgresql://gh@db.internal/gatehouse\"\n"
            "tls_cert     = \"/etc/gatehouse/cert.pem\"\n"
            "tls_key      = \"/etc/gatehouse/key.pem\"\n"
            "\n"
            "[identity]\n"
            "max_token_ttl = \"2h30m\"\n"
            "\n"
            "[[identity.oidc]]\n"
            "issuer    = \"https://idp.example.com\"\n"
            "audience  = \"gatehouse\"\n"
            "jwks_file = \"/etc/gatehouse/idp-jwks.json\"\n"
            "\n"
            "[[identity.oidc]]\n"
            "issuer       = \"http://127.0.0.1:5556/dex\"\n"
            "audience     = \"gh\"\n"
            "jwks_url     = \"http://127.0.0.1:5556/dex/keys\"\n"
            "groups_claim = \"roles\"\n"
            "\n"
            "[roles]\n"
            "admin   = [\"gatehouse-admins\", \"sre\"]\n"
            "auditor = [\"auditors\"]\n"
            "\n"
            "[proxy]\n"
            "workers             = 8\n"
            "connect_timeout     = \"2s500ms\"\n"
            "read_timeout        = \"10m\"\n"
            "header_timeout      = \"15s\"\n"
            "idle_timeout        = \"2m\"\n"
            "max_request_headers = \"128KiB\"\n"
            "max_request_body    = \"1GiB\"\n"
            "max_idle_upstreams  = 4\n"
            "\n"
            "[recording]\n"
            "body_cap = \"64KiB\"\n"
            "synchronous = \"full\"\n";
        const auto cfg = gh::NodeConfig::parse(toml, u"full.toml"_qs);
        QVERIFY2(cfg.ok(), qPrintable(cfg.ok() ? QString() : cfg.error().toString()));
        QCOMPARE(cfg->sourceFile, u"full.toml"_qs);
        QCOMPARE(cfg->dataDir, u"/var/lib/gatehouse"_qs);
        QCOMPARE(cfg->adminListen, (gh::ListenAddress{u"::1"_qs, 9700}));
        QCOMPARE(cfg->httpListen, (gh::ListenAddress{u"0.0.0.0"_qs, 0}));
        QCOMPARE(cfg->pgListen, (gh::ListenAddress{u"localhost"_qs, 5433}));
        QCOMPARE(cfg->store, u"postgresql://gh@db.internal/gatehouse"_qs);
        QCOMPARE(cfg->tlsCert, u"/etc/gatehouse/cert.pem"_qs);
        QCOMPARE(cfg->tlsKey, u"/etc/gatehouse/key.pem"_qs);
        QCOMPARE(cfg->maxTokenTtl, std::chrono::seconds(2h + 30min));
        QCOMPARE(cfg->oidc.size(), 2);
        QCOMPARE(cfg->oidc[0].issuer, u"https://idp.example.com"_qs);
        QCOMPARE(cfg->oidc[0].jwksFile, u"/etc/gatehouse/idp-jwks.json"_qs);
        QCOMPARE(cfg->oidc[0].groupsClaim, u"groups"_qs);
        QCOMPARE(cfg->oidc[1].jwksUrl, u"http://127.0.0.1:5556/dex/keys"_qs);
        QCOMPARE(cfg->oidc[1].groupsClaim, u"roles"_qs);
        QCOMPARE(cfg->adminGroups, (QStringList{u"gatehouse-admins"_qs, u"sre"_qs}));
        QCOMPARE(cfg->auditorGroups, QStringList{u"auditors"_qs});
        QCOMPARE(cfg->proxy.workers, 8);
        QCOMPARE(cfg->proxy.connectTimeout, std::chrono::milliseconds(2500ms));
        QCOMPARE(cfg->proxy.readTimeout, std::chrono::milliseconds(10min));
        QCOMPARE(cfg->proxy.headerTimeout, std::chrono::milliseconds(15s));
        QCOMPARE(cfg->proxy.idleTimeout, std::chrono::milliseconds(2min));
        QCOMPARE(cfg->proxy.maxRequestHeaders, qint64(128 * 1024));
        QCOMPARE(cfg->proxy.maxRequestBody, qint64(1) << 30);
        QCOMPARE(cfg->proxy.maxIdleUpstreams, 4);
        QCOMPARE(cfg->recording.bodyCap, qint64(64 * 1024));
        QCOMPARE(cfg->recording.syncOnCommit, true);
    }

    // Each row sets one [proxy]/[recording] key and names the field it lands in.
    void tunables_data()
    {
        QTest::addColumn<QByteArray>("toml");
        QTest::addColumn<QString>("field");
        QTest::addColumn<qint64>("value");
        QTest::newRow("workers 0") << QByteArray("[proxy]\nworkers = 0\n") << u"workers"_qs << qint64(0);
        QTest::newRow("workers 1") << QByteArray("[proxy]\nworkers = 1\n") << u"workers"_qs << qint64(1);
        QTest::newRow("workers 64") << QByteArray("[proxy]\nworkers = 64\n") << u"workers"_qs << qint64(64);
        QTest::newRow("connect min") << QByteArray("[proxy]\nconnect_timeout = \"100ms\"\n")
                                     << u"connect_timeout"_qs << qint64(100);
        QTest::newRow("read max") << QByteArray("[proxy]\nread_timeout = \"1d\"\n")
                                  << u"read_timeout"_qs << qint64(86400000);
        QTest::newRow("read 24h") << QByteArray("[proxy]\nread_timeout = \"24h\"\n")
                                  << u"read_timeout"_qs << qint64(86400000);
        QTest::newRow("header") << QByteArray("[proxy]\nheader_timeout = \"1m30s\"\n")
                                << u"header_timeout"_qs << qint64(90000);
        QTest::newRow("idle") << QByteArray("[proxy]\nidle_timeout = \"5s\"\n") << u"idle_timeout"_qs << qint64(5000);
        QTest::newRow("headers min") << QByteArray("[proxy]\nmax_request_headers = \"1KiB\"\n")
                                     << u"max_request_headers"_qs << qint64(1024);
        QTest::newRow("headers max int") << QByteArray("[proxy]\nmax_request_headers = 1048576\n")
                                         << u"max_request_headers"_qs << qint64(1048576);
        QTest::newRow("body unlimited") << QByteArray("[proxy]\nmax_request_body = \"0\"\n")
                                        << u"max_request_body"_qs << qint64(0);
        QTest::newRow("body int 0") << QByteArray("[proxy]\nmax_request_body = 0\n")
                                    << u"max_request_body"_qs << qint64(0);
        QTest::newRow("body MiB") << QByteArray("[proxy]\nmax_request_body = \"64MiB\"\n")
                                  << u"max_request_body"_qs << qint64(64) * 1024 * 1024;
        QTest::newRow("body bytes") << QByteArray("[proxy]\nmax_request_body = \"1000B\"\n")
                                    << u"max_request_body"_qs << qint64(1000);
        QTest::newRow("body int") << QByteArray("[proxy]\nmax_request_body = 5000000000\n")
                                  << u"max_request_body"_qs << qint64(5000000000);
        QTest::newRow("pool off") << QByteArray("[proxy]\nmax_idle_upstreams = 0\n")
                                  << u"max_idle_upstreams"_qs << qint64(0);
        QTest::newRow("pool max") << QByteArray("[proxy]\nmax_idle_upstreams = 1024\n")
                                  << u"max_idle_upstreams"_qs << qint64(1024);
        QTest::newRow("cap off") << QByteArray("[recording]\nbody_cap = 0\n") << u"body_cap"_qs << qint64(0);
        QTest::newRow("cap KiB") << QByteArray("[recording]\nbody_cap = \"4KiB\"\n") << u"body_cap"_qs << qint64(4096);
        QTest::newRow("cap max") << QByteArray("[recording]\nbody_cap = \"256MiB\"\n")
                                 << u"body_cap"_qs << qint64(256) * 1024 * 1024;
        QTest::newRow("empty tables") << QByteArray("[proxy]\n[recording]\n") << u"body_cap"_qs << qint64(1 << 20);
        QTest::newRow("sync full") << QByteArray("[recording]\nsynchronous = \"full\"\n") << u"sync_on_commit"_qs
                                   << qint64(1);
        QTest::newRow("sync normal") << QByteArray("[recording]\nsynchronous = \"normal\"\n") << u"sync_on_commit"_qs
                                     << qint64(0);
        QTest::newRow("sync default") << QByteArray("[recording]\n") << u"sync_on_commit"_qs << qint64(0);
    }
    void tunables()
    {
        QFETCH(QByteArray, toml);
        QFETCH(QString, field);
        QFETCH(qint64, value);
        const auto cfg = gh::NodeConfig::parse(toml, u"t.toml"_qs);
        QVERIFY2(cfg.ok(), qPrintable(cfg.ok() ? QString() : cfg.error().toString()));
        const gh::ProxyConfig &p = cfg->proxy;
        const QHash<QString, qint64> fields{
            {u"workers"_qs, p.workers},
            {u"connect_timeout"_qs, p.connectTimeout.count()},
            {u"read_timeout"_qs, p.readTimeout.count()},
            {u"header_timeout"_qs, p.headerTimeout.count()},
            {u"idle_timeout"_qs, p.idleTimeout.count()},
            {u"max_request_headers"_qs, p.maxRequestHeaders},
            {u"max_request_body"_qs, p.maxRequestBody},
            {u"max_idle_upstreams"_qs, p.maxIdleUpstreams},
            {u"body_cap"_qs, cfg->recording.bodyCap},
            {u"sync_on_commit"_qs, cfg->recording.syncOnCommit ? 1 : 0},
        };
        QVERIFY(fields.contains(field));
        QCOMPARE(fields.value(field), value);
    }

    void brokenFiles_data()
    {
        QTest::addColumn<QByteArray>("toml");
        QTest::addColumn<int>("line");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("messagePart");

        QTest::newRow("syntax error") << QByteArray("[gateway]\nadmin_listen = \"127.0.0.1:1\n")
                                      << 2 << QString() << u"syntax"_qs;
        QTest::newRow("unknown table") << QByteArray("\n[gatway]\n") << 2 << u"gatway"_qs << u"unknown key"_qs;
        QTest::newRow("unknown key") << QByteArray("[gateway]\nstore = \"sqlite\"\nno_such_key = 1\n")
                                     << 3 << u"gateway.no_such_key"_qs << u"unknown key"_qs;
        QTest::newRow("gateway not a table") << QByteArray("gateway = 5\n") << 1 << u"gateway"_qs << u"a table"_qs;
        QTest::newRow("listen wrong type") << QByteArray("[gateway]\n\nadmin_listen = 8700\n")
                                           << 3 << u"gateway.admin_listen"_qs << u"expected a string, found an integer"_qs;
        QTest::newRow("listen no port") << QByteArray("[gateway]\nhttp_listen = \"127.0.0.1\"\n")
                                        << 2 << u"gateway.http_listen"_qs << u"host:port"_qs;
        QTest::newRow("listen hostname") << QByteArray("[gateway]\npg_listen = \"db.example.com:5432\"\n")
                                         << 2 << u"gateway.pg_listen"_qs << u"IP address or localhost"_qs;
        QTest::newRow("listen port range") << QByteArray("[gateway]\npg_listen = \"127.0.0.1:65536\"\n")
                                           << 2 << u"gateway.pg_listen"_qs << u"0 to 65535"_qs;
        QTest::newRow("listen clash") << QByteArray("[gateway]\nadmin_listen = \"127.0.0.1:9000\"\nhttp_listen = \"127.0.0.1:9000\"\n")
                                      << 3 << u"gateway.http_listen"_qs << u"same address as gateway.admin_listen"_qs;
        QTest::newRow("relative data dir") << QByteArray("[gateway]\ndata_dir = \"var/gh\"\n")
                                           << 2 << u"gateway.data_dir"_qs << u"absolute"_qs;
        QTest::newRow("bad store") << QByteArray("[gateway]\nstore = \"mysql://x\"\n")
                                   << 2 << u"gateway.store"_qs << u"sqlite"_qs;
        QTest::newRow("cert without key") << QByteArray("[gateway]\n\ntls_cert = \"/c.pem\"\n")
                                          << 3 << u"gateway.tls_cert"_qs << u"needs tls_key"_qs;
        QTest::newRow("key without cert") << QByteArray("[gateway]\ntls_key = \"/k.pem\"\n")
                                          << 2 << u"gateway.tls_key"_qs << u"needs tls_cert"_qs;
        QTest::newRow("bad ttl") << QByteArray("[identity]\nmax_token_ttl = \"1 hour\"\n")
                                 << 2 << u"identity.max_token_ttl"_qs << u"invalid duration"_qs;
        QTest::newRow("zero ttl") << QByteArray("[identity]\nmax_token_ttl = \"0s\"\n")
                                  << 2 << u"identity.max_token_ttl"_qs << u"greater than zero"_qs;
        QTest::newRow("ttl not a string") << QByteArray("[identity]\nmax_token_ttl = 3600\n")
                                          << 2 << u"identity.max_token_ttl"_qs << u"expected a string"_qs;
        QTest::newRow("oidc as table") << QByteArray("[identity.oidc]\nissuer = \"https://a\"\n")
                                       << 1 << u"identity.oidc"_qs << u"[[identity.oidc]]"_qs;
        QTest::newRow("oidc missing audience")
            << QByteArray("[[identity.oidc]]\nissuer = \"https://a\"\njwks_file = \"/j\"\n\n"
                          "[[identity.oidc]]\nissuer = \"https://b\"\njwks_file = \"/j\"\n")
            << 1 << u"identity.oidc[0].audience"_qs << u"missing required key"_qs;
        QTest::newRow("oidc second bad audience type")
            << QByteArray("[[identity.oidc]]\nissuer = \"https://a\"\naudience = \"x\"\njwks_file = \"/j\"\n\n"
                          "[[identity.oidc]]\nissuer = \"https://b\"\naudience = [\"x\"]\njwks_file = \"/j\"\n")
            << 8 << u"identity.oidc[1].audience"_qs << u"expected a string"_qs;
        QTest::newRow("oidc issuer not url")
            << QByteArray("[[identity.oidc]]\nissuer = \"idp.example.com\"\naudience = \"x\"\njwks_file = \"/j\"\n")
            << 2 << u"identity.oidc[0].issuer"_qs << u"https://"_qs;
        QTest::newRow("oidc both jwks")
            << QByteArray("[[identity.oidc]]\nissuer = \"https://a\"\naudience = \"x\"\njwks_file = \"/j\"\njwks_url = \"https://a/k\"\n")
            << 5 << u"identity.oidc[0].jwks_url"_qs << u"exactly one"_qs;
        QTest::newRow("oidc no jwks")
            << QByteArray("[[identity.oidc]]\nissuer = \"https://a\"\naudience = \"x\"\n")
            << 1 << u"identity.oidc[0].jwks_file"_qs << u"exactly one"_qs;
        QTest::newRow("oidc unknown key")
            << QByteArray("[[identity.oidc]]\nissuer = \"https://a\"\naudience = \"x\"\njwks_file = \"/j\"\nclient_secret = \"s\"\n")
            << 5 << u"identity.oidc[0].client_secret"_qs << u"unknown key"_qs;
        QTest::newRow("oidc duplicate issuer")
            << QByteArray("[[identity.oidc]]\nissuer = \"https://a\"\naudience = \"x\"\njwks_file = \"/j\"\n"
                          "[[identity.oidc]]\nissuer = \"https://a\"\naudience = \"y\"\njwks_file = \"/j\"\n")
            << 6 << u"identity.oidc[1].issuer"_qs << u"same issuer"_qs;
        QTest::newRow("roles not strings") << QByteArray("[roles]\nadmin = [\"a\", 1]\n")
                                           << 2 << u"roles.admin"_qs << u"array of strings"_qs;
        QTest::newRow("roles unknown") << QByteArray("[roles]\nsuperuser = [\"a\"]\n")
                                       << 2 << u"roles.superuser"_qs << u"unknown key"_qs;
        QTest::newRow("proxy not a table") << QByteArray("proxy = \"fast\"\n") << 1 << u"proxy"_qs << u"a table"_qs;
        QTest::newRow("proxy unknown key") << QByteArray("[proxy]\nworkers = 2\nmax_connections = 100\n")
                                           << 3 << u"proxy.max_connections"_qs << u"unknown key"_qs;
        QTest::newRow("workers negative") << QByteArray("[proxy]\nworkers = -1\n")
                                          << 2 << u"proxy.workers"_qs << u"from 1 to 64"_qs;
        QTest::newRow("workers too many") << QByteArray("[proxy]\n\nworkers = 65\n")
                                          << 3 << u"proxy.workers"_qs << u"from 1 to 64"_qs;
        QTest::newRow("workers string") << QByteArray("[proxy]\nworkers = \"4\"\n")
                                        << 2 << u"proxy.workers"_qs << u"expected an integer, found a string"_qs;
        QTest::newRow("workers float") << QByteArray("[proxy]\nworkers = 2.0\n")
                                       << 2 << u"proxy.workers"_qs << u"expected an integer, found a float"_qs;
        QTest::newRow("connect bad duration") << QByteArray("[proxy]\nconnect_timeout = \"5 s\"\n")
                                              << 2 << u"proxy.connect_timeout"_qs << u"invalid duration"_qs;
        QTest::newRow("connect zero") << QByteArray("[proxy]\nconnect_timeout = \"0s\"\n")
                                      << 2 << u"proxy.connect_timeout"_qs << u"greater than zero"_qs;
        QTest::newRow("connect too short") << QByteArray("[proxy]\nconnect_timeout = \"99ms\"\n")
                                           << 2 << u"proxy.connect_timeout"_qs << u"from 100ms to 1d"_qs;
        QTest::newRow("read integer") << QByteArray("[proxy]\nread_timeout = 300\n")
                                      << 2 << u"proxy.read_timeout"_qs << u"expected a string, found an integer"_qs;
        QTest::newRow("read too long") << QByteArray("[proxy]\nread_timeout = \"1d1ms\"\n")
                                       << 2 << u"proxy.read_timeout"_qs << u"from 100ms to 1d"_qs;
        QTest::newRow("header unit") << QByteArray("[proxy]\nheader_timeout = \"30sec\"\n")
                                     << 2 << u"proxy.header_timeout"_qs << u"unknown unit"_qs;
        QTest::newRow("idle negative") << QByteArray("[proxy]\nidle_timeout = \"-1s\"\n")
                                       << 2 << u"proxy.idle_timeout"_qs << u"negative"_qs;
        QTest::newRow("headers too small") << QByteArray("[proxy]\nmax_request_headers = \"1023B\"\n")
                                           << 2 << u"proxy.max_request_headers"_qs << u"from 1KiB to 1MiB"_qs;
        QTest::newRow("headers too big") << QByteArray("[proxy]\nmax_request_headers = \"2MiB\"\n")
                                         << 2 << u"proxy.max_request_headers"_qs << u"from 1KiB to 1MiB"_qs;
        QTest::newRow("body decimal unit") << QByteArray("[proxy]\nworkers = 2\nmax_request_body = \"64MB\"\n")
                                           << 3 << u"proxy.max_request_body"_qs << u"unknown unit \"MB\""_qs;
        QTest::newRow("body fraction") << QByteArray("[proxy]\nmax_request_body = \"1.5GiB\"\n")
                                       << 2 << u"proxy.max_request_body"_qs << u"fractions"_qs;
        QTest::newRow("body negative int") << QByteArray("[proxy]\nmax_request_body = -1\n")
                                           << 2 << u"proxy.max_request_body"_qs << u"negative"_qs;
        QTest::newRow("body empty") << QByteArray("[proxy]\nmax_request_body = \"\"\n")
                                    << 2 << u"proxy.max_request_body"_qs << u"invalid size"_qs;
        QTest::newRow("body overflow") << QByteArray("[proxy]\nmax_request_body = \"9999999999GiB\"\n")
                                       << 2 << u"proxy.max_request_body"_qs << u"too large"_qs;
        QTest::newRow("body boolean") << QByteArray("[proxy]\nmax_request_body = false\n")
                                      << 2 << u"proxy.max_request_body"_qs << u"expected a size"_qs;
        QTest::newRow("body float") << QByteArray("[proxy]\nmax_request_body = 1e9\n")
                                    << 2 << u"proxy.max_request_body"_qs << u"found a float"_qs;
        QTest::newRow("pool negative") << QByteArray("[proxy]\nmax_idle_upstreams = -1\n")
                                       << 2 << u"proxy.max_idle_upstreams"_qs << u"to 1024"_qs;
        QTest::newRow("pool too big") << QByteArray("[proxy]\nmax_idle_upstreams = 1025\n")
                                      << 2 << u"proxy.max_idle_upstreams"_qs << u"to 1024"_qs;
        QTest::newRow("recording not a table") << QByteArray("\nrecording = 1\n") << 2 << u"recording"_qs << u"a table"_qs;
        QTest::newRow("recording unknown key") << QByteArray("[recording]\nbody_cap = 1\nenabled = false\n")
                                               << 3 << u"recording.enabled"_qs << u"unknown key"_qs;
        QTest::newRow("cap too big") << QByteArray("[recording]\nbody_cap = \"1GiB\"\n")
                                     << 2 << u"recording.body_cap"_qs << u"to 256MiB"_qs;
        QTest::newRow("cap bad unit") << QByteArray("[recording]\nbody_cap = \"1mib\"\n")
                                      << 2 << u"recording.body_cap"_qs << u"unknown unit"_qs;
        QTest::newRow("cap negative") << QByteArray("[recording]\nbody_cap = \"-1KiB\"\n")
                                      << 2 << u"recording.body_cap"_qs << u"negative"_qs;
        QTest::newRow("cap array") << QByteArray("[recording]\nbody_cap = [1]\n")
                                   << 2 << u"recording.body_cap"_qs << u"found an array"_qs;
        QTest::newRow("sync unknown") << QByteArray("[recording]\nsynchronous = \"off\"\n")
                                      << 2 << u"recording.synchronous"_qs << u"\"full\" or \"normal\""_qs;
        QTest::newRow("sync upper case") << QByteArray("[recording]\n\nsynchronous = \"FULL\"\n")
                                         << 3 << u"recording.synchronous"_qs << u"\"full\" or \"normal\""_qs;
        QTest::newRow("sync bool") << QByteArray("[recording]\nsynchronous = true\n")
                                   << 2 << u"recording.synchronous"_qs << u"expected a string"_qs;
    }
    void brokenFiles()
    {
        QFETCH(QByteArray, toml);
        QFETCH(int, line);
        QFETCH(QString, key);
        QFETCH(QString, messagePart);
        const auto cfg = gh::NodeConfig::parse(toml, u"gatehoused.toml"_qs);
        QVERIFY(!cfg.ok());
        const gh::Error &e = cfg.error();
        QCOMPARE(e.file, u"gatehoused.toml"_qs);
        QCOMPARE(e.line, line);
        QCOMPARE(e.key, key);
        QVERIFY2(e.message.contains(messagePart), qPrintable(e.message));
        // The one-line form the daemon prints names file and line.
        QVERIFY(e.toString().startsWith(u"gatehoused.toml:"_qs + QString::number(line) + u": "_qs));
    }

    void listenAddresses_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("ok");
        QTest::addColumn<QString>("host");
        QTest::addColumn<int>("port");
        QTest::newRow("v4") << u"127.0.0.1:8700"_qs << true << u"127.0.0.1"_qs << 8700;
        QTest::newRow("v4 port 0") << u"127.0.0.1:0"_qs << true << u"127.0.0.1"_qs << 0;
        QTest::newRow("v4 max port") << u"10.0.0.1:65535"_qs << true << u"10.0.0.1"_qs << 65535;
        QTest::newRow("v6") << u"[::1]:8700"_qs << true << u"::1"_qs << 8700;
        QTest::newRow("v6 any") << u"[::]:80"_qs << true << u"::"_qs << 80;
        QTest::newRow("localhost") << u"localhost:1"_qs << true << u"localhost"_qs << 1;
        QTest::newRow("v6 no brackets") << u"::1:8700"_qs << false << QString() << 0;
        QTest::newRow("v6 no port") << u"[::1]"_qs << false << QString() << 0;
        QTest::newRow("v6 bad") << u"[::g]:1"_qs << false << QString() << 0;
        QTest::newRow("v4 short form") << u"127.1:80"_qs << false << QString() << 0;
        QTest::newRow("hostname") << u"example.com:80"_qs << false << QString() << 0;
        QTest::newRow("port too big") << u"127.0.0.1:70000"_qs << false << QString() << 0;
        QTest::newRow("port negative") << u"127.0.0.1:-1"_qs << false << QString() << 0;
        QTest::newRow("port words") << u"127.0.0.1:http"_qs << false << QString() << 0;
        QTest::newRow("empty port") << u"127.0.0.1:"_qs << false << QString() << 0;
        QTest::newRow("empty") << QString() << false << QString() << 0;
    }
    void listenAddresses()
    {
        QFETCH(QString, text);
        QFETCH(bool, ok);
        QFETCH(QString, host);
        QFETCH(int, port);
        const auto a = gh::ListenAddress::parse(text);
        QCOMPARE(a.ok(), ok);
        if (!ok) {
            QVERIFY(a.error().message.contains(u"invalid listen address"_qs));
            return;
        }
        QCOMPARE(a->host, host);
        QCOMPARE(int(a->port), port);
        QCOMPARE(a->toString(), text);
    }

    void loadNamesMissingFile()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"nope.toml"_qs);
        const auto cfg = gh::NodeConfig::load(path);
        QVERIFY(!cfg.ok());
        QCOMPARE(cfg.error().file, path);
    }

    void loadReadsFile()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(u"gatehoused.toml"_qs);
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("[gateway]\nadmin_listen = \"127.0.0.1:0\"\n");
        f.close();
        const auto cfg = gh::NodeConfig::load(path);
        QVERIFY(cfg.ok());
        QCOMPARE(cfg->sourceFile, path);
        QCOMPARE(cfg->adminListen.port, quint16(0));
    }

    void defaultDataDirFollowsXdg()
    {
        const QByteArray oldXdg = qgetenv("XDG_DATA_HOME");
        const QByteArray oldHome = qgetenv("HOME");
        qputenv("XDG_DATA_HOME", "/srv/xdg");
        QCOMPARE(gh::defaultDataDir(), u"/srv/xdg/gatehouse"_qs);
        qunsetenv("XDG_DATA_HOME");
        qputenv("HOME", "/home/alice");
        QCOMPARE(gh::defaultDataDir(), u"/home/alice/.local/share/gatehouse"_qs);
        qputenv("XDG_DATA_HOME", "relative/dir");   // the XDG spec says to ignore it
        QCOMPARE(gh::defaultDataDir(), u"/home/alice/.local/share/gatehouse"_qs);
        qputenv("XDG_DATA_HOME", oldXdg);
        qputenv("HOME", oldHome);
    }
};

QTEST_GUILESS_MAIN(tst_NodeConfig)
#include "tst_nodeconfig.moc"
