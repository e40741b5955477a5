#pragma once

#include <QByteArrayView>
#include <QHostAddress>
#include <QString>

namespace gh {

// One TCP connection as the proxy uses it, both to clients and to upstreams: bytes in, bytes out,
// told through a Handler (virtual calls, no signals). Two kinds: FdStream, plain TCP straight over
// the socket and the proxy thread's epoll (what nearly all traffic takes), and QtSocketStream, a
// QTcpSocket or QSslSocket (TLS). Use from the thread that made it.
class ByteStream {
public:
    class Handler {
    public:
        virtual void streamConnected() {}                  // connectToHost() done (TLS included)
        virtual void streamReadable() = 0;                 // read() has bytes, or the end
        virtual void streamWritten() {}                    // bytes the stream held went out
        virtual void streamFailed(const QString &reason) = 0;   // could not connect; the connection broke
        // While reading is paused: the peer closed its side, or the connection broke (where the
        // stream can tell without reading; told once).
        virtual void streamHangUp() {}

    protected:
        ~Handler() = default;
    };

    virtual ~ByteStream() = default;
    void setHandler(Handler *handler) { m_handler = handler; }

    // Connects (the host may be a name); streamConnected() or streamFailed() follows.
    virtual void connectToHost(const QString &host, quint16 port) = 0;

    // Up to `max` bytes into `data`: how many (> 0); 0 when nothing is there now (streamReadable()
    // comes when there is); -1 at the end (the peer closed its side or the connection broke).
    virtual qint64 read(char *data, qint64 max) = 0;
    // The bytes waiting to be read (a system call for FdStream: not for every read).
    virtual qint64 bytesAvailable() const = 0;
    // Drops whatever input is there now; true once the end was reached.
    virtual bool discardInput() = 0;
    // No streamReadable() while paused (the reader is not ready for more); on resuming it comes
    // again if input is waiting.
    virtual void setReadPaused(bool paused) = 0;

    // Queues bytes; they go out at flush() or, at the latest, on the event loop's next pass.
    virtual void write(const char *data, qint64 size) = 0;
    void write(QByteArrayView bytes) { write(bytes.data(), bytes.size()); }
    // Sends what is queued as far as the kernel takes it now; the rest when the socket drains.
    virtual void flush() = 0;
    virtual qint64 bytesToWrite() const = 0;

    // Connected, and the peer has not been seen to close.
    virtual bool isOpen() const = 0;
    virtual bool isEncrypted() const = 0;
    virtual QHostAddress peerAddress() const = 0;
    virtual QString errorString() const = 0;

    // Ends the connection after a final answer without resetting it under the peer: what is queued
    // goes out, then (plain TCP) a half-close, and input is dropped until the peer closes.
    virtual void closeAfterFlush() = 0;
    // Closes now: queued bytes are dropped, the handler hears nothing more.
    virtual void abort() = 0;

protected:
    Handler *m_handler = nullptr;
};

} // namespace gh
