import ArgumentParser
import Foundation
import MaestroBus
import MaestroService

/// `maestro secrets <dir>`: every secret a deployment needs, in the files docker-compose
/// (`env_file`, `secrets`) and the Kubernetes dev overlay (`secretGenerator`) read.
struct SecretsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets",
        abstract: "Generate a deployment's secrets into a folder (compose/secrets, k8s/overlays/dev/secrets).",
        discussion: """
        For each service of the catalog: <service>.env (MAESTRO_POSTGRES_URL, MAESTRO_POSTGRES_MIGRATION_URL and \
        MAESTRO_REDIS_URL with their passwords; MAESTRO_SERVICE_ACCOUNT_KEY, or for governance \
        MAESTRO_BOOTSTRAP_ADMIN_KEY and MAESTRO_GOVERNANCE_SERVICE_ACCOUNT_KEYS) and <service>-event-signing.key \
        (its Ed25519 event key); audit-signing.key (audit's checkpoint key); postgres.env (the owner's password and \
        <SERVICE>_DB_PASSWORD for each service's login role) and redis.env (REDIS_PASSWORD). \
        Every value already in the folder is kept, so running it again only adds what a new service needs. \
        The folder is made 0700 and every file 0600. Keep it out of version control.
        """
    )

    @Argument(help: "The folder to write.")
    var directory: String

    @Option(help: "PostgreSQL's host:port as the services reach it.")
    var postgres = "postgres:5432"

    @Option(help: "The PostgreSQL database.")
    var database = "maestro"

    @Option(help: "The schema owner's role, which migrates every schema.")
    var owner = "maestro"

    @Option(help: "Redis's host:port as the services reach it.")
    var redis = "redis:6379"

    func run() throws {
        let folder = URL(fileURLWithPath: directory, isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: folder.path)
        var files = SecretFolder(folder: folder)

        let ownerPassword = files.value("postgres.env", "POSTGRES_PASSWORD") ?? Self.password()
        let redisPassword = files.value("redis.env", "REDIS_PASSWORD") ?? Self.password()
        let governance = ServiceCatalog.governance.name
        let existingAccounts = Self.accounts(files.value("\(governance).env", "MAESTRO_GOVERNANCE_SERVICE_ACCOUNT_KEYS") ?? "")
        var postgresEnv = [("POSTGRES_USER", owner), ("POSTGRES_PASSWORD", ownerPassword), ("POSTGRES_DB", database)]
        var connections: [String: [(String, String)]] = [:]
        var accountKeys: [(String, String)] = []
        for service in ServiceCatalog.all {
            // init-roles.sh reads <SERVICE>_DB_PASSWORD for the role <service>_app.
            let passwordVariable = "\(service.databaseRole.dropLast("_app".count).uppercased())_DB_PASSWORD"
            let password = files.value("postgres.env", passwordVariable) ?? Self.password()
            postgresEnv.append((passwordVariable, password))
            connections[service.name] = [
                ("MAESTRO_POSTGRES_URL", "postgres://\(service.databaseRole):\(password)@\(postgres)/\(database)?sslmode=disable"),
                ("MAESTRO_POSTGRES_MIGRATION_URL", "postgres://\(owner):\(ownerPassword)@\(postgres)/\(database)?sslmode=disable"),
                ("MAESTRO_REDIS_URL", "redis://:\(redisPassword)@\(redis)"),
            ]
            try files.writeKeyIfMissing("\(service.name)-event-signing.key")
            guard service != ServiceCatalog.governance else { continue }
            let key = files.value("\(service.name).env", "MAESTRO_SERVICE_ACCOUNT_KEY") ?? existingAccounts[service.name] ?? DevAdminKey.newKey()
            accountKeys.append((service.name, key))
            try files.write("\(service.name).env", connections[service.name, default: []] + [("MAESTRO_SERVICE_ACCOUNT_KEY", key)])
        }
        try files.write("\(governance).env", connections[governance, default: []] + [
            ("MAESTRO_BOOTSTRAP_ADMIN_KEY", files.value("\(governance).env", "MAESTRO_BOOTSTRAP_ADMIN_KEY") ?? DevAdminKey.newKey()),
            ("MAESTRO_GOVERNANCE_SERVICE_ACCOUNT_KEYS", accountKeys.map { "\($0.0)=\($0.1)" }.joined(separator: ",")),
        ])
        try files.writeKeyIfMissing("audit-signing.key")
        try files.write("postgres.env", postgresEnv)
        try files.write("redis.env", [("REDIS_PASSWORD", redisPassword)])
        print("secrets written to \(folder.path) (\(files.written.sorted().joined(separator: ", ")))")
    }

    /// 24 random bytes, base64url: safe in a URL's user information without escaping.
    static func password() -> String {
        Data(DevAdminKey.randomBytes(24)).base64URLEncodedString()
    }

    /// `registry=mk_…,audit=mk_…` by service.
    static func accounts(_ list: String) -> [String: String] {
        Dictionary(list.split(separator: ",").compactMap { pair -> (String, String)? in
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            return parts.count == 2 ? (parts[0], parts[1]) : nil
        }, uniquingKeysWith: { first, _ in first })
    }
}

/// A folder of env files (`NAME=value` lines) and key files, written owner-only.
private struct SecretFolder {
    let folder: URL
    var written: Set<String> = []

    init(folder: URL) {
        self.folder = folder
    }

    /// A variable of an env file already in the folder.
    func value(_ file: String, _ name: String) -> String? {
        guard let text = try? String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(name + "=") {
            let value = String(line.dropFirst(name.count + 1))
            return value.isEmpty ? nil : value
        }
        return nil
    }

    mutating func write(_ file: String, _ variables: [(String, String)]) throws {
        let text = "# Generated by `maestro secrets`; keep private.\n" + variables.map { "\($0.0)=\($0.1)\n" }.joined()
        try save(file, text)
    }

    /// An Ed25519 seed (32 random bytes, base64), the key file format every Maestro signer reads.
    mutating func writeKeyIfMissing(_ file: String) throws {
        guard !FileManager.default.fileExists(atPath: folder.appendingPathComponent(file).path) else { return }
        try save(file, Data(DevAdminKey.randomBytes(32)).base64EncodedString() + "\n")
    }

    private mutating func save(_ file: String, _ text: String) throws {
        let url = folder.appendingPathComponent(file)
        try Data(text.utf8).write(to: url, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
        written.insert(file)
    }
}
