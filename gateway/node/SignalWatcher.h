#pragma once

#include <QObject>

#include <memory>

class QSocketNotifier;

namespace gh {

// Turns SIGTERM/SIGINT/SIGHUP into a Qt signal on the main thread (self-pipe), so shutdown runs
// as ordinary event-loop code instead of inside an async-signal handler.
class SignalWatcher final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SignalWatcher)
public:
    explicit SignalWatcher(QObject *parent = nullptr);
    ~SignalWatcher() override;

signals:
    void terminateRequested(int signalNumber);
    void reloadRequested();

private:
    void onReadable();
    QSocketNotifier *m_notifier = nullptr;
};

} // namespace gh
