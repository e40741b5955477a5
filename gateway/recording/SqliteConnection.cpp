#include "recording/SqliteConnection.h"

#include <sqlite3.h>

#include <cstring>

namespace gh {

namespace {

// Failures that mean "this database cannot take writes now", not "this row was wrong".
bool isStorageFault(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_READONLY:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
    case SQLITE_CANTOPEN:
    case SQLITE_NOMEM:
    case SQLITE_PROTOCOL:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_PERM:
        return true;
    default:
        return false;
    }
}

} // namespace

// ---- SqliteQuery ----------------------------------------------------------------------------

SqliteQuery::SqliteQuery(SqliteConnection *connection, sqlite3_stmt *statement)
    : m_connection(connection), m_statement(statement)
{
}

SqliteQuery::SqliteQuery(SqliteQuery &&other) noexcept
    : m_connection(other.m_connection), m_statement(other.m_statement)
{
    other.m_statement = nullptr;
}

SqliteQuery::~SqliteQuery()
{
    if (m_statement) {
        sqlite3_reset(m_statement);
        sqlite3_clear_bindings(m_statement);
    }
}

SqliteQuery &SqliteQuery::bind(int index, qint64 value)
{
    sqlite3_bind_int64(m_statement, index, value);
    return *this;
}

SqliteQuery &SqliteQuery::bind(int index, const QString &value)
{
    const QByteArray utf8 = value.toUtf8();
    sqlite3_bind_text64(m_statement, index, utf8.constData(), sqlite3_uint64(utf8.size()),
                        SQLITE_TRANSIENT, SQLITE_UTF8);
    return *this;
}

SqliteQuery &SqliteQuery::bindStaticText(int index, const char *literal)
{
    sqlite3_bind_text(m_statement, index, literal, -1, SQLITE_STATIC);
    return *this;
}

SqliteQuery &SqliteQuery::bindBlob(int index, const QByteArray &value)
{
    if (value.isEmpty())
        sqlite3_bind_zeroblob(m_statement, index, 0);
    else
        sqlite3_bind_blob64(m_statement, index, value.constData(), sqlite3_uint64(value.size()),
                            SQLITE_TRANSIENT);
    return *this;
}

SqliteQuery &SqliteQuery::bindBlobView(int index, QByteArrayView value)
{
    if (value.isEmpty())
        sqlite3_bind_zeroblob(m_statement, index, 0);
    else
        sqlite3_bind_blob64(m_statement, index, value.data(), sqlite3_uint64(value.size()), SQLITE_STATIC);
    return *this;
}

SqliteQuery &SqliteQuery::bindNull(int index)
{
    sqlite3_bind_null(m_statement, index);
    return *this;
}

SqliteQuery &SqliteQuery::bindOptional(int index, const std::optional<qint64> &value)
{
    return value ? bind(index, *value) : bindNull(index);
}

Result<bool> SqliteQuery::step()
{
    const int rc = sqlite3_step(m_statement);
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    return m_connection->error(rc, sqlite3_sql(m_statement));
}

Status SqliteQuery::run()
{
    return forEachRow([] {});
}

bool SqliteQuery::isNull(int column) const
{
    return sqlite3_column_type(m_statement, column) == SQLITE_NULL;
}

qint64 SqliteQuery::int64(int column) const
{
    return sqlite3_column_int64(m_statement, column);
}

std::optional<qint64> SqliteQuery::optionalInt64(int column) const
{
    if (isNull(column))
        return std::nullopt;
    return int64(column);
}

QString SqliteQuery::text(int column) const
{
    const auto *data = reinterpret_cast<const char *>(sqlite3_column_text(m_statement, column));
    const int size = sqlite3_column_bytes(m_statement, column);
    return data ? QString::fromUtf8(data, size) : QString();
}

QByteArray SqliteQuery::blob(int column) const
{
    const void *data = sqlite3_column_blob(m_statement, column);
    const int size = sqlite3_column_bytes(m_statement, column);
    return data ? QByteArray(static_cast<const char *>(data), size) : QByteArray();
}

// ---- SqliteConnection -----------------------------------------------------------------------

SqliteConnection::SqliteConnection(sqlite3 *db, QString path) : m_db(db), m_path(std::move(path)) {}

SqliteConnection::~SqliteConnection()
{
    for (auto &entry : m_statements)
        sqlite3_finalize(entry.second);
    sqlite3_close_v2(m_db);
}

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::open(const QString &path, Access access,
                                                                 int busyTimeoutMs)
{
    // Before SQLite initialises: no memory statistics, which would take a process-wide mutex on
    // every allocation SQLite makes (several per INSERT). Refused harmlessly if it is too late.
    static const bool configured = [] { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK; }();
    Q_UNUSED(configured);
    sqlite3 *db = nullptr;
    // NOMUTEX: each connection is used by one thread at a time, by construction of the store.
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_PRIVATECACHE;
    const int rc = sqlite3_open_v2(path.toUtf8().constData(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
        const QString reason = db ? QString::fromUtf8(sqlite3_errmsg(db))
                                  : QString::fromUtf8(sqlite3_errstr(rc));
        sqlite3_close_v2(db);
        return Error(QStringLiteral("cannot open database: %1").arg(reason), path, 0, QString());
    }
    std::unique_ptr<SqliteConnection> connection(new SqliteConnection(db, path));
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, busyTimeoutMs);
    if (access == Access::ReadOnly) {
        if (Status s = connection->exec("PRAGMA query_only = 1"); !s)
            return s.error();
    }
    return connection;
}

Status SqliteConnection::exec(const char *sql)
{
    char *message = nullptr;
    const int rc = sqlite3_exec(m_db, sql, nullptr, nullptr, &message);
    sqlite3_free(message);   // the same text is available from sqlite3_errmsg()
    if (rc != SQLITE_OK)
        return error(rc, sql);
    return {};
}

Result<std::optional<qint64>> SqliteConnection::firstInt64(const char *sql)
{
    Result<SqliteQuery> q = query(sql);
    if (!q)
        return q.error();
    Result<bool> row = q->step();
    if (!row)
        return row.error();
    return *row ? std::optional<qint64>(q->int64(0)) : std::nullopt;
}

Result<SqliteQuery> SqliteConnection::query(const char *sql)
{
    auto it = m_statements.find(sql);
    // The key is the pointer; compare the text too so a reused buffer never runs stale SQL.
    if (it != m_statements.end() && std::strcmp(sqlite3_sql(it->second), sql) == 0)
        return SqliteQuery(this, it->second);
    if (it != m_statements.end()) {
        sqlite3_finalize(it->second);
        m_statements.erase(it);
    }
    sqlite3_stmt *statement = nullptr;
    const int rc = sqlite3_prepare_v3(m_db, sql, -1, SQLITE_PREPARE_PERSISTENT, &statement, nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(statement);
        return error(rc, sql);
    }
    m_statements.emplace(sql, statement);
    return SqliteQuery(this, statement);
}

qint64 SqliteConnection::changes() const
{
    return sqlite3_changes64(m_db);
}

qint64 SqliteConnection::totalChanges() const
{
    return sqlite3_total_changes64(m_db);
}

bool SqliteConnection::inTransaction() const
{
    return sqlite3_get_autocommit(m_db) == 0;
}

std::optional<QString> SqliteConnection::takeStorageFault()
{
    return std::exchange(m_storageFault, std::nullopt);
}

Error SqliteConnection::error(int rc, const char *what)
{
    QString message = QString::fromUtf8(sqlite3_errmsg(m_db));
    if (message.isEmpty() || message == QLatin1String("not an error"))
        message = QString::fromUtf8(sqlite3_errstr(rc));
    if (isStorageFault(rc))
        m_storageFault = message;
    // The statement text names what failed; it never holds values (they are bound).
    QString statement = QString::fromUtf8(what).simplified();
    if (statement.size() > 80)
        statement = statement.left(77) + QLatin1String("...");
    return Error(QStringLiteral("database error: %1 (in: %2)").arg(message, statement), m_path, 0,
                 QString());
}

} // namespace gh
