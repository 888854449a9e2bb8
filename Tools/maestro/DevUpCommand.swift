import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import MaestroEvents
import MaestroKafka
import MaestroService
import ServiceLifecycle
import UnixSignals

struct DevUpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Run the development stack: PostgreSQL, Redis, the embedded Kafka broker, and every service binary built.",
        discussion: """
        Data stays in <dir> (PostgreSQL in <dir>/postgres, Redis with an append-only file in <dir>/redis), so the \
        next start keeps it; the broker keeps events in memory only. Prints the endpoints and an admin token, then \
        runs until Ctrl-C, which stops everything in reverse order.
        """
    )

    @Option(name: .long, help: "The dev stack's directory.")
    var dir: String = ".maestro"

    @Option(name: .long, help: "PostgreSQL port.")
    var postgresPort: Int = 7432

    @Option(name: .long, help: "Redis port.")
    var redisPort: Int = 7379

    @Option(name: .long, help: ArgumentHelp("Send every service's traces to this OTLP/HTTP collector, e.g. http://127.0.0.1:4318 (sets OTEL_EXPORTER_OTLP_ENDPOINT).",
                                            valueName: "url"))
    var otlp: String?

    func run() async throws {
        var logger = Logger(label: "maestro.dev")
        logger.logLevel = .warning
        let root = URL(fileURLWithPath: dir, isDirectory: true).standardizedFileURL
        var stack = DevStack(root: root)
        do {
            let postgresURL = try stack.startPostgres(port: postgresPort)
            let redisURL = try stack.startRedis(port: redisPort)
            let broker = try stack.startBroker(logger: logger)
            let key = try DevSigningKey.loadOrCreate(in: root.appendingPathComponent("keys"))
            let jwksFile = root.appendingPathComponent("keys/\(DevSigningKey.jwksFile)").path
            var rows: [(String, String)] = [("PostgreSQL", postgresURL), ("Redis", redisURL), ("Kafka (embedded)", broker.bootstrapServers)]
            var environment = [
                "MAESTRO_KAFKA_BROKERS": broker.bootstrapServers, "MAESTRO_REDIS_URL": redisURL, "MAESTRO_HTTP_HOST": "127.0.0.1",
                "MAESTRO_POSTGRES_MIGRATION_URL": postgresURL,
            ]
            if let otlp {
                guard let url = URL(string: otlp), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                    throw ValidationError("--otlp must be an http(s) URL, e.g. http://127.0.0.1:4318")
                }
                environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp
                rows.append(("Traces (OTLP)", otlp))
            }
            // With governance built, it issues every token and the other services verify against its
            // key set; without it, they verify against the dev signing key.
            var adminKey: String?
            let governancePort = ServiceCatalog.governance.defaultPort
            // Each service's account key, with which it registers its event key with governance.
            var accountKeys: [String: String] = [:]
            for service in ServiceCatalog.all where service != ServiceCatalog.governance {
                accountKeys[service.name] = try DevAdminKey.loadOrCreate(in: root.appendingPathComponent("keys"), fileName: "\(service.name)-account-key")
            }
            if let binary = stack.serviceBinary(named: ServiceCatalog.governance.binary) {
                let bootstrapKey = try DevAdminKey.loadOrCreate(in: root.appendingPathComponent("keys"))
                var governanceEnvironment = environment
                governanceEnvironment["MAESTRO_POSTGRES_URL"] = try stack.runtimeRole(for: ServiceCatalog.governance)
                governanceEnvironment["MAESTRO_BOOTSTRAP_ADMIN_KEY"] = bootstrapKey
                governanceEnvironment["MAESTRO_GOVERNANCE_SERVICE_ACCOUNT_KEYS"] = accountKeys.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                    .joined(separator: ",")
                try stack.startService(name: "governance", binary: binary, port: governancePort, environment: governanceEnvironment)
                try await stack.waitUntilReady(name: "governance", port: governancePort)
                rows.append(("governance", "http://127.0.0.1:\(governancePort)"))
                adminKey = bootstrapKey
                environment["MAESTRO_JWKS_URL"] = "http://127.0.0.1:\(governancePort)/.well-known/jwks.json"
                rows.append(("JWKS", environment["MAESTRO_JWKS_URL"]!))
            } else {
                environment["MAESTRO_JWKS_FILE"] = jwksFile
                rows.append(("JWKS", jwksFile))
            }
            let infrastructureRows = rows.count
            // Every service of the catalog whose binary is built, in catalog order.
            for service in ServiceCatalog.all where service != ServiceCatalog.governance {
                let (name, port) = (service.name, service.defaultPort)
                guard let binary = stack.serviceBinary(named: service.binary) else { continue }
                var serviceEnvironment = environment
                serviceEnvironment["MAESTRO_POSTGRES_URL"] = try stack.runtimeRole(for: service)
                if adminKey != nil { serviceEnvironment["MAESTRO_SERVICE_ACCOUNT_KEY"] = accountKeys[name] }
                if name == "audit" { serviceEnvironment["MAESTRO_AUDIT_SIGNING_KEY_FILE"] = root.appendingPathComponent("keys/audit-signing.key").path }
                try stack.startService(name: name, binary: binary, port: port, environment: serviceEnvironment)
                try await stack.waitUntilReady(name: name, port: port)
                rows.append((name, "http://127.0.0.1:\(port)"))
            }
            let token: String
            // The issuer the services were started with: MAESTRO_GOVERNANCE_ISSUER, else the dev stack's governance.
            var issuerReader = SettingsReader(environment: ProcessInfo.processInfo.environment)
            let tokenIssuer = issuerReader.issuer()
            if let problem = issuerReader.problems.first { throw CLIError(problem) }
            if let adminKey {
                token = try await DevAdminKey.exchange(adminKey, governancePort: governancePort)
            } else {
                token = try await key.token(subject: "admin", tenant: "default", roles: ["admin"], lifetime: .seconds(12 * 3600),
                                        issuer: tokenIssuer)
            }
            let width = rows.map(\.0.count).max() ?? 0
            var lines = ["", "Maestro dev stack is ready (\(root.path)):"]
            lines += rows.map { "  \($0.0.padding(toLength: width, withPad: " ", startingAt: 0))  \($0.1)" }
            if rows.count == infrastructureRows && adminKey == nil { lines.append("  (no service binaries built yet)") }
            if let adminKey { lines += ["", "Admin API key (tenant default; exchange it at POST /v1/tokens):", adminKey] }
            lines += ["", "Admin token (tenant default, 12 h):", token, "", "Press Ctrl-C to stop."]
            FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))

            let group = ServiceGroup(services: [UntilShutdown()], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            try await group.run()
            withExtendedLifetime(broker) {}
        } catch {
            stack.stopAll()
            throw error
        }
        stack.stopAll()
        FileHandle.standardOutput.write(Data("Maestro dev stack stopped.\n".utf8))
    }
}

/// Waits for a shutdown signal.
private struct UntilShutdown: Service {
    func run() async throws {
        try? await gracefulShutdown()
    }
}

/// The processes of the dev stack, stopped in reverse order of start.
struct DevStack {
    let root: URL
    private var stops: [() -> Void] = []
    /// PostgreSQL's binaries and port, once started.
    private var postgres: (bin: String, port: Int)?

    init(root: URL) {
        self.root = root
    }

    mutating func stopAll() {
        while let stop = stops.popLast() { stop() }
    }

    /// A private cluster in <root>/postgres; PostgreSQL refuses to run as root, so as root it runs as `postgres`.
    mutating func startPostgres(port: Int) throws -> String {
        let binaries = try FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql").sorted { $0.compare($1, options: .numeric) == .orderedAscending }
        guard let version = binaries.last else { throw CLIError("PostgreSQL is not installed (apt-get install postgresql)") }
        let bin = "/usr/lib/postgresql/\(version)/bin"
        let directory = root.appendingPathComponent("postgres")
        let data = directory.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var asPostgres: [String] = []
        if getuid() == 0 {
            asPostgres = ["runuser", "-u", "postgres", "--"]
            _ = try Self.run(["chown", "-R", "postgres:postgres", directory.path])
            guard try Self.run(asPostgres + ["test", "-w", directory.path]).status == 0 else {
                throw CLIError("the postgres user cannot reach \(directory.path); choose a --dir it can traverse (e.g. under /tmp or /srv)")
            }
        }
        if !FileManager.default.fileExists(atPath: data.appendingPathComponent("PG_VERSION").path) {
            let initdb = try Self.run(asPostgres + ["\(bin)/initdb", "-D", data.path, "-U", "maestro", "--auth=trust", "-E", "UTF8"])
            guard initdb.status == 0 else { throw CLIError("initdb failed: \(initdb.output.suffix(500))") }
        }
        let start = try Self.run(asPostgres + ["\(bin)/pg_ctl", "-D", data.path, "-l", directory.appendingPathComponent("postgres.log").path,
                                               "-w", "-t", "60", "-o", "-p \(port) -k \(directory.path) -c listen_addresses=127.0.0.1", "start"])
        guard start.status == 0 else {
            throw CLIError("PostgreSQL did not start on port \(port) (see \(directory.path)/postgres.log): \(start.output.suffix(300))")
        }
        stops.append { _ = try? Self.run(asPostgres + ["\(bin)/pg_ctl", "-D", data.path, "-m", "fast", "-w", "stop"]) }
        postgres = (bin, port)
        let created = try Self.run(["\(bin)/createdb", "-h", "127.0.0.1", "-p", "\(port)", "-U", "maestro", "maestro"])
        guard created.status == 0 || created.output.contains("already exists") else {
            throw CLIError("could not create database maestro: \(created.output)")
        }
        return "postgres://maestro@127.0.0.1:\(port)/maestro?sslmode=disable"
    }

    /// The login role a service runs as: NOBYPASSRLS and owning nothing, so row-level security
    /// holds for it as in production (its migrations run as the cluster owner `maestro`).
    func runtimeRole(for service: ServiceIdentity) throws -> String {
        guard let (bin, port) = postgres else { throw CLIError("PostgreSQL is not started") }
        let role = service.databaseRole
        let sql = "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '\(role)') THEN CREATE ROLE \(role) LOGIN NOSUPERUSER NOBYPASSRLS; END IF; END $$"
        let created = try Self.run(["\(bin)/psql", "-h", "127.0.0.1", "-p", "\(port)", "-U", "maestro", "-d", "maestro", "-v", "ON_ERROR_STOP=1", "-qc", sql])
        guard created.status == 0 else { throw CLIError("could not create the PostgreSQL role \(role): \(created.output.suffix(300))") }
        return "postgres://\(role)@127.0.0.1:\(port)/maestro?sslmode=disable"
    }

    /// Redis with an append-only file in <root>/redis.
    mutating func startRedis(port: Int) throws -> String {
        let directory = root.appendingPathComponent("redis")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let process = try Self.spawn(["redis-server", "--port", "\(port)", "--bind", "127.0.0.1", "--dir", directory.path,
                                      "--appendonly", "yes", "--save", ""],
                                     log: directory.appendingPathComponent("redis.log"), environment: [:])
        stops.append { Self.terminate(process) }
        for _ in 0..<100 {
            if try Self.run(["redis-cli", "-p", "\(port)", "ping"]).output.contains("PONG") { return "redis://127.0.0.1:\(port)" }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw CLIError("Redis did not start on port \(port) (see \(directory.path)/redis.log)")
    }

    /// The embedded broker with every catalog topic; its address goes to <root>/run/kafka.bootstrap.
    mutating func startBroker(logger: Logger) throws -> DevBroker {
        let broker = try DevBroker(logger: logger)
        for topic in Topic.catalog {
            try broker.createTopic(topic.name, partitions: topic.partitions)
        }
        let run = root.appendingPathComponent("run")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        let file = run.appendingPathComponent(DevBrokerCommand.bootstrapFileName)
        try Data((broker.bootstrapServers + "\n").utf8).write(to: file, options: .atomic)
        stops.append { try? FileManager.default.removeItem(at: file) }
        return broker
    }

    /// A service executable built next to this tool, if any.
    func serviceBinary(named name: String) -> String? {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let path = directory.appendingPathComponent(name).path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    mutating func startService(name: String, binary: String, port: Int, environment: [String: String]) throws {
        let logs = root.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        var env = environment
        env["MAESTRO_HTTP_PORT"] = "\(port)"
        env["MAESTRO_EVENT_SIGNING_KEY_FILE"] = root.appendingPathComponent("keys/\(name)-events.key").path
        let process = try Self.spawn([binary], log: logs.appendingPathComponent("\(name).log"), environment: env)
        stops.append { Self.terminate(process) }
    }

    func waitUntilReady(name: String, port: Int) async throws {
        let url = URL(string: "http://127.0.0.1:\(port)/health/ready")!
        for _ in 0..<120 {
            if let (_, response) = try? await URLSession.shared.data(from: url), (response as? HTTPURLResponse)?.statusCode == 200 { return }
            try await Task.sleep(for: .milliseconds(500))
        }
        throw CLIError("\(name) did not become ready on port \(port) (see \(root.path)/logs/\(name).log)")
    }

    /// Runs a command to completion with its output in a file. Spawned with every descriptor
    /// above stderr closed: a daemon the command starts (pg_ctl start) must not inherit ours,
    /// or Foundation's `Process` would wait for it forever.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("maestro-dev-\(UUID().uuidString).out").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let inherited = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }.filter { $0 > 2 }
        for descriptor in inherited where fcntl(descriptor, F_GETFD) != -1 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, argv, environ)
        guard spawned == 0 else { throw CLIError("cannot run \(arguments[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        let exited = status & 0x7f == 0
        return (exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), output)
    }

    static func spawn(_ arguments: [String], log: URL, environment: [String: String]) throws -> Process {
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    /// SIGTERM, then up to 10 s for a clean exit, then SIGKILL.
    static func terminate(_ process: Process) {
        guard process.isRunning else { return }
        process.terminate()
        for _ in 0..<100 where process.isRunning {
            Thread.sleep(forTimeInterval: 0.1)
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
