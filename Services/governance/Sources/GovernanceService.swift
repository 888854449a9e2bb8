import Foundation
import MaestroBus
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
    typealias Events = GovernanceEvent
    static let identity = ServiceCatalog.governance
    static var resources: Bundle { .module }
    typealias Settings = GovernanceSettings

    let settings: GovernanceSettings
    let store: IdentityStore
    let approvals: ApprovalStore
    let promotions: PromotionRequestHandler
    let tokenVerifier: TokenVerifier?
    let tokens: TokenIssuer

    init(kit: ServiceKit, settings: GovernanceSettings) {
        let database = Self.database(kit)
        let store = IdentityStore(database: database, platformTenant: kit.configuration.platformTenant)
        self.settings = settings
        self.store = store
        approvals = ApprovalStore(database: database)
        promotions = PromotionRequestHandler(approvals: approvals)
        tokens = TokenIssuer(store: store, issuer: kit.configuration.tokenIssuer, redis: kit.redis, settings: settings, logger: kit.logger)
        // Reloads soon after a rotation, so a new key verifies within seconds here.
        tokenVerifier = TokenVerifier(keySet: .provider { try await store.jwks() }, issuer: kit.configuration.tokenIssuer, refreshInterval: .seconds(30), minimumRefreshInterval: .seconds(1),
                                      logger: kit.logger)
    }

    func routes(_ routes: ServiceRoutes) {
        IdentityAPI(store: store, tokens: tokens, settings: settings).register(routes)
        OAuthAPI(store: store, tokens: tokens, settings: settings).register(routes)
        ApprovalAPI(approvals: approvals, platformTenant: store.platformTenant).register(routes)
        EventKeyAPI(store: store).register(routes)
    }

    // Governance is the trust root of event signatures: it registers its own key in its
    // database and checks other services' events against the keys there.
    var eventKeyRegistrar: (@Sendable (EventPublicKey) async throws -> Void)? {
        { [store] key in try await store.registerOwnEventKey(key, service: Self.identity.name) }
    }

    var eventKeySet: EventVerifier.Source? {
        { [store] in try JSONEncoder().encode(try await store.eventKeySet()) }
    }

    var errorFormats: [CompatibilityErrorFormat] { [OAuthError.errorFormat] }

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
        try await store.provisionServiceAccounts(settings.serviceAccountKeys)
    }
}
