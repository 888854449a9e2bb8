import MaestroRedis
import MaestroTestSupport
import Testing

@Suite(.serialized, .timeLimit(.minutes(2)))
struct RedisCommandTests {
    private let bytes = RedisTestClient.bytes

    @Test func getSetDel() async throws {
        let key = RedisTestSupport.uniquePrefix("strings")
        try await RedisTestClient.with(RedisTestClient.configuration()) { redis in
            #expect(try await redis.get(key + "a") == nil)
            try await redis.set(key + "a", "alpha")
            try await redis.set(key + "b", bytes("beta"))
            #expect(try await redis.getString(key + "a") == "alpha")
            #expect(try await redis.get(key + "b") == bytes("beta"))
            try await redis.set(key + "a", "replaced")
            #expect(try await redis.getString(key + "a") == "replaced")
            #expect(try await redis.del([key + "a", key + "b", key + "missing"]) == 2)
            #expect(try await redis.get(key + "a") == nil)
            #expect(try await redis.del(key + "a") == 0)
        }
    }

    @Test func binarySafeKeysAndValues() async throws {
        let prefix = RedisTestSupport.uniquePrefix("binary")
        let value: [UInt8] = [0x00, 0xFF, 0x0D, 0x0A, 0x00, 0x24, 0x2A, 0xFE, 0x00]
        try await RedisTestClient.with(RedisTestClient.configuration()) { redis in
            try await redis.set(prefix + "value", value)
            #expect(try await redis.get(prefix + "value") == value)

            let binaryKey = bytes(prefix) + [0x00, 0xFF, 0x0A]
            #expect(try await redis.send([bytes("SET"), binaryKey, value]) == .status("OK"))
            #expect(try await redis.send([bytes("GET"), binaryKey]) == .bulk(value))
            #expect(try await redis.send([bytes("GET"), bytes(prefix) + [0x00, 0xFF]]) == .null)

            try await redis.hset(prefix + "hash", fields: ["raw": value, "empty": []])
            #expect(try await redis.hgetall(prefix + "hash") == ["raw": value, "empty": []])
            #expect(try await redis.send([bytes("DEL"), binaryKey]) == .integer(1))
            try await redis.del([prefix + "value", prefix + "hash"])
        }
    }

    @Test func setWithTTLExpires() async throws {
        let key = RedisTestSupport.uniquePrefix("ttl") + "k"
        try await RedisTestClient.with(RedisTestClient.configuration()) { redis in
            try await redis.set(key, "v", ttl: .seconds(30))
            let remaining = try #require(try await redis.send(["PTTL", key]).integer)
            #expect(remaining > 25_000 && remaining <= 30_000)

            try await redis.set(key, "v", ttl: .milliseconds(150))
            #expect(try await redis.getString(key) == "v")
            try await Task.sleep(for: .milliseconds(400))
            #expect(try await redis.get(key) == nil)
        }
    }

    @Test func expire() async throws {
        let key = RedisTestSupport.uniquePrefix("expire") + "k"
        try await RedisTestClient.with(RedisTestClient.configuration()) { redis in
            #expect(try await redis.expire(key, after: .seconds(10)) == false)
            try await redis.set(key, "v")
            #expect(try await redis.send(["PTTL", key]) == .integer(-1))
            #expect(try await redis.expire(key, after: .milliseconds(2500)) == true)
            let remaining = try #require(try await redis.send(["PTTL", key]).integer)
            #expect(remaining > 2000 && remaining <= 2500)
            try await redis.del(key)
        }
    }

    @Test func mget() async throws {
        let prefix = RedisTestSupport.uniquePrefix("mget")
        try await RedisTestClient.with(RedisTestClient.configuration()) { redis in
            try await redis.set(prefix + "1", "one")
            try await redis.set(prefix + "3", [0x00, 0xFF])
            #expect(try await redis.mget([prefix + "1", prefix + "2", prefix + "3"]) == [bytes("one"), nil, [0x00, 0xFF]])
            #expect(try await redis.mget([]) == [])
            try await redis.del([prefix + "1", prefix + "3"])
        }
    }

    @Test func hashes() async throws {
        let key = RedisTestSupport.uniquePrefix("hash") + "h"
        try await RedisTestClient.with(RedisTestClient.configuration()) { redis in
            #expect(try await redis.hgetall(key) == [:])
            #expect(try await redis.hmget(key, fields: ["a"]) == [nil])
            #expect(try await redis.hset(key, fields: ["a": "1", "b": "2"]) == 2)
            #expect(try await redis.hset(key, fields: ["b": "20", "c": "3"]) == 1)
            #expect(try await redis.hgetall(key) == ["a": bytes("1"), "b": bytes("20"), "c": bytes("3")])
            #expect(try await redis.hmget(key, fields: ["c", "missing", "a"]) == [bytes("3"), nil, bytes("1")])
            try await redis.del(key)
        }
    }

    @Test func incrby() async throws {
        let key = RedisTestSupport.uniquePrefix("counter") + "n"
        try await RedisTestClient.with(RedisTestClient.configuration()) { redis in
            #expect(try await redis.incrby(key, 5) == 5)
            #expect(try await redis.incrby(key, -7) == -2)
            #expect(try await redis.incrby(key, Int64.max - 10) == Int64.max - 12)
            let overflow = await #expect(throws: RedisError.self) { try await redis.incrby(key, Int64.max) }
            #expect(overflow?.kind == .server)
            try await redis.del(key)
        }
    }

    @Test func serverErrorCarriesRedisMessage() async throws {
        let key = RedisTestSupport.uniquePrefix("wrongtype") + "k"
        try await RedisTestClient.with(RedisTestClient.configuration()) { redis in
            try await redis.hset(key, fields: ["f": "v"])
            let error = await #expect(throws: RedisError.self) { try await redis.get(key) }
            #expect(error?.kind == .server)
            #expect(error?.message.hasPrefix("WRONGTYPE") == true)
            #expect(error?.isRetriable == false)
            // The connection stays usable after an error reply.
            try await redis.ping()
            try await redis.del(key)
        }
    }

    @Test func scriptsLoadRunAndSurviveAFlushedCache() async throws {
        let key = RedisTestSupport.uniquePrefix("script") + "k"
        let source = "return redis.call('INCRBY', KEYS[1], ARGV[1])"
        try await RedisTestClient.with(RedisTestClient.configuration()) { redis in
            let sha = try await redis.scriptLoad(source)
            #expect(sha.count == 40)
            #expect(try await redis.evalsha(sha, keys: [key], arguments: [bytes("2")]) == .integer(2))

            let script = RedisScript(source)
            #expect(try await redis.evalsha(script, keys: [key], arguments: ["3"]) == .integer(5))
            #expect(try await redis.send(["SCRIPT", "FLUSH"]) == .status("OK"))
            let noScript = await #expect(throws: RedisError.self) { try await redis.evalsha(sha, keys: [key], arguments: [bytes("1")]) }
            #expect(noScript?.message.hasPrefix("NOSCRIPT") == true)
            // Falls back to EVAL, which also puts the script back in the server's cache.
            #expect(try await redis.evalsha(script, keys: [key], arguments: ["4"]) == .integer(9))
            #expect(try await redis.send(["SCRIPT", "EXISTS", sha]) == .array([.integer(1)]))
            try await redis.del(key)
        }
    }

    @Test func scriptFailureIsAScriptError() async throws {
        try await RedisTestClient.with(RedisTestClient.configuration()) { redis in
            let raised = await #expect(throws: RedisError.self) {
                try await redis.evalsha(RedisScript("return redis.error_reply('QUOTA exceeded')"))
            }
            #expect(raised?.kind == .script)
            #expect(raised?.message.contains("QUOTA exceeded") == true)
            let broken = await #expect(throws: RedisError.self) {
                try await redis.evalsha(RedisScript("return redis.call('NOSUCHCOMMAND')"))
            }
            #expect(broken?.kind == .script)
        }
    }

    @Test func pipelineRunsEveryCommandAndKeepsErrorsInPlace() async throws {
        let prefix = RedisTestSupport.uniquePrefix("pipeline")
        try await RedisTestClient.with(RedisTestClient.configuration()) { redis in
            let replies = try await redis.pipeline { batch in
                batch.set(prefix + "s", "v")
                batch.hset(prefix + "h", fields: ["a": "1", "b": "2"])
                batch.incrby(prefix + "s", 1)
                batch.get(prefix + "s")
                batch.hmget(prefix + "h", fields: ["b", "x"])
                batch.hgetall(prefix + "missing")
                batch.mget([prefix + "s", prefix + "none"])
                batch.expire(prefix + "s", after: .seconds(60))
                batch.del([prefix + "s", prefix + "h"])
            }
            #expect(replies.count == 9)
            #expect(replies[0] == .status("OK"))
            #expect(replies[1] == .integer(2))
            guard case .error(let message) = replies[2] else {
                Issue.record("INCRBY on a non-integer should fail in place, got \(replies[2])")
                return
            }
            #expect(message.hasPrefix("ERR"))
            #expect(replies[3] == .bulk(bytes("v")))
            #expect(replies[4] == .array([.bulk(bytes("2")), .null]))
            #expect(replies[5] == .array([]))
            #expect(replies[6] == .array([.bulk(bytes("v")), .null]))
            #expect(replies[7] == .integer(1))
            #expect(replies[8] == .integer(2))
        }
    }

    @Test func largeBatchIsAnsweredInOrder() async throws {
        let prefix = RedisTestSupport.uniquePrefix("batch")
        try await RedisTestClient.with(RedisTestClient.configuration()) { redis in
            let writes = (0..<1000).map { [bytes("SET"), bytes(prefix + "\($0)"), bytes("value-\($0)")] }
            #expect(try await redis.send(batch: writes) == Array(repeating: .status("OK"), count: 1000))
            let reads = try await redis.send(batch: (0..<1000).map { [bytes("GET"), bytes(prefix + "\($0)")] })
            #expect(reads == (0..<1000).map { .bulk(bytes("value-\($0)")) })
            #expect(try await redis.send(batch: []) == [])
            try await redis.del((0..<1000).map { prefix + "\($0)" })
        }
    }

    @Test func selectsTheConfiguredDatabase() async throws {
        let key = RedisTestSupport.uniquePrefix("select") + "k"
        var other = try RedisTestClient.configuration()
        other.database = other.database == 1 ? 2 : 1
        try await RedisTestClient.with(other) { redis in
            try await redis.set(key, "elsewhere")
        }
        try await RedisTestClient.with(RedisTestClient.configuration()) { redis async throws in
            #expect(try await redis.get(key) == nil)
        }
        try await RedisTestClient.with(other) { redis in
            #expect(try await redis.getString(key) == "elsewhere")
            try await redis.del(key)
        }
    }
}
