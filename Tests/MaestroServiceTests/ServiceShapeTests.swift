import Foundation
import MaestroService
import Testing

/// Every service keeps the template's shape (docs/architecture.md): the folders, one way into
/// the tenant scope, domain code free of HTTP, no public API in an executable.
@Suite("Service shape")
struct ServiceShapeTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let services = root.appendingPathComponent("Services")
    static let folders: Set<String> = ["HTTP", "Domain", "Store", "Consumers", "MLflow", "OAuth"]

    /// Every Swift file of every service, with its path under `Services/`.
    static func sources() throws -> [(path: String, text: String)] {
        let enumerator = FileManager.default.enumerator(at: services, includingPropertiesForKeys: nil)
        var files: [(String, String)] = []
        while let url = enumerator?.nextObject() as? URL {
            guard url.pathExtension == "swift" else { continue }
            files.append((String(url.path.dropFirst(services.path.count + 1)), try String(contentsOf: url, encoding: .utf8)))
        }
        return files.sorted { $0.0 < $1.0 }
    }

    @Test("every service folder is in the catalog, and each one's sources are the entry file, its settings and the template's folders")
    func folders() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.services.path).filter { !$0.hasPrefix(".") }
        #expect(!names.isEmpty)
        for name in names {
            #expect(ServiceCatalog.named(name) != nil, "Services/\(name) is not in ServiceCatalog")
            let sources = Self.services.appendingPathComponent("\(name)/Sources")
            for entry in try FileManager.default.contentsOfDirectory(atPath: sources.path) {
                var isDirectory: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: sources.appendingPathComponent(entry).path, isDirectory: &isDirectory)
                if isDirectory.boolValue {
                    #expect(Self.folders.contains(entry), "Services/\(name)/Sources/\(entry) is not one of \(Self.folders.sorted())")
                } else {
                    #expect(entry.hasSuffix("Service.swift") || entry.hasSuffix("Settings.swift"),
                            "Services/\(name)/Sources/\(entry): only the entry file and the settings sit beside the folders")
                }
            }
        }
    }

    @Test("services enter the tenant scope, the outbox and the inbox only through the kit's ServiceDatabase")
    func oneWayIntoTheDatabase() throws {
        let forbidden = ["set_config", "withTenantTransaction", "Outbox(", "Inbox(", "outbox.enqueue", "KafkaConsumer(", "kit.postgres",
                         "database.client", "database.inbox", "database.outbox", ".connection", "withConnection", "PostgresClient"]
        for (path, text) in try Self.sources() {
            for word in forbidden {
                #expect(!text.contains(word), "Services/\(path) uses \(word)")
            }
        }
    }

    @Test("domain and store code does not know HTTP")
    func domainWithoutHTTP() throws {
        for (path, text) in try Self.sources() where path.contains("/Domain/") || path.contains("/Store/") {
            for module in ["Hummingbird", "MaestroService"] {
                #expect(!text.contains("import \(module)\n"), "Services/\(path) imports \(module)")
            }
        }
    }

    @Test("executables declare nothing public")
    func nothingPublic() throws {
        for (path, text) in try Self.sources() {
            #expect(text.firstMatch(of: #/(?m)^[ \t]*(@\w+[ \t]+)*(public|open)[ \t]+[a-z]/#) == nil, "Services/\(path) declares public API")
        }
    }
}
