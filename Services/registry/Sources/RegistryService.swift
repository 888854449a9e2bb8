import Foundation
import MaestroDomain
import MaestroEvents
import MaestroKafka
import MaestroService

/// `maestro-registry`: models, versions, aliases with history, model cards, MLflow-compatible
/// REST, promotions through governance. Port 7101, schema `registry`, topic
/// `maestro.registry.events`; consumes governance's decisions and its own events (alias cache).
@main
struct RegistryService: ServiceDefinition {
    typealias Events = RegistryEvent
    static let identity = ServiceCatalog.registry
    static var resources: Bundle { .module }

    let store: RegistryStore
    let cache: AliasCache

    init(kit: ServiceKit, settings: NoSettings) {
        store = RegistryStore(database: Self.database(kit))
        cache = AliasCache(redis: kit.redis, logger: kit.logger)
    }

    func routes(_ routes: ServiceRoutes) {
        NativeAPI(store: store, cache: cache).register(on: routes)
        MLflowAPI(store: store, cache: cache).register(on: routes)
    }

    var consumers: [ConsumerDeclaration] {
        let decisions = GovernanceDecisionHandler(store: store, cache: cache)
        let invalidator = AliasCacheInvalidator(cache: cache)
        return [
            .events(GovernanceDecisionHandler.consumerName, topics: [.governanceEvents]) { event, _ in try await decisions.handle(event) },
            .events(AliasCacheInvalidator.consumerName, topics: [.registryEvents]) { event, message in await invalidator.handle(event, key: message.key) },
        ]
    }

    var errorFormats: [CompatibilityErrorFormat] { [MLflowAPI.errorFormat] }
}
