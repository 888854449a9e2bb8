import MaestroRedis
import MaestroTestSupport
import Testing

@Suite(.serialized, .timeLimit(.minutes(2)))
struct RedisRateLimiterTests {
    @Test func allowsTheCapacityThenDeniesWithRetryAfter() async throws {
        let prefix = RedisTestSupport.uniquePrefix("rate")
        try await RedisTestClient.with(RedisTestClient.configuration()) { redis in
            // One token per 5 s: nothing refills while the test runs.
            let limiter = RedisRateLimiter(client: redis, capacity: 5, refillPerSecond: 0.2, keyPrefix: prefix)
            for expectedRemaining in (0..<5).reversed() {
                let decision = try await limiter.acquire("alice")
                #expect(decision.allowed)
                #expect(decision.remaining == expectedRemaining)
                #expect(decision.retryAfter == .zero)
            }
            let denied = try await limiter.acquire("alice")
            #expect(!denied.allowed)
            #expect(denied.remaining == 0)
            #expect(denied.retryAfter > .zero && denied.retryAfter <= .seconds(5))
            // Another principal has its own bucket.
            #expect(try await limiter.acquire("bob").allowed)
            try await redis.del([prefix + "alice", prefix + "bob"])
        }
    }

    @Test func refillsOverTime() async throws {
        let prefix = RedisTestSupport.uniquePrefix("refill")
        try await RedisTestClient.with(RedisTestClient.configuration()) { redis in
            // One token a second: the three acquires below take far less than that even on a
            // loaded machine, so the third finds the bucket empty.
            let limiter = RedisRateLimiter(client: redis, capacity: 2, refillPerSecond: 1, keyPrefix: prefix)
            #expect(try await limiter.acquire("p").allowed)
            #expect(try await limiter.acquire("p").allowed)
            let denied = try await limiter.acquire("p")
            #expect(!denied.allowed)
            #expect(denied.retryAfter > .zero && denied.retryAfter <= .seconds(1))
            try await Task.sleep(for: denied.retryAfter + .milliseconds(50))
            #expect(try await limiter.acquire("p").allowed)
            try await redis.del(prefix + "p")
        }
    }

    @Test func costTakesSeveralTokens() async throws {
        let prefix = RedisTestSupport.uniquePrefix("cost")
        try await RedisTestClient.with(RedisTestClient.configuration()) { redis in
            let limiter = RedisRateLimiter(client: redis, capacity: 10, refillPerSecond: 1, keyPrefix: prefix)
            let first = try await limiter.acquire("p", cost: 7)
            #expect(first.allowed && first.remaining == 3)
            let second = try await limiter.acquire("p", cost: 5)
            #expect(!second.allowed)
            #expect(second.remaining == 3)
            #expect(second.retryAfter > .seconds(1.5) && second.retryAfter <= .seconds(2))
            try await redis.del(prefix + "p")
        }
    }

    @Test func concurrentRequestsNeverExceedTheCapacity() async throws {
        let prefix = RedisTestSupport.uniquePrefix("atomic")
        try await RedisTestClient.with(RedisTestClient.configuration(poolSize: 8)) { redis in
            let limiter = RedisRateLimiter(client: redis, capacity: 10, refillPerSecond: 0.001, keyPrefix: prefix)
            let allowed = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<50 {
                    group.addTask { try await limiter.acquire("shared").allowed }
                }
                var allowed = 0
                for try await decision in group where decision { allowed += 1 }
                return allowed
            }
            #expect(allowed == 10)
            try await redis.del(prefix + "shared")
        }
    }

    @Test func bucketKeyExpiresOnceItWouldBeFull() async throws {
        let prefix = RedisTestSupport.uniquePrefix("bucket-ttl")
        try await RedisTestClient.with(RedisTestClient.configuration()) { redis in
            let limiter = RedisRateLimiter(client: redis, capacity: 4, refillPerSecond: 2, keyPrefix: prefix)
            _ = try await limiter.acquire("p", cost: 4)
            // Empty bucket: full again after 4 / 2 = 2 s, plus a 1 s margin.
            let ttl = try #require(try await redis.send(["PTTL", prefix + "p"]).integer)
            #expect(ttl > 2500 && ttl <= 3000)
        }
    }
}
