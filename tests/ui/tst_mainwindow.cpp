#include "ConnectionsModel.h"
#include "GatewayLink.h"
#include "MainWindow.h"
#include "ResourcePage.h"
#include "RulesModel.h"

#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLocale>
#include <QPointer>
#include <QTabWidget>
#include <QTableView>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTranslator>
#include <QtTest>

using namespace std::chrono_literals;

namespace {

const QString kToken = QStringLiteral("test-admin-token");

// A minimal admin API on 127.0.0.1: /healthz for anyone, the resource lists for kToken only.
class FakeAdminApi final : public QObject {
public:
    bool start(quint16 port = 0)
    {
        if (!m_server.listen(QHostAddress::LocalHost, port))
            return false;
        connect(&m_server, &QTcpServer::newConnection, this, &FakeAdminApi::accept, Qt::UniqueConnection);
        return true;
    }
    // Closes the port and drops every open connection, as a daemon that died would.
    void stop()
    {
        m_server.close();
        for (const QPointer<QTcpSocket> &s : std::as_const(m_sockets)) {
            if (s)
                s->abort();
        }
        m_sockets.clear();
    }
    quint16 port() const { return m_server.serverPort(); }
    QUrl url() const { return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_port)); }
    void rememberPort() { m_port = m_server.serverPort(); }

    QJsonArray connections;
    QJsonArray rules;

private:
    void accept()
    {
        while (QTcpSocket *socket = m_server.nextPendingConnection()) {
            socket->setParent(this);
            m_sockets.append(socket);
            connect(socket, &QTcpSocket::readyRead, this, [this, socket] { serve(socket); });
            connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        }
    }

    void serve(QTcpSocket *socket)
    {
        QByteArray &buffer = m_buffers[socket];
        buffer += socket->readAll();
        const qsizetype end = buffer.indexOf("\r\n\r\n");
        if (end < 0)
            return;
        const QList<QByteArray> lines = buffer.left(end).split('\n');
        buffer.remove(0, end + 4);
        const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
        const QByteArray path = requestLine.value(1);
        QByteArray authorization;
        for (const QByteArray &line : lines) {
            if (line.toLower().startsWith("authorization:"))
                authorization = line.mid(int(qstrlen("authorization:"))).trimmed();
        }

        int status = 200;
        QByteArray body;
        if (path == "/healthz") {
            body = R"({"status":"ok"})";
        } else if (authorization != "Bearer " + kToken.toUtf8()) {
            status = 401;
            body = R"({"error":"unauthenticated"})";
        } else if (path == "/api/v1/connections") {
            body = QJsonDocument(connections).toJson(QJsonDocument::Compact);
        } else if (path == "/api/v1/rules") {
            body = QJsonDocument(rules).toJson(QJsonDocument::Compact);
        } else {
            status = 404;
            body = R"({"error":"not_found"})";
        }
        const QByteArray reason = status == 200 ? "OK" : status == 401 ? "Unauthorized" : "Not Found";
        socket->write("HTTP/1.1 " + QByteArray::number(status) + ' ' + reason + "\r\n"
                      "Content-Type: application/json\r\n"
                      "Content-Length: " + QByteArray::number(body.size()) + "\r\n"
                      "Connection: close\r\n\r\n" + body);
        socket->disconnectFromHost();
        m_buffers.remove(socket);
    }

    QTcpServer m_server;
    QList<QPointer<QTcpSocket>> m_sockets;
    QHash<QTcpSocket *, QByteArray> m_buffers;
    quint16 m_port = 0;
};

QJsonObject connection(const QString &name, const QString &upstream, const QJsonObject &credential)
{
    return QJsonObject{{QStringLiteral("name"), name},
                       {QStringLiteral("type"), QStringLiteral("http")},
                       {QStringLiteral("upstream"), upstream},
                       {QStringLiteral("allow_groups"), QJsonArray{QStringLiteral("ml-eng"), QStringLiteral("ci-bots")}},
                       {QStringLiteral("credential"), credential}};
}

QString cell(QTableView *view, int row, int column)
{
    return view->model()->index(row, column).data().toString();
}

QString stateText(const gh::MainWindow &window)
{
    return window.findChild<QLabel *>(QStringLiteral("connectionState"))->text();
}

} // namespace

class tst_MainWindow final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init()
    {
        m_api = std::make_unique<FakeAdminApi>();
        m_api->connections = {
            connection(QStringLiteral("llm"), QStringLiteral("http://127.0.0.1:9000"),
                       {{QStringLiteral("header"), QStringLiteral("Authorization")},
                        {QStringLiteral("value"), QStringLiteral("Bearer sk-live-secret")}}),
            connection(QStringLiteral("billing-api"), QStringLiteral("https://127.0.0.1:9443"), {}),
        };
        m_api->rules = {
            QJsonObject{{QStringLiteral("name"), QStringLiteral("no-weight-export")},
                        {QStringLiteral("kind"), QStringLiteral("deny")},
                        {QStringLiteral("connections"), QJsonArray{QStringLiteral("llm")}},
                        {QStringLiteral("match"), QJsonObject{{QStringLiteral("method"), QStringLiteral("GET")}}}},
            QJsonObject{{QStringLiteral("name"), QStringLiteral("approve-pii-dataset")},
                        {QStringLiteral("kind"), QStringLiteral("approve")},
                        {QStringLiteral("approvers"), QJsonArray{QStringLiteral("security")}},
                        {QStringLiteral("approvals"), 2}},
        };
        QVERIFY(m_api->start());
        m_api->rememberPort();
    }
    void cleanup() { m_api.reset(); }

    void showsConnectionsOfAConnectedGateway()
    {
        gh::MainWindow window;
        window.link()->setProbeInterval(100ms);
        window.link()->attachRemote(m_api->url(), kToken);
        window.show();

        QTRY_COMPARE(stateText(window), QStringLiteral("Connected to %1").arg(m_api->url().toDisplayString()));
        QTableView *table = window.connectionsPage()->view();
        QTRY_COMPARE(table->model()->rowCount(), 2);
        QCOMPARE(cell(table, 0, 0), QStringLiteral("llm"));
        QCOMPARE(cell(table, 0, 2), QStringLiteral("http://127.0.0.1:9000"));
        QCOMPARE(cell(table, 0, 3), QStringLiteral("ml-eng, ci-bots"));
        QCOMPARE(cell(table, 1, 0), QStringLiteral("billing-api"));
        // Whoever looks over the admin's shoulder learns which header, never its value.
        QCOMPARE(cell(table, 0, 4), QStringLiteral("header Authorization"));
        QCOMPARE(cell(table, 1, 4), QStringLiteral("none"));
        for (int column = 0; column < table->model()->columnCount(); ++column)
            QVERIFY(!cell(table, 0, column).contains(QLatin1String("sk-live-secret")));
    }

    void showsRulesWithTheirEffect()
    {
        gh::MainWindow window;
        window.link()->setProbeInterval(100ms);
        window.link()->attachRemote(m_api->url(), kToken);

        QTableView *table = window.rulesPage()->view();
        QTRY_COMPARE(table->model()->rowCount(), 2);
        QCOMPARE(cell(table, 0, 0), QStringLiteral("no-weight-export"));
        QCOMPARE(cell(table, 0, 1), QStringLiteral("deny"));
        QCOMPARE(cell(table, 0, 4), QStringLiteral("method ~ GET"));
        // No connections or groups given means the rule applies everywhere.
        QCOMPARE(cell(table, 1, 2), QStringLiteral("*"));
        QCOMPARE(cell(table, 1, 5), QStringLiteral("held until approved by security (2 needed)"));
    }

    void picksUpChangesOnRefresh()
    {
        gh::MainWindow window;
        window.link()->setProbeInterval(100ms);
        window.link()->attachRemote(m_api->url(), kToken);
        QTableView *table = window.connectionsPage()->view();
        QTRY_COMPARE(table->model()->rowCount(), 2);

        m_api->connections.removeAt(1);
        window.connectionsPage()->refresh();
        QTRY_COMPARE(table->model()->rowCount(), 1);

        // And without being asked, once the refresh interval passes.
        window.setRefreshInterval(100ms);
        m_api->connections = {};
        QTRY_COMPARE(table->model()->rowCount(), 0);
    }

    void showsUnreachableWhenTheGatewayStopsAndReconnects()
    {
        gh::MainWindow window;
        window.link()->setProbeInterval(100ms);
        window.link()->attachRemote(m_api->url(), kToken);
        QTableView *table = window.connectionsPage()->view();
        QTRY_COMPARE(table->model()->rowCount(), 2);

        const quint16 port = m_api->port();
        m_api->stop();
        QTRY_VERIFY(stateText(window).startsWith(
            QStringLiteral("%1 unreachable, retrying").arg(m_api->url().toDisplayString())));
        QCOMPARE(window.link()->state(), gh::GatewayLink::State::Unreachable);
        // The last list stays visible, marked as stale.
        QCOMPARE(table->model()->rowCount(), 2);
        QCOMPARE(window.connectionsPage()->findChild<QLabel *>(QStringLiteral("pageStatus"))->text(),
                 QStringLiteral("Gateway not reachable; showing the last list loaded."));

        m_api->connections.removeAt(0);
        QVERIFY(m_api->start(port));
        QTRY_COMPARE(stateText(window), QStringLiteral("Connected to %1").arg(m_api->url().toDisplayString()));
        QTRY_COMPARE(table->model()->rowCount(), 1);
    }

    void saysWhenTheTokenIsRefused()
    {
        gh::MainWindow window;
        window.link()->setProbeInterval(100ms);
        window.link()->attachRemote(m_api->url(), QStringLiteral("wrong-token"));

        auto *status = window.connectionsPage()->findChild<QLabel *>(QStringLiteral("pageStatus"));
        QTRY_VERIFY(status->text().startsWith(QLatin1String("Could not load: HTTP 401")));
        QCOMPARE(window.connectionsPage()->view()->model()->rowCount(), 0);
    }

    void speaksGerman()
    {
        QTranslator translator;
        QVERIFY(translator.load(QLocale(QLocale::German), QStringLiteral("gatehouse"), QStringLiteral("_"),
                                QStringLiteral(":/i18n")));
        QCoreApplication::installTranslator(&translator);
        {
            gh::MainWindow window;
            window.link()->setProbeInterval(100ms);
            window.link()->attachRemote(m_api->url(), kToken);
            auto *tabs = window.findChild<QTabWidget *>();
            QStringList titles;
            for (int i = 0; i < tabs->count(); ++i)
                titles << tabs->tabText(i);
            QCOMPARE(titles, QStringList({QStringLiteral("&Überblick"), QStringLiteral("&Verbindungen"),
                                          QStringLiteral("&Regeln"), QStringLiteral("&Freigaben"),
                                          QStringLiteral("&Sitzungen"), QStringLiteral("&Wiedergabe")}));
            QTRY_COMPARE(stateText(window), QStringLiteral("Verbunden mit %1").arg(m_api->url().toDisplayString()));
            QCOMPARE(window.connectionsPage()->view()->model()->headerData(3, Qt::Horizontal).toString(),
                     QStringLiteral("Erlaubte Gruppen"));
        }
        QCoreApplication::removeTranslator(&translator);
    }

private:
    std::unique_ptr<FakeAdminApi> m_api;
};

QTEST_MAIN(tst_MainWindow)
#include "tst_mainwindow.moc"
