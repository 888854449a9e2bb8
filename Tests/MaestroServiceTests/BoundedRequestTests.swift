import Foundation
import Glibc
import Hummingbird
import HummingbirdTesting
import MaestroHTTPTestSupport
import MaestroPostgres
@testable import MaestroService
import MaestroTestSupport
import PostgresNIO
import Testing

/// What no request may do to a service: put a NUL where PostgreSQL stores text, or hold the
/// database past the statement timeout.
@Suite("Bounded requests")
struct BoundedRequestTests {
    @Test("a NUL in the path, a query parameter or any JSON member is a 4xx naming where it was, never a 500")
    func nulIsRefusedWhereTextEnters() async throws {
        let service = try await TestService.make()
        let token = try await service.keys.token(roles: ["editor"])
        try await service.application.test(.router) { client in
            let path = try await client.execute(uri: "/v1/items/a%00b", method: .put, headers: .bearer(token))
            #expect(path.status == .badRequest)
            #expect(try path.problem().errors.map(\.field) == ["path"])

            for query in ["name=a%00b", "name=a%00", "page_size=2&na%00me=x"] {
                let response = try await client.execute(uri: "/v1/items?\(query)", method: .get, headers: .bearer(token))
                #expect(response.status == .badRequest, "\(query)")
                #expect(try response.problem().errors.first?.message == "must not contain NUL", "\(query)")
            }
            let named = try await client.execute(uri: "/v1/items?page_size=2&name=a%00b", method: .get, headers: .bearer(token))
            #expect(try named.problem().errors.map(\.field) == ["name"])

            let bodies: [(String, String?)] = [
                (#"{"name":"a\u0000b","size":1}"#, "name"),
                (#"{"name":"ok","size":1,"tags":{"k":["x","\u0000"]}}"#, "tags.k[1]"),
                (#"{"name":"ok","size":1,"a\u0000":1}"#, "a\\u0000"),
                (#""\u0000""#, nil),
            ]
            for (body, field) in bodies {
                let response = try await client.execute(uri: "/v1/items", method: .post, headers: .json(token), body: ByteBuffer(string: body))
                #expect(response.status == .unprocessableContent, "\(body)")
                let problem = try response.problem()
                #expect(problem.errors.first?.field == field, "\(body)")
                #expect(problem.errors.first?.message == "must not contain NUL (U+0000)", "\(body)")
            }
            // An escaped backslash followed by "u0000" is text, not a NUL.
            let literal = try await client.execute(uri: "/v1/items", method: .post, headers: .json(token),
                                                   body: ByteBuffer(string: #"{"name":"a\\u0000b","size":1}"#))
            #expect(literal.status == .created)
        }
    }

    @Test("a statement running past the statement timeout is cancelled by PostgreSQL and answered 503")
    func statementTimeout() async throws {
        let database = try await TestDatabase.create()
        var settings = try database.runtimeSettings(schema: "public")
        settings.statementTimeout = .milliseconds(200)
        let client = makeClient(settings)
        try await withRunning(client) { client async throws -> Void in
            let started = ContinuousClock.now
            do {
                for try await _ in try await client.query("SELECT pg_sleep(5)") {}
                Issue.record("pg_sleep(5) ran to the end despite a 200 ms statement timeout")
            } catch {
                #expect(ContinuousClock.now - started < .seconds(4), "cancelled by the timeout, not finished")
                let problem = ProblemMiddleware.problem(for: error)
                #expect(problem.status == .serviceUnavailable)
                #expect(problem.type == "urn:maestro:problem:service-unavailable")
            }
            // A quick statement on the same connections is unaffected.
            #expect(try await client.integer("SELECT 42::int8") == 42)
        }
    }

    @Test("a client that disconnects mid-request stops its statement: PostgreSQL ends it within seconds, not when it would have finished")
    func disconnectStopsTheStatement() async throws {
        let database = try await TestDatabase.create()
        let keys = try await TestKeys.make()
        let configuration = try ServiceConfiguration(environment: ["MAESTRO_JWKS_FILE": keys.jwksPath], defaultPort: 0)
        let client = makeClient(try database.runtimeSettings(schema: "public"))
        let observer = makeClient(try database.runtimeSettings(schema: "public"))
        try await withRunning(observer) { observer in
            try await withRunning(client) { client in
                let router = ServiceRunner.router(configuration: configuration, verifier: TokenVerifier(configuration, logger: TestService.logger), redis: nil,
                                                  logger: TestService.logger) { routes in
                    routes.open.get("/v1/slow-query") { _, _ -> Response in
                        try await client.transaction(logger: TestService.logger) { connection in
                            try await connection.query("SELECT pg_sleep(30)", logger: TestService.logger)
                        }
                        return Response(status: .ok)
                    }
                }
                let app = Application(router: router, server: ServiceRunner.httpServer, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                                      logger: TestService.logger)
                try await app.test(.live) { testClient in
                    // A client that sends its request, waits a second and hangs up.
                    let port = try #require(testClient.port)
                    let socket = try RawClientSocket(port: port)
                    try socket.send("GET /v1/slow-query HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                    try await Task.sleep(for: .seconds(1))
                    #expect(try await observer.integer("SELECT count(*)::int FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)' AND state = 'active'") == 1)
                    socket.close()
                    func running() async throws -> Int {
                        try await observer.integer("SELECT count(*)::int FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)' AND state = 'active'")
                    }
                    let deadline = ContinuousClock.now + .seconds(10)
                    while try await running() > 0, ContinuousClock.now < deadline {
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    #expect(try await running() == 0, "the statement still runs 10 s after its client left")
                }
            }
        }
    }

    @Test("the statement timeout is read in milliseconds, defaults to 15 s, and is not applied to migrations")
    func statementTimeoutSetting() throws {
        #expect(try ServiceConfiguration(environment: [:], defaultPort: 1).statementTimeout == .seconds(15))
        let configured = try ServiceConfiguration(environment: ["MAESTRO_POSTGRES_STATEMENT_TIMEOUT_MS": "2500"], defaultPort: 1)
        #expect(configured.statementTimeout == .milliseconds(2500))
        #expect(try configured.postgresSettings(schema: "registry").statementTimeout == .milliseconds(2500))
        #expect(throws: ConfigurationError.self) { try ServiceConfiguration(environment: ["MAESTRO_POSTGRES_STATEMENT_TIMEOUT_MS": "50"], defaultPort: 1) }
    }
}

/// A plain TCP client, to send a request and hang up without reading the answer.
private final class RawClientSocket {
    private let descriptor: Int32

    init(port: Int) throws {
        descriptor = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard descriptor >= 0, connected == 0 else { throw TestSetupError("cannot connect to 127.0.0.1:\(port)") }
    }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard Glibc.send(descriptor, bytes, bytes.count, 0) == bytes.count else { throw TestSetupError("cannot send") }
    }

    func close() {
        _ = Glibc.close(descriptor)
    }
}
