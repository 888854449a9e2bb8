import Foundation
import Hummingbird
import HummingbirdTesting
import MaestroHTTPTestSupport
import MaestroEvents
import MaestroService
import MaestroTestSupport
import PostgresNIO
import Testing
@testable import Governance

@Suite("Governance bootstrap", .serialized, .timeLimit(.minutes(2)))
struct BootstrapTests {
    @Test("the first bootstrap returns a new admin key and creates tenant default with principal admin")
    func firstBootstrap() async throws {
        try await GovernanceHarness.with { governance in
            #expect(governance.adminKey.wholeMatch(of: /mk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}/) != nil)
            #expect(try await governance.store.tenants().map(\.id) == ["default"])
            let principals = try await governance.store.principals(tenant: "default")
            #expect(principals.map(\.name) == ["admin"])
            #expect(principals.first?.roles == ["admin"])
            #expect(principals.first?.kind == "user")
            #expect(principals.first?.disabledAt == nil)
            let keys = try await governance.store.apiKeys(tenant: "default")
            #expect(keys.count == 1)
            #expect(keys.first?.prefix == String(governance.adminKey.dropFirst(3).prefix(12)))
            #expect(keys.first?.principalID == principals.first?.id)
            #expect(keys.first?.expiresAt == nil)
        }
    }

    @Test("a second bootstrap finds the tenant and returns nil, creating nothing")
    func secondBootstrap() async throws {
        try await GovernanceHarness.with { governance in
            let again = try await governance.store.bootstrap(adminKey: nil)
            #expect(again == nil)
            let configured = try await governance.store.bootstrap(adminKey: "mk_0123456789ab_" + String(repeating: "A", count: 43))
            #expect(configured == nil)
            let tenants = try await governance.store.tenants()
            #expect(tenants.map(\.id) == ["default"])
            let principals = try await governance.store.principals(tenant: "default")
            #expect(principals.map(\.name) == ["admin"])
            let keys = try await governance.store.apiKeys(tenant: "default")
            #expect(keys.count == 1)
        }
    }

    @Test("a configured admin key (MAESTRO_BOOTSTRAP_ADMIN_KEY) is the one registered")
    func configuredKey() async throws {
        let configured = "mk_a1b2c3d4e5f6_" + "abcdefghijklmnopqrstuvwxyzABCDEFGHIJK-_0123"
        let settings = try GovernanceSettings(environment: ["MAESTRO_BOOTSTRAP_ADMIN_KEY": configured])
        #expect(settings.bootstrapAdminKey == configured)
        try await GovernanceHarness.with(settings: settings, bootstrapKey: settings.bootstrapAdminKey) { governance in
            #expect(governance.adminKey == configured)
            let keys = try await governance.store.apiKeys(tenant: "default")
            #expect(keys.map(\.prefix) == ["a1b2c3d4e5f6"])
            try await governance.application.governance { api in
                let token = try await api.token(configured)
                let me = try await api.me(token)
                #expect(me["subject"] == .string("admin"))
                #expect(me["tenant"] == .string("default"))
                #expect(me["roles"] == .array([.string("admin")]))
            }
        }
    }

    @Test("a malformed MAESTRO_BOOTSTRAP_ADMIN_KEY is a configuration error")
    func malformedConfiguredKey() throws {
        #expect(throws: ConfigurationError.self) { try GovernanceSettings(environment: ["MAESTRO_BOOTSTRAP_ADMIN_KEY": "mk_short_secret"]) }
    }
}
