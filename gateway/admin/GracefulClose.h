#pragma once

class QObject;
class QTcpSocket;

namespace gh {

// Ends an HTTP connection after a final answer without resetting it under the client: TLS sockets
// disconnect; plain ones flush, half-close (SHUT_WR) once everything is written, and drop what the
// client still sends. The caller keeps its own linger timer for the final close.
void closeAfterFlush(QTcpSocket *socket, QObject *context);

} // namespace gh
