// gatehouse-demo-upstream: the upstream of the newcomer demo (docs/desktop.md "Demo").
//   gatehouse-demo-upstream [--listen 127.0.0.1:8790] [--port-file FILE]
#include "DemoServer.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QHostAddress>
#include <QSaveFile>

#include <cstdio>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("gatehouse-demo-upstream"));
    QCoreApplication::setApplicationVersion(QStringLiteral(GATEHOUSE_VERSION));
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "An OpenAI-style API whose answers contain fake personal data, for the Gatehouse demo."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption listenOption(QStringLiteral("listen"),
                                          QStringLiteral("Listen on <host:port> (port 0: any free port)."),
                                          QStringLiteral("host:port"), QStringLiteral("127.0.0.1:8790"));
    const QCommandLineOption portFileOption(QStringLiteral("port-file"),
                                            QStringLiteral("Write the port listened on to <file>."),
                                            QStringLiteral("file"));
    parser.addOption(listenOption);
    parser.addOption(portFileOption);
    parser.process(app);

    const QString listen = parser.value(listenOption);
    const qsizetype colon = listen.lastIndexOf(QLatin1Char(':'));
    bool portOk = false;
    const uint port = listen.mid(colon + 1).toUInt(&portOk);
    const QHostAddress address(listen.left(colon));
    if (colon <= 0 || !portOk || port > 65535 || address.isNull()) {
        std::fprintf(stderr, "gatehouse-demo-upstream: --listen: not host:port: %s\n", qPrintable(listen));
        return 2;
    }
    gh::demo::DemoServer server;
    if (!server.listen(address, quint16(port))) {
        std::fprintf(stderr, "gatehouse-demo-upstream: cannot listen on %s: %s\n", qPrintable(listen),
                     qPrintable(server.errorString()));
        return 1;
    }
    if (parser.isSet(portFileOption)) {
        QSaveFile file(parser.value(portFileOption));
        if (!file.open(QIODevice::WriteOnly) || file.write(QByteArray::number(server.port()) + '\n') < 0 || !file.commit()) {
            std::fprintf(stderr, "gatehouse-demo-upstream: cannot write %s\n", qPrintable(parser.value(portFileOption)));
            return 1;
        }
    }
    std::printf("gatehouse-demo-upstream: listening on http://%s:%u\n", qPrintable(address.toString()), unsigned(server.port()));
    std::fflush(stdout);
    return QCoreApplication::exec();
}
