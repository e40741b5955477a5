#pragma once

#include "core/Result.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <memory>
#include <optional>
#include <type_traits>
#include <string>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace gh {

class SqliteConnection;

// One prepared statement borrowed from a connection's cache; resets itself when it goes out of
// scope so the next user finds it clean. Bind indexes are 1-based, column indexes 0-based.
class SqliteQuery final {
public:
    SqliteQuery(SqliteQuery &&other) noexcept;
    SqliteQuery &operator=(SqliteQuery &&) = delete;
    SqliteQuery(const SqliteQuery &) = delete;
    SqliteQuery &operator=(const SqliteQuery &) = delete;
    ~SqliteQuery();

    SqliteQuery &bind(int index, qint64 value);
    SqliteQuery &bind(int index, const QString &value);
    // Text that outlives the statement's use (a string literal): bound without a copy.
    SqliteQuery &bindStaticText(int index, const char *literal);
    SqliteQuery &bindBlob(int index, const QByteArray &value);   // an empty array binds x'' not NULL
    // bindBlob() without the copy: the bytes must stay as they are until this query is gone.
    SqliteQuery &bindBlobView(int index, QByteArrayView value);
    SqliteQuery &bindNull(int index);
    // Optional columns: an empty value binds NULL.
    SqliteQuery &bindOrNull(int index, const QString &value) { return value.isEmpty() ? bindNull(index) : bind(index, value); }
    SqliteQuery &bindBlobOrNull(int index, const QByteArray &value)
    {
        return value.isEmpty() ? bindNull(index) : bindBlob(index, value);
    }
    SqliteQuery &bindOptional(int index, const std::optional<qint64> &value);

    // true: a row is ready; false: done. Errors name the statement's purpose.
    Result<bool> step();
    // Runs to completion, for statements that return no rows.
    Status run();
    // Calls onRow() for every row (it reads the columns of this query) until the rows end; stops at
    // the first error, SQLite's or one onRow() returns (when it returns a Status).
    template <typename OnRow>
    Status forEachRow(OnRow &&onRow)
    {
        for (;;) {
            Result<bool> row = step();
            if (!row)
                return row.error();
            if (!*row)
                return {};
            if constexpr (std::is_void_v<std::invoke_result_t<OnRow &>>) {
                onRow();
            } else if (Status s = onRow(); !s) {
                return s;
            }
        }
    }
    // Every row turned into a T by fromRow (a Result<T> from this query's columns), in order; the
    // first error stops it.
    template <typename T, typename FromRow>
    Result<QList<T>> collect(FromRow &&fromRow)
    {
        QList<T> list;
        Status read = forEachRow([&]() -> Status {
            Result<T> item = fromRow(*this);
            if (!item)
                return item.error();
            list.append(std::move(*item));
            return {};
        });
        if (!read)
            return read.error();
        return list;
    }

    bool isNull(int column) const;
    qint64 int64(int column) const;
    std::optional<qint64> optionalInt64(int column) const;
    QString text(int column) const;
    QByteArray blob(int column) const;

private:
    friend class SqliteConnection;
    SqliteQuery(SqliteConnection *connection, sqlite3_stmt *statement);

    SqliteConnection *m_connection;
    sqlite3_stmt *m_statement;
};

// An owned sqlite3 handle with a cache of prepared statements. Used by one thread at a time
// (the store's writer thread, or a reader leased from the pool); the handle is opened NOMUTEX.
class SqliteConnection final {
public:
    enum class Access { ReadWrite, ReadOnly };

    // The file must exist (the store creates it with mode 0600 first so SQLite never picks the
    // mode). ReadOnly connections refuse every write with PRAGMA query_only.
    static Result<std::unique_ptr<SqliteConnection>> open(const QString &path, Access access,
                                                           int busyTimeoutMs);
    ~SqliteConnection();
    Q_DISABLE_COPY_MOVE(SqliteConnection)

    // Runs one or more statements without parameters (DDL, PRAGMA, BEGIN/COMMIT).
    Status exec(const char *sql);
    // A cached statement; the SQL text must be a string literal or otherwise stable.
    Result<SqliteQuery> query(const char *sql);
    // A statement without parameters (a PRAGMA, an existence check): its first row's first column,
    // or nothing when it gives no row.
    Result<std::optional<qint64>> firstInt64(const char *sql);

    qint64 changes() const;
    qint64 totalChanges() const;
    bool inTransaction() const;
    QString path() const { return m_path; }

    // The last failure that says the database cannot be written at all (read-only, I/O error,
    // disk full, corruption, locked by someone else), as opposed to a failure of one statement's
    // data (a constraint). The writer uses it to flip the store's health; reading clears it.
    std::optional<QString> takeStorageFault();

    // Turns an SQLite result code into an Error with the connection's message, and records
    // storage faults. `what` says what was being done, e.g. "insert connection".
    Error error(int rc, const char *what);

    sqlite3 *handle() const { return m_db; }

private:
    SqliteConnection(sqlite3 *db, QString path);

    sqlite3 *m_db;
    QString m_path;
    std::unordered_map<const char *, sqlite3_stmt *> m_statements;
    std::optional<QString> m_storageFault;
};

} // namespace gh
