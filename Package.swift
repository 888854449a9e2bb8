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
        .library(name: "MaestroKafka", targets: ["MaestroKafka"]),
        .library(name: "MaestroEvents", targets: ["MaestroEvents"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
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
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        sharedModule("MaestroEvents", dependencies: [
            "MaestroKafka",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], resources: [.copy("Schemas")]),
        .executableTarget(
            name: "maestro",
            dependencies: [
                "MaestroKafka", "MaestroEvents",
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
                "MaestroKafka", "MaestroEvents",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/KafkaBench",
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "RawKafkaBench", dependencies: ["CRdKafka"], path: "Benchmarks/RawKafkaBench"),

        .target(
            name: "MaestroTestSupport",
            dependencies: ["MaestroKafka", .product(name: "Logging", package: "swift-log")],
            path: "Tests/MaestroTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "MaestroKafkaTests", dependencies: [
            "MaestroKafka", "MaestroTestSupport", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], path: "Tests/MaestroKafkaTests", swiftSettings: swiftSettings),
        .testTarget(name: "MaestroEventsTests", dependencies: ["MaestroEvents", "MaestroKafka", "MaestroTestSupport"], path: "Tests/MaestroEventsTests", swiftSettings: swiftSettings),
    ]
)
