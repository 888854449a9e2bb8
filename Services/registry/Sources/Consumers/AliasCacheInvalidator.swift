import MaestroDomain
import MaestroEvents

/// Clears the alias cache of every model the registry's own events mention.
struct AliasCacheInvalidator: Sendable {
    static let consumerName = "registry.alias-cache"

    let cache: AliasCache

    func handle(_ event: CloudEvent, key: [UInt8]?) async {
        guard let tenant = event.tenant, let key else { return }
        await cache.invalidate(tenant: tenant, model: String(decoding: key, as: UTF8.self))
        if event.type == RegistryEvent.ModelRenamed.eventType.name, let renamed = try? event.payload(as: RegistryEvent.ModelRenamed.self) {
            await cache.invalidate(tenant: tenant, model: renamed.previousName)
        }
    }
}
