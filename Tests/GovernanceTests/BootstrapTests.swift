import Foundation
import Hummingbird
import HummingbirdTesting
import MaestroDomain
import MaestroHTTPTestSupport
import MaestroEvents
import MaestroService
import MaestroTestSupport
import PostgresNIO
import Testing
@testable import Governance

@Suite("Governance bootstrap", .serialized, .timeLimit(.minutes(2)))
struct BootstrapTests {
    static let configured = "mk_a1b2c3d4e5f6_" + "abcdefghijklmnopqrstuvwxyzABCDEFGHIJK-_0123"

    /// Empties the identity tables, as before a first start (the harness's start has bootstrapped).
    static func forgetBootstrap(_ governance: GovernanceHarness) async throws {
        _ = try await governance.asOwner { owner in
            try await owner.query("TRUNCATE governance.event_keys, governance.api_keys, governance.api_key_lookup, governance.role_bindings, governance.principals, governance.tenants",
                                  logger: GovernanceHarness.logger)
        }
        #expect(try await governance.store.tenants().isEmpty)
    }

    @Test("the first bootstrap returns a new admin key and creates tenant default with principal admin")
    func firstBootstrap() async throws {
        try await GovernanceHarness.with { governance in
            try await Self.forgetBootstrap(governance)
            let adminKey = try #require(try await governance.store.bootstrap(adminKey: nil))
            #expect(adminKey.wholeMatch(of: /mk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}/) != nil)
            #expect(adminKey != governance.adminKey)
            #expect(try await governance.store.tenants().map(\.id) == ["default"])
            let principals = try await governance.store.principals(as: .admin())
            #expect(principals.map(\.name) == ["admin"])
            #expect(principals.first?.roles == ["admin"])
            #expect(principals.first?.kind == "user")
            #expect(principals.first?.disabledAt == nil)
            let keys = try await governance.store.apiKeys(as: .admin())
            #expect(keys.count == 1)
            #expect(keys.first?.prefix == String(adminKey.dropFirst(3).prefix(12)))
            #expect(keys.first?.principalID == principals.first?.id)
            #expect(keys.first?.expiresAt == nil)
            try await governance.application.governance { api in
                let me = try await api.me(try await api.token(adminKey))
                #expect(me["roles"] == .array([.string("admin")]))
            }
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
            let principals = try await governance.store.principals(as: .admin())
            #expect(principals.map(\.name) == ["admin"])
            let keys = try await governance.store.apiKeys(as: .admin())
            #expect(keys.count == 1)
        }
    }

    @Test("a configured admin key (MAESTRO_BOOTSTRAP_ADMIN_KEY) is the one registered")
    func configuredKey() async throws {
        try await GovernanceHarness.with(environment: ["MAESTRO_BOOTSTRAP_ADMIN_KEY": Self.configured]) { governance in
            #expect(governance.settings.bootstrapAdminKey == Self.configured)
            let keys = try await governance.store.apiKeys(as: .admin())
            #expect(keys.map(\.prefix) == ["a1b2c3d4e5f6"])
            try await governance.application.governance { api in
                let token = try await api.token(Self.configured)
                let me = try await api.me(token)
                #expect(me["subject"] == .string("admin"))
                #expect(me["tenant"] == .string("default"))
                #expect(me["roles"] == .array([.string("admin")]))
            }

            try await Self.forgetBootstrap(governance)
            #expect(try await governance.store.bootstrap(adminKey: Self.configured) == Self.configured)
            #expect(try await governance.store.apiKeys(as: .admin()).map(\.prefix) == ["a1b2c3d4e5f6"])
        }
    }

    @Test("a malformed MAESTRO_BOOTSTRAP_ADMIN_KEY is a configuration error")
    func malformedConfiguredKey() throws {
        let error = #expect(throws: ConfigurationError.self) {
            try ServiceRunner.configuration(GovernanceService.self, environment: ["MAESTRO_BOOTSTRAP_ADMIN_KEY": "mk_short_secret"])
        }
        #expect(error?.problems == ["MAESTRO_BOOTSTRAP_ADMIN_KEY: must look like mk_<12 hex characters>_<43 base64url characters>"])
    }
}

@Suite("Service accounts provisioned at start", .serialized)
struct ServiceAccountProvisioningTests {
    static let registryKey = "mk_00aa11bb22cc_" + "registryregistryregistryregistryregistry123"
    static let auditKey = "mk_33dd44ee55ff_" + "auditauditauditauditauditauditauditaudit123"

    @Test("each configured account exists with its key after start, again after a second start; a user's name is not taken over")
    func provisioning() async throws {
        try await GovernanceHarness.with { governance in
            let caller = Caller.admin()
            _ = try await governance.store.createPrincipal(name: "audit", kind: "user", roles: ["viewer"], as: caller)
            for _ in 0..<2 {
                try await governance.store.provisionServiceAccounts(["registry": Self.registryKey, "audit": Self.auditKey])
            }
            let registry = try await governance.store.authenticate(Self.registryKey)
            #expect(registry.tenant == "default" && registry.principal.name == "registry" && registry.principal.kind == "service_account")
            #expect(registry.principal.roles == ["viewer"])
            await #expect(throws: GovernanceError.self) { try await governance.store.authenticate(Self.auditKey) }
            let principals = try await governance.store.principals(as: caller)
            #expect(principals.filter { $0.name == "registry" }.count == 1)
            #expect(principals.first { $0.name == "audit" }?.kind == "user")
        }
    }

    @Test("MAESTRO_GOVERNANCE_SERVICE_ACCOUNT_KEYS names services other than governance, each once, with well-formed keys")
    func settings() throws {
        var reader = SettingsReader(environment: ["MAESTRO_GOVERNANCE_SERVICE_ACCOUNT_KEYS": "registry=\(Self.registryKey), audit=\(Self.auditKey)"])
        #expect(GovernanceSettings(reading: &reader).serviceAccountKeys == ["registry": Self.registryKey, "audit": Self.auditKey])
        #expect(reader.problems.isEmpty)
        for bad in ["governance=\(Self.registryKey)", "nobody=\(Self.registryKey)", "registry=mk_short", "registry", "registry=\(Self.registryKey),registry=\(Self.auditKey)"] {
            var reader = SettingsReader(environment: ["MAESTRO_GOVERNANCE_SERVICE_ACCOUNT_KEYS": bad])
            _ = GovernanceSettings(reading: &reader)
            #expect(reader.problems.count == 1, "\(bad)")
        }
    }
}
