import MaestroRedis
import MaestroTestSupport
import Testing

/// Tests that run their own `redis-server`, so they can stop, restart or lock it down.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct RedisServerFaultTests {
    @Test func failsFastWhileRedisIsDownThenRecoversAfterRestart() async throws {
        let server = try RedisServerProcess()
        defer { server.stop() }
        let configuration = try RedisConfiguration(url: server.url, poolSize: 2,
                                                   connectTimeout: .milliseconds(500), commandTimeout: .seconds(1))
        try await RedisTestClient.with(configuration) { redis in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<20 {
                    group.addTask { try await redis.set("restart:\(index)", "before") }
                }
                try await group.waitForAll()
            }
            // A command waiting on the server when it goes away.
            let inFlight = Task { try await redis.send(["BLPOP", "restart:never", "10"]) }
            try await Task.sleep(for: .milliseconds(200))

            server.stop()
            let interrupted = await #expect(throws: RedisError.self) { try await inFlight.value }
            #expect(interrupted?.isRetriable == true)
            for _ in 0..<5 {
                let start = ContinuousClock.now
                let error = await #expect(throws: RedisError.self) { try await redis.get("restart:0") }
                #expect(error?.kind == .connection)
                #expect(error?.isRetriable == true)
                #expect(ContinuousClock.now - start < .seconds(3))
            }

            try server.start()
            // Same client, no restart: every pooled connection reconnects on its own.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        #expect(try await redis.get("restart:\(index)") == nil)
                        try await redis.set("restart:\(index)", "after")
                        #expect(try await redis.getString("restart:\(index)") == "after")
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    @Test func idleConnectionsSurviveARestart() async throws {
        let server = try RedisServerProcess()
        defer { server.stop() }
        let configuration = try RedisConfiguration(url: server.url, poolSize: 1,
                                                   connectTimeout: .milliseconds(500), commandTimeout: .seconds(1))
        try await RedisTestClient.with(configuration) { redis in
            try await redis.set("idle", "before")
            server.stop()
            try server.start()
            // The pooled connection was closed by the old server while idle; the call must
            // notice before sending, reconnect, and succeed.
            #expect(try await redis.get("idle") == nil)
        }
    }

    @Test func serverClosingTheConnectionMidWriteIsATypedError() async throws {
        // Redis rejects an oversized bulk length and closes the connection while the client
        // is still writing the value: the failed write is a retriable error, and the next
        // call gets a fresh connection.
        let server = try RedisServerProcess(extraArguments: ["--proto-max-bulk-len", "1mb"])
        defer { server.stop() }
        let configuration = try RedisConfiguration(url: server.url, poolSize: 1, commandTimeout: .seconds(5))
        try await RedisTestClient.with(configuration) { redis in
            let value = [UInt8](repeating: 0x61, count: 16 << 20)
            let error = await #expect(throws: RedisError.self) { try await redis.set("too-big", value) }
            #expect(error?.kind == .connection)
            #expect(error?.isRetriable == true)
            try await redis.ping()
        }
    }

    @Test func authenticatesWithThePassword() async throws {
        let password = "s3cret-pass"
        let server = try RedisServerProcess(extraArguments: ["--requirepass", password])
        defer { server.stop() }

        let good = try RedisConfiguration(url: "redis://:\(password)@127.0.0.1:\(server.port)/2", poolSize: 1)
        try await RedisTestClient.with(good) { redis in
            try await redis.set("auth", "ok")
            #expect(try await redis.getString("auth") == "ok")
            #expect(try await redis.send(["CLIENT", "INFO"]).string?.contains("db=2") == true)
        }

        let wrong = try RedisConfiguration(url: "redis://:not-the-password@127.0.0.1:\(server.port)", poolSize: 1)
        try await RedisTestClient.with(wrong) { redis in
            let error = await #expect(throws: RedisError.self) { try await redis.ping() }
            #expect(error?.kind == .server)
            #expect(error?.isRetriable == false)
            #expect(error?.message.hasPrefix("AUTH failed") == true)
            #expect(error.map { !"\($0)".contains("not-the-password") } == true)
        }

        let missing = RedisConfiguration(host: "127.0.0.1", port: server.port, poolSize: 1)
        try await RedisTestClient.with(missing) { redis in
            let error = await #expect(throws: RedisError.self) { try await redis.ping() }
            #expect(error?.kind == .server)
            #expect(error?.message.hasPrefix("NOAUTH") == true)
        }
    }
}
