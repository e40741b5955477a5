#include "proxy/FdStream.h"

#include <QHostInfo>
#include <QObject>
#include <QSocketNotifier>

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace gh {

namespace {

// A write this large with nothing queued goes to the kernel at once instead of through the queue.
constexpr qint64 kDirectWrite = 16 * 1024;
// The queue's sent front is dropped once it is this large and half the queue.
constexpr qsizetype kCompactAt = 64 * 1024;

QString errnoText(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}

void setNoDelay(int fd)
{
    const int one = 1;
    (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

} // namespace

FdStream::FdStream() = default;

FdStream::~FdStream()
{
    *m_alive = false;
    closeFd();
}

bool FdStream::watchFd(int fd)
{
    m_fd = fd;
    m_loop = EpollEventDispatcher::ofCurrentThread();
    if (!m_loop) {
        m_readNotifier = std::make_unique<QSocketNotifier>(fd, QSocketNotifier::Read);
        m_writeNotifier = std::make_unique<QSocketNotifier>(fd, QSocketNotifier::Write);
        m_readNotifier->setEnabled(false);
        m_writeNotifier->setEnabled(false);
        QObject::connect(m_readNotifier.get(), &QSocketNotifier::activated, m_readNotifier.get(),
                         [this] { fdReady(EPOLLIN); });
        QObject::connect(m_writeNotifier.get(), &QSocketNotifier::activated, m_writeNotifier.get(),
                         [this] { fdReady(EPOLLOUT); });
    }
    m_interest = ~0u;   // forces the first update through
    updateInterest();
    return true;
}

bool FdStream::adopt(int fd)
{
    if (fd < 0 || m_fd >= 0)
        return false;
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ((flags & O_NONBLOCK) == 0 && ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0)) {
        m_error = errnoText(errno);
        ::close(fd);
        m_state = State::Closed;
        return false;
    }
    setNoDelay(fd);
    m_state = State::Connected;
    return watchFd(fd);
}

void FdStream::connectToHost(const QString &host, quint16 port)
{
    if (m_state != State::Idle)
        return;
    m_port = port;
    m_state = State::Resolving;
    m_lookup = std::make_unique<QObject>();
    QHostAddress literal;
    if (literal.setAddress(host)) {
        // From the loop, as for a name: the handler never hears back from inside this call.
        m_addresses = {literal};
        QMetaObject::invokeMethod(m_lookup.get(), [this] {
            m_lookup.release()->deleteLater();
            connectNext();
        }, Qt::QueuedConnection);
        return;
    }
    QHostInfo::lookupHost(host, m_lookup.get(), [this, host](const QHostInfo &info) {
        m_lookup.release()->deleteLater();   // we are inside its call
        if (info.error() != QHostInfo::NoError || info.addresses().isEmpty()) {
            fail(info.error() == QHostInfo::NoError ? QStringLiteral("%1 has no address").arg(host)
                                                    : info.errorString());
            return;
        }
        m_addresses = info.addresses();
        connectNext();
    });
}

void FdStream::connectNext()
{
    QString lastError = m_error;
    while (m_nextAddress < m_addresses.size()) {
        const QHostAddress address = m_addresses.at(m_nextAddress++);
        sockaddr_storage storage{};
        socklen_t length = 0;
        bool v4 = false;
        const quint32 ip4 = address.toIPv4Address(&v4);
        if (v4) {
            auto *in = reinterpret_cast<sockaddr_in *>(&storage);
            in->sin_family = AF_INET;
            in->sin_port = htons(m_port);
            in->sin_addr.s_addr = htonl(ip4);
            length = sizeof(sockaddr_in);
        } else if (address.protocol() == QAbstractSocket::IPv6Protocol) {
            auto *in6 = reinterpret_cast<sockaddr_in6 *>(&storage);
            in6->sin6_family = AF_INET6;
            in6->sin6_port = htons(m_port);
            const Q_IPV6ADDR ip6 = address.toIPv6Address();
            std::memcpy(&in6->sin6_addr, &ip6, sizeof ip6);
            // A link-local address names its interface by number or by name ("fe80::1%eth0").
            bool numeric = false;
            const uint scope = address.scopeId().toUInt(&numeric);
            in6->sin6_scope_id = numeric ? scope : ::if_nametoindex(address.scopeId().toLocal8Bit().constData());
            length = sizeof(sockaddr_in6);
        } else {
            continue;
        }
        const int fd = ::socket(storage.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            lastError = errnoText(errno);
            continue;
        }
        setNoDelay(fd);
        int rc;
        do {
            rc = ::connect(fd, reinterpret_cast<sockaddr *>(&storage), length);
        } while (rc != 0 && errno == EINTR);
        if (rc == 0 || errno == EINPROGRESS) {
            m_state = rc == 0 ? State::Connected : State::Connecting;
            watchFd(fd);
            if (rc == 0)
                connectFinished();
            return;
        }
        lastError = errnoText(errno);
        ::close(fd);
    }
    fail(lastError.isEmpty() ? QStringLiteral("no address to connect to") : lastError);
}

void FdStream::connectFinished()
{
    m_state = State::Connected;
    if (bytesToWrite() > 0)
        sendQueued();
    updateInterest();
    if (m_handler)
        m_handler->streamConnected();
}

void FdStream::fail(const QString &reason)
{
    m_error = reason;
    closeFd();
    if (m_handler)
        m_handler->streamFailed(reason);
}

void FdStream::fdReady(std::uint32_t events)
{
    // The handler may delete us from any call out: `alive` outlives us.
    const std::shared_ptr<bool> alive = m_alive;

    if (m_state == State::Connecting) {
        int error = 0;
        socklen_t length = sizeof error;
        if (::getsockopt(m_fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0)
            error = errno;
        if (error == 0 && !(events & EPOLLOUT) && (events & (EPOLLERR | EPOLLHUP)))
            error = ECONNREFUSED;
        if (error == EINPROGRESS || (error == 0 && !(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))))
            return;   // not yet
        if (error != 0) {
            m_error = errnoText(error);
            closeFd();
            m_state = State::Idle;
            connectNext();   // the next address, or streamFailed()
        } else {
            connectFinished();
        }
        return;
    }
    if (m_state != State::Connected)
        return;

    if (m_failurePending) {
        m_failurePending = false;
        const QString reason = m_error;
        closeFd();
        if (m_handler)
            m_handler->streamFailed(reason);
        return;
    }

    if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) && bytesToWrite() > 0) {
        if (sendQueued() > 0 && m_handler) {
            m_handler->streamWritten();
            if (!*alive)
                return;
        }
        if (m_state != State::Connected)
            return;
    }

    constexpr std::uint32_t kInput = EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR;
    if (!(events & kInput) || m_eof || !m_handler)
        return;
    if (!m_readPaused) {
        m_handler->streamReadable();
    } else if ((events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) && !m_hangUpSeen) {
        m_hangUpSeen = true;   // level-triggered: not watched again until reading resumes
        updateInterest();
        m_handler->streamHangUp();
    }
}

void FdStream::updateInterest()
{
    std::uint32_t want = 0;
    if (m_fd >= 0) {
        if (m_state == State::Connecting || m_failurePending) {
            want = EPOLLOUT;
        } else if (m_state == State::Connected) {
            if (!m_eof) {
                if (!m_readPaused)
                    want |= EPOLLIN | EPOLLRDHUP;
                else if (!m_hangUpSeen)
                    want |= EPOLLRDHUP;
            }
            if (bytesToWrite() > 0)
                want |= EPOLLOUT;
        }
    }
    if (want == m_interest || m_fd < 0)
        return;
    m_interest = want;
    if (m_loop) {
        m_loop->watch(m_fd, this, want);
    } else {
        m_readNotifier->setEnabled((want & EPOLLIN) != 0);
        m_writeNotifier->setEnabled((want & EPOLLOUT) != 0);
    }
}

qint64 FdStream::read(char *data, qint64 max)
{
    if (m_state == State::Closed || m_eof)
        return -1;
    if (m_state != State::Connected || max <= 0)
        return 0;
    for (;;) {
        const ssize_t n = ::recv(m_fd, data, size_t(max), 0);
        if (n > 0)
            return n;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n < 0)
            m_error = errnoText(errno);
        m_eof = true;
        updateInterest();
        return -1;
    }
}

qint64 FdStream::bytesAvailable() const
{
    if (m_state != State::Connected || m_eof)
        return 0;
    int n = 0;
    return ::ioctl(m_fd, FIONREAD, &n) == 0 ? n : 0;
}

bool FdStream::discardInput()
{
    char sink[16 * 1024];
    for (;;) {
        const qint64 n = read(sink, sizeof sink);
        if (n < 0)
            return true;
        if (n < qint64(sizeof sink))
            return false;
    }
}

void FdStream::setReadPaused(bool paused)
{
    if (m_readPaused == paused)
        return;
    m_readPaused = paused;
    if (!paused)
        m_hangUpSeen = false;
    updateInterest();
}

void FdStream::write(const char *data, qint64 size)
{
    if (size <= 0 || m_state == State::Closed || m_failurePending)
        return;
    if (m_state == State::Connected && bytesToWrite() == 0 && size >= kDirectWrite) {
        // Large and first in line: straight to the kernel, only what it does not take is queued.
        const qint64 sent = sendNow(data, size);
        if (sent < 0)
            return;
        data += sent;
        size -= sent;
        if (size == 0)
            return;
    }
    m_out.append(data, qsizetype(size));
    updateInterest();   // out on the next pass at the latest
}

void FdStream::flush()
{
    if (m_state == State::Connected && bytesToWrite() > 0)
        sendQueued();
}

qint64 FdStream::sendNow(const char *data, qint64 size)
{
    qint64 sent = 0;
    while (sent < size) {
        const ssize_t n = ::send(m_fd, data + sent, size_t(size - sent), MSG_NOSIGNAL);
        if (n > 0) {
            sent += n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        breakWith(n < 0 ? errno : EPIPE);
        return -1;
    }
    return sent;
}

qint64 FdStream::sendQueued()
{
    const qint64 sent = sendNow(m_out.constData() + m_outHead, m_out.size() - m_outHead);
    if (sent < 0)
        return 0;
    m_outHead += sent;
    if (m_outHead == m_out.size()) {
        m_out.resize(0);   // keeps the allocation for the next answer
        m_outHead = 0;
        if (m_halfClose)
            ::shutdown(m_fd, SHUT_WR);
    } else if (m_outHead >= kCompactAt && m_outHead * 2 >= m_out.size()) {
        m_out.remove(0, m_outHead);
        m_outHead = 0;
    }
    updateInterest();
    return sent;
}

void FdStream::breakWith(int error)
{
    m_error = errnoText(error);
    m_out.clear();
    m_outHead = 0;
    m_failurePending = true;
    updateInterest();   // EPOLLOUT: reported from the loop, not from inside the caller's write
}

bool FdStream::isOpen() const
{
    return m_state == State::Connected && !m_eof && !m_failurePending;
}

QHostAddress FdStream::peerAddress() const
{
    sockaddr_storage storage{};
    socklen_t length = sizeof storage;
    if (m_fd < 0 || ::getpeername(m_fd, reinterpret_cast<sockaddr *>(&storage), &length) != 0)
        return {};
    return QHostAddress(reinterpret_cast<const sockaddr *>(&storage));
}

void FdStream::closeAfterFlush()
{
    if (m_state != State::Connected)
        return;
    m_halfClose = true;
    sendQueued();
}

void FdStream::abort()
{
    m_handler = nullptr;
    m_out.clear();
    m_outHead = 0;
    closeFd();
}

void FdStream::closeFd()
{
    m_lookup.reset();
    if (m_fd >= 0) {
        if (m_loop)
            m_loop->unwatch(m_fd);
        m_readNotifier.reset();
        m_writeNotifier.reset();
        ::close(m_fd);
        m_fd = -1;
    }
    m_interest = 0;
    m_state = State::Closed;
}

} // namespace gh
