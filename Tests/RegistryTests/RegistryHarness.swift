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
}
