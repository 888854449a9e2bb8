/// A token bucket per principal, kept in Redis so every replica of a service enforces one
/// shared limit.
///
/// Each check is one atomic Lua script: refill by the time elapsed, then take `cost`
/// tokens if there are enough. Time is Redis's own clock (`TIME`), so clients' clocks may
/// drift without granting extra tokens. The bucket key expires once it would be full again,
/// so idle principals leave nothing behind.
///
/// The same script can first consult a deny list (``Denial``): a refused credential takes no
/// tokens, so a revoked token cannot drain the bucket its principal's valid tokens share. And
/// other commands can ride in the same round trip (``acquire(_:cost:refusing:along:)``).
public struct RedisRateLimiter: Sendable {
    public struct Decision: Sendable, Hashable {
        public let allowed: Bool
        /// The deny list refused the credential; no tokens were taken.
        public let denied: Bool
        /// Whole tokens left after this request.
        public let remaining: Int
        /// How long until `cost` tokens will be available; zero when allowed or denied. Round up
        /// to whole seconds for an HTTP `Retry-After` header.
        public let retryAfter: Duration
    }

    /// A deny list of times: a credential issued at `issuedAt` is refused when any of `keys`
    /// holds a time (epoch seconds, as text) at or after it.
    public struct Denial: Sendable, Hashable {
        public var keys: [String]
        public var issuedAt: Double

        public init(keys: [String], issuedAt: Double) {
            self.keys = keys
            self.issuedAt = issuedAt
        }
    }

    public let capacity: Int
    public let refillPerSecond: Double
    private let client: RedisClient
    private let keyPrefix: String

    /// - Parameters:
    ///   - capacity: the burst size; a new bucket starts full.
    ///   - refillPerSecond: tokens added per second, up to `capacity`.
    ///   - keyPrefix: prepended to the principal to form the bucket's key.
    public init(client: RedisClient, capacity: Int, refillPerSecond: Double, keyPrefix: String = "maestro:ratelimit:") {
        precondition(capacity >= 1 && refillPerSecond > 0, "a token bucket needs capacity >= 1 and a positive refill rate")
        self.client = client
        self.capacity = capacity
        self.refillPerSecond = refillPerSecond
        self.keyPrefix = keyPrefix
    }

    /// Takes `cost` tokens from `principal`'s bucket if it holds enough; otherwise takes
    /// nothing and says how long to wait. With `denial`, a refused credential takes nothing.
    public func acquire(_ principal: String, cost: Int = 1, refusing denial: Denial? = nil) async throws(RedisError) -> Decision {
        try await acquire(principal, cost: cost, refusing: denial, along: RedisPipeline()).decision
    }

    /// ``acquire(_:cost:refusing:)``, with `others` sent in the same round trip, after the
    /// check: their replies come back whatever the decision, so they should only read.
    public func acquire(_ principal: String, cost: Int = 1, refusing denial: Denial? = nil,
                        along others: RedisPipeline) async throws(RedisError) -> (decision: Decision, replies: [RedisValue]) {
        precondition(cost >= 1 && cost <= capacity, "cost must be between 1 and the bucket's capacity")
        var pipeline = RedisPipeline()
        pipeline.run(Self.script, keys: [keyPrefix + principal] + (denial?.keys ?? []),
                     arguments: [String(capacity), String(refillPerSecond), String(cost), denial.map { String($0.issuedAt) } ?? ""])
        pipeline.append(contentsOf: others)
        var replies = try await client.execute(pipeline)
        let reply = try client.scriptReply(replies.removeFirst())
        guard let items = reply.array, items.count == 3, let outcome = items[0].integer,
              let tokens = items[1].string.flatMap(Double.init), let wait = items[2].string.flatMap(Double.init) else {
            throw reply.unexpected("rate limiter script")
        }
        let decision = Decision(allowed: outcome == 1, denied: outcome == -1, remaining: Int(tokens.rounded(.down)),
                                retryAfter: .microseconds(Int64((wait * 1_000_000).rounded(.up))))
        return (decision, replies)
    }

    /// KEYS[1]: the bucket (a hash of `tokens` and `ts`, microseconds of Redis time); KEYS[2…]:
    /// the deny list's entries. ARGV: capacity, refill per second, cost, the credential's issue
    /// time (empty without a deny list). Returns {1 allowed / 0 limited / -1 denied, tokens,
    /// retry-after seconds}, the two numbers as strings because Redis truncates Lua numbers to
    /// integers.
    static let script = RedisScript("""
        local issued = tonumber(ARGV[4])
        if issued ~= nil then
            for i = 2, #KEYS do
                local revoked = tonumber(redis.call('GET', KEYS[i]))
                if revoked ~= nil and issued <= revoked then
                    return {-1, '0', '0'}
                end
            end
        end
        local capacity = tonumber(ARGV[1])
        local rate = tonumber(ARGV[2])
        local cost = tonumber(ARGV[3])
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
        local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
        local tokens = tonumber(bucket[1])
        local last = tonumber(bucket[2])
        if tokens == nil or last == nil then
            tokens = capacity
            last = now
        end
        tokens = math.min(capacity, tokens + math.max(0, now - last) * rate / 1000000)
        local allowed = 0
        local wait = 0
        if tokens >= cost then
            tokens = tokens - cost
            allowed = 1
        else
            wait = (cost - tokens) / rate
        end
        redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'ts', string.format('%.0f', now))
        redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate * 1000) + 1000)
        return {allowed, string.format('%.6f', tokens), string.format('%.6f', wait)}
        """)
}
