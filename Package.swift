// swift-tools-version: 6.1
import PackageDescription

/// One set of Swift settings for every target: Swift 6 language mode (complete strict
/// concurrency), explicit existentials and explicit imports.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// A shared library module under `Shared/`.
func sharedModule(_ name: String, dependencies: [Target.Dependency], resources: [Resource]? = nil) -> Target {
    .target(name: name, dependencies: dependencies, path: "Shared/\(name)", resources: resources, swiftSettings: swiftSettings)
}

/// The kit every service builds on.
let serviceKit: [Target.Dependency] = [
    "MaestroDomain", "MaestroEvents", "MaestroKafka", "MaestroBus", "MaestroPostgres", "MaestroRedis", "MaestroService", "MaestroTracing",
    .product(name: "Hummingbird", package: "hummingbird"),
    .product(name: "PostgresNIO", package: "postgres-nio"),
    .product(name: "Logging", package: "swift-log"),
    .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
]

/// A service: an executable `maestro-<folder>` from `Services/<folder>/Sources`, with its
/// migrations and OpenAPI document as resources, and its test target `Tests/<name>Tests` on the
/// generic service harness. Adding a service is its folder, one entry in `services`, and its
/// entry in `ServiceCatalog` (docs/architecture.md).
struct ServiceTargets {
    let name: String
    let folder: String
    let dependencies: [Target.Dependency]
    let testDependencies: [Target.Dependency]

    init(_ name: String, folder: String, dependencies: [Target.Dependency] = [], testDependencies: [Target.Dependency] = []) {
        self.name = name
        self.folder = folder
        self.dependencies = dependencies
        self.testDependencies = testDependencies
    }

    var product: Product {
        .executable(name: "maestro-\(folder)", targets: [name])
    }

    var targets: [Target] {
        [
            .executableTarget(name: name, dependencies: serviceKit + dependencies, path: "Services/\(folder)", sources: ["Sources"],
                              resources: [.copy("Migrations"), .copy("openapi.yaml")], swiftSettings: swiftSettings),
            .testTarget(name: "\(name)Tests", dependencies: [.target(name: name), "MaestroHTTPTestSupport", "MaestroTestSupport",
                                                              .product(name: "HummingbirdTesting", package: "hummingbird")]
                            + serviceKit + dependencies + testDependencies,
                        path: "Tests/\(name)Tests", swiftSettings: swiftSettings),
        ]
    }
}

let services = [
    ServiceTargets("Registry", folder: "registry"),
    ServiceTargets("Governance", folder: "governance", dependencies: [
        .product(name: "JWTKit", package: "jwt-kit"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "Metrics", package: "swift-metrics"),
    ]),
    ServiceTargets("Audit", folder: "audit", dependencies: [
        "MaestroAuditLog",
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "Metrics", package: "swift-metrics"),
    ]),
]

let package = Package(
    name: "maestro",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "maestro", targets: ["maestro"]),
        .library(name: "MaestroKafka", targets: ["MaestroKafka"]),
        .library(name: "MaestroEvents", targets: ["MaestroEvents"]),
        .library(name: "MaestroBus", targets: ["MaestroBus"]),
        .library(name: "MaestroPostgres", targets: ["MaestroPostgres"]),
        .library(name: "MaestroRedis", targets: ["MaestroRedis"]),
        .library(name: "MaestroAuditLog", targets: ["MaestroAuditLog"]),
    ] + services.map(\.product),
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.21.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.0.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.27.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.5.0"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.1.0"),
        // OTLP over HTTP/protobuf only: the gRPC exporter would add grpc-swift to every build.
        .package(url: "https://github.com/swift-otel/swift-otel", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        .systemLibrary(
            name: "CRdKafka",
            path: "Shared/CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        sharedModule("MaestroKafka", dependencies: [
            "CRdKafka",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // Trace context propagation and span attribute names, for every module that records spans.
        sharedModule("MaestroTracing", dependencies: [
            .product(name: "Tracing", package: "swift-distributed-tracing"),
        ]),
        // Identity and refusals every domain shares; no I/O.
        sharedModule("MaestroDomain", dependencies: []),
        // The event contract: envelope, types, topics, payloads, schemas. No transport.
        sharedModule("MaestroEvents", dependencies: [], resources: [.copy("Schemas")]),
        .systemLibrary(
            name: "CHiredis",
            path: "Shared/CHiredis",
            pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        sharedModule("MaestroRedis", dependencies: [
            "CHiredis", "MaestroTracing",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Tracing", package: "swift-distributed-tracing"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        sharedModule("MaestroPostgres", dependencies: [
            "MaestroDomain", "MaestroEvents", "MaestroTracing",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Tracing", package: "swift-distributed-tracing"),
        ]),
        // The contract on Kafka: CloudEvents binding, the consumer pipeline, the outbox relay.
        sharedModule("MaestroBus", dependencies: [
            "MaestroDomain", "MaestroKafka", "MaestroEvents", "MaestroPostgres", "MaestroTracing",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Tracing", package: "swift-distributed-tracing"),
        ]),
        sharedModule("MaestroAuditLog", dependencies: [
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        sharedModule("MaestroService", dependencies: [
            "MaestroDomain", "MaestroKafka", "MaestroEvents", "MaestroBus", "MaestroPostgres", "MaestroRedis", "MaestroTracing",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "JWTKit", package: "jwt-kit"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Tracing", package: "swift-distributed-tracing"),
            .product(name: "OTel", package: "swift-otel"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], resources: [.copy("Resources/redoc")]),
        .executableTarget(
            name: "maestro",
            dependencies: [
                "MaestroKafka", "MaestroEvents", "MaestroBus", "MaestroService", "MaestroAuditLog",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            path: "Tools/maestro",
            swiftSettings: swiftSettings
        ),

        // Benchmarks: the Swift wrapper and a raw librdkafka baseline with the same settings.
        .executableTarget(
            name: "KafkaBench",
            dependencies: [
                "MaestroKafka", "MaestroEvents", "MaestroBus",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/KafkaBench",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "RedisBench",
            dependencies: ["MaestroRedis", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/RedisBench",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "OutboxBench",
            dependencies: [
                "MaestroPostgres", "MaestroBus", "MaestroKafka", "MaestroEvents",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Benchmarks/OutboxBench",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "HTTPBench",
            dependencies: [
                "MaestroService", "MaestroDomain",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Benchmarks/HTTPBench",
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "RawKafkaBench", dependencies: ["CRdKafka"], path: "Benchmarks/RawKafkaBench"),

        .target(
            name: "MaestroTestSupport",
            dependencies: ["MaestroKafka", "MaestroBus", "MaestroEvents", "MaestroPostgres", "MaestroTracing", .product(name: "Logging", package: "swift-log"),
                           .product(name: "PostgresNIO", package: "postgres-nio"),
                           .product(name: "OTel", package: "swift-otel"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "Tracing", package: "swift-distributed-tracing")],
            path: "Tests/MaestroTestSupport",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "MaestroHTTPTestSupport",
            dependencies: ["MaestroEvents", "MaestroTestSupport", "MaestroService", "MaestroPostgres", "MaestroRedis",
                           .product(name: "HummingbirdTesting", package: "hummingbird"),
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "PostgresNIO", package: "postgres-nio"),
                           .product(name: "Logging", package: "swift-log")],
            path: "Tests/MaestroHTTPTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "MaestroKafkaTests", dependencies: [
            "MaestroKafka", "MaestroTestSupport", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], path: "Tests/MaestroKafkaTests", swiftSettings: swiftSettings),
        .testTarget(name: "MaestroServiceTests", dependencies: [
            "MaestroService", "MaestroDomain", "MaestroEvents", "MaestroBus", "MaestroRedis", "MaestroTestSupport", "MaestroHTTPTestSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "JWTKit", package: "jwt-kit"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], path: "Tests/MaestroServiceTests", swiftSettings: swiftSettings),
        .testTarget(name: "MaestroRedisTests", dependencies: ["MaestroRedis", "MaestroTestSupport"], path: "Tests/MaestroRedisTests", swiftSettings: swiftSettings),
        .testTarget(name: "MaestroBusTests", dependencies: [
            "MaestroBus", "MaestroDomain", "MaestroPostgres", "MaestroEvents", "MaestroKafka", "MaestroTestSupport", "MaestroTracing",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Tracing", package: "swift-distributed-tracing"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], path: "Tests/MaestroBusTests", swiftSettings: swiftSettings),
        .testTarget(name: "MaestroPostgresTests", dependencies: [
            "MaestroPostgres", "MaestroDomain", "MaestroEvents", "MaestroKafka", "MaestroTestSupport",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], path: "Tests/MaestroPostgresTests", swiftSettings: swiftSettings),
        .testTarget(name: "MaestroAuditLogTests", dependencies: ["MaestroAuditLog"], path: "Tests/MaestroAuditLogTests", swiftSettings: swiftSettings),
        .testTarget(name: "MaestroEventsTests", dependencies: ["MaestroEvents", "MaestroBus", "MaestroKafka", "MaestroTestSupport"], path: "Tests/MaestroEventsTests", swiftSettings: swiftSettings),
    ] + services.flatMap(\.targets)
)
