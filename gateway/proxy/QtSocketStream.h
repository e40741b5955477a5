#pragma once

#include "proxy/ByteStream.h"

#include <QObject>

class QTcpSocket;
class QSslSocket;

namespace gh {

// A QTcpSocket or QSslSocket as a ByteStream: what the proxy uses for TLS, on either side. Qt's
// socket buffers input while the handler is paused (up to the read buffer size set here) and
// tells of a peer's close only once that input is read. Input left unread after streamReadable()
// is offered again from the event loop, as FdStream's level-triggered epoll does.
class QtSocketStream final : public QObject, public ByteStream {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(QtSocketStream)
public:
    // Takes `socket` (its parent becomes this). readBufferSize bounds what Qt buffers.
    QtSocketStream(QTcpSocket *socket, qint64 readBufferSize);
    ~QtSocketStream() override;

    QTcpSocket *socket() const { return m_socket; }

    void connectToHost(const QString &host, quint16 port) override;
    qint64 read(char *data, qint64 max) override;
    qint64 bytesAvailable() const override;
    bool discardInput() override;
    void setReadPaused(bool paused) override;
    void write(const char *data, qint64 size) override;
    using ByteStream::write;
    void flush() override;
    qint64 bytesToWrite() const override;
    bool isOpen() const override;
    bool isEncrypted() const override;
    QHostAddress peerAddress() const override;
    QString errorString() const override;
    void closeAfterFlush() override;
    void abort() override;

private:
    void onReadyRead();

    QTcpSocket *m_socket;   // child
    bool m_paused = false;
    bool m_closing = false;
    bool m_endRead = false;   // read() returned the end
};

} // namespace gh
