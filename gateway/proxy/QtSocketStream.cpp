#include "proxy/QtSocketStream.h"

#include "admin/GracefulClose.h"

#include <QPointer>
#include <QSslSocket>
#include <QTcpSocket>

namespace gh {

QtSocketStream::QtSocketStream(QTcpSocket *socket, qint64 readBufferSize) : m_socket(socket)
{
    m_socket->setParent(this);
    m_socket->setReadBufferSize(readBufferSize);
    if (m_socket->state() == QAbstractSocket::ConnectedState)
        m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    auto connected = [this] {
        m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        if (m_handler)
            m_handler->streamConnected();
    };
    if (auto *ssl = qobject_cast<QSslSocket *>(m_socket))
        connect(ssl, &QSslSocket::encrypted, this, connected);
    else
        connect(m_socket, &QTcpSocket::connected, this, connected);
    connect(m_socket, &QTcpSocket::readyRead, this, &QtSocketStream::onReadyRead);
    // The end is a read that returns -1: the handler finds it reading.
    connect(m_socket, &QTcpSocket::disconnected, this, &QtSocketStream::onReadyRead);
    connect(m_socket, &QTcpSocket::bytesWritten, this, [this] {
        if (m_handler)
            m_handler->streamWritten();
    });
    connect(m_socket, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError error) {
        if (error == QAbstractSocket::RemoteHostClosedError)
            return;   // the end of the input, read as such
        if (m_handler)
            m_handler->streamFailed(m_socket->errorString());
    });
    if (m_socket->bytesAvailable() > 0)   // already there: no readyRead will say so
        QMetaObject::invokeMethod(this, &QtSocketStream::onReadyRead, Qt::QueuedConnection);
}

QtSocketStream::~QtSocketStream() = default;

namespace {

bool ended(const QTcpSocket *socket)
{
    const auto state = socket->state();
    return state == QAbstractSocket::UnconnectedState || state == QAbstractSocket::ClosingState;
}

} // namespace

void QtSocketStream::onReadyRead()
{
    if (m_paused || !m_handler || m_endRead)
        return;
    QPointer<QtSocketStream> guard(this);
    m_handler->streamReadable();
    // As FdStream's epoll is level-triggered: input left unread (or an end not yet read) is
    // offered again, since Qt raises no new readyRead for it.
    if (!guard || m_paused || !m_handler || m_endRead)
        return;
    if (m_socket->bytesAvailable() > 0 || ended(m_socket))
        QMetaObject::invokeMethod(this, &QtSocketStream::onReadyRead, Qt::QueuedConnection);
}

void QtSocketStream::connectToHost(const QString &host, quint16 port)
{
    if (auto *ssl = qobject_cast<QSslSocket *>(m_socket))
        ssl->connectToHostEncrypted(host, port);
    else
        m_socket->connectToHost(host, port);
}

qint64 QtSocketStream::read(char *data, qint64 max)
{
    if (m_socket->bytesAvailable() > 0)
        return qMax<qint64>(m_socket->read(data, max), 0);
    if (!ended(m_socket))
        return 0;
    m_endRead = true;
    return -1;
}

qint64 QtSocketStream::bytesAvailable() const
{
    return m_socket->bytesAvailable();
}

bool QtSocketStream::discardInput()
{
    m_socket->readAll();
    return ended(m_socket);
}

void QtSocketStream::setReadPaused(bool paused)
{
    if (m_paused == paused)
        return;
    m_paused = paused;
    // Whatever arrived while paused raises no new readyRead: look again, from the event loop.
    if (!paused)
        QMetaObject::invokeMethod(this, &QtSocketStream::onReadyRead, Qt::QueuedConnection);
}

void QtSocketStream::write(const char *data, qint64 size)
{
    if (size > 0)
        m_socket->write(data, size);
}

void QtSocketStream::flush()
{
    m_socket->flush();
}

qint64 QtSocketStream::bytesToWrite() const
{
    return m_socket->bytesToWrite();
}

bool QtSocketStream::isOpen() const
{
    return m_socket->state() == QAbstractSocket::ConnectedState;
}

bool QtSocketStream::isEncrypted() const
{
    return qobject_cast<QSslSocket *>(m_socket) != nullptr;
}

QHostAddress QtSocketStream::peerAddress() const
{
    return m_socket->peerAddress();
}

QString QtSocketStream::errorString() const
{
    return m_socket->errorString();
}

void QtSocketStream::closeAfterFlush()
{
    if (m_closing)
        return;
    m_closing = true;
    gh::closeAfterFlush(m_socket, this);
}

void QtSocketStream::abort()
{
    m_handler = nullptr;
    m_socket->abort();
}

} // namespace gh
