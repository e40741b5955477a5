#pragma once

// SqliteStore's read lease, for the files that implement SqliteStore's parts (SqliteTokens.cpp).

#include "recording/SqliteConnection.h"
#include "recording/SqliteStore.h"

#include <memory>

namespace gh {

// A read connection on loan from the pool; goes back when the lease ends.
class SqliteStore::ReadLease final {
public:
    ReadLease(const SqliteStore *store, std::unique_ptr<SqliteConnection> c)
        : m_store(store), m_connection(std::move(c)) {}
    ReadLease(ReadLease &&other) noexcept = default;
    ReadLease &operator=(ReadLease &&) = delete;
    ~ReadLease()
    {
        if (m_connection)
            m_store->release(std::move(m_connection));
    }
    SqliteConnection &operator*() const { return *m_connection; }

private:
    const SqliteStore *m_store;
    std::unique_ptr<SqliteConnection> m_connection;
};

} // namespace gh
