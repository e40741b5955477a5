// gatehoused: the headless gateway daemon. Parses the command line and the node config, then hands
// over to GatewayNode; everything else lives in the engine libraries.
#include "core/NodeConfig.h"
#include "node/GatewayNode.h"
#include "node/Logging.h"
#include "node/SignalWatcher.h"

#include <QCommandLineParser>
#include <QCoreApplication>

#include <cstdio>

namespace {

int fail(int code, const QString &message)
{
    std::fprintf(stderr, "gatehoused: %s\n", qPrintable(message));
    return code;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("gatehoused"));
    QCoreApplication::setApplicationVersion(QStringLiteral(GATEHOUSE_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Gatehouse gateway daemon: verifies callers, holds target credentials, enforces rules and\n"
        "records every session. Without --config it runs on the embedded default: a SQLite store in\n"
        "the data dir and the admin API on 127.0.0.1:8700."));
    const QCommandLineOption configOpt(QStringLiteral("config"),
                                       QStringLiteral("Node configuration file (TOML)."), QStringLiteral("FILE"));
    const QCommandLineOption dataDirOpt(QStringLiteral("data-dir"),
                                        QStringLiteral("Data directory (default: $XDG_DATA_HOME/gatehouse)."),
                                        QStringLiteral("DIR"));
    const QCommandLineOption checkOpt(QStringLiteral("check-config"),
                                      QStringLiteral("Validate the configuration and exit."));
    const QCommandLineOption logLevelOpt(QStringLiteral("log-level"),
                                         QStringLiteral("debug, info (default), warning or error."),
                                         QStringLiteral("LEVEL"), QStringLiteral("info"));
    parser.addOptions({configOpt, dataDirOpt, checkOpt, logLevelOpt});
    const QCommandLineOption helpOpt = parser.addHelpOption();
    const QCommandLineOption versionOpt = parser.addVersionOption();

    if (!parser.parse(QCoreApplication::arguments()))
        return fail(2, parser.errorText() + QStringLiteral(" (see --help)"));
    if (parser.isSet(helpOpt)) {
        std::fputs(qPrintable(parser.helpText()), stdout);
        return 0;
    }
    if (parser.isSet(versionOpt)) {
        std::printf("gatehoused %s\n", GATEHOUSE_VERSION);
        return 0;
    }
    if (!parser.positionalArguments().isEmpty())
        return fail(2, QStringLiteral("unexpected argument '%1' (see --help)").arg(parser.positionalArguments().constFirst()));
    const QString level = parser.value(logLevelOpt);
    if (!QStringList{QStringLiteral("debug"), QStringLiteral("info"), QStringLiteral("warning"), QStringLiteral("error")}.contains(level))
        return fail(2, QStringLiteral("--log-level must be debug, info, warning or error, not '%1'").arg(level));

    gh::NodeConfig config;
    if (parser.isSet(configOpt)) {
        auto loaded = gh::NodeConfig::load(parser.value(configOpt));
        if (!loaded)
            return fail(2, loaded.error().toString());
        config = std::move(loaded).value();
    }
    if (parser.isSet(dataDirOpt))
        config.dataDir = parser.value(dataDirOpt);
    if (config.dataDir.isEmpty())
        config.dataDir = gh::defaultDataDir();

    if (auto st = gh::GatewayNode::checkConfig(config); !st)
        return fail(2, st.error().toString());
    if (parser.isSet(checkOpt)) {
        std::printf("%s: configuration is valid\n",
                    qPrintable(config.sourceFile.isEmpty() ? QStringLiteral("embedded default") : config.sourceFile));
        return 0;
    }

    gh::installLogHandler(QStringLiteral("gatehoused"));
    gh::setLogLevel(level);

    gh::SignalWatcher signalWatcher;
    gh::GatewayNode node(config);
    QObject::connect(&signalWatcher, &gh::SignalWatcher::terminateRequested, &node, [&node](int sig) {
        qInfo("signal %d received: draining and stopping", sig);
        node.stop();
    });
    QObject::connect(&node, &gh::GatewayNode::stopped, &app, [] { QCoreApplication::exit(0); });

    if (auto st = node.start(); !st)
        return fail(1, st.error().toString());
    return app.exec();
}
