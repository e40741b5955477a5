#include "core/NodeConfig.h"

#include <QFile>
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
            "\n";
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
