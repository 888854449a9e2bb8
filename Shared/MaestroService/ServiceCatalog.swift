import MaestroDomain
import MaestroEvents

/// One service of the platform: what an operator, the dev stack and the benchmarks need to
/// know about it without linking it.
public struct ServiceIdentity: Sendable, Hashable {
    /// `registry`, `feature-store`, …: the folder under `Services/`, the dev stack's name.
    public let name: String
    /// The executable, `maestro-<name>`.
    public var binary: String { "maestro-\(name)" }
    /// The HTTP port in the dev stack, and the default of `MAESTRO_HTTP_PORT`.
    public let defaultPort: Int
    /// The one PostgreSQL schema the service owns.
    public let schema: String
    /// The topic the service publishes its events on.
    public let topic: Topic

    public init(name: String, defaultPort: Int, schema: String, topic: Topic) {
        self.name = name
        self.defaultPort = defaultPort
        self.schema = schema
        self.topic = topic
    }

    /// The PostgreSQL login role the service runs as (`MAESTRO_POSTGRES_URL`): `registry_app`,
    /// `feature_store_app`, …; `maestro dev up`, `maestro secrets` and compose's
    /// `init-roles.sh` name it so.
    public var databaseRole: String { String(name.map { $0 == "-" ? "_" : $0 }) + "_app" }

    /// `ce_source` of the service's events.
    public var eventSource: String { "/maestro/\(name)" }
}

/// Every service of the platform, in dev-stack start order. `maestro dev up`, `maestro services`
/// (which the benchmark scripts read) and each service's definition take their facts from here.
public enum ServiceCatalog {
    public static let registry = ServiceIdentity(name: "registry", defaultPort: 7101, schema: "registry", topic: .registryEvents)
    public static let governance = ServiceIdentity(name: "governance", defaultPort: 7102, schema: "governance", topic: .governanceEvents)
    public static let audit = ServiceIdentity(name: "audit", defaultPort: 7103, schema: "audit", topic: .auditEvents)
    public static let catalog = ServiceIdentity(name: "catalog", defaultPort: 7104, schema: "catalog", topic: .catalogEvents)
    public static let featureStore = ServiceIdentity(name: "feature-store", defaultPort: 7105, schema: "featurestore", topic: .featureStoreEvents)
    public static let driftMonitor = ServiceIdentity(name: "drift-monitor", defaultPort: 7106, schema: "drift", topic: .driftEvents)
    public static let costTracker = ServiceIdentity(name: "cost-tracker", defaultPort: 7107, schema: "cost", topic: .costEvents)

    public static let all: [ServiceIdentity] = [registry, governance, audit, catalog, featureStore, driftMonitor, costTracker]

    public static func named(_ name: String) -> ServiceIdentity? {
        all.first { $0.name == name }
    }
}
