import Hummingbird
import Logging
import MaestroDomain
import MaestroRedis
import Synchronization

/// Admits a signed-in request: its token is not revoked (``RevocationList``, 401) and its
/// principal is within a token bucket shared by all replicas through Redis (429 with
/// `Retry-After`). Both checks are one Lua script, so one Redis round trip, and a revoked token
/// takes nothing from the bucket its principal's valid tokens share.
///
/// **Fails open**: while Redis is unreachable requests pass without either check, with a
/// warning log. The limit protects capacity and the deny list shortens the life of tokens that
/// expire anyway; refusing every request because of an outage in a protective layer would turn
/// a Redis outage into a full API outage.
///
/// Normally the checks run before the handler. On ``ServiceRoutes/cachedReads`` they wait for
/// the handler's first Redis read (``MaestroRequestContext/redisRead(_:on:)``) and share its
/// round trip; if the handler never reads Redis, they run once it returns, and a refusal
/// replaces its answer.
public struct AdmissionMiddleware: RouterMiddleware {
    public typealias Context = MaestroRequestContext
    let limiter: RedisRateLimiter
    let withHandlersRead: Bool

    /// - Parameter withHandlersRead: the checks share the handler's first Redis read.
    public init(limiter: RedisRateLimiter, withHandlersRead: Bool = false) {
        self.limiter = limiter
        self.withHandlersRead = withHandlersRead
    }

    public init(redis: RedisClient, limit: ServiceConfiguration.RateLimit, withHandlersRead: Bool = false) {
        self.init(limiter: RedisRateLimiter(client: redis, capacity: limit.burst, refillPerSecond: limit.requestsPerSecond),
                  withHandlersRead: withHandlersRead)
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let principal = context.principal else {
            return try await next(request, context)
        }
        let admission = RequestAdmission(limiter: limiter, bucket: Self.bucket(for: principal),
                                         denial: RevocationList.denial(for: principal), logger: context.logger)
        guard withHandlersRead else {
            _ = try await admission.checkIfPending(along: RedisPipeline())
            return try await next(request, context)
        }
        var context = context
        context.admission = admission
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            // A refusal answers before whatever the handler ran into.
            _ = try await admission.checkIfPending(along: RedisPipeline())
            throw error
        }
        _ = try await admission.checkIfPending(along: RedisPipeline())
        return response
    }

    /// Length-prefixed, so no tenant/subject pair can collide with another.
    static func bucket(for principal: Principal) -> String {
        "\(principal.tenant.utf8.count):\(principal.tenant):\(principal.subject)"
    }
}

/// One request's admission checks (revocation and rate limit), run once: by
/// ``AdmissionMiddleware``, or together with the handler's first Redis read.
public final class RequestAdmission: Sendable {
    let limiter: RedisRateLimiter
    let bucket: String
    let denial: RedisRateLimiter.Denial?
    let logger: Logger
    private let pending = Atomic<Bool>(true)

    init(limiter: RedisRateLimiter, bucket: String, denial: RedisRateLimiter.Denial?, logger: Logger) {
        self.limiter = limiter
        self.bucket = bucket
        self.denial = denial
        self.logger = logger
    }

    /// Runs the checks with `reads` in the same round trip, unless they ran before (then
    /// `nil`, and the reads did not run). Throws 401 for a revoked token, 429 over the limit;
    /// returns the replies of `reads`, or `nil` when Redis failed (the checks are skipped with
    /// a warning).
    func checkIfPending(along reads: RedisPipeline) async throws(HTTPProblem) -> [RedisValue]?? {
        guard pending.exchange(false, ordering: .relaxed) else { return .none }
        let outcome: (decision: RedisRateLimiter.Decision, replies: [RedisValue])
        do {
            outcome = try await limiter.acquire(bucket, refusing: denial, along: reads)
        } catch {
            logger.warning("rate limit and revocations not checked: Redis unavailable", metadata: ["error": "\(error)"])
            return .some(nil)
        }
        if outcome.decision.denied {
            throw .unauthorized("The bearer token has been revoked.")
        }
        guard outcome.decision.allowed else {
            throw .tooManyRequests(retryAfter: outcome.decision.retryAfter)
        }
        return .some(outcome.replies)
    }
}

extension MaestroRequestContext {
    /// Runs read-only `reads` on `redis`, together with this request's admission checks if they
    /// are still pending (``ServiceRoutes/cachedReads``): one round trip for both. Throws what
    /// the checks refuse (401, 429) before any reply is used. Returns the replies in order, or
    /// `nil` when Redis failed (logged): answer without Redis then.
    public func redisRead(_ reads: RedisPipeline, on redis: RedisClient) async throws(HTTPProblem) -> [RedisValue]? {
        if let admission, let replies = try await admission.checkIfPending(along: reads) {
            return replies
        }
        do {
            return try await redis.execute(reads)
        } catch {
            logger.warning("Redis read failed", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// Runs this request's admission checks now if they are still pending; for a handler on
    /// ``ServiceRoutes/cachedReads`` about to do other work than its Redis read.
    public func admit() async throws(HTTPProblem) {
        _ = try await admission?.checkIfPending(along: RedisPipeline())
    }
}
