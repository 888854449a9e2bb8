import Foundation
import Hummingbird
import HummingbirdTesting
import MaestroHTTPTestSupport
import MaestroService
import MaestroTestSupport
import Testing

/// Rate limiting and idempotency against the Redis `make test` starts (`MAESTRO_REDIS_URL`).
@Suite("Rate limit and idempotency (Redis)", .serialized, .timeLimit(.minutes(1)))
struct RedisBackedTests {
    @Test func overTheLimitIs429WithRetryAfter() async throws {
        let service = try await TestService.make(redis: true, environment: ["MAESTRO_RATE_LIMIT_BURST": "2", "MAESTRO_RATE_LIMIT_RPS": "0.05"])
        let token = try await service.keys.token(subject: "rate-\(UUID().uuidString)")
        let other = try await service.keys.token(subject: "rate-\(UUID().uuidString)")
        try await service.application.test(.router) { client in
            #expect(try await client.execute(uri: "/v1/items", method: .get, headers: .bearer(token)).status == .ok)
            #expect(try await client.execute(uri: "/v1/items", method: .get, headers: .bearer(token)).status == .ok)
            let limited = try await client.execute(uri: "/v1/items", method: .get, headers: .bearer(token))
            #expect(limited.status == .tooManyRequests)
            let retryAfter = try #require(limited.headers[.retryAfter].flatMap(Int.init))
            #expect(retryAfter >= 1 && retryAfter <= 20)
            let problem = try limited.problem()
            #expect(problem.status == 429)
            #expect(problem.type == "urn:maestro:problem:rate-limited")
            #expect(try await client.execute(uri: "/v1/items", method: .get, headers: .bearer(other)).status == .ok)
            #expect(try await client.execute(uri: "/health/live", method: .get).status == .ok)
        }
        await service.shutdown()
    }

    @Test func aRepeatedIdempotencyKeyReplaysTheFirstResponse() async throws {
        let service = try await TestService.make(redis: true)
        let token = try await service.keys.token(subject: "idem-\(UUID().uuidString)", roles: ["editor"])
        let headers = HTTPFields.json(token, idempotencyKey: UUID().uuidString)
        let body = #"{"name":"alpha","size":3}"#
        try await service.application.test(.router) { client in
            let first = try await client.execute(uri: "/v1/items", method: .post, headers: headers, body: ByteBuffer(string: body))
            #expect(first.status == .created)
            #expect(first.headers[IdempotencyMiddleware.replayedHeader] == nil)
            let second = try await client.execute(uri: "/v1/items", method: .post, headers: headers, body: ByteBuffer(string: body))
            #expect(second.status == .created)
            #expect(second.headers[IdempotencyMiddleware.replayedHeader] == "true")
            #expect(second.text == first.text)
            #expect(second.headers[.location] == "/v1/items/alpha")
            #expect(second.headers[.eTag] == first.headers[.eTag])

            let different = try await client.execute(uri: "/v1/items", method: .post, headers: headers, body: ByteBuffer(string: #"{"name":"beta","size":3}"#))
            #expect(different.status == .unprocessableContent)
            #expect(try different.problem().errors.first?.field == "Idempotency-Key")

            var fresh = headers
            fresh[IdempotencyMiddleware.header] = UUID().uuidString
            #expect(try await client.execute(uri: "/v1/items", method: .post, headers: fresh, body: ByteBuffer(string: body)).status == .created)
        }
        #expect(service.created.count == 2)
        await service.shutdown()
    }

    @Test func anInFlightDuplicateIs409() async throws {
        let service = try await TestService.make(redis: true)
        let token = try await service.keys.token(subject: "idem-\(UUID().uuidString)", roles: ["editor"])
        let headers = HTTPFields.json(token, idempotencyKey: UUID().uuidString)
        try await service.application.test(.router) { client in
            async let first = client.execute(uri: "/v1/items/slow", method: .post, headers: headers, body: ByteBuffer(string: "{}"))
            try await Task.sleep(for: .milliseconds(150))
            let duplicate = try await client.execute(uri: "/v1/items/slow", method: .post, headers: headers, body: ByteBuffer(string: "{}"))
            #expect(duplicate.status == .conflict)
            #expect(try duplicate.problem().status == 409)
            #expect(try await first.status == .accepted)
            let replay = try await client.execute(uri: "/v1/items/slow", method: .post, headers: headers, body: ByteBuffer(string: "{}"))
            #expect(replay.status == .accepted)
            #expect(replay.headers[IdempotencyMiddleware.replayedHeader] == "true")
        }
        await service.shutdown()
    }

    @Test func aFailedRequestReleasesItsKey() async throws {
        let service = try await TestService.make(redis: true)
        let token = try await service.keys.token(subject: "idem-\(UUID().uuidString)", roles: ["editor"])
        let headers = HTTPFields.json(token, idempotencyKey: UUID().uuidString)
        try await service.application.test(.router) { client in
            let invalid = try await client.execute(uri: "/v1/items", method: .post, headers: headers, body: ByteBuffer(string: #"{"name":"","size":1}"#))
            #expect(invalid.status == .unprocessableContent)
            let retried = try await client.execute(uri: "/v1/items", method: .post, headers: headers, body: ByteBuffer(string: #"{"name":"ok","size":1}"#))
            #expect(retried.status == .created)
            #expect(retried.headers[IdempotencyMiddleware.replayedHeader] == nil)
        }
        await service.shutdown()
    }
}
