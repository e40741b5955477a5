// Tokens and attaching, run under dbus-run-session: a session bus with no Secret Service or KWallet
// on it, as on a bare desktop. The vault must say the token is kept in memory only, keep it for
// this run, and never write it to a file; the start-up path (--server with or without --token) and
// the "Attach to gateway" dialog then reach a real gatehoused with it.
#include "GatewayLink.h"
#include "admin/AdminClient.h"
#include "startup/AttachDialog.h"
#include "startup/GatewayStartup.h"
#include "startup/TokenVault.h"
#include "support/DaemonProcess.h"

#include <QAction>
#include <QCheckBox>
#include <QDirIterator>
#include <QLabel>
#include <QLineEdit>
#include <QMainWindow>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>

using namespace std::chrono_literals;
using gh::test::DaemonProcess;

namespace {

const QString kSecret = QStringLiteral("tok-5ecret-never-on-disk-7f3a");

// Every file under `dir` whose bytes contain `needle`.
QStringList filesContaining(const QString &dir, const QByteArray &needle)
{
    QStringList hits;
    QDirIterator it(dir, QDir::Files | QDir::Hidden | QDir::System, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        QFile f(it.next());
        if (f.open(QIODevice::ReadOnly) && f.readAll().contains(needle))
            hits << f.fileName();
    }
    return hits;
}

} // namespace

class tst_TokenVault final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void keyIsTheNormalisedUrl();
    void withoutKeychainKeepsTheTokenInMemoryOnly();
    void serverWithoutTokenUsesTheRememberedOne();
    void serverWithoutAnyTokenSaysSo();
    void attachDialogChecksInputAndAttaches();

private:
    QTemporaryDir m_home;   // HOME and XDG dirs of this run: where a plain-file fallback would land
};

void tst_TokenVault::initTestCase()
{
    if (qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS"))
        QSKIP("needs a session bus: run under dbus-run-session");
    QVERIFY(m_home.isValid());
    qputenv("HOME", QFile::encodeName(m_home.path()));
    qputenv("XDG_CONFIG_HOME", QFile::encodeName(m_home.filePath(QStringLiteral("config"))));
    qputenv("XDG_DATA_HOME", QFile::encodeName(m_home.filePath(QStringLiteral("data"))));
    qputenv("XDG_CACHE_HOME", QFile::encodeName(m_home.filePath(QStringLiteral("cache"))));
}

void tst_TokenVault::keyIsTheNormalisedUrl()
{
    QCOMPARE(gh::TokenVault::keyFor(QUrl(QStringLiteral("https://GW.example.com/"))), QStringLiteral("https://gw.example.com:443"));
    QCOMPARE(gh::TokenVault::keyFor(QUrl(QStringLiteral("http://u:p@127.0.0.1:8700/?x=1"))), QStringLiteral("http://127.0.0.1:8700"));
    QVERIFY(gh::TokenVault::keyFor(QUrl(QStringLiteral("http://a:8700"))) != gh::TokenVault::keyFor(QUrl(QStringLiteral("http://a:8701"))));
}

void tst_TokenVault::withoutKeychainKeepsTheTokenInMemoryOnly()
{
    gh::TokenVault vault;
    vault.setServiceName(QStringLiteral("gatehouse-test"));
    QSignalSpy unavailable(&vault, &gh::TokenVault::keychainUnavailable);
    const QUrl server(QStringLiteral("https://gw.example.com:8700"));

    std::optional<bool> persisted;
    vault.store(server, kSecret, [&](bool p) { persisted = p; });
    QTRY_VERIFY_WITH_TIMEOUT(persisted.has_value(), 30000);
    QCOMPARE(*persisted, false);
    QCOMPARE(unavailable.size(), 1);
    QVERIFY(!vault.keychainAvailable());
    QVERIFY2(vault.problem().contains(QStringLiteral("kept in memory only")), qPrintable(vault.problem()));
    qInfo("what the user is told: %s", qPrintable(vault.problem()));

    // This run still has it, for this server only.
    std::optional<QString> read;
    vault.read(server, [&](const QString &t) { read = t; });
    QTRY_VERIFY(read.has_value());
    QCOMPARE(*read, kSecret);
    read.reset();
    vault.read(QUrl(QStringLiteral("https://other.example.com:8700")), [&](const QString &t) { read = t; });
    QTRY_VERIFY_WITH_TIMEOUT(read.has_value(), 30000);
    QVERIFY(read->isEmpty());
    QCOMPARE(unavailable.size(), 1);   // said once, not on every call

    // Never a plain file: nothing under HOME or the XDG dirs holds the token.
    QCOMPARE(filesContaining(m_home.path(), kSecret.toUtf8()), QStringList());

    vault.forget(server);
    read.reset();
    vault.read(server, [&](const QString &t) { read = t; });
    QTRY_VERIFY_WITH_TIMEOUT(read.has_value(), 30000);
    QVERIFY(read->isEmpty());
}

void tst_TokenVault::serverWithoutTokenUsesTheRememberedOne()
{
    DaemonProcess daemon;
    QVERIFY2(daemon.start(), qPrintable(daemon.error()));
    QMainWindow window;
    gh::GatewayLink link;
    link.setProbeInterval(200ms);
    gh::GatewayStartup startup(&link, &window);
    QSignalSpy notices(&startup, &gh::GatewayStartup::notice);
    const QUrl server(daemon.adminUrl());

    // gatehouse --server URL --token T: attaches, and remembers T (here: in memory, and says so).
    startup.start(server, QString::fromLatin1(daemon.adminToken()));
    QTRY_COMPARE_WITH_TIMEOUT(link.state(), gh::GatewayLink::State::Connected, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(!notices.isEmpty(), 30000);
    QVERIFY(notices.constLast().at(0).toString().contains(QStringLiteral("memory only")));

    // gatehouse --server URL, later in the same run: the remembered token is used.
    link.attachRemote(QUrl(QStringLiteral("http://127.0.0.1:9")), QString());
    QTRY_VERIFY(link.state() != gh::GatewayLink::State::Connected);
    startup.start(server, QString());
    QTRY_COMPARE_WITH_TIMEOUT(link.client() ? link.client()->hasToken() : false, true, 30000);
    QTRY_COMPARE_WITH_TIMEOUT(link.state(), gh::GatewayLink::State::Connected, 10000);
    QCOMPARE(link.server(), server);
    QCOMPARE(filesContaining(m_home.path(), daemon.adminToken()), QStringList());
    daemon.stop();
}

void tst_TokenVault::serverWithoutAnyTokenSaysSo()
{
    QMainWindow window;
    gh::GatewayLink link;
    gh::GatewayStartup startup(&link, &window);
    QSignalSpy notices(&startup, &gh::GatewayStartup::notice);
    startup.start(QUrl(QStringLiteral("http://127.0.0.1:9")), QString());
    QTRY_VERIFY_WITH_TIMEOUT(!notices.isEmpty(), 30000);
    QVERIFY2(notices.constLast().at(0).toString().contains(QStringLiteral("No token remembered for http://127.0.0.1:9")),
             qPrintable(notices.constLast().at(0).toString()));
}

void tst_TokenVault::attachDialogChecksInputAndAttaches()
{
    DaemonProcess daemon;
    QVERIFY2(daemon.start(), qPrintable(daemon.error()));
    QMainWindow window;
    gh::GatewayLink link;
    link.setProbeInterval(200ms);
    gh::GatewayStartup startup(&link, &window);
    QCOMPARE(startup.attachAction()->text(), QStringLiteral("&Attach to Gateway…"));

    // Drives the dialog as a user would once it is up: a bad URL, no token, then the real thing.
    QStringList notes;
    bool stillOpenAfterBadInput = false;
    QTimer::singleShot(0, this, [&] {
        auto *dialog = qobject_cast<gh::AttachDialog *>(QApplication::activeModalWidget());
        QVERIFY(dialog);
        auto *url = dialog->findChild<QLineEdit *>(QStringLiteral("attachUrl"));
        auto *token = dialog->findChild<QLineEdit *>(QStringLiteral("attachToken"));
        auto *note = dialog->findChild<QLabel *>(QStringLiteral("attachNote"));
        QCOMPARE(token->echoMode(), QLineEdit::Password);
        url->setText(QStringLiteral("ftp://gw"));
        dialog->accept();
        notes << note->text();
        url->setText(daemon.adminUrl());
        dialog->accept();
        notes << note->text();
        stillOpenAfterBadInput = dialog->isVisible();
        token->setText(QString::fromLatin1(daemon.adminToken()));
        dialog->findChild<QCheckBox *>(QStringLiteral("attachRemember"))->setChecked(false);
        dialog->accept();
    });
    startup.attachAction()->trigger();
    QVERIFY(stillOpenAfterBadInput);
    QVERIFY2(notes.value(0).contains(QStringLiteral("http:// or https:// URL")), qPrintable(notes.value(0)));
    QVERIFY2(notes.value(1).contains(QStringLiteral("Enter a token")), qPrintable(notes.value(1)));
    QTRY_COMPARE_WITH_TIMEOUT(link.state(), gh::GatewayLink::State::Connected, 10000);
    QCOMPARE(link.server(), QUrl(daemon.adminUrl()));
    daemon.stop();
}

QTEST_MAIN(tst_TokenVault)
#include "tst_tokenvault.moc"
