#include "identity/Sha256.h"

#include <QCryptographicHash>
#include <QTest>

#include <atomic>
#include <thread>
#include <vector>

using namespace gh;

// The per-thread context gives the same digests as any SHA-256, call after call and from many
// threads at once (each has its own context).
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

    void reusedContextStartsAfreshEachCall()
    {
        for (int size : {0, 1, 55, 56, 63, 64, 65, 1000, 100000}) {
            const QByteArray data(size, char('a' + size % 26));
            QCOMPARE(sha256::digest(data), QCryptographicHash::hash(data, QCryptographicHash::Sha256));
            QCOMPARE(sha256::digest(data), QCryptographicHash::hash(data, QCryptographicHash::Sha256));
        }
    }

    void threadsEachGetTheirOwnContext()
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
