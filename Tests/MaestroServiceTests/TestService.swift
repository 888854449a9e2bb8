import Foundation
import Hummingbird
import HummingbirdTesting
import JWTKit
import Logging
import MaestroRedis
import MaestroDomain
import MaestroService
import MaestroTestSupport

/// An ES256 signing key for tests, with its public half written as a JWKS file.
struct TestKeys {
    let key: DevSigningKey
    let jwksPath: String

    static func make(kid: String = "test-key") async throws -> TestKeys {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("maestro-service-tests-\(UUID().uuidString)")
        let key = try DevSigningKey.loadOrCreate(in: directory, keyID: kid)
        return TestKeys(key: key, jwksPath: directory.appendingPathComponent(DevSigningKey.jwksFile).path)
    }

    func token(subject: String = "alice", tenant: String = "acme", roles: [String] = ["viewer"],
               expiresIn: Int64 = 300, issuer: String = ServiceConfiguration.defaultTokenIssuer, principalID: String? = nil,
               keyID: String? = nil) async throws -> String {
        try await key.token(subject: subject, tenant: tenant, roles: roles, lifetime: .seconds(expiresIn), issuer: issuer,
                            principalID: principalID, apiKeyID: keyID)
    }
}

struct Item: Codable, Sendable, Equatable {
    var name: String
    var size: Int
}

struct ItemCursor: Codable, Sendable, Equatable {
    var after: Int
}

struct InternalFailure: Error, CustomStringConvertible {
    var description: String { "password=hunter2 in SELECT * FROM secrets" }
}

/// A small service built with the kit, the way a real one is.
struct TestService {
    let keys: TestKeys
    let router: Router<MaestroRequestContext>
    let redis: RedisClient?
    /// Items the POST handler accepted, to count effects.
    let created: Collector<Item>

    static let logger: Logger = {
        var logger = Logger(label: "maestro.service.test")
        logger.logLevel = ProcessInfo.processInfo.environment["MAESTRO_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        return logger
    }()

    /// - Parameter redis: whether to use the Redis `make test` started (rate limit, idempotency).
    static func make(redis useRedis: Bool = false, environment: [String: String] = [:],
                     readiness: [ReadinessCheck] = []) async throws -> TestService {
        let keys = try await TestKeys.make()
        var env = ["MAESTRO_JWKS_FILE": keys.jwksPath, "MAESTRO_HTTP_MAX_BODY_BYTES": "1024"]
        env.merge(environment) { $1 }
        var redis: RedisClient?
        if useRedis {
            let url = try RedisTestSupport.configuredURL()
            env["MAESTRO_REDIS_URL"] = url
            redis = RedisClient(configuration: try RedisConfiguration(url: url, poolSize: 4), logger: logger)
        }
        let configuration = try ServiceConfiguration(environment: env, defaultPort: 0)
        let verifier = TokenVerifier(configuration, logger: logger)
        let created = Collector<Item>()
        let cacheClient = redis
        let router = ServiceRunner.router(configuration: configuration, verifier: verifier, redis: redis,
                                          readiness: readiness, openAPI: OpenAPIDocument(bytes: Array("openapi: 3.1.0\n".utf8)),
                                          logger: logger) { routes in
            let items = routes.readsAndWrites.group("/v1/items")
            items.get { request, _ in
                let page = try PageRequest<ItemCursor>(request, defaultSize: 2, maxSize: 3)
                let start = page.cursor?.after ?? 0
                let all = (0..<10).map { Item(name: "item-\($0)", size: $0) }
                let slice = Array(all[min(start, all.count)..<min(start + page.size, all.count)])
                let next = start + page.size < all.count ? ItemCursor(after: start + page.size) : nil
                return Page(items: slice, nextPageToken: next.map { PageToken.encode($0) })
            }
            items.post { request, context in
                var request = request
                let item = try await request.decodeJSON(as: Item.self, context: context)
                var validation = FieldValidation()
                validation.check(!item.name.isEmpty, "name", "must not be empty")
                validation.check(item.size >= 0, "size", "must not be negative")
                try validation.validate()
                created.append(item)
                var response = try context.responseEncoder.encode(item, from: request, context: context)
                response.status = .created
                response.headers[.location] = "/v1/items/\(item.name)"
                response.setETag(ETag(version: 1))
                return response
            }
            items.put("{name}") { request, context in
                try request.checkIfMatch(ETag(version: 3))
                return Response(status: .noContent)
            }
            items.post("slow") { _, _ in
                try await Task.sleep(for: .milliseconds(500))
                return Response(status: .accepted)
            }
            items.get("boom") { _, _ -> Response in
                throw InternalFailure()
            }
            // A cached answer: the value at `test:cached:<key>` in Redis, read with the admission checks.
            routes.cachedReads.group("/v1/cached").get("{key}") { _, context -> Response in
                guard let cacheClient else { return Response(status: .notFound) }
                let key = try context.pathParameter("key")
                var read = RedisPipeline()
                read.get("test:cached:\(key)")
                guard let value = try await context.redisRead(read, on: cacheClient)?.first?.bytes else { return Response(status: .notFound) }
                return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(bytes: value)))
            }
            routes.requiring(.approver).group("/v1/approvals").post { _, _ in
                Response(status: .noContent)
            }
        }
        return TestService(keys: keys, router: router, redis: redis, created: created)
    }

    var application: some ApplicationProtocol {
        Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: Self.logger)
    }

    func shutdown() async {
        await redis?.close()
    }
}

/// The decoded body of an `application/problem+json` response.
struct Problem: Decodable {
    struct FieldError: Decodable { let field: String?; let message: String }
    let type: String
    let title: String
    let status: Int
    let detail: String
    let instance: String?
    let errors: [FieldError]
}

extension TestResponse {
    var text: String { String(decoding: body.readableBytesView, as: UTF8.self) }

    /// The problem this response carries; throws unless it is problem+json with all fields.
    func problem() throws -> Problem {
        guard headers[.contentType] == "application/problem+json" else {
            throw TestSetupError("expected application/problem+json, got \(headers[.contentType] ?? "no content type"): \(text)")
        }
        return try JSONDecoder().decode(Problem.self, from: Data(body.readableBytesView))
    }
}
