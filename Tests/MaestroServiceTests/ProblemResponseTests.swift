import Foundation
import Hummingbird
import HummingbirdTesting
import MaestroHTTPTestSupport
import MaestroService
import MaestroTestSupport
import Testing

@Suite("Problem responses")
struct ProblemResponseTests {
    @Test func aBodyOverTheLimitIs413() async throws {
        let service = try await TestService.make()
        let token = try await service.keys.token(roles: ["editor"])
        let large = #"{"name":"\#(String(repeating: "x", count: 2000))","size":1}"#
        for setup in [TestingSetup.router, .live] {
            try await service.application.test(setup) { client in
                let response = try await client.execute(uri: "/v1/items", method: .post, headers: .json(token), body: ByteBuffer(string: large))
                #expect(response.status == .contentTooLarge)
                let problem = try response.problem()
                #expect(problem.status == 413)
                #expect(problem.type == "urn:maestro:problem:content-too-large")
                #expect(problem.detail.contains("1024"))
            }
        }
        #expect(service.created.count == 0)
    }

    @Test func aWrongContentTypeIs415() async throws {
        let service = try await TestService.make()
        let token = try await service.keys.token(roles: ["editor"])
        try await service.application.test(.router) { client in
            for headers: HTTPFields in [[.authorization: "Bearer \(token)", .contentType: "text/plain"], .bearer(token)] {
                let response = try await client.execute(uri: "/v1/items", method: .post, headers: headers,
                                                        body: ByteBuffer(string: #"{"name":"a","size":1}"#))
                #expect(response.status == .unsupportedMediaType)
                #expect(try response.problem().status == 415)
            }
            let charset = try await client.execute(uri: "/v1/items", method: .post,
                                                   headers: [.authorization: "Bearer \(token)", .contentType: "application/json; charset=utf-8"],
                                                   body: ByteBuffer(string: #"{"name":"a","size":1}"#))
            #expect(charset.status == .created)
        }
    }

    @Test func malformedJSONIs400() async throws {
        let service = try await TestService.make()
        let token = try await service.keys.token(roles: ["editor"])
        try await service.application.test(.router) { client in
            let response = try await client.execute(uri: "/v1/items", method: .post, headers: .json(token), body: ByteBuffer(string: #"{"name": "a", "#))
            #expect(response.status == .badRequest)
            let problem = try response.problem()
            #expect(problem.status == 400)
            #expect(problem.type == "urn:maestro:problem:malformed-json")
        }
    }

    @Test func invalidValuesAre422NamingEachField() async throws {
        let service = try await TestService.make()
        let token = try await service.keys.token(roles: ["editor"])
        try await service.application.test(.router) { client in
            let invalid = try await client.execute(uri: "/v1/items", method: .post, headers: .json(token), body: ByteBuffer(string: #"{"name":"","size":-1}"#))
            #expect(invalid.status == .unprocessableContent)
            let problem = try invalid.problem()
            #expect(problem.status == 422)
            #expect(problem.type == "urn:maestro:problem:invalid-request")
            #expect(problem.errors.map(\.field) == ["name", "size"])

            let missing = try await client.execute(uri: "/v1/items", method: .post, headers: .json(token), body: ByteBuffer(string: #"{"name":"a"}"#))
            #expect(missing.status == .unprocessableContent)
            #expect(try missing.problem().errors.first?.field == "size")

            let mistyped = try await client.execute(uri: "/v1/items", method: .post, headers: .json(token), body: ByteBuffer(string: #"{"name":"a","size":"big"}"#))
            #expect(mistyped.status == .unprocessableContent)
            #expect(try mistyped.problem().errors.first?.field == "size")
        }
        #expect(service.created.count == 0)
    }

    @Test func anUnknownRouteIs404Problem() async throws {
        let service = try await TestService.make()
        let token = try await service.keys.token()
        try await service.application.test(.router) { client in
            let response = try await client.execute(uri: "/v1/nothing-here", method: .get, headers: .bearer(token))
            #expect(response.status == .notFound)
            let problem = try response.problem()
            #expect(problem.status == 404)
            #expect(problem.instance == "/v1/nothing-here")
        }
    }

    @Test func anUnexpectedErrorIs500WithoutInternals() async throws {
        let service = try await TestService.make()
        let token = try await service.keys.token()
        try await service.application.test(.router) { client in
            let response = try await client.execute(uri: "/v1/items/boom", method: .get, headers: .bearer(token))
            #expect(response.status == .internalServerError)
            let problem = try response.problem()
            #expect(problem.status == 500)
            #expect(!response.text.contains("hunter2"))
            #expect(!response.text.contains("SELECT"))
        }
    }

    @Test func requestIDIsEchoedOrGenerated() async throws {
        let service = try await TestService.make()
        try await service.application.test(.live) { client in
            let given = try await client.execute(uri: "/health/live", method: .get, headers: [RequestIDMiddleware.header: "req-123"])
            #expect(given.headers[RequestIDMiddleware.header] == "req-123")
            let generated = try await client.execute(uri: "/health/live", method: .get)
            let id = try #require(generated.headers[RequestIDMiddleware.header])
            #expect(UUID(uuidString: id) != nil)
            let hostile = try await client.execute(uri: "/v1/items", method: .get, headers: [RequestIDMiddleware.header: "a b\nforged"])
            #expect(hostile.headers[RequestIDMiddleware.header] != "a b\nforged")
            #expect(hostile.status == .unauthorized)
            #expect(hostile.headers[RequestIDMiddleware.header] != nil)
        }
    }
}
