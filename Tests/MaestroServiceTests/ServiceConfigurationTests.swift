import Foundation
import Logging
import MaestroRedis
import MaestroService
import Testing

@Suite("Service configuration")
struct ServiceConfigurationTests {
    @Test func defaultsWorkForTheDevStack() throws {
        let configuration = try ServiceConfiguration(environment: [:], defaultPort: 8101)
        #expect(configuration.httpHost == "127.0.0.1")
        #expect(configuration.httpPort == 8101)
        #expect(configuration.keySource == .file(ServiceConfiguration.defaultJWKSFile))
        #expect(configuration.logFormat == .text)
        #expect(configuration.logLevel == .info)
        #expect(configuration.maxBodyBytes == ServiceConfiguration.defaultMaxBodyBytes)
    }

    @Test func valuesAreRead() throws {
        let configuration = try ServiceConfiguration(environment: [
            "MAESTRO_HTTP_HOST": "0.0.0.0", "MAESTRO_HTTP_PORT": "9000", "MAESTRO_KAFKA_BROKERS": "k1:9092,k2:9093",
            "MAESTRO_POSTGRES_URL": "postgres://svc:pw@db:5432/maestro", "MAESTRO_REDIS_URL": "redis://cache:6380/2",
            "MAESTRO_JWKS_URL": "https://governance:8443/.well-known/jwks.json", "MAESTRO_LOG_LEVEL": "DEBUG",
            "MAESTRO_LOG_FORMAT": "json", "MAESTRO_HTTP_MAX_BODY_BYTES": "4096", "MAESTRO_RATE_LIMIT_RPS": "2.5",
            "MAESTRO_RATE_LIMIT_BURST": "10",
        ], defaultPort: 1)
        #expect(configuration.httpHost == "0.0.0.0")
        #expect(configuration.httpPort == 9000)
        #expect(configuration.kafkaBrokers == "k1:9092,k2:9093")
        #expect(configuration.keySource == .url(URL(string: "https://governance:8443/.well-known/jwks.json")!))
        #expect(configuration.logLevel == .debug)
        #expect(configuration.logFormat == .json)
        #expect(configuration.maxBodyBytes == 4096)
        #expect(configuration.rateLimit == .init(requestsPerSecond: 2.5, burst: 10))
        #expect(try configuration.redisConfiguration().port == 6380)
    }

    @Test func everyBadVariableIsReportedOnItsOwnLine() throws {
        let environment = [
            "MAESTRO_HTTP_PORT": "http", "MAESTRO_KAFKA_BROKERS": "localhost", "MAESTRO_POSTGRES_URL": "mysql://u:s3cret@db/x",
            "MAESTRO_REDIS_URL": "http://:t0psecret@cache", "MAESTRO_JWKS_URL": "https://governance/jwks.json",
            "MAESTRO_JWKS_FILE": "/keys/jwks.json", "MAESTRO_LOG_LEVEL": "loud", "MAESTRO_LOG_FORMAT": "xml",
            "MAESTRO_HTTP_MAX_BODY_BYTES": "0", "MAESTRO_RATE_LIMIT_RPS": "-1", "MAESTRO_RATE_LIMIT_BURST": "many",
        ]
        let error = try #require(throws: ConfigurationError.self) {
            try ServiceConfiguration(environment: environment, defaultPort: 1)
        }
        let expected = ["MAESTRO_HTTP_PORT", "MAESTRO_KAFKA_BROKERS", "MAESTRO_POSTGRES_URL", "MAESTRO_REDIS_URL", "MAESTRO_JWKS_URL",
                        "MAESTRO_LOG_LEVEL", "MAESTRO_LOG_FORMAT", "MAESTRO_HTTP_MAX_BODY_BYTES", "MAESTRO_RATE_LIMIT_RPS", "MAESTRO_RATE_LIMIT_BURST"]
        #expect(error.problems.count == expected.count)
        for name in expected {
            #expect(error.problems.filter { $0.hasPrefix(name) }.count == 1, "\(name) in \(error.problems)")
        }
        let lines = error.description.split(separator: "\n")
        #expect(lines.count == expected.count + 1)
        #expect(!error.description.contains("s3cret"))
        #expect(!error.description.contains("t0psecret"))
    }

    @Test("the token issuer defaults to governance in the dev stack, drops a trailing '/', and must be an http(s) URL without query or fragment")
    func tokenIssuer() throws {
        #expect(try ServiceConfiguration(environment: [:], defaultPort: 1).tokenIssuer == "http://127.0.0.1:7102")
        let given = try ServiceConfiguration(environment: ["MAESTRO_GOVERNANCE_ISSUER": "https://sso.example.com/maestro/"], defaultPort: 1)
        #expect(given.tokenIssuer == "https://sso.example.com/maestro")
        for bad in ["governance:7102", "ftp://x", "https://x/?a=b", "https://x/#f", "https://user:pw@x"] {
            #expect(throws: ConfigurationError.self, "\(bad)") { try ServiceConfiguration(environment: ["MAESTRO_GOVERNANCE_ISSUER": bad], defaultPort: 1) }
        }
    }

    @Test("in production the connection settings have no default: each missing one is a problem naming it; given, governance's URL serves the key sets")
    func productionRequiresTheConnectionSettings() throws {
        do {
            _ = try ServiceConfiguration(environment: ["MAESTRO_ENVIRONMENT": "production"], defaultPort: 1)
            Issue.record("a production configuration without settings was accepted")
        } catch {
            #expect(error.problems == ServiceConfiguration.requiredInProduction.map { "\($0): required when MAESTRO_ENVIRONMENT=production" })
        }
        #expect(throws: ConfigurationError.self) { try ServiceConfiguration(environment: ["MAESTRO_ENVIRONMENT": "staging"], defaultPort: 1) }
        let complete = [
            "MAESTRO_ENVIRONMENT": "production", "MAESTRO_HTTP_HOST": "0.0.0.0", "MAESTRO_KAFKA_BROKERS": "kafka:9092",
            "MAESTRO_POSTGRES_URL": "postgres://registry_app:pw@postgres:5432/maestro", "MAESTRO_REDIS_URL": "redis://:pw@redis:6379",
            "MAESTRO_GOVERNANCE_ISSUER": "http://localhost:7102", "MAESTRO_EVENT_SIGNING_KEY_FILE": "/run/secrets/registry-event-signing-key",
            "MAESTRO_GOVERNANCE_URL": "http://governance:7102/",
        ]
        let configuration = try ServiceConfiguration(environment: complete, defaultPort: 1)
        #expect(configuration.environmentKind == .production)
        #expect(configuration.tokenIssuer == "http://localhost:7102")
        #expect(configuration.governanceURL == "http://governance:7102")
        #expect(configuration.keySource == .url(URL(string: "http://governance:7102/.well-known/jwks.json")!))
        #expect(configuration.eventKeySource == .url(URL(string: "http://governance:7102/v1/event-keys")!))
        // In development, governance is the issuer and tokens verify against the dev key file unless told otherwise.
        let development = try ServiceConfiguration(environment: [:], defaultPort: 1)
        #expect(development.governanceURL == development.tokenIssuer)
        #expect(development.keySource == .file(ServiceConfiguration.defaultJWKSFile))
        #expect(throws: ConfigurationError.self) { try ServiceConfiguration(environment: ["MAESTRO_GOVERNANCE_URL": "governance:7102"], defaultPort: 1) }
    }

    @Test("Kafka SASL/OAUTHBEARER is configured from MAESTRO_KAFKA_* into librdkafka's oidc properties; an incomplete setting names what is missing")
    func kafkaSecurity() throws {
        #expect(try ServiceConfiguration(environment: [:], defaultPort: 1).kafkaProperties.isEmpty)
        let oauth = try ServiceConfiguration(environment: [
            "MAESTRO_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "MAESTRO_KAFKA_SASL_MECHANISM": "oauthbearer",
            "MAESTRO_KAFKA_OAUTH_TOKEN_ENDPOINT_URL": "https://governance/oauth/token", "MAESTRO_KAFKA_OAUTH_CLIENT_ID": "3f9a1c0b7d2e",
            "MAESTRO_KAFKA_OAUTH_CLIENT_SECRET": "mk_secret", "MAESTRO_KAFKA_OAUTH_SCOPE": "editor",
        ], defaultPort: 1)
        #expect(oauth.kafkaProperties == [
            "security.protocol": "sasl_ssl", "sasl.mechanisms": "OAUTHBEARER", "sasl.oauthbearer.method": "oidc",
            "sasl.oauthbearer.token.endpoint.url": "https://governance/oauth/token", "sasl.oauthbearer.client.id": "3f9a1c0b7d2e",
            "sasl.oauthbearer.client.secret": "mk_secret", "sasl.oauthbearer.scope": "editor",
        ])
        do {
            _ = try ServiceConfiguration(environment: ["MAESTRO_KAFKA_SECURITY_PROTOCOL": "sasl_plaintext", "MAESTRO_KAFKA_SASL_MECHANISM": "OAUTHBEARER",
                                                       "MAESTRO_KAFKA_OAUTH_CLIENT_ID": "x"], defaultPort: 1)
            Issue.record("an incomplete OAUTHBEARER setting was accepted")
        } catch {
            #expect(error.problems.contains { $0.hasPrefix("MAESTRO_KAFKA_OAUTH_TOKEN_ENDPOINT_URL: required") })
            #expect(error.problems.contains { $0.hasPrefix("MAESTRO_KAFKA_OAUTH_CLIENT_SECRET: required") })
            #expect(!error.problems.joined().contains("mk_"))
        }
        for bad in [["MAESTRO_KAFKA_SECURITY_PROTOCOL": "sasl_plaintext"], ["MAESTRO_KAFKA_SASL_MECHANISM": "PLAIN", "MAESTRO_KAFKA_SECURITY_PROTOCOL": "sasl_ssl"],
                    ["MAESTRO_KAFKA_OAUTH_CLIENT_ID": "x"], ["MAESTRO_KAFKA_SECURITY_PROTOCOL": "tls"]] {
            #expect(throws: ConfigurationError.self, "\(bad)") { try ServiceConfiguration(environment: bad, defaultPort: 1) }
        }
    }

    @Test func aJWKSURLMustBeHTTP() {
        let error = #expect(throws: ConfigurationError.self) {
            try ServiceConfiguration(environment: ["MAESTRO_JWKS_URL": "file:///etc/jwks.json"], defaultPort: 1)
        }
        #expect(error?.problems.count == 1)
        #expect(error?.problems.first?.hasPrefix("MAESTRO_JWKS_URL") == true)
    }

    @Test("a consumer group prefix names every group of the deployment; a bad one is refused")
    func consumerGroupPrefix() throws {
        #expect(try ServiceConfiguration(environment: [:], defaultPort: 1).consumerGroup("registry.alias-cache") == "registry.alias-cache")
        let staging = try ServiceConfiguration(environment: ["MAESTRO_CONSUMER_GROUP_PREFIX": "staging-"], defaultPort: 1)
        #expect(staging.consumerGroup("registry.alias-cache") == "staging-registry.alias-cache")
        #expect(throws: ConfigurationError.self) {
            try ServiceConfiguration(environment: ["MAESTRO_CONSUMER_GROUP_PREFIX": "bad prefix/"], defaultPort: 1)
        }
    }

    @Test("the inbox retention is read in hours, defaults to 14 days, and a bad value names the variable")
    func inboxRetention() throws {
        #expect(try ServiceConfiguration(environment: [:], defaultPort: 1).inboxRetention == .seconds(336 * 3600))
        #expect(try ServiceConfiguration(environment: ["MAESTRO_INBOX_RETENTION_HOURS": "720"], defaultPort: 1).inboxRetention == .seconds(720 * 3600))
        #expect(try ServiceConfiguration(environment: ["MAESTRO_INBOX_RETENTION_HOURS": "1"], defaultPort: 1).inboxRetention == .seconds(3600))
        #expect(try ServiceConfiguration(environment: ["MAESTRO_INBOX_RETENTION_HOURS": "87600"], defaultPort: 1).inboxRetention == .seconds(87600 * 3600))
        for bad in ["0", "-5", "87601", "two weeks", "1.5"] {
            let error = #expect(throws: ConfigurationError.self, "\(bad)") {
                try ServiceConfiguration(environment: ["MAESTRO_INBOX_RETENTION_HOURS": bad], defaultPort: 1)
            }
            #expect(error?.problems.count == 1, "\(bad)")
            #expect(error?.problems.first?.hasPrefix("MAESTRO_INBOX_RETENTION_HOURS:") == true, "\(bad)")
        }
    }

    @Test("the platform tenant defaults to 'default', is read when it is a tenant id, and anything else names the variable")
    func platformTenant() throws {
        #expect(try ServiceConfiguration(environment: [:], defaultPort: 1).platformTenant == "default")
        for good in ["acme", "ops-platform", "0admin", "a", String(repeating: "x", count: 63)] {
            #expect(try ServiceConfiguration(environment: ["MAESTRO_PLATFORM_TENANT": good], defaultPort: 1).platformTenant == good)
        }
        for bad in ["Acme", "-ops", "ops_platform", "ops.platform", "_system", "caf\u{e9}", "e\u{301}", "two words", String(repeating: "x", count: 64)] {
            let error = #expect(throws: ConfigurationError.self, "\(bad)") {
                try ServiceConfiguration(environment: ["MAESTRO_PLATFORM_TENANT": bad], defaultPort: 1)
            }
            #expect(error?.problems.count == 1, "\(bad)")
            #expect(error?.problems.first?.hasPrefix("MAESTRO_PLATFORM_TENANT:") == true, "\(bad)")
        }
    }

    @Test("bad inbox retention and platform tenant are reported together, one line each")
    func retentionAndTenantReportedTogether() throws {
        let error = try #require(throws: ConfigurationError.self) {
            try ServiceConfiguration(environment: ["MAESTRO_INBOX_RETENTION_HOURS": "0", "MAESTRO_PLATFORM_TENANT": "Bad Tenant"], defaultPort: 1)
        }
        #expect(error.problems.count == 2)
        #expect(error.problems.filter { $0.hasPrefix("MAESTRO_INBOX_RETENTION_HOURS:") }.count == 1)
        #expect(error.problems.filter { $0.hasPrefix("MAESTRO_PLATFORM_TENANT:") }.count == 1)
    }

    @Test("tracing is on only when an OTLP endpoint is set and nothing disables it")
    func tracingSwitch() {
        #expect(!ServiceTracing.isEnabled(in: [:]))
        #expect(!ServiceTracing.isEnabled(in: ["OTEL_EXPORTER_OTLP_ENDPOINT": ""]))
        #expect(ServiceTracing.isEnabled(in: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"]))
        #expect(ServiceTracing.isEnabled(in: ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"]))
        #expect(!ServiceTracing.isEnabled(in: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SDK_DISABLED": "true"]))
        #expect(!ServiceTracing.isEnabled(in: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_TRACES_EXPORTER": "none"]))
    }

    @Test("an OTel setting this build cannot honour stops start-up with a configuration error naming it, not a crash")
    func unsupportedTracingSettings() {
        let endpoint = ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317"]
        for (name, value) in [("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"), ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc"), ("OTEL_TRACES_EXPORTER", "zipkin")] {
            #expect {
                _ = try ServiceTracing.bootstrap(serviceName: "maestro-test", environment: endpoint.merging([name: value]) { $1 })
            } throws: { error in
                (error as? ConfigurationError)?.problems.first?.hasPrefix("\(name)=\(value):") == true
            }
        }
    }
}
