#include "GatewayLink.h"
#include "LocalGateway.h"
#include "MainWindow.h"
#include "startup/GatewayStartup.h"

#include <QAction>
#include <QApplication>
#include <QCommandLineParser>
#include <QEvent>
#include <QWindow>
#include <QIcon>
#include <QLibraryInfo>
#include <QLocale>
#include <QMenu>
#include <QMenuBar>
#include <QStatusBar>
#include <QTranslator>
#include <QUrl>

#include <chrono>
#include <cstdio>
#include <memory>

namespace {

// --help and --version must work over ssh without a display, so they get a console-only app;
// everything else needs QApplication first, which takes Qt's own options (-platform, -style) away.
bool wantsTextOnly(int argc, char **argv)
{
    for (int i = 1; i < argc; ++i) {
        const QByteArray arg(argv[i]);
        if (arg == "--server" || arg == "--token") {
            ++i;   // a value, even one that looks like a flag
            continue;
        }
        if (arg == "-h" || arg == "--help" || arg == "--help-all" || arg == "-v" || arg == "--version")
            return true;
    }
    return false;
}

[[noreturn]] void usageError(const QString &message)
{
    std::fprintf(stderr, "gatehouse: %s\n", qUtf8Printable(message));
    std::exit(2);
}

// Qt's own strings (standard buttons) and ours, in the system locale.
void installTranslators(QTranslator &qt, QTranslator &ours)
{
    if (qt.load(QLocale(), QStringLiteral("qtbase"), QStringLiteral("_"),
                QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        QCoreApplication::installTranslator(&qt);
    if (ours.load(QLocale(), QStringLiteral("gatehouse"), QStringLiteral("_"), QStringLiteral(":/i18n")))
        QCoreApplication::installTranslator(&ours);
}

// bench/app_start: with GATEHOUSE_STARTUP_REPORT set, prints the monotonic clock (the one the bench
// driver reads before it starts the app) when the window is first exposed and when the gateway first
// answers, so start-up time is measured from outside, process start included.
class StartupReport final : public QObject {
public:
    using QObject::QObject;
    static void print(const char *what)
    {
        const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::steady_clock::now().time_since_epoch()).count();
        std::fprintf(stderr, "gatehouse-startup %s %lld\n", what, static_cast<long long>(ns));
        std::fflush(stderr);
    }

protected:
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        if (event->type() == QEvent::Expose && !m_exposed) {
            m_exposed = true;
            print("exposed");
        }
        return QObject::eventFilter(watched, event);
    }

private:
    bool m_exposed = false;
};

struct Target {
    QUrl server;      // empty: this machine's gateway, from its data dir
    QString token;
};

// --help, --version and usage errors exit from here, usage errors with status 2.
Target parseCommandLine()
{
    QCommandLineParser parser;
    parser.setApplicationDescription(QCoreApplication::translate(
        "main", "Gatehouse desktop: the connections and rules of a Gatehouse gateway.\n"
                "Without options it attaches to this machine's gateway and starts it when none answers."));
    const QCommandLineOption helpOption = parser.addHelpOption();
    const QCommandLineOption versionOption = parser.addVersionOption();
    const QCommandLineOption serverOption(QStringLiteral("server"),
        QCoreApplication::translate("main", "Attach to the gateway whose admin API is at <url>."),
        QCoreApplication::translate("main", "url"));
    const QCommandLineOption tokenOption(QStringLiteral("token"),
        QCoreApplication::translate("main", "Authenticate to the admin API with <token>."),
        QCoreApplication::translate("main", "token"));
    parser.addOption(serverOption);
    parser.addOption(tokenOption);
    if (!parser.parse(QCoreApplication::arguments()))
        usageError(parser.errorText());
    if (parser.isSet(helpOption) || parser.isSet(QStringLiteral("help-all")))
        parser.showHelp(0);
    if (parser.isSet(versionOption))
        parser.showVersion();
    if (!parser.positionalArguments().isEmpty())
        usageError(QCoreApplication::translate("main", "unexpected argument %1").arg(parser.positionalArguments().constFirst()));

    Target target;
    target.token = parser.value(tokenOption);
    if (parser.isSet(serverOption)) {
        target.server = QUrl(parser.value(serverOption), QUrl::StrictMode);
        const QString scheme = target.server.scheme();
        if (!target.server.isValid() || target.server.host().isEmpty()
            || (scheme != QLatin1String("http") && scheme != QLatin1String("https")))
            usageError(QCoreApplication::translate("main", "--server: not an http(s) URL: %1").arg(parser.value(serverOption)));
    } else if (parser.isSet(tokenOption)) {
        // A token alone means this machine's gateway, attached to as that caller.
        target.server = gh::LocalGateway().adminUrl();
    }
    // --server without --token: the token the keychain holds for that server (GatewayStartup).
    return target;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication::setApplicationName(QStringLiteral("gatehouse"));
    QCoreApplication::setApplicationVersion(QStringLiteral(GATEHOUSE_VERSION));
    QCoreApplication::setOrganizationName(QStringLiteral("Gatehouse"));

    std::unique_ptr<QCoreApplication> app;
    if (wantsTextOnly(argc, argv))
        app = std::make_unique<QCoreApplication>(argc, argv);
    else
        app = std::make_unique<QApplication>(argc, argv);
    QTranslator qtTranslator;
    QTranslator translator;
    installTranslators(qtTranslator, translator);
    const Target target = parseCommandLine();

    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/gatehouse.svg")));
    QGuiApplication::setDesktopFileName(QStringLiteral("gatehouse"));

    gh::MainWindow window;
    auto *startup = new gh::GatewayStartup(window.link(), &window);
    // "Attach to Gateway…" goes first in the File menu.
    const QList<QAction *> menus = window.menuBar()->actions();
    if (!menus.isEmpty() && menus.constFirst()->menu()) {
        QMenu *file = menus.constFirst()->menu();
        file->insertAction(file->actions().value(0), startup->attachAction());
        file->insertSeparator(file->actions().value(1));
    } else {
        window.addAction(startup->attachAction());
    }
    QObject::connect(startup, &gh::GatewayStartup::notice, &window,
                     [&window](const QString &text) { window.statusBar()->showMessage(text, 20000); });
    if (qEnvironmentVariableIsSet("GATEHOUSE_STARTUP_REPORT")) {
        auto *report = new StartupReport(&window);
        window.winId();   // exposes arrive at the native window, which this creates
        window.windowHandle()->installEventFilter(report);
        QObject::connect(window.link(), &gh::GatewayLink::stateChanged, report, [](gh::GatewayLink::State state) {
            if (state == gh::GatewayLink::State::Connected)
                StartupReport::print("connected");
        });
    }
    startup->start(target.server, target.token);
    window.show();
    return QCoreApplication::exec();
}
