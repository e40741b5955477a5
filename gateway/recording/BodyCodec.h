#pragma once

#include "core/Result.h"

#include <QByteArray>
#include <QString>

namespace gh {

// How event bodies are kept at rest: as given, or as one zstd frame when that saves space.
class BodyCodec final {
public:
    enum class Encoding { Identity, Zstd };

    struct Encoded {
        Encoding encoding = Encoding::Identity;
        QByteArray bytes;
    };

    // Bodies up to this size are stored as given: compressing them saves little and costs time.
    static constexpr qsizetype defaultThreshold = 4096;
    // Refuse to inflate beyond this: a corrupted or hostile row must not exhaust memory.
    static constexpr qint64 maxDecodedSize = qint64(256) * 1024 * 1024;

    static Encoded encode(const QByteArray &raw, qsizetype threshold = defaultThreshold);
    static Result<QByteArray> decode(Encoding encoding, const QByteArray &stored,
                                     qint64 maxSize = maxDecodedSize);

    static QString encodingName(Encoding e);                        // "identity" | "zstd"
    static const char *encodingLiteral(Encoding e);                 // the same, as a literal
    static Result<Encoding> encodingFromName(const QString &name);
};

} // namespace gh
