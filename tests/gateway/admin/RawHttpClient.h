#pragma once

#include <QByteArray>
#include <QList>
#include <QTcpSocket>
#include <QTest>

#include <http_parser.h>

#include <utility>

namespace gh::test {

// A raw-socket HTTP/1.1 client for server tests: writes exactly the bytes it is given and
// parses what comes back with http-parser, response by response.
class RawHttpClient {
    Q_DISABLE_COPY_MOVE(RawHttpClient)
public:
    struct Response {
        int status = 0;
        QList<std::pair<QByteArray, QByteArray>> headers;
        QByteArray body;
        bool complete = false;
        QByteArray header(QByteArrayView name) const
        {
            for (const auto &h : headers) {
                if (QByteArrayView(h.first).compare(name, Qt::CaseInsensitive) == 0)
                    return h.second;
            }
            return {};
        }
    };

    RawHttpClient()
    {
        http_parser_init(&m_parser, HTTP_RESPONSE);
        m_parser.data = this;
        http_parser_settings_init(&m_settings);
        m_settings.on_message_begin = [](http_parser *p) {
            self(p)->m_responses.append(Response{});
            return 0;
        };
        m_settings.on_header_field = [](http_parser *p, const char *at, size_t len) {
            auto &r = self(p)->m_responses.last();
            if (self(p)->m_lastWasValue || r.headers.isEmpty())
                r.headers.append(std::pair<QByteArray, QByteArray>());
            r.headers.last().first.append(at, qsizetype(len));
            self(p)->m_lastWasValue = false;
            return 0;
        };
        m_settings.on_header_value = [](http_parser *p, const char *at, size_t len) {
            self(p)->m_responses.last().headers.last().second.append(at, qsizetype(len));
            self(p)->m_lastWasValue = true;
            return 0;
        };
        m_settings.on_headers_complete = [](http_parser *p) {
            self(p)->m_responses.last().status = int(p->status_code);
            self(p)->m_lastWasValue = false;
            return 0;
        };
        m_settings.on_body = [](http_parser *p, const char *at, size_t len) {
            self(p)->m_responses.last().body.append(at, qsizetype(len));
            return 0;
        };
        m_settings.on_message_complete = [](http_parser *p) {
            self(p)->m_responses.last().complete = true;
            return 0;
        };
        QObject::connect(&m_socket, &QTcpSocket::readyRead, &m_socket, [this] { feed(m_socket.readAll()); });
        QObject::connect(&m_socket, &QTcpSocket::disconnected, &m_socket, [this] {
            if (m_socket.isOpen())
                feed(m_socket.readAll());
            http_parser_execute(&m_parser, &m_settings, nullptr, 0);   // EOF ends a close-delimited body
        });
    }

    bool connectTo(quint16 port)
    {
        m_socket.connectToHost(QHostAddress::LocalHost, port);
        return m_socket.waitForConnected(5000);
    }
    void write(const QByteArray &bytes)
    {
        m_socket.write(bytes);
        m_socket.flush();
    }
    // Waits (running the event loop, so an in-process server can answer) for `count` responses.
    bool waitForResponses(int count, int timeoutMs = 5000)
    {
        QDeadlineTimer deadline(timeoutMs);
        while (completeCount() < count && !deadline.hasExpired())
            QTest::qWait(5);
        return completeCount() >= count;
    }
    bool waitForDisconnected(int timeoutMs = 5000)
    {
        QDeadlineTimer deadline(timeoutMs);
        while (m_socket.state() != QAbstractSocket::UnconnectedState && !deadline.hasExpired())
            QTest::qWait(5);
        return m_socket.state() == QAbstractSocket::UnconnectedState;
    }
    int completeCount() const
    {
        int n = 0;
        for (const auto &r : m_responses)
            n += r.complete ? 1 : 0;
        return n;
    }
    const QList<Response> &responses() const { return m_responses; }
    bool parseError() const { return HTTP_PARSER_ERRNO(&m_parser) != HPE_OK; }
    QTcpSocket &socket() { return m_socket; }
    bool connected() const { return m_socket.state() == QAbstractSocket::ConnectedState; }

private:
    static RawHttpClient *self(http_parser *p) { return static_cast<RawHttpClient *>(p->data); }
    void feed(const QByteArray &bytes)
    {
        if (!bytes.isEmpty())
            http_parser_execute(&m_parser, &m_settings, bytes.constData(), size_t(bytes.size()));
    }

    QTcpSocket m_socket;
    http_parser m_parser{};
    http_parser_settings m_settings{};
    QList<Response> m_responses;
    bool m_lastWasValue = false;
};

} // namespace gh::test
