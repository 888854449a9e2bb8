import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import MaestroDomain
import MaestroPostgres
import MaestroRedis

/// A service's settings, read once from the environment at start-up.
///
/// In development (`MAESTRO_ENVIRONMENT` unset or `development`) every variable has a default
/// that works with the dev stack. In production (`MAESTRO_ENVIRONMENT=production`, as the
/// container image sets it) the connection settings have no default: a missing one is a
/// problem, so no service starts half-configured against a dev address. Reading validates
/// every variable and reports all problems together, one line per variable, so a
/// misconfigured deployment is fixed in one round. Messages never repeat a URL, which may
/// carry a password.
public struct ServiceConfiguration: Sendable {
    public enum LogFormat: String, Sendable, CaseIterable {
        case text, json
    }

    /// Where the service runs (`MAESTRO_ENVIRONMENT`): `development` gives every setting a
    /// default for the dev stack; `production` requires the connection settings.
    public enum Environment: String, Sendable, CaseIterable {
        case development, production
    }

    /// The kit's variables that have no default in production.
    public static let requiredInProduction = ["MAESTRO_HTTP_HOST", "MAESTRO_KAFKA_BROKERS", "MAESTRO_POSTGRES_URL", "MAESTRO_REDIS_URL",
                                              "MAESTRO_GOVERNANCE_ISSUER", "MAESTRO_EVENT_SIGNING_KEY_FILE"]
    /// What a service other than governance also needs in production: where governance is, and
    /// the service account that registers the service's event key there.
    public static let requiredInProductionBesideGovernance = ["MAESTRO_GOVERNANCE_URL", "MAESTRO_SERVICE_ACCOUNT_KEY"]

    /// Where the JSON Web Key Set that verifies tokens comes from.
    public enum KeySource: Sendable, Hashable, CustomStringConvertible {
        case file(String)
        case url(URL)

        /// The variable and where it points.
        public var description: String {
            switch self {
            case .file(let path): "MAESTRO_JWKS_FILE \(path)"
            case .url(let url): "MAESTRO_JWKS_URL \(url.absoluteString)"
            }
        }
    }

    /// A token bucket per principal: `burst` requests at once, refilled at `requestsPerSecond`.
    public struct RateLimit: Sendable, Hashable {
        public var requestsPerSecond: Double
        public var burst: Int

        public init(requestsPerSecond: Double, burst: Int) {
            self.requestsPerSecond = requestsPerSecond
            self.burst = burst
        }
    }

    public var environmentKind: Environment
    public var httpHost: String
    public var httpPort: Int
    public var kafkaBrokers: String
    /// librdkafka properties every Kafka client of the service gets (producer, consumers,
    /// admin): the connection's security (`MAESTRO_KAFKA_SECURITY_PROTOCOL`) and SASL/OAUTHBEARER
    /// with tokens from an OAuth 2.0 token endpoint (`MAESTRO_KAFKA_OAUTH_*`); empty by default.
    public var kafkaProperties: [String: String]
    public var postgresURL: String
    /// The schema owner's URL for migrations (`MAESTRO_POSTGRES_MIGRATION_URL`); without it,
    /// migrations run as the service's own role.
    public var postgresMigrationURL: String?
    public var redisURL: String
    /// The longest a statement of the service may run (`MAESTRO_POSTGRES_STATEMENT_TIMEOUT_MS`,
    /// 100 to 3,600,000, default 15,000): PostgreSQL cancels it and the request gets 503, so no
    /// request holds the database for longer. Migrations are not limited.
    public var statementTimeout: Duration
    public var keySource: KeySource
    /// Governance's event key set, which checks who produced an event
    /// (`MAESTRO_EVENT_KEYS_URL` or `MAESTRO_EVENT_KEYS_FILE`; `<issuer>/v1/event-keys` unless set).
    public var eventKeySource: KeySource
    /// The file holding this service's Ed25519 event key (`MAESTRO_EVENT_SIGNING_KEY_FILE`;
    /// `.maestro/keys/<service>-events.key` unless set), created with a new key if missing.
    public var eventSigningKeyFile: String?
    /// The API key of this service's service account in governance (`MAESTRO_SERVICE_ACCOUNT_KEY`):
    /// the service registers its event key with it at start. Without it, the service's events
    /// carry a signature no consumer can verify.
    public var serviceAccountKey: String?
    /// The issuer every access token must name in its `iss` claim (`MAESTRO_GOVERNANCE_ISSUER`):
    /// governance's public URL, which it also writes into the tokens it issues and into its
    /// discovery document. A token from any other issuer is refused.
    public var tokenIssuer: String
    /// Governance's base URL as this service reaches it (`MAESTRO_GOVERNANCE_URL`, the issuer
    /// unless set): the event key set, the event key registration and, in production, the JWKS
    /// come from there. It differs from the issuer where the public URL is not reachable from
    /// inside the deployment (`http://localhost:7102` for clients, `http://governance:7102` in
    /// compose).
    public var governanceURL: String
    public var logLevel: Logger.Level
    public var logFormat: LogFormat
    /// Request bodies larger than this are refused with 413.
    public var maxBodyBytes: Int
    public var rateLimit: RateLimit
    /// Put before every consumer group name (`MAESTRO_CONSUMER_GROUP_PREFIX`), so separate
    /// deployments sharing one Kafka cluster never share a group; empty by default.
    public var consumerGroupPrefix: String
    /// How long each inbox remembers a handled event (`MAESTRO_INBOX_RETENTION_HOURS`, 1 to 87600,
    /// default 336 = 14 days). It must exceed the longest topic retention: an event redelivered
    /// after its inbox entry was pruned is applied again. Kafka keeps records 7 days by default.
    public var inboxRetention: Duration
    /// The tenant whose admins administer the platform (other tenants, the audit `_system` log):
    /// `MAESTRO_PLATFORM_TENANT`, a tenant id, `default` unless set.
    public var platformTenant: String

    /// A consumer's group name with the deployment's prefix.
    public func consumerGroup(_ name: String) -> String {
        consumerGroupPrefix + name
    }

    public static let defaultMaxBodyBytes = 1 << 20
    public static let defaultInboxRetentionHours = 336
    public static let defaultStatementTimeoutMilliseconds = 15_000
    public static let defaultPlatformTenant = "default"
    public static let defaultJWKSFile = ".maestro/keys/jwks.json"
    /// Governance in the dev stack.
    public static let defaultTokenIssuer = "http://127.0.0.1:\(ServiceCatalog.governance.defaultPort)"

    /// Reads and validates the configuration.
    /// - Parameters:
    ///   - environment: the variables to read; the process environment unless a test injects one.
    ///   - defaultPort: this service's HTTP port when `MAESTRO_HTTP_PORT` is unset.
    /// - Throws: ``ConfigurationError`` listing every bad variable.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment, defaultPort: Int) throws(ConfigurationError) {
        var reader = SettingsReader(environment: environment)
        environmentKind = reader.choice("MAESTRO_ENVIRONMENT", default: .development, Environment.allCases.map(\.rawValue), Environment.init(rawValue:))
        if environmentKind == .production { reader.require(Self.requiredInProduction) }
        httpHost = reader.string("MAESTRO_HTTP_HOST", default: "127.0.0.1")
        httpPort = reader.integer("MAESTRO_HTTP_PORT", default: defaultPort, in: 1...65535)
        kafkaBrokers = reader.brokers("MAESTRO_KAFKA_BROKERS", default: "127.0.0.1:9092")
        kafkaProperties = reader.kafkaSecurity()
        postgresURL = reader.string("MAESTRO_POSTGRES_URL", default: "postgres://maestro@127.0.0.1:7432/maestro?sslmode=disable")
        postgresMigrationURL = environment["MAESTRO_POSTGRES_MIGRATION_URL"].flatMap { $0.isEmpty ? nil : $0 }
        redisURL = reader.string("MAESTRO_REDIS_URL", default: "redis://127.0.0.1:7379")
        statementTimeout = .milliseconds(reader.integer("MAESTRO_POSTGRES_STATEMENT_TIMEOUT_MS", default: Self.defaultStatementTimeoutMilliseconds, in: 100...3_600_000))
        tokenIssuer = reader.issuer()
        governanceURL = reader.baseURL("MAESTRO_GOVERNANCE_URL") ?? tokenIssuer
        let governanceJWKS: KeySource? = environmentKind == .production ? URL(string: governanceURL + "/.well-known/jwks.json").map { .url($0) } : nil
        keySource = reader.keySource(url: "MAESTRO_JWKS_URL", file: "MAESTRO_JWKS_FILE", default: governanceJWKS ?? .file(Self.defaultJWKSFile))
        eventKeySource = reader.keySource(url: "MAESTRO_EVENT_KEYS_URL", file: "MAESTRO_EVENT_KEYS_FILE",
                                          default: URL(string: governanceURL + "/v1/event-keys").map { .url($0) } ?? .file(".maestro/keys/event-keys.json"))
        eventSigningKeyFile = reader.value("MAESTRO_EVENT_SIGNING_KEY_FILE")
        serviceAccountKey = reader.value("MAESTRO_SERVICE_ACCOUNT_KEY")
        logLevel = reader.choice("MAESTRO_LOG_LEVEL", default: .info, Logger.Level.allCases.map(\.rawValue), Logger.Level.init(rawValue:))
        logFormat = reader.choice("MAESTRO_LOG_FORMAT", default: .text, LogFormat.allCases.map(\.rawValue), LogFormat.init(rawValue:))
        maxBodyBytes = reader.integer("MAESTRO_HTTP_MAX_BODY_BYTES", default: Self.defaultMaxBodyBytes, in: 1...(256 << 20))
        rateLimit = RateLimit(
            requestsPerSecond: reader.positiveDouble("MAESTRO_RATE_LIMIT_RPS", default: 50),
            burst: reader.integer("MAESTRO_RATE_LIMIT_BURST", default: 100, in: 1...1_000_000))
        consumerGroupPrefix = reader.string("MAESTRO_CONSUMER_GROUP_PREFIX", default: "")
        if consumerGroupPrefix.count > 100 || consumerGroupPrefix.contains(where: { !($0.isLetter || $0.isNumber || "._-".contains($0)) }) {
            reader.problems.append("MAESTRO_CONSUMER_GROUP_PREFIX: at most 100 letters, digits, '.', '_' or '-'")
        }
        inboxRetention = .seconds(3600 * reader.integer("MAESTRO_INBOX_RETENTION_HOURS", default: Self.defaultInboxRetentionHours, in: 1...87600))
        platformTenant = reader.tenant("MAESTRO_PLATFORM_TENANT", default: Self.defaultPlatformTenant)

        do { _ = try PostgresSettings(url: postgresURL, schema: "public") } catch { reader.problems.append(error.description) }
        if let postgresMigrationURL {
            do { _ = try PostgresSettings(url: postgresMigrationURL, schema: "public") } catch {
                reader.problems.append("MAESTRO_POSTGRES_MIGRATION_URL: \(error.description)")
            }
        }
        do { _ = try RedisConfiguration(url: redisURL) } catch { reader.problems.append("MAESTRO_REDIS_URL: \(error.message)") }
        if !reader.problems.isEmpty {
            throw ConfigurationError(problems: reader.problems)
        }
    }

    /// This service's PostgreSQL settings, for the schema it owns, with the statement timeout.
    public func postgresSettings(schema: String) throws(PostgresSettingsError) -> PostgresSettings {
        var settings = try PostgresSettings(url: postgresURL, schema: schema)
        settings.statementTimeout = statementTimeout
        return settings
    }

    /// Migrates the service's schema, as its owner when `MAESTRO_POSTGRES_MIGRATION_URL` is set
    /// (then the service's own login role is made a member of the schema's runtime role), and
    /// returns the settings the service runs with.
    public func migratePostgres(schema: String, migrations: [Migration], logger: Logger) async throws -> PostgresSettings {
        let runtime = try postgresSettings(schema: schema)
        var unlimited = runtime
        unlimited.statementTimeout = nil
        let owner = try postgresMigrationURL.map { try PostgresSettings(url: $0, schema: schema) }
        try await PostgresMigrator.migrate(settings: owner ?? unlimited, runtimeLoginRole: owner == nil ? nil : runtime.username,
                                           migrations: migrations, logger: logger)
        return runtime
    }

    public func redisConfiguration(poolSize: Int = 8) throws(RedisError) -> RedisConfiguration {
        try RedisConfiguration(url: redisURL, poolSize: poolSize)
    }
}

/// Every configuration problem found at start-up, one line each, naming the variable.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    public let problems: [String]
    public let file: String
    public let line: UInt

    public init(problems: [String], file: String = #fileID, line: UInt = #line) {
        self.problems = problems
        self.file = file
        self.line = line
    }

    public var description: String {
        (["invalid configuration (\(problems.count) problem\(problems.count == 1 ? "" : "s")):"] + problems.map { "  \($0)" })
            .joined(separator: "\n")
    }
}

/// Reads variables and collects a problem per bad one instead of stopping at the first; the kit
/// reads its own settings and each service's (``ServiceSettings``) with one reader, so start-up
/// reports every bad variable together.
public struct SettingsReader {
    public let environment: [String: String]
    public var problems: [String] = []

    public init(environment: [String: String]) {
        self.environment = environment
    }

    /// The variable, trimmed; `nil` when unset or blank.
    public func value(_ name: String) -> String? {
        guard let raw = environment[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
        return raw
    }

    public func string(_ name: String, default defaultValue: String) -> String {
        value(name) ?? defaultValue
    }

    public mutating func integer(_ name: String, default defaultValue: Int, in range: ClosedRange<Int>) -> Int {
        guard let raw = value(name) else { return defaultValue }
        guard let number = Int(raw), range.contains(number) else {
            problems.append("\(name): '\(raw)' is not an integer between \(range.lowerBound) and \(range.upperBound)")
            return defaultValue
        }
        return number
    }

    /// A whole number in `range`, `nil` when unset; a bad value is one problem,
    /// "<NAME>: must be a whole number [of <unit>] from <low> to <high>, got '<value>'".
    public mutating func wholeNumber(_ name: String, in range: ClosedRange<Int>, unit: String? = nil) -> Int? {
        guard let raw = value(name) else { return nil }
        guard let number = Int(raw), range.contains(number) else {
            problems.append("\(name): must be a whole number \(unit.map { "of \($0) " } ?? "")from \(range.lowerBound) to \(range.upperBound), got '\(raw)'")
            return nil
        }
        return number
    }

    public mutating func positiveDouble(_ name: String, default defaultValue: Double) -> Double {
        guard let raw = value(name) else { return defaultValue }
        guard let number = Double(raw), number.isFinite, number > 0 else {
            problems.append("\(name): '\(raw)' is not a positive number")
            return defaultValue
        }
        return number
    }

    public mutating func choice<T>(_ name: String, default defaultValue: T, _ allowed: [String], _ parse: (String) -> T?) -> T {
        guard let raw = value(name) else { return defaultValue }
        guard let parsed = parse(raw.lowercased()) else {
            problems.append("\(name): '\(raw)' is not one of \(allowed.joined(separator: ", "))")
            return defaultValue
        }
        return parsed
    }

    /// A tenant id: 1 to 63 lowercase letters, digits or '-', starting with a letter or digit.
    public mutating func tenant(_ name: String, default defaultValue: String) -> String {
        guard let raw = value(name) else { return defaultValue }
        guard Caller.isTenantID(raw) else {
            problems.append("\(name): '\(raw)' is not a tenant id (1 to 63 lowercase letters, digits or '-', starting with a letter or digit)")
            return defaultValue
        }
        return raw
    }

    public mutating func brokers(_ name: String, default defaultValue: String) -> String {
        guard let raw = value(name) else { return defaultValue }
        let bad = raw.split(separator: ",", omittingEmptySubsequences: false).filter { entry in
            let parts = entry.trimmingCharacters(in: .whitespaces).split(separator: ":")
            guard parts.count >= 2, let port = Int(parts.last!), (1...65535).contains(port) else { return true }
            return parts.dropLast().joined(separator: ":").isEmpty
        }
        if !bad.isEmpty {
            problems.append("\(name): expected a comma-separated list of host:port, got '\(raw)'")
        }
        return raw
    }

    /// The Kafka connection's security as librdkafka properties:
    /// - `MAESTRO_KAFKA_SECURITY_PROTOCOL`: plaintext (default), ssl, sasl_plaintext or sasl_ssl;
    /// - `MAESTRO_KAFKA_SASL_MECHANISM`: OAUTHBEARER, with a SASL protocol;
    /// - `MAESTRO_KAFKA_OAUTH_TOKEN_ENDPOINT_URL`, `MAESTRO_KAFKA_OAUTH_CLIENT_ID`,
    ///   `MAESTRO_KAFKA_OAUTH_CLIENT_SECRET` and optionally `MAESTRO_KAFKA_OAUTH_SCOPE`: the client
    ///   credentials grant that gets the tokens (`sasl.oauthbearer.method=oidc`), e.g. from
    ///   governance's `/oauth/token` with a service account's API key.
    mutating func kafkaSecurity() -> [String: String] {
        var properties: [String: String] = [:]
        let protocols = ["plaintext", "ssl", "sasl_plaintext", "sasl_ssl"]
        let security = choice("MAESTRO_KAFKA_SECURITY_PROTOCOL", default: "plaintext", protocols) { protocols.contains($0) ? $0 : nil }
        if security != "plaintext" { properties["security.protocol"] = security }
        let oauth = ["TOKEN_ENDPOINT_URL", "CLIENT_ID", "CLIENT_SECRET", "SCOPE"].filter { value("MAESTRO_KAFKA_OAUTH_\($0)") != nil }
        guard let mechanism = value("MAESTRO_KAFKA_SASL_MECHANISM") else {
            if security.hasPrefix("sasl") { problems.append("MAESTRO_KAFKA_SASL_MECHANISM: required with MAESTRO_KAFKA_SECURITY_PROTOCOL=\(security)") }
            if !oauth.isEmpty { problems.append("MAESTRO_KAFKA_OAUTH_*: set MAESTRO_KAFKA_SASL_MECHANISM=OAUTHBEARER to use them") }
            return properties
        }
        guard mechanism.uppercased() == "OAUTHBEARER" else {
            problems.append("MAESTRO_KAFKA_SASL_MECHANISM: '\(mechanism)' is not supported; the supported mechanism is OAUTHBEARER")
            return properties
        }
        if !security.hasPrefix("sasl") { problems.append("MAESTRO_KAFKA_SASL_MECHANISM: needs MAESTRO_KAFKA_SECURITY_PROTOCOL sasl_plaintext or sasl_ssl") }
        properties["sasl.mechanisms"] = "OAUTHBEARER"
        properties["sasl.oauthbearer.method"] = "oidc"
        for (name, property) in [("TOKEN_ENDPOINT_URL", "sasl.oauthbearer.token.endpoint.url"), ("CLIENT_ID", "sasl.oauthbearer.client.id"),
                                 ("CLIENT_SECRET", "sasl.oauthbearer.client.secret")] {
            guard let given = value("MAESTRO_KAFKA_OAUTH_\(name)") else {
                problems.append("MAESTRO_KAFKA_OAUTH_\(name): required with MAESTRO_KAFKA_SASL_MECHANISM=OAUTHBEARER")
                continue
            }
            properties[property] = given
        }
        if let url = properties["sasl.oauthbearer.token.endpoint.url"],
           URL(string: url).map({ ["http", "https"].contains($0.scheme?.lowercased() ?? "") && $0.host != nil }) != true {
            problems.append("MAESTRO_KAFKA_OAUTH_TOKEN_ENDPOINT_URL: not an http:// or https:// URL")
        }
        if let scope = value("MAESTRO_KAFKA_OAUTH_SCOPE") { properties["sasl.oauthbearer.scope"] = scope }
        return properties
    }

    /// `MAESTRO_GOVERNANCE_ISSUER`: an http(s) URL without query or fragment (OpenID Connect
    /// Discovery §3), kept without a trailing '/', since tokens compare it as an exact string.
    public mutating func issuer() -> String {
        baseURL("MAESTRO_GOVERNANCE_ISSUER") ?? ServiceConfiguration.defaultTokenIssuer
    }

    /// An http(s) base URL without query, fragment or credentials, without a trailing '/';
    /// `nil` when unset or bad (a bad one is a problem).
    public mutating func baseURL(_ name: String) -> String? {
        guard let raw = value(name) else { return nil }
        guard let url = URLComponents(string: raw), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
              url.host?.isEmpty == false, url.query == nil, url.fragment == nil, url.user == nil, url.password == nil else {
            problems.append("\(name): must be an http:// or https:// URL without query, fragment or credentials, got '\(raw)'")
            return nil
        }
        return raw.hasSuffix("/") ? String(raw.dropLast()) : raw
    }

    /// Whether `MAESTRO_ENVIRONMENT` is `production`, where the settings a deployment must
    /// give have no default.
    public var isProduction: Bool {
        value("MAESTRO_ENVIRONMENT")?.lowercased() == ServiceConfiguration.Environment.production.rawValue
    }

    /// One problem per variable of `names` that is unset or blank.
    public mutating func require(_ names: [String]) {
        for name in names where value(name) == nil {
            problems.append("\(name): required when MAESTRO_ENVIRONMENT=production")
        }
    }

    /// A key set from a URL variable or a file variable (not both), `fallback` when neither is set.
    mutating func keySource(url urlName: String, file fileName: String, default fallback: ServiceConfiguration.KeySource) -> ServiceConfiguration.KeySource {
        switch (value(urlName), value(fileName)) {
        case (.some, .some):
            problems.append("\(urlName) and \(fileName) are both set: set only one")
            return fallback
        case (.some(let raw), nil):
            guard let url = URL(string: raw), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil else {
                problems.append("\(urlName): not an http:// or https:// URL")
                return fallback
            }
            return .url(url)
        case (nil, .some(let path)):
            return .file(path)
        case (nil, nil):
            return fallback
        }
    }
}

extension ServiceConfiguration.KeySource {
    /// Whether the key set is fetched over HTTP (from governance, usually), not read from a file.
    public var isURL: Bool {
        if case .url = self { return true }
        return false
    }

    /// The key set's bytes: the file's content, or the URL's answer (which must be 200).
    public func read() async throws -> Data {
        switch self {
        case .file(let path):
            return try Data(contentsOf: URL(fileURLWithPath: path))
        case .url(let url):
            var request = URLRequest(url: url, timeoutInterval: 5)
            request.setValue("application/json", forHTTPHeaderField: "Accept")
            let (data, response) = try await URLSession.shared.data(for: request)
            guard let http = response as? HTTPURLResponse, http.statusCode == 200 else {
                throw KeySetFetchError(url: url, status: (response as? HTTPURLResponse)?.statusCode ?? 0)
            }
            return data
        }
    }
}

struct KeySetFetchError: Error, CustomStringConvertible {
    let url: URL
    let status: Int
    var description: String { "\(url.absoluteString) answered HTTP \(status)" }
}
