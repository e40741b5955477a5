#include "proxy/EpollEventDispatcher.h"
#include "proxy/FdStream.h"

#include <QCoreApplication>
#include <QPointer>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <functional>
#include <memory>

#include <sys/socket.h>
#include <unistd.h>

using namespace gh;

namespace {

// The proxy runs FdStream on its epoll loop; a thread with Qt's own loop gets QSocketNotifiers.
// The same tests run on both: `GATEHOUSE_TEST_DISPATCHER=qt` picks Qt's (see main below).
bool onEpoll()
{
    return EpollEventDispatcher::ofCurrentThread() != nullptr;
}

struct Recorder final : ByteStream::Handler {
    FdStream *stream = nullptr;
    int connected = 0;
    int readable = 0;
    int written = 0;
    int hangUps = 0;
    QStringList failures;
    QByteArray input;
    bool ended = false;
    bool readOnReadable = true;
    bool insideCall = false;   // set by the test around its own calls into the stream
    bool calledBackInside = false;
    std::function<void()> onReadable;

    void note()
    {
        if (insideCall)
            calledBackInside = true;
    }
    void streamConnected() override
    {
        note();
        ++connected;
    }
    void streamReadable() override
    {
        note();
        ++readable;
        if (onReadable) {
            onReadable();
            return;
        }
        if (readOnReadable)
            drain();
    }
    void drain()
    {
        char buffer[4096];
        for (;;) {
            const qint64 n = stream->read(buffer, sizeof buffer);
            if (n < 0)
                ended = true;
            if (n <= 0)
                return;
            input.append(buffer, n);
        }
    }
    void streamWritten() override
    {
        note();
        ++written;
    }
    void streamFailed(const QString &reason) override
    {
        note();
        failures << reason;
    }
    void streamHangUp() override
    {
        note();
        ++hangUps;
    }
};

// Accepts connections as raw descriptors, as the proxy's listener does.
class RawServer final : public QTcpServer {
public:
    QList<qintptr> accepted;

protected:
    void incomingConnection(qintptr descriptor) override { accepted << descriptor; }
};

QByteArray pattern(qsizetype size)
{
    QByteArray out(size, Qt::Uninitialized);
    for (qsizetype i = 0; i < size; ++i)
        out[i] = char('a' + (i * 7 + i / 4093) % 26);
    return out;
}

} // namespace

class tst_FdStream : public QObject {
    Q_OBJECT

private:
    QTcpServer m_server;
    Recorder m_handler;
    std::unique_ptr<FdStream> m_stream;
    QPointer<QTcpSocket> m_peer;   // the server's side of the connection

    void connectPair(const QString &host = QStringLiteral("127.0.0.1"))
    {
        m_stream->connectToHost(host, m_server.serverPort());
        QTRY_COMPARE_WITH_TIMEOUT(m_handler.connected, 1, 5000);
        QVERIFY(m_server.hasPendingConnections() || m_server.waitForNewConnection(5000));
        m_peer = m_server.nextPendingConnection();
        QVERIFY(m_peer);
        QVERIFY(m_stream->isOpen());
    }

private Q_SLOTS:
    void initTestCase()
    {
        const bool wantQt = qgetenv("GATEHOUSE_TEST_DISPATCHER") == "qt";
        QCOMPARE(onEpoll(), !wantQt);
        QVERIFY(m_server.listen(QHostAddress::Any, 0));
    }

    void init()
    {
        m_handler = Recorder();
        m_stream = std::make_unique<FdStream>();
        m_handler.stream = m_stream.get();
        m_stream->setHandler(&m_handler);
    }

    void cleanup()
    {
        m_stream.reset();
        delete m_peer.data();
    }

    void exchangesBytesWithAHostByAddressOrName_data()
    {
        QTest::addColumn<QString>("host");
        QTest::newRow("address") << QStringLiteral("127.0.0.1");
        QTest::newRow("name") << QStringLiteral("localhost");
        QTest::newRow("ipv6 address") << QStringLiteral("::1");
    }

    void exchangesBytesWithAHostByAddressOrName()
    {
        QFETCH(QString, host);
        if (host == QLatin1String("::1")) {
            QTcpServer probe;
            if (!probe.listen(QHostAddress::LocalHostIPv6, 0))
                QSKIP("this machine has no IPv6 loopback");
        }
        m_handler.insideCall = true;
        m_stream->connectToHost(host, m_server.serverPort());
        m_handler.insideCall = false;
        QVERIFY(!m_handler.calledBackInside);   // the outcome comes from the loop, always
        QTRY_COMPARE_WITH_TIMEOUT(m_handler.connected, 1, 5000);
        QVERIFY(m_server.hasPendingConnections() || m_server.waitForNewConnection(5000));
        m_peer = m_server.nextPendingConnection();

        m_stream->write("ping");
        m_stream->flush();
        QTRY_COMPARE_WITH_TIMEOUT(m_peer->bytesAvailable(), qint64(4), 5000);
        QCOMPARE(m_peer->readAll(), QByteArray("ping"));
        m_peer->write("pong");
        m_peer->flush();
        QTRY_COMPARE_WITH_TIMEOUT(m_handler.input, QByteArray("pong"), 5000);
        QVERIFY(!m_handler.ended);
        QVERIFY(m_handler.failures.isEmpty());
        const QHostAddress peer = m_stream->peerAddress();
        QVERIFY2(peer.isLoopback(), qPrintable(peer.toString()));
    }

    void queuedBytesGoOutOnTheNextPassWithoutFlush()
    {
        connectPair();
        m_stream->write("one ");
        m_stream->write("two");
        QCOMPARE(m_stream->bytesToWrite(), qint64(7));
        QTRY_COMPARE_WITH_TIMEOUT(m_peer->bytesAvailable(), qint64(7), 5000);
        QCOMPARE(m_peer->readAll(), QByteArray("one two"));
        QCOMPARE(m_stream->bytesToWrite(), qint64(0));
    }

    void refusedConnectionFailsFromTheLoop()
    {
        QTcpServer closed;
        QVERIFY(closed.listen(QHostAddress::LocalHost, 0));
        const quint16 port = closed.serverPort();
        closed.close();
        m_handler.insideCall = true;
        m_stream->connectToHost(QStringLiteral("127.0.0.1"), port);
        m_handler.insideCall = false;
        QVERIFY(!m_handler.calledBackInside);
        QTRY_COMPARE_WITH_TIMEOUT(m_handler.failures.size(), 1, 5000);
        QVERIFY2(m_handler.failures.first().contains(QStringLiteral("refused"), Qt::CaseInsensitive),
                 qPrintable(m_handler.failures.first()));
        QCOMPARE(m_handler.connected, 0);
        QVERIFY(!m_stream->isOpen());
    }

    // Larger than the socket buffers take at once, in pieces both below and above the size that
    // skips the queue: everything arrives, in order, and streamWritten() tells of the drain.
    void largeWritesArriveWholeAndInOrder()
    {
        connectPair();
        const QByteArray data = pattern(32 << 20);
        qsizetype at = 0;
        const qsizetype pieces[] = {100, 20000, 3, 300000, 4096, 1 << 20};
        bool queued = false;
        for (int i = 0; at < data.size(); ++i) {
            const qsizetype n = qMin(pieces[i % 6], data.size() - at);
            m_stream->write(data.constData() + at, n);
            at += n;
            queued = queued || m_stream->bytesToWrite() > 0;
        }
        m_stream->flush();
        QVERIFY(m_stream->bytesToWrite() > 0);   // the peer has read nothing yet
        QByteArray received;
        QTRY_VERIFY_WITH_TIMEOUT((received += m_peer->readAll()).size() >= data.size(), 20000);
        QCOMPARE(received.size(), data.size());
        QVERIFY(received == data);
        QTRY_COMPARE_WITH_TIMEOUT(m_stream->bytesToWrite(), qint64(0), 5000);
        QVERIFY(m_handler.written > 0);
        QVERIFY(queued);
        QVERIFY(m_handler.failures.isEmpty());
    }

    void peerCloseEndsTheInputAfterItsBytes()
    {
        connectPair();
        m_peer->write("last words");
        m_peer->flush();
        m_peer->disconnectFromHost();
        QTRY_VERIFY_WITH_TIMEOUT(m_handler.ended, 5000);
        QCOMPARE(m_handler.input, QByteArray("last words"));
        QVERIFY(!m_stream->isOpen());
        char c;
        QCOMPARE(m_stream->read(&c, 1), qint64(-1));
        const int calls = m_handler.readable;
        QTest::qWait(50);   // the end is not offered again and again
        QCOMPARE(m_handler.readable, calls);
    }

    void pausedReadingHoldsInputUntilResumed()
    {
        connectPair();
        m_stream->setReadPaused(true);
        m_peer->write("held");
        m_peer->flush();
        QTest::qWait(100);
        QCOMPARE(m_handler.readable, 0);
        m_peer->disconnectFromHost();
        if (onEpoll()) {   // Qt's loop cannot watch for the close alone
            QTRY_COMPARE_WITH_TIMEOUT(m_handler.hangUps, 1, 5000);
            QTest::qWait(50);
            QCOMPARE(m_handler.hangUps, 1);   // told once
        } else {
            QTest::qWait(100);
        }
        QCOMPARE(m_handler.readable, 0);
        m_stream->setReadPaused(false);
        QTRY_VERIFY_WITH_TIMEOUT(m_handler.ended, 5000);
        QCOMPARE(m_handler.input, QByteArray("held"));
    }

    // A handler that reads less than there is is called again (level-triggered): no input is
    // stranded in the kernel.
    void unreadInputIsOfferedAgain()
    {
        connectPair();
        m_handler.onReadable = [this] {
            char c;
            const qint64 n = m_stream->read(&c, 1);
            if (n > 0)
                m_handler.input.append(c);
            if (n < 0)
                m_handler.ended = true;
        };
        m_peer->write("abcdef");
        m_peer->flush();
        QTRY_COMPARE_WITH_TIMEOUT(m_handler.input, QByteArray("abcdef"), 5000);
        QVERIFY(m_handler.readable >= 6);
    }

    void brokenConnectionFailsWritesFromTheLoop()
    {
        connectPair();
        // A reset, not a close: the peer goes away with an abortive close.
        const linger hard{1, 0};
        QVERIFY(::setsockopt(int(m_peer->socketDescriptor()), SOL_SOCKET, SO_LINGER, &hard, sizeof hard) == 0);
        m_peer->abort();
        QTest::qWait(50);
        m_handler.readOnReadable = false;   // find the break by writing
        m_stream->setReadPaused(true);
        const QByteArray chunk = pattern(64 * 1024);
        m_handler.insideCall = true;
        for (int i = 0; i < 64 && m_handler.failures.isEmpty(); ++i) {
            m_stream->write(chunk);
            m_stream->flush();
        }
        m_handler.insideCall = false;
        QVERIFY(!m_handler.calledBackInside);
        QTRY_COMPARE_WITH_TIMEOUT(m_handler.failures.size(), 1, 5000);
        QVERIFY(!m_stream->isOpen());
        QTest::qWait(50);
        QCOMPARE(m_handler.failures.size(), 1);
    }

    void closeAfterFlushSendsEverythingThenTheEnd()
    {
        connectPair();
        const QByteArray data = pattern(2 << 20);
        m_stream->write(data);
        m_stream->closeAfterFlush();
        QSignalSpy closed(m_peer.data(), &QTcpSocket::disconnected);
        QByteArray received;
        QTRY_VERIFY_WITH_TIMEOUT((received += m_peer->readAll()).size() >= data.size() && !closed.isEmpty(), 20000);
        QVERIFY(received == data);
        // Only the writing side was shut: the stream still reads, and hears the peer's close.
        QTRY_VERIFY_WITH_TIMEOUT(m_handler.ended, 5000);
    }

    void handlerMayDeleteTheStreamWhileCalled()
    {
        connectPair();
        m_handler.onReadable = [this] {
            m_handler.stream = nullptr;
            m_stream.reset();
        };
        m_peer->write("x");
        m_peer->flush();
        QTRY_VERIFY_WITH_TIMEOUT(!m_stream, 5000);
        QTest::qWait(20);
        QCOMPARE(m_handler.readable, 1);
    }

    void adoptsAnAcceptedSocket()
    {
        RawServer raw;
        QVERIFY(raw.listen(QHostAddress::LocalHost, 0));
        QTcpSocket client;
        client.connectToHost(QHostAddress::LocalHost, raw.serverPort());
        QVERIFY(client.waitForConnected(5000));
        QTRY_COMPARE_WITH_TIMEOUT(raw.accepted.size(), 1, 5000);
        QVERIFY(m_stream->adopt(int(raw.accepted.first())));
        QVERIFY(m_stream->isOpen());
        QCOMPARE(m_stream->peerAddress(), QHostAddress(QHostAddress::LocalHost));
        client.write("request");
        client.flush();
        QTRY_COMPARE_WITH_TIMEOUT(m_handler.input, QByteArray("request"), 5000);
        m_stream->write("answer");
        m_stream->flush();
        QTRY_COMPARE_WITH_TIMEOUT(client.bytesAvailable(), qint64(6), 5000);
        QCOMPARE(client.readAll(), QByteArray("answer"));
        m_stream->abort();
        QTRY_COMPARE_WITH_TIMEOUT(client.state(), QAbstractSocket::UnconnectedState, 5000);
        QCOMPARE(m_handler.failures.size(), 0);   // abort() tells the handler nothing
    }
};

int main(int argc, char **argv)
{
    if (qgetenv("GATEHOUSE_TEST_DISPATCHER") != "qt")
        QCoreApplication::setEventDispatcher(new EpollEventDispatcher);
    QCoreApplication app(argc, argv);
    tst_FdStream test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_fdstream.moc"
