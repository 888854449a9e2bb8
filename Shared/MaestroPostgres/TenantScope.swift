import Logging
import PostgresNIO

/// The second layer of tenant isolation (repositories scoping every query is the first).
///
/// Service tables carry `tenant_id`, enable and FORCE row-level security, and have a policy
/// `USING (tenant_id = current_setting('maestro.tenant', true))` (with the same `WITH CHECK`).
/// The runtime role does not own the tables and is NOBYPASSRLS, so a query outside a tenant
/// transaction sees no rows at all, and one inside sees only that tenant's.
enum TenantScope {
    /// Sets `maestro.tenant` for the rest of the current transaction (`SET LOCAL`).
    static func set(_ tenant: String, on connection: PostgresConnection, logger: Logger) async throws {
        guard !tenant.isEmpty else { throw TenantScopeError() }
        for try await _ in try await connection.execute(SetTenant(tenant: tenant), logger: logger) {}
    }

    /// The statement every tenant transaction starts with, so prepared once per connection.
    struct SetTenant: PostgresPreparedStatement {
        static let sql = "SELECT set_config('maestro.tenant', $1, true)"
        typealias Row = String
        let tenant: String

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(tenant)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> String {
            try row.decode(String.self)
        }
    }

    /// Scopes the rest of the current transaction to no tenant: row-level security shows no rows.
    static func clear(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT set_config('maestro.tenant', '', true)", logger: logger)
    }
}

struct TenantScopeError: Error, CustomStringConvertible {
    var description: String { "a tenant transaction needs a non-empty tenant id" }
}

extension PostgresClient {
    /// Runs `body` in a transaction that sees only `tenant`'s rows.
    public func withTenantTransaction<Result: Sendable>(_ tenant: String, logger: Logger,
                                                        _ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        try await transaction(logger: logger) { connection in
            try await TenantScope.set(tenant, on: connection, logger: logger)
            return try await body(connection)
        }
    }

    /// `withTransaction`, except that an error thrown by `body` (after a successful rollback)
    /// comes out as itself, so callers can still tell a rejection from a database failure.
    /// A request's transaction stops when its client disconnects (``ClientDisconnect``).
    public func transaction<Result: Sendable>(logger: Logger, _ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        do {
            return try await withTransaction(logger: logger) { connection -> Result in
                let watch = try await ClientDisconnect.watch(connection, client: self, logger: logger)
                defer { watch?.finish() }
                return try await body(connection)
            }
        } catch let error as PostgresTransactionError {
            if let closureError = error.closureError, error.rollbackError == nil { throw closureError }
            throw error
        }
    }
}
