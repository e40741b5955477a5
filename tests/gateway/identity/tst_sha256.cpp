#include "identity/Sha256.h"

#include <QCryptographicHash>
#include <QTest>

#include <atomic>
#include <thread>
#include <vector>

using namespace gh;

// The same digests as any SHA-256: in one call or in pieces, call after call, from many threads at
// once.
class tst_Sha256 : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void knownVectors()
    {
        // FIPS 180-2's examples and the empty message.
        QCOMPARE(sha256::digest("").toHex(), QByteArray("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
        QCOMPARE(sha256::digest("abc").toHex(), QByteArray("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
        QCOMPARE(sha256::digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq").toHex(),
                 QByteArray("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
    }

    void eachCallStartsAfresh()
    {
        for (int size : {0, 1, 55, 56, 63, 64, 65, 1000, 100000}) {
            const QByteArray data(size, char('a' + size % 26));
            QCOMPARE(sha256::digest(data), QCryptographicHash::hash(data, QCryptographicHash::Sha256));
            QCOMPARE(sha256::digest(data), QCryptographicHash::hash(data, QCryptographicHash::Sha256));
        }
    }

    void hasherTakesPiecesAndStartsAfreshAfterEachDigest()
    {
        const QByteArray data = QByteArray(300, 'q') + QByteArray(77, 'r');
        sha256::Hasher h;
        for (int round = 0; round < 3; ++round) {
            for (qsizetype i = 0; i < data.size(); i += 13)
                h.update(QByteArrayView(data).sliced(i, std::min<qsizetype>(13, data.size() - i)));
            unsigned char out[sha256::size];
            QVERIFY(h.finish(out));
            QCOMPARE(QByteArray(reinterpret_cast<const char *>(out), sha256::size),
                     QCryptographicHash::hash(data, QCryptographicHash::Sha256));
        }
        unsigned char empty[sha256::size];
        QVERIFY(h.finish(empty));
        QCOMPARE(QByteArray(reinterpret_cast<const char *>(empty), sha256::size).toHex(),
                 QByteArray("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    }

    void threadsAtOnce()
    {
        std::atomic<int> wrong{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t) {
            threads.emplace_back([t, &wrong] {
                for (int i = 0; i < 2000; ++i) {
                    const QByteArray data = QByteArray::number(t) + ':' + QByteArray::number(i);
                    if (sha256::digest(data) != QCryptographicHash::hash(data, QCryptographicHash::Sha256))
                        ++wrong;
                }
            });
        }
        for (std::thread &t : threads)
            t.join();
        QCOMPARE(wrong.load(), 0);
    }
};

QTEST_GUILESS_MAIN(tst_Sha256)
#include "tst_sha256.moc"
