import MaestroRedis
import MaestroTestSupport
import Testing

@Suite(.serialized, .timeLimit(.minutes(2)))
struct RedisPoolTests {
    @Test func hundredConcurrentTasksShareAPoolOfFour() async throws {
        let prefix = RedisTestSupport.uniquePrefix("pool")
        try await RedisTestClient.with(RedisTestClient.configuration(poolSize: 4)) { redis in
            let results = try await withThrowingTaskGroup(of: (Int, String?, Int64).self) { group in
                for index in 0..<100 {
                    group.addTask {
                        try await redis.set(prefix + "\(index)", "value-\(index)")
                        _ = try await redis.incrby(prefix + "counter", 1)
                        let connection = try #require(try await redis.send(["CLIENT", "ID"]).integer)
                        return (index, try await redis.getString(prefix + "\(index)"), connection)
                    }
                }
                var results: [(Int, String?, Int64)] = []
                for try await result in group { results.append(result) }
                return results
            }
            #expect(results.count == 100)
            for (index, value, _) in results {
                #expect(value == "value-\(index)")
            }
            let connections = Set(results.map(\.2))
            #expect(connections.count >= 1 && connections.count <= 4)
            #expect(try await redis.getString(prefix + "counter") == "100")
            try await redis.del((0..<100).map { prefix + "\($0)" } + [prefix + "counter"])
        }
    }

    @Test func queuedCallsAreServedInArrivalOrder() async throws {
        let prefix = RedisTestSupport.uniquePrefix("fifo")
        try await RedisTestClient.with(RedisTestClient.configuration(poolSize: 1)) { redis in
            // Occupies the only connection for 1 s, so the pushes below queue up behind it.
            let blocker = Task { try await redis.send(["BLPOP", prefix + "never", "1"]) }
            try await Task.sleep(for: .milliseconds(100))
            var pushes: [Task<RedisValue, any Error>] = []
            for letter in ["a", "b", "c", "d", "e"] {
                pushes.append(Task { try await redis.send(["RPUSH", prefix + "order", letter]) })
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(try await blocker.value == .null)
            for push in pushes { _ = try await push.value }
            let order = try await redis.send(["LRANGE", prefix + "order", "0", "-1"])
            #expect(order.array?.compactMap(\.string) == ["a", "b", "c", "d", "e"])
            try await redis.del(prefix + "order")
        }
    }

    @Test func commandTimeoutIsATypedRetriableErrorAndTheClientRecovers() async throws {
        let key = RedisTestSupport.uniquePrefix("timeout") + "list"
        try await RedisTestClient.with(RedisTestClient.configuration(poolSize: 1, commandTimeout: .milliseconds(300))) { redis in
            // BLPOP holds its reply for 10 s, far beyond the 300 ms command timeout.
            let error = await #expect(throws: RedisError.self) { try await redis.send(["BLPOP", key, "10"]) }
            #expect(error?.kind == .timeout)
            #expect(error?.isRetriable == true)
            // The timed-out connection was replaced: the next call gets its own reply.
            try await redis.ping()
            try await redis.set(key + ":after", "ok")
            #expect(try await redis.getString(key + ":after") == "ok")
            try await redis.del(key + ":after")
        }
    }

    @Test func wrongPortFailsFastWithAConnectionError() async throws {
        let port = try RedisTestSupport.freePort()
        let configuration = RedisConfiguration(host: "127.0.0.1", port: port, poolSize: 2,
                                               connectTimeout: .seconds(5), commandTimeout: .seconds(5))
        try await RedisTestClient.with(configuration) { redis in
            let start = ContinuousClock.now
            let error = await #expect(throws: RedisError.self) { try await redis.ping() }
            #expect(error?.kind == .connection)
            #expect(error?.isRetriable == true)
            #expect(error?.message.contains("127.0.0.1:\(port)") == true)
            // Refused at once, not after the 5 s connect timeout.
            #expect(ContinuousClock.now - start < .seconds(2))
        }
    }

    @Test func closeFinishesQueuedCallsThenRefusesNewOnes() async throws {
        let prefix = RedisTestSupport.uniquePrefix("close")
        let redis = RedisClient(configuration: try RedisTestClient.configuration(poolSize: 1), logger: RedisTestClient.logger)
        let blocker = Task { try await redis.send(["BLPOP", prefix + "never", "1"]) }
        try await Task.sleep(for: .milliseconds(100))
        let queued = Task { try await redis.set(prefix + "queued", "done") }
        try await Task.sleep(for: .milliseconds(200))
        await redis.close()
        #expect(try await blocker.value == .null)
        try await queued.value
        let error = await #expect(throws: RedisError.self) { try await redis.ping() }
        #expect(error?.kind == .closed)

        try await RedisTestClient.with(RedisTestClient.configuration()) { check in
            #expect(try await check.getString(prefix + "queued") == "done")
            try await check.del(prefix + "queued")
        }
    }

    @Test func runClosesThePoolWhenCancelled() async throws {
        let redis = RedisClient(configuration: try RedisTestClient.configuration(poolSize: 2), logger: RedisTestClient.logger)
        let service = Task { try await redis.run() }
        try await redis.ping()
        service.cancel()
        try await service.value
        let error = await #expect(throws: RedisError.self) { try await redis.ping() }
        #expect(error?.kind == .closed)
    }
}
