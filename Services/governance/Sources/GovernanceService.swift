import Foundation
import MaestroDomain
import MaestroEvents
import MaestroService
import ServiceLifecycle

/// `maestro-governance`: tenants, principals, role bindings, API keys, ES256 access tokens and
/// the JWKS every service verifies against; approval policies and the approval workflow that
/// gates the registry's promotions.
///
/// Before the port opens, a signing key exists and, on first start, the platform tenant with
/// its admin. Governance verifies tokens against its own key set, read from its database.
@main
struct GovernanceService: ServiceDefinition {
    static let identity = ServiceCatalog.governance
    static var resources: Bundle { .module }
    typealias Settings = GovernanceSettings

    let settings: GovernanceSettings
    let store: IdentityStore
    let approvals: ApprovalStore
    let promotions: PromotionRequestHandler
    let tokenVerifier: TokenVerifier?

    init(kit: ServiceKit, settings: GovernanceSettings) {
        let database = kit.database(GovernanceEvent.self)
        let store = IdentityStore(database: database, platformTenant: kit.configuration.platformTenant)
        self.settings = settings
        self.store = store
        approvals = ApprovalStore(database: database)
        promotions = PromotionRequestHandler(approvals: approvals)
        // Reloads soon after a rotation, so a new key verifies within seconds here.
        tokenVerifier = TokenVerifier(keySet: .provider { try await store.jwks() }, refreshInterval: .seconds(30), minimumRefreshInterval: .seconds(1),
                                      logger: kit.logger)
    }

    func routes(_ routes: ServiceRoutes) {
        IdentityAPI(store: store, settings: settings).register(routes)
        ApprovalAPI(approvals: approvals).register(routes)
    }

    var consumers: [ConsumerDeclaration] {
        [.events(PromotionRequestHandler.consumerName, topics: [.registryEvents]) { [promotions] event, _ in try await promotions.handle(event) }]
    }

    var workers: [any Service] {
        [ApprovalExpiryService(identity: store, approvals: approvals, interval: settings.expiryInterval)]
    }

    func beforeServerStarts() async throws {
        try await store.ensureSigningKey()
        if let key = try await store.bootstrap(adminKey: settings.bootstrapAdminKey) {
            let shown = settings.bootstrapAdminKey == nil ? key : "the one in MAESTRO_BOOTSTRAP_ADMIN_KEY"
            FileHandle.standardOutput.write(Data("\(Self.identity.binary): created tenant \(store.platformTenant) and principal admin; admin API key: \(shown)\n".utf8))
        }
    }
}

/// Governance's own settings (`MAESTRO_GOVERNANCE_*`), next to the kit's.
struct GovernanceSettings: ServiceSettings {
    /// Lifetime of an access token unless the exchange asks for less (default 15 minutes).
    var tokenLifetime: Duration = .seconds(15 * 60)
    /// The longest lifetime an exchange may ask for.
    var maxTokenLifetime: Duration = .seconds(12 * 3600)
    /// How long a new signing key is published before it signs: longer than the verifiers'
    /// key set refresh (5 minutes), so none meets a token from a key it has not fetched.
    var keyPublishLead: Duration = .seconds(10 * 60)
    /// How often pending approval requests past their deadline are expired.
    var expiryInterval: Duration = .seconds(5)
    /// The admin API key the first start registers, if given (`mk_<12 hex>_<43 base64url>`).
    var bootstrapAdminKey: String?

    init(reading reader: inout SettingsReader) {
        if let minutes = reader.value("MAESTRO_GOVERNANCE_TOKEN_MINUTES") {
            if let value = Int(minutes), (1...720).contains(value) { tokenLifetime = .seconds(value * 60) } else {
                reader.problems.append("MAESTRO_GOVERNANCE_TOKEN_MINUTES: must be a whole number of minutes from 1 to 720, got '\(minutes)'")
            }
        }
        if let seconds = reader.value("MAESTRO_GOVERNANCE_EXPIRY_SECONDS") {
            if let value = Int(seconds), (1...3600).contains(value) { expiryInterval = .seconds(value) } else {
                reader.problems.append("MAESTRO_GOVERNANCE_EXPIRY_SECONDS: must be a whole number of seconds from 1 to 3600, got '\(seconds)'")
            }
        }
        if let key = reader.value("MAESTRO_BOOTSTRAP_ADMIN_KEY") {
            if APIKeySecret(parsing: key) == nil {
                reader.problems.append("MAESTRO_BOOTSTRAP_ADMIN_KEY: must look like mk_<12 hex characters>_<43 base64url characters>")
            }
            bootstrapAdminKey = key
        }
    }
}
