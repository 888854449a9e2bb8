// MaestroRedis side of the Redis benchmark: pipelined HMGET of 100 hashes of 20 fields.
//
//   RedisBench <redis-url> <iterations> [concurrency]
//
// One iteration is one pipeline of 100 HMGETs (one per hash, all 20 fields); `concurrency`
// pipelines are in flight at once (default 1), each on its own pooled connection.
// Prints one line: RESULT redis-hmget-pipelined swift <HMGET/s> <p50 ms> <p99 ms>
import Foundation
import Logging
import MaestroRedis

/// The hashes redis-benchmark also reads: bench:hash:N with fields f1…f20 of 16 bytes each.
struct Workload: Sendable {
    let keys = (1...100).map { "bench:hash:\($0)" }
    let fields = (1...20).map { "f\($0)" }

    func create(_ redis: RedisClient) async throws {
        let values = Dictionary(uniqueKeysWithValues: fields.map { ($0, "value-\($0)".padding(toLength: 16, withPad: "x", startingAt: 0)) })
        _ = try await redis.pipeline { batch in
            for key in keys { batch.hset(key, fields: values) }
        }
    }

    /// One pipeline: an HMGET of every field of every hash.
    func read(_ redis: RedisClient) async throws -> [RedisValue] {
        try await redis.pipeline { batch in
            for key in keys { batch.hmget(key, fields: fields) }
        }
    }

    func isComplete(_ replies: [RedisValue]) -> Bool {
        replies.count == keys.count
            && replies.allSatisfy { $0.array?.count == fields.count && $0.array?.allSatisfy { $0.bytes?.count == 16 } == true }
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("RedisBench: \(message)\n".utf8))
    exit(1)
}

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}

let arguments = CommandLine.arguments
guard arguments.count >= 3, let iterations = Int(arguments[2]), iterations > 0 else {
    fail("usage: RedisBench <redis-url> <iterations> [concurrency]")
}
let concurrency = arguments.count > 3 ? max(1, Int(arguments[3]) ?? 1) : 1
var logger = Logger(label: "bench")
logger.logLevel = .error
let redis = RedisClient(configuration: try RedisConfiguration(url: arguments[1], poolSize: concurrency), logger: logger)
let workload = Workload()

try await workload.create(redis)
guard workload.isComplete(try await workload.read(redis)) else { fail("HMGET returned unexpected replies") }
for _ in 0..<min(200, iterations) { _ = try await workload.read(redis) }

// Each worker runs its share of the iterations and records every pipeline's latency.
let start = ContinuousClock.now
let latencies = try await withThrowingTaskGroup(of: [Duration].self) { group in
    for worker in 0..<concurrency {
        let share = iterations / concurrency + (worker < iterations % concurrency ? 1 : 0)
        group.addTask {
            var samples: [Duration] = []
            samples.reserveCapacity(share)
            for _ in 0..<share {
                let began = ContinuousClock.now
                let replies = try await workload.read(redis)
                samples.append(ContinuousClock.now - began)
                if replies.count != workload.keys.count { fail("short pipeline reply") }
            }
            return samples
        }
    }
    var all: [Duration] = []
    for try await samples in group { all += samples }
    return all.sorted()
}
let elapsed = ContinuousClock.now - start
await redis.close()

let opsPerSecond = Double(iterations * workload.keys.count) / (milliseconds(elapsed) / 1000)
let p50 = milliseconds(latencies[latencies.count / 2])
let p99 = milliseconds(latencies[min(latencies.count - 1, latencies.count * 99 / 100)])
print("RESULT redis-hmget-pipelined swift \(String(format: "%.0f", opsPerSecond)) \(String(format: "%.3f", p50)) \(String(format: "%.3f", p99))")
