#pragma once

#include "identity/Sha256.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

namespace gh {

// The per-session hash chain of contract §6, in one place so the recorder that writes it and
// the verifier that checks it cannot drift apart. The byte layout is documented here because an
// auditor may re-check an export with their own tools:
//   hash(n) = SHA-256( hash(n-1) || be64(seq) || be64(ts_us) || be32(len kind) || kind
//                      || be64(len data) || data )          hash(-1) = 32 zero bytes
//   signed head = Ed25519( "gatehouse-session-v1" || be32(len id) || id || be64(count) || head )
// where kind and id are UTF-8 and data is the compact JSON the store holds for the event.
class SessionChain final {
public:
    static constexpr qsizetype kHashSize = 32;

    SessionChain() = default;
    Q_DISABLE_COPY_MOVE(SessionChain)

    // Chains one event and returns its hash; empty (and the chain unchanged) only when OpenSSL
    // fails, which the caller must treat as "cannot record".
    QByteArray append(qint64 seq, qint64 tsUs, const QString &kind, QByteArrayView data);

    // Takes back the last append (its event could not be stored), given the head before it.
    void undoLast(const QByteArray &previousHead)
    {
        m_head = previousHead;
        --m_count;
    }

    const QByteArray &head() const { return m_head; }   // genesis() before the first event
    qint64 count() const { return m_count; }

    static QByteArray genesis() { return QByteArray(kHashSize, '\0'); }
    // What the gateway signs when a session ends.
    static QByteArray headMessage(const QString &sessionId, qint64 eventCount, QByteArrayView head);

private:
    sha256::Hasher m_hasher;   // reused: no allocation per event
    QByteArray m_head = genesis();
    qint64 m_count = 0;
};

} // namespace gh
