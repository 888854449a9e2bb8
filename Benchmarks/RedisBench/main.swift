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

let arguments = CommandLine.arguments
guard arguments.count >= 3, let iterations = Int(arguments[2]), iterations > 0 else {
    FileHandle.standardError.write(Data("usage: RedisBench <redis-url> <iterations> [concurrency]\n".utf8))
    exit(2)
}
let concurrency = arguments.count > 3 ? max(1, Int(arguments[3]) ?? 1) : 1
var logger = Logger(label: "bench")
logger.logLevel = .error

let hashes = 100
let fields = (1...20).map { "f\($0)" }
let keys = (1...hashes).map { "bench:hash:\($0)" }
let redis = RedisClient(configuration: try RedisConfiguration(url: arguments[1], poolSize: concurrency), logger: logger)

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("RedisBench: \(message)\n".utf8))
    exit(1)
}

// Same data redis-benchmark reads: bench:hash:N with fields f1…f20 of 16 bytes each.
_ = try await redis.pipeline { batch in
    for key in keys {
        batch.hset(key, fields: Dictionary(uniqueKeysWithValues: fields.map { ($0, "value-\($0)-xxxxxxxx".prefix(16).description) }))
    }
}

func readAll() async throws -> [RedisValue] {
    try await redis.pipeline { batch in
        for key in keys { batch.hmget(key, fields: fields) }
    }
}

let check = try await readAll()
guard check.count == hashes, check.allSatisfy({ $0.array?.count == fields.count && $0.array?.allSatisfy({ $0.bytes?.count == 16 }) == true }) else {
    fail("HMGET returned unexpected replies")
}
for _ in 0..<min(200, iterations) { _ = try await readAll() }

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
                let replies = try await readAll()
                samples.append(ContinuousClock.now - began)
                if replies.count != hashes { fail("short pipeline reply") }
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

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}
let opsPerSecond = Double(iterations * hashes) / (milliseconds(elapsed) / 1000)
let p50 = milliseconds(latencies[latencies.count / 2])
let p99 = milliseconds(latencies[min(latencies.count - 1, latencies.count * 99 / 100)])
print("RESULT redis-hmget-pipelined swift \(String(format: "%.0f", opsPerSecond)) \(String(format: "%.3f", p50)) \(String(format: "%.3f", p99))")
