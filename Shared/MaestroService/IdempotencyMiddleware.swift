import Foundation
import Hummingbird
import Logging
import MaestroDomain
import MaestroRedis

/// `Idempotency-Key` for POST: a retried request gets the first request's response
/// instead of repeating its effect.
///
/// - The key is scoped to tenant, subject, path and the header value, so two callers
///   (or two paths) never share a record.
/// - The first request claims the key atomically (`SET NX`). While it runs, a duplicate
///   gets 409; once it has answered, its status, `Content-Type`, `Location` and `ETag`
///   headers and body are kept for `ttl` and replayed with `Idempotent-Replayed: true`.
/// - The first request's body is kept with the record and compared byte for byte: the
///   same key with a different body is 422.
/// - A request that throws or answers 5xx releases the key, so the client may retry it.
/// - A response marked `Cache-Control: no-store` (it carries a secret, e.g. a new API key)
///   is never kept: the key still records that the request succeeded, and a retry gets 409
///   instead of the secret.
/// - **Fails closed**: if Redis is unreachable, a POST carrying the header gets 503,
///   because running it unprotected could apply its effect twice.
public struct IdempotencyMiddleware: RouterMiddleware {
    public typealias Context = MaestroRequestContext
    public static let header = HTTPFields.Element.Name("Idempotency-Key")!
    public static let replayedHeader = HTTPFields.Element.Name("Idempotent-Replayed")!
    static let storedHeaders: [HTTPFields.Element.Name] = [.contentType, .location, .eTag]

    let redis: RedisClient
    let ttl: Duration
    let claimTTL: Duration
    let keyPrefix: String

    /// - Parameters:
    ///   - ttl: how long a completed response is replayed.
    ///   - claimTTL: how long an unfinished claim blocks duplicates if its process dies.
    public init(redis: RedisClient, ttl: Duration = .seconds(24 * 3600), claimTTL: Duration = .seconds(60),
                keyPrefix: String = "maestro:idempotency:") {
        self.redis = redis
        self.ttl = ttl
        self.claimTTL = claimTTL
        self.keyPrefix = keyPrefix
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .post, let value = request.headers[Self.header] else {
            return try await next(request, context)
        }
        guard (1...255).contains(value.utf8.count), value.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) else {
            throw HTTPProblem.badRequest("Idempotency-Key must be 1 to 255 visible ASCII characters.",
                                         errors: [.init(field: "Idempotency-Key", message: "invalid")])
        }
        let principal = try context.requirePrincipal()
        var request = request
        let requestBody = Data(try await request.collectBody(upTo: context.maxUploadSize).readableBytesView)
        let key = keyPrefix + [principal.tenant, principal.subject, request.uri.path, value]
            .map { "\($0.utf8.count):\($0)" }.joined()

        let claim = Record(state: .inFlight, request: requestBody)
        do {
            let reply = try await redis.send(["SET", key, try Self.encode(claim), "NX", "PX", String(Self.milliseconds(claimTTL))])
            if reply.isNull {
                return try await existing(key: key, requestBody: requestBody)
            }
        } catch let error as RedisError {
            throw unavailable(error, context)
        }

        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            await release(key, context)
            throw error
        }
        if response.status.code >= 500 {
            await release(key, context)
            return response
        }
        let body = try await Self.collect(response.body)
        var record = Record(state: .complete, request: requestBody)
        record.status = response.status.code
        record.headers = Dictionary(uniqueKeysWithValues: Self.storedHeaders.compactMap { name in
            response.headers[name].map { (name.canonicalName, $0) }
        })
        if response.headers[.cacheControl]?.lowercased().contains("no-store") == true {
            record.withheld = true
        } else {
            record.body = body
        }
        do {
            try await redis.set(key, Self.encode(record), ttl: ttl)
        } catch {
            context.logger.warning("idempotent response not stored", metadata: ["error": "\(error)"])
        }
        var replay = response
        replay.body = ResponseBody(byteBuffer: ByteBuffer(bytes: body))
        return replay
    }

    private func existing(key: String, requestBody: Data) async throws -> Response {
        guard let stored = try await redis.get(key), let record = try? JSONDecoder().decode(Record.self, from: Data(stored)) else {
            throw HTTPProblem.conflict("A request with this Idempotency-Key is being processed; retry later.")
        }
        guard record.request == requestBody else {
            throw HTTPProblem.invalid([.init(field: "Idempotency-Key", message: "was used with a different request body")],
                                      detail: "This Idempotency-Key was already used with a different request body.")
        }
        guard record.state == .complete, let code = record.status else {
            throw HTTPProblem.conflict("A request with this Idempotency-Key is being processed; retry later.")
        }
        if record.withheld == true {
            throw HTTPProblem.conflict("The request with this Idempotency-Key already succeeded; its response held a secret, which is not kept.")
        }
        var headers = HTTPFields()
        for (name, value) in record.headers ?? [:] {
            if let fieldName = HTTPFields.Element.Name(name) { headers[fieldName] = value }
        }
        headers[Self.replayedHeader] = "true"
        return Response(status: HTTPResponse.Status(code: code), headers: headers,
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: record.body ?? Data())))
    }

    private func release(_ key: String, _ context: Context) async {
        do {
            _ = try await redis.del(key)
        } catch {
            context.logger.warning("idempotency key not released", metadata: ["error": "\(error)"])
        }
    }

    private func unavailable(_ error: RedisError, _ context: Context) -> HTTPProblem {
        context.logger.warning("idempotency store unavailable", metadata: ["error": "\(error)"])
        return .serviceUnavailable("Idempotency-Key cannot be honoured right now; retry later.")
    }

    static func encode(_ record: Record) throws -> String {
        String(decoding: try JSONEncoder().encode(record), as: UTF8.self)
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }

    static func collect(_ body: ResponseBody) async throws -> Data {
        let sink = BodySink()
        try await body.write(sink)
        return sink.collected.data
    }

    struct Record: Codable {
        enum State: String, Codable { case inFlight = "in-flight", complete }
        var state: State
        var request: Data
        var status: Int?
        var headers: [String: String]?
        var body: Data?
        /// The response held a secret and was not kept.
        var withheld: Bool?
    }
}

/// A response body writer that keeps what it is given.
private struct BodySink: ResponseBodyWriter {
    final class Storage: @unchecked Sendable {
        // Used by one task at a time: the body writes sequentially, then it is read.
        var data = Data()
    }

    let collected = Storage()

    mutating func write(_ buffer: ByteBuffer) async throws {
        collected.data.append(contentsOf: buffer.readableBytesView)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
