import Foundation
import Hummingbird
import HummingbirdTesting
import MaestroEvents
import MaestroHTTPTestSupport
import MaestroTestSupport
import Testing
@testable import Registry

@Suite("Registry model lifecycle", .serialized, .timeLimit(.minutes(2)))
struct ModelLifecycleTests {
    @Test("a model and its version are created through /v1, each change with its event in the outbox")
    func createModelAndVersion() async throws {
        try await RegistryHarness.with { registry in
            let token = try await registry.token()
            try await registry.application.test(.router) { client in
                let created = try await client.execute(uri: "/v1/models", method: .post, headers: .json(token),
                                                       body: ByteBuffer(string: #"{"name":"fraud","description":"d","tags":{"team":"risk"}}"#))
                #expect(created.status == .created)
                #expect(created.headers[.eTag] == "\"v1\"")
                let version = try await client.execute(uri: "/v1/models/fraud/versions", method: .post, headers: .json(token),
                                                       body: ByteBuffer(string: #"{"source":"s3://bucket/fraud/1","metrics":{"auc":0.91}}"#))
                #expect(version.status == .created)
                #expect(try version.json["version"] == .number(1))
                let fetched = try await client.execute(uri: "/v1/models/fraud", method: .get, headers: .bearer(token))
                #expect(try fetched.json["tags"] == .object(["team": .string("risk")]))
            }
            let events = try await registry.outboxEvents()
            #expect(events.map(\.type) == [RegistryEvent.ModelCreated.eventType.name, RegistryEvent.ModelVersionCreated.eventType.name])
            #expect(events.allSatisfy { $0.key == "fraud" })
        }
    }
}
