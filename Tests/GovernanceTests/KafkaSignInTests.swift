import Foundation
import Hummingbird
import HummingbirdTesting
import MaestroEvents
import MaestroHTTPTestSupport
import MaestroKafka
import MaestroService
import MaestroTestSupport
import Testing
@testable import Governance

/// A service's Kafka clients sign in at governance: `MAESTRO_KAFKA_*` configure librdkafka's
/// `sasl.oauthbearer.method=oidc` with a service account's API key, and the kit fetches the
/// tokens from `POST /oauth/token` (the linked librdkafka has no OIDC of its own). The embedded
/// broker does not check SASL, so the test watches governance and the client, not the broker.
@Suite("Kafka clients sign in at governance", .timeLimit(.minutes(2)))
struct KafkaSignInTests {
    @Test("a producer configured through the kit gets its OAUTHBEARER token from the token endpoint; a wrong secret is refused without being logged")
    func producerFetchesToken() async throws {
        try await GovernanceHarness.with { governance in
            try await governance.application.test(.live) { client in
                let port = try #require(client.port)
                let api = GovernanceClient(client: client)
                let admin = try await api.token(governance.adminKey)
                let robot = try await OAuthTokenEndpointTests.serviceAccount(api, admin: admin, name: "kafka-producer", roles: ["editor"])
                func configuration(secret: String) throws -> ServiceConfiguration {
                    try ServiceConfiguration(environment: [
                        "MAESTRO_KAFKA_BROKERS": try KafkaTestSupport.configuredBrokers(), "MAESTRO_KAFKA_SECURITY_PROTOCOL": "sasl_plaintext",
                        "MAESTRO_KAFKA_SASL_MECHANISM": "OAUTHBEARER", "MAESTRO_KAFKA_OAUTH_TOKEN_ENDPOINT_URL": "http://127.0.0.1:\(port)/oauth/token",
                        "MAESTRO_KAFKA_OAUTH_CLIENT_ID": robot.prefix, "MAESTRO_KAFKA_OAUTH_CLIENT_SECRET": secret, "MAESTRO_KAFKA_OAUTH_SCOPE": "viewer",
                    ], defaultPort: 1)
                }

                let records = LogRecords()
                let good = try configuration(secret: robot.key)
                let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: good.kafkaBrokers, properties: good.kafkaProperties),
                                                 logger: records.logger(label: "maestro.test.kafka-oauth"))
                let fetched = try await eventually {
                    records.all.contains { $0.message == "SASL/OAUTHBEARER token fetched" && $0.metadata["principal"] == "kafka-producer" }
                }
                #expect(fetched, "librdkafka took a token whose subject is the service account")
                let keys = try await api.get("/v1/api-keys", token: admin)
                guard case .array(let items)? = try keys.json["items"] else { throw TestSetupError("no key list") }
                let used = items.contains { item in
                    guard case .object(let key) = item, key["id"] == .string(robot.id), case .string? = key["last_used_at"] else { return false }
                    return true
                }
                #expect(used, "governance authenticated the producer's key")
                withExtendedLifetime(producer) {}

                let refusals = LogRecords()
                let wrongSecret = "mk_\(robot.prefix)_" + String(repeating: "w", count: 43)
                let bad = try configuration(secret: wrongSecret)
                let refused = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: bad.kafkaBrokers, properties: bad.kafkaProperties),
                                                logger: refusals.logger(label: "maestro.test.kafka-oauth"))
                let failed = try await eventually {
                    refusals.all.contains { $0.message == "SASL/OAUTHBEARER token fetch failed" && ($0.metadata["error"] ?? "").contains("HTTP 401 (invalid_client)") }
                }
                #expect(failed, "\(refusals.all.map { "\($0.message) \($0.metadata)" })")
                #expect(!refusals.all.contains { record in record.message.contains(wrongSecret) || record.metadata.values.contains { $0.contains(wrongSecret) } })
                withExtendedLifetime(refused) {}
            }
        }
    }
}
