#include "node/ConnectionProbe.h"

#include "core/SecretBox.h"
#include "recording/Store.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QTcpSocket>
#include <QUrl>

namespace gh {

namespace {

// Whether every reference in the credential resolves; the values are dropped at once.
QString checkCredential(const Connection &c, const SecretBox *secrets)
{
    QStringList templates;
    for (const QString &t : {c.credential.value, c.credential.password})
        if (!t.isEmpty())
            templates << t;
    if (templates.isEmpty())
        return QStringLiteral("none");
    for (const QString &t : templates) {
        if (!hasReference(t))
            continue;   // a literal: sealed when the connection is saved
        auto resolved = resolveTemplate(t, secrets);
        if (!resolved)
            return QStringLiteral("missing: ") + resolved.error().message;
    }
    return QStringLiteral("resolved");
}

} // namespace

void ConnectionProbe::handle(const HttpRequest &req, const HttpResponder &res, const QStringList &seg, Store &store,
                             const SecretBox *secrets, QObject *parent)
{
    Connection connection;
    if (seg.size() == 3) {
        auto found = store.connection(seg.at(1));
        if (!found)
            return res.sendError(503, "store_unavailable", QStringLiteral("the store failed: %1").arg(found.error().message));
        if (!found->has_value())
            return res.sendError(404, "not_found", QStringLiteral("no connection named \"%1\"").arg(seg.at(1)));
        connection = **found;
    } else if (seg.size() == 2) {
        QJsonParseError perr{};
        const QJsonDocument doc = QJsonDocument::fromJson(req.body, &perr);
        if (perr.error != QJsonParseError::NoError || !doc.isObject())
            return res.sendError(400, "bad_request", QStringLiteral("the body must be a connection object"));
        QJsonObject o = doc.object();
        // An unsaved connection may not have its name yet: the upstream is what is tested.
        if (o.value(QStringLiteral("name")).toString().isEmpty())
            o.insert(QStringLiteral("name"), QStringLiteral("unnamed"));
        auto parsed = connectionFromJson(o);
        if (!parsed)
            return res.sendJson(400, QJsonObject{{QStringLiteral("error"), QStringLiteral("invalid")},
                                                 {QStringLiteral("message"), parsed.error().message},
                                                 {QStringLiteral("key"), parsed.error().key}});
        connection = *parsed;
    } else {
        return res.sendError(404, "not_found", QStringLiteral("no such route"));
    }
    auto *probe = new ConnectionProbe(connection, checkCredential(connection, secrets), res, parent);
    probe->start();
}

ConnectionProbe::ConnectionProbe(Connection connection, QString credential, HttpResponder res, QObject *parent)
    : QObject(parent)
    , m_connection(std::move(connection))
    , m_credential(std::move(credential))
    , m_res(std::move(res))
{
    m_timeout.setSingleShot(true);
    m_timeout.setInterval(kTimeoutMs);
    connect(&m_timeout, &QTimer::timeout, this, [this] {
        finish(m_connected, 0,
               m_connected ? QStringLiteral("the upstream accepted the connection but did not answer within %1 ms")
                                 .arg(kTimeoutMs)
                           : QStringLiteral("no connection within %1 ms").arg(kTimeoutMs));
    });
}

void ConnectionProbe::start()
{
    const QUrl url(m_connection.upstream);
    const QString scheme = url.scheme().toLower();
    const bool tls = scheme == QLatin1String("https");
    const bool postgres = m_connection.type == QLatin1String("postgres");
    const int port = url.port(tls ? 443 : postgres ? 5432 : 80);
    m_clock.start();
    m_timeout.start();
    if (tls) {
        auto *ssl = new QSslSocket(this);
        if (!m_connection.caFile.isEmpty()) {
            QSslConfiguration config = QSslConfiguration::defaultConfiguration();
            QList<QSslCertificate> cas = config.caCertificates();
            cas += QSslCertificate::fromPath(m_connection.caFile);
            config.setCaCertificates(cas);
            ssl->setSslConfiguration(config);
        }
        connect(ssl, &QSslSocket::encrypted, this, &ConnectionProbe::onConnected);
        connect(ssl, &QSslSocket::sslErrors, this, [this](const QList<QSslError> &errors) {
            finish(true, 0, QStringLiteral("TLS: ") + (errors.isEmpty() ? QString() : errors.first().errorString()));
        });
        m_socket = ssl;
    } else {
        m_socket = new QTcpSocket(this);
        connect(m_socket, &QTcpSocket::connected, this, &ConnectionProbe::onConnected);
    }
    connect(m_socket, &QTcpSocket::readyRead, this, &ConnectionProbe::onReadyRead);
    connect(m_socket, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError error) {
        if (error == QAbstractSocket::RemoteHostClosedError && m_connected)
            return onReadyRead();   // what it said before closing is in the buffer
        finish(m_connected, 0, m_socket->errorString());
    });
    if (auto *ssl = qobject_cast<QSslSocket *>(m_socket))
        ssl->connectToHostEncrypted(url.host(), quint16(port));
    else
        m_socket->connectToHost(url.host(), quint16(port));
}

void ConnectionProbe::onConnected()
{
    m_connected = true;
    if (m_connection.type == QLatin1String("postgres")) {
        // SSLRequest: length 8, code 80877103. Every PostgreSQL server answers one byte, S or N.
        static const char sslRequest[] = {0, 0, 0, 8, 0x04, char(0xd2), 0x16, 0x2f};
        m_socket->write(sslRequest, sizeof sslRequest);
        return;
    }
    const QUrl url(m_connection.upstream);
    QByteArray path = url.path(QUrl::FullyEncoded).toUtf8();
    if (path.isEmpty())
        path = "/";
    QByteArray host = url.host().toUtf8();
    if (url.port() > 0)
        host += ':' + QByteArray::number(url.port());
    m_socket->write("HEAD " + path + " HTTP/1.1\r\nHost: " + host
                    + "\r\nUser-Agent: gatehouse-connection-test\r\nConnection: close\r\n\r\n");
}

void ConnectionProbe::onReadyRead()
{
    m_answer += m_socket->read(4096 - m_answer.size());
    if (m_connection.type == QLatin1String("postgres")) {
        if (m_answer.isEmpty())
            return finish(true, 0, QStringLiteral("the upstream accepted the connection and closed it"));
        const char c = m_answer.at(0);
        if (c == 'S' || c == 'N')
            return finish(true, 0, c == 'S' ? QStringLiteral("PostgreSQL answered; it offers TLS")
                                            : QStringLiteral("PostgreSQL answered; it does not offer TLS"));
        return finish(true, 0, QStringLiteral("the upstream answered, but not as PostgreSQL does"));
    }
    const qsizetype eol = m_answer.indexOf("\r\n");
    if (eol < 0 && m_answer.size() < 4096 && m_socket->state() == QAbstractSocket::ConnectedState)
        return;
    const QList<QByteArray> parts = m_answer.left(eol < 0 ? m_answer.size() : eol).split(' ');
    bool numeric = false;
    const int status = parts.value(1).toInt(&numeric);
    if (!parts.value(0).startsWith("HTTP/") || !numeric)
        return finish(true, 0, QStringLiteral("the upstream answered, but not with HTTP"));
    finish(true, status, QStringLiteral("the upstream answered HTTP %1").arg(status));
}

void ConnectionProbe::finish(bool reachable, int status, const QString &message)
{
    if (m_done)
        return;
    m_done = true;
    m_timeout.stop();
    const bool answered = reachable && (m_connection.type == QLatin1String("postgres") ? !m_answer.isEmpty() : status > 0);
    const bool ok = answered && !m_credential.startsWith(QLatin1String("missing"));
    QJsonObject out{{QStringLiteral("ok"), ok},
                    {QStringLiteral("reachable"), reachable},
                    {QStringLiteral("status"), status > 0 ? QJsonValue(status) : QJsonValue()},
                    {QStringLiteral("latency_ms"), double(m_clock.elapsed())},
                    {QStringLiteral("message"), message},
                    {QStringLiteral("credential"), m_credential}};
    qInfo("connection test of %s (%s): %s", qPrintable(m_connection.name),
          qPrintable(QUrl(m_connection.upstream).toString(QUrl::RemoveUserInfo)), qPrintable(message));
    m_res.sendJson(200, out);
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->abort();
    }
    deleteLater();
}

} // namespace gh
