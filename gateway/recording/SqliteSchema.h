#pragma once

#include "core/Result.h"

#include <span>

namespace gh {

class SqliteConnection;

// The store's SQLite schema as an ordered list of migration steps. PRAGMA user_version holds
// the number of steps applied; all pending steps run in one transaction, so a failure leaves
// the database exactly as it was.
class SqliteSchema final {
public:
    struct Step {
        int version;       // user_version after this step
        const char *sql;   // one or more statements
    };

    static std::span<const Step> steps();
    static int latestVersion();

    // Brings `db` to the last of `steps`. A database newer than the code is refused untouched.
    static Status migrate(SqliteConnection &db, std::span<const Step> steps = SqliteSchema::steps());
    static Result<int> version(SqliteConnection &db);
};

} // namespace gh
