// swift-tools-version: 6.0
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

let package = Package(
    name: "maestro",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "maestro", targets: ["maestro"]),
        .executable(name: "maestro-registry", targets: ["Registry"]),
        .executable(name: "maestro-governance", targets: ["Governance"]),
        .executable(name: "maestro-audit", targets: ["Audit"]),
        .library(name: "MaestroKafka", targets: ["MaestroKafka"]),
        .library(name: "MaestroEvents", targets: ["MaestroEvents"]),
        .library(name: "MaestroPostgres", targets: ["MaestroPostgres"]),
        .library(name: "MaestroRedis", targets: ["MaestroRedis"]),
        .library(name: "MaestroAuditLog", targets: ["MaestroAuditLog"]),
    ],
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
        sharedModule("MaestroEvents", dependencies: [
            "MaestroKafka",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], resources: [.copy("Schemas")]),
        .systemLibrary(
            name: "CHiredis",
            path: "Shared/CHiredis",
            pkgConfig: "hiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        sharedModule("MaestroRedis", dependencies: [
            "CHiredis",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        sharedModule("MaestroPostgres", dependencies: [
            "MaestroKafka", "MaestroEvents",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        sharedModule("MaestroAuditLog", dependencies: [
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        sharedModule("MaestroService", dependencies: [
            "MaestroKafka", "MaestroEvents", "MaestroPostgres", "MaestroRedis",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "JWTKit", package: "jwt-kit"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        .executableTarget(
            name: "maestro",
            dependencies: [
                "MaestroKafka", "MaestroEvents", "MaestroService", "MaestroAuditLog",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            path: "Tools/maestro",
            swiftSettings: swiftSettings
        ),

        // Services: one executable each, built from the kit.
        .executableTarget(
            name: "Registry",
            dependencies: [
                "MaestroKafka", "MaestroEvents", "MaestroPostgres", "MaestroRedis", "MaestroService",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Services/registry",
            sources: ["Sources"],
            resources: [.copy("Migrations"), .copy("openapi.yaml")],
            swiftSettings: swiftSettings
        ),

        .executableTarget(
            name: "Governance",
            dependencies: [
                "MaestroKafka", "MaestroEvents", "MaestroPostgres", "MaestroRedis", "MaestroService",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Services/governance",
            sources: ["Sources"],
            resources: [.copy("Migrations"), .copy("openapi.yaml")],
            swiftSettings: swiftSettings
        ),

        .executableTarget(
            name: "Audit",
            dependencies: [
                "MaestroKafka", "MaestroEvents", "MaestroPostgres", "MaestroRedis", "MaestroService", "MaestroAuditLog",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Services/audit",
            sources: ["Sources"],
            resources: [.copy("Migrations"), .copy("openapi.yaml")],
            swiftSettings: swiftSettings
        ),

        // Benchmarks: the Swift wrapper and a raw librdkafka baseline with the same settings.
        .executableTarget(
            name: "KafkaBench",
            dependencies: [
                "MaestroKafka", "MaestroEvents",
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
                "MaestroPostgres", "MaestroKafka", "MaestroEvents",
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
                "MaestroService",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/HTTPBench",
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "RawKafkaBench", dependencies: ["CRdKafka"], path: "Benchmarks/RawKafkaBench"),

        .target(
            name: "MaestroTestSupport",
            dependencies: ["MaestroKafka", "MaestroPostgres", .product(name: "Logging", package: "swift-log"),
                           .product(name: "PostgresNIO", package: "postgres-nio")],
            path: "Tests/MaestroTestSupport",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "MaestroHTTPTestSupport",
            dependencies: ["MaestroEvents", "MaestroTestSupport",
                           .product(name: "HummingbirdTesting", package: "hummingbird"),
                           .product(name: "Hummingbird", package: "hummingbird")],
            path: "Tests/MaestroHTTPTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "MaestroKafkaTests", dependencies: [
            "MaestroKafka", "MaestroTestSupport", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], path: "Tests/MaestroKafkaTests", swiftSettings: swiftSettings),
        .testTarget(name: "MaestroServiceTests", dependencies: [
            "MaestroService", "MaestroRedis", "MaestroTestSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "JWTKit", package: "jwt-kit"),
        ], path: "Tests/MaestroServiceTests", swiftSettings: swiftSettings),
        .testTarget(name: "MaestroRedisTests", dependencies: ["MaestroRedis", "MaestroTestSupport"], path: "Tests/MaestroRedisTests", swiftSettings: swiftSettings),
        .testTarget(name: "MaestroPostgresTests", dependencies: [
            "MaestroPostgres", "MaestroEvents", "MaestroKafka", "MaestroTestSupport",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], path: "Tests/MaestroPostgresTests", swiftSettings: swiftSettings),
        .testTarget(name: "RegistryTests", dependencies: [
            "MaestroHTTPTestSupport", "Registry", "MaestroService", "MaestroPostgres", "MaestroEvents", "MaestroKafka", "MaestroRedis", "MaestroTestSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
        ], path: "Tests/RegistryTests", swiftSettings: swiftSettings),
        .testTarget(name: "GovernanceTests", dependencies: [
            "MaestroHTTPTestSupport", "Governance", "MaestroService", "MaestroPostgres", "MaestroEvents", "MaestroKafka", "MaestroRedis", "MaestroTestSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "JWTKit", package: "jwt-kit"),
        ], path: "Tests/GovernanceTests", swiftSettings: swiftSettings),
        .testTarget(name: "AuditTests", dependencies: [
            "Audit", "MaestroAuditLog", "MaestroService", "MaestroPostgres", "MaestroEvents", "MaestroKafka", "MaestroTestSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], path: "Tests/AuditTests", swiftSettings: swiftSettings),
        .testTarget(name: "MaestroAuditLogTests", dependencies: ["MaestroAuditLog"], path: "Tests/MaestroAuditLogTests", swiftSettings: swiftSettings),
        .testTarget(name: "MaestroEventsTests", dependencies: ["MaestroEvents", "MaestroKafka", "MaestroTestSupport"], path: "Tests/MaestroEventsTests", swiftSettings: swiftSettings),
    ]
)
