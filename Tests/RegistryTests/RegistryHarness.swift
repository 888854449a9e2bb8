import Foundation
import MaestroEvents
import MaestroHTTPTestSupport
import PostgresNIO
@testable import Registry

/// The registry as the kit builds it (``ServiceHarness``), with the conveniences its tests use.
typealias RegistryHarness = ServiceHarness<RegistryService>

extension ServiceHarness where Definition == RegistryService {
    static func with<Result: Sendable>(maxBodyBytes: Int, _ body: (RegistryHarness) async throws -> Result) async throws -> Result {
        try await with(environment: ["MAESTRO_HTTP_MAX_BODY_BYTES": String(maxBodyBytes)], body)
    }

    var store: RegistryStore { service.store }
    var cache: AliasCache { service.cache }

    /// The events the outbox holds, oldest first, as (type, key, data).
    func outboxEvents() async throws -> [(type: String, key: String, data: [String: JSONValue])] {
        try await asOwner { owner in
            var events: [(String, String, [String: JSONValue])] = []
            let rows = try await owner.query("SELECT ce_type, key, convert_from(data, 'UTF8') FROM registry.outbox ORDER BY id", logger: Self.logger)
            for try await (type, key, data) in rows.decode((String, String, String).self) {
                guard case .object(let object) = try JSONDecoder().decode(JSONValue.self, from: Data(data.utf8)) else { continue }
                events.append((type, key, object))
            }
            return events
        }
    }
}
