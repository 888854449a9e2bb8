import Hummingbird
import Logging
import MaestroDomain
import MaestroRedis

/// A token bucket per principal (tenant and subject), shared by all replicas through
/// Redis. Over the limit, the request gets 429 with `Retry-After`.
///
/// **Fails open**: while Redis is unreachable requests pass unlimited, with a warning log.
/// The limit protects capacity, and refusing every request because of an outage in a
/// protective layer would turn a Redis outage into a full API outage.
public struct RateLimitMiddleware: RouterMiddleware {
    public typealias Context = MaestroRequestContext
    let limiter: RedisRateLimiter

    public init(limiter: RedisRateLimiter) {
        self.limiter = limiter
    }

    public init(redis: RedisClient, limit: ServiceConfiguration.RateLimit) {
        self.limiter = RedisRateLimiter(client: redis, capacity: limit.burst, refillPerSecond: limit.requestsPerSecond)
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let principal = context.principal else {
            return try await next(request, context)
        }
        let decision: RedisRateLimiter.Decision
        do {
            decision = try await limiter.acquire(Self.bucket(for: principal))
        } catch {
            context.logger.warning("rate limit not enforced: Redis unavailable", metadata: ["error": "\(error)"])
            return try await next(request, context)
        }
        guard decision.allowed else {
            throw HTTPProblem.tooManyRequests(retryAfter: decision.retryAfter)
        }
        return try await next(request, context)
    }

    /// Length-prefixed, so no tenant/subject pair can collide with another.
    static func bucket(for principal: Principal) -> String {
        "\(principal.tenant.utf8.count):\(principal.tenant):\(principal.subject)"
    }
}
