#pragma once

#include <functional>

#include "admin/AdminClient.h"

#include <QByteArray>
#include <QHash>
#include <QJsonArray>
#include <QSet>
#include <QString>
#include <QStringList>

#include <memory>

namespace gh {

// The gatehousectl command line (contract §5): parses arguments, talks to the admin API
// through AdminClient and turns answers into output and exit codes (0 ok, 1 failure, 2 usage).
class Gatehousectl final {
    Q_DISABLE_COPY_MOVE(Gatehousectl)
public:
    enum Exit { Ok = 0, Failure = 1, Usage = 2 };

    Gatehousectl();
    ~Gatehousectl();

    // `args` without the program name. Needs a QCoreApplication.
    int run(const QStringList &args);

    static QString usage();

private:
    struct Args {
        QStringList positional;
        QHash<QString, QString> options;   // by long name, without dashes
        bool has(const QString &name) const { return options.contains(name); }
        QString value(const QString &name, const QString &fallback = {}) const { return options.value(name, fallback); }
    };

    int parse(const QStringList &args);
    int checkOptions(const QString &verb, const QSet<QString> &allowed);
    int connect();
    QString resolveDataDir() const;

    int cmdApply();
    int cmdExport();
    int cmdGet();
    int cmdDecide(bool approve);
    int cmdApprovals();
    int cmdRevokeGrant();
    int printApprovalsTable(const QJsonArray &rows);
    int cmdToken();
    int cmdSessions();
    int cmdPlay();
    int cmdDelete();

    AdminReply call(const QByteArray &method, const QString &path, const QByteArray &body = {},
                    const QByteArray &contentType = {}, const HttpHeaders &headers = {});
    // A long GET answer handed to onData as it arrives (AdminClient::downloadSync).
    AdminReply download(const QString &path, const std::function<bool(const QByteArray &)> &onData);
    int reportFailure(const AdminReply &reply, const QString &what);
    int usageError(const QString &message);
    int failure(const QString &message);
    int outputFormat(QString *format);
    void printJson(const QJsonDocument &doc);
    bool writeOutput(const QByteArray &data, const QString &file);

    static void out(const QByteArray &bytes);
    static void err(const QString &line);

    Args m_args;
    QString m_verb;
    QString m_server;
    QString m_dataDir;
    QString m_tokenSource;   // where the token came from, for the 401 message
    std::unique_ptr<AdminClient> m_client;
};

} // namespace gh
