#pragma once

#include "proxy/ByteStream.h"
#include "proxy/EpollEventDispatcher.h"

#include <QByteArray>
#include <QList>

#include <memory>

class QObject;
class QSocketNotifier;

namespace gh {

// Plain TCP straight over a non-blocking socket: reads go from the kernel into the caller's buffer
// and writes from one queue into the kernel, with no QIODevice buffers, no FIONREAD before each
// read and no signal per event. On a proxy thread (EpollEventDispatcher) the loop calls it
// directly; on a thread with Qt's dispatcher it watches through QSocketNotifiers, where a hang-up
// while reading is paused (streamHangUp()) is only seen when reading resumes.
//
// Level-triggered: while reading is not paused, streamReadable() comes on every pass that finds
// input, so a handler that cannot take input now must pause. Queued output goes out at flush() or
// on the loop's next pass. A write error is reported as streamFailed() on the next pass, never from
// inside write() or flush(). The handler may delete the stream from any callback.
class FdStream final : public ByteStream, private FdWatcher {
    Q_DISABLE_COPY_MOVE(FdStream)
public:
    FdStream();
    ~FdStream() override;

    // Takes a connected socket (one the listener accepted); false when it cannot be used (then
    // it is closed).
    bool adopt(int fd);

    void connectToHost(const QString &host, quint16 port) override;
    qint64 read(char *data, qint64 max) override;
    qint64 bytesAvailable() const override;
    bool discardInput() override;
    void setReadPaused(bool paused) override;
    void write(const char *data, qint64 size) override;
    using ByteStream::write;
    void flush() override;
    qint64 bytesToWrite() const override { return m_out.size() - m_outHead; }
    bool isOpen() const override;
    bool isEncrypted() const override { return false; }
    QHostAddress peerAddress() const override;
    QString errorString() const override { return m_error; }
    void closeAfterFlush() override;
    void abort() override;

private:
    enum class State { Idle, Resolving, Connecting, Connected, Closed };

    void fdReady(std::uint32_t events) override;
    void updateInterest();
    bool watchFd(int fd);
    void closeFd();
    void connectNext();
    void connectFinished();
    qint64 sendQueued();   // bytes sent now; a failure is noted for the next pass
    qint64 sendNow(const char *data, qint64 size);   // what the kernel took; -1: broken (noted)
    void breakWith(int error);
    void fail(const QString &reason);

    int m_fd = -1;
    State m_state = State::Idle;
    EpollEventDispatcher *m_loop = nullptr;
    std::unique_ptr<QSocketNotifier> m_readNotifier;    // without an EpollEventDispatcher
    std::unique_ptr<QSocketNotifier> m_writeNotifier;
    std::uint32_t m_interest = 0;

    QByteArray m_out;
    qsizetype m_outHead = 0;   // m_out's bytes before this have gone out
    bool m_readPaused = false;
    bool m_eof = false;            // a read found the end
    bool m_failurePending = false; // a write failed: streamFailed() on the next pass
    bool m_halfClose = false;      // closeAfterFlush(): shut down writing once the queue is out
    bool m_hangUpSeen = false;     // reported while paused: not watched again
    QString m_error;

    std::unique_ptr<QObject> m_lookup;   // receives a connect's first step from the loop (name lookup or not)
    QList<QHostAddress> m_addresses;
    qsizetype m_nextAddress = 0;
    quint16 m_port = 0;

    std::shared_ptr<bool> m_alive = std::make_shared<bool>(true);   // false once destroyed
};

} // namespace gh
