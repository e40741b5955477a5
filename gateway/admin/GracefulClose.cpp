#include "admin/GracefulClose.h"

#include <QSslSocket>
#include <QTcpSocket>

#include <sys/socket.h>

namespace gh {

void closeAfterFlush(QTcpSocket *socket, QObject *context)
{
    if (qobject_cast<QSslSocket *>(socket)) {
        socket->disconnectFromHost();
        return;
    }
    socket->flush();
    auto halfClose = [socket] {
        if (socket->bytesToWrite() == 0 && socket->state() == QAbstractSocket::ConnectedState)
            ::shutdown(int(socket->socketDescriptor()), SHUT_WR);
    };
    if (socket->bytesToWrite() == 0)
        halfClose();
    else
        QObject::connect(socket, &QTcpSocket::bytesWritten, context, halfClose);
    socket->readAll();
}

} // namespace gh
