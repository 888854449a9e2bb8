// MaestroKafka side of `make bench`, with the same settings as the raw librdkafka baseline.
//
//   KafkaBench produce <bootstrap> <topic> <count> <size>
//   KafkaBench consume <bootstrap> <topic> <count>
//
// Prints one line: RESULT <mode> swift <count> <seconds> <msg/s>
import Foundation
import Logging
import MaestroKafka
import Synchronization

let arguments = CommandLine.arguments
guard arguments.count >= 5, let count = Int(arguments[4]) else {
    FileHandle.standardError.write(Data("usage: KafkaBench produce|consume <bootstrap> <topic> <count> [size]\n".utf8))
    exit(2)
}
let (mode, bootstrap, topic) = (arguments[1], arguments[2], arguments[3])
var logger = Logger(label: "bench")
logger.logLevel = .error

func report(_ mode: String, seconds: Double) {
    print("RESULT \(mode) swift \(count) \(String(format: "%.3f", seconds)) \(String(format: "%.0f", Double(count) / seconds))")
}

switch mode {
case "produce":
    let size = arguments.count > 5 ? Int(arguments[5]) ?? 100 : 100
    // Same settings as the raw baseline: no key, sticky partitioning off.
    let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(bootstrapServers: bootstrap, properties: ["sticky.partitioning.linger.ms": "0"]),
                                     logger: logger)
    let payload = [UInt8](repeating: UInt8(ascii: "x"), count: size)
    let chunk = 10_000
    // Warm-up: one acknowledged record, so connection setup and producer id are not timed.
    _ = try await producer.send(KafkaProducerMessage(topic: topic, key: nil as [UInt8]?, value: payload))
    let start = ContinuousClock.now
    // Sends in chunks of 10,000, up to 8 chunks in flight: each chunk is one await.
    let delivered = await withTaskGroup(of: Int.self) { group in
        var next = 0
        var delivered = 0
        func submit() {
            let range = next..<min(next + chunk, count)
            next = range.upperBound
            let messages = range.map { _ in KafkaProducerMessage(topic: topic, key: nil as [UInt8]?, value: payload) }
            group.addTask { let results = await producer.send(messages); return results.count - results.errors.count }
        }
        for _ in 0..<8 where next < count { submit() }
        for await done in group {
            delivered += done
            if next < count { submit() }
        }
        return delivered
    }
    let elapsed = ContinuousClock.now - start
    await producer.close()
    guard delivered == count else {
        FileHandle.standardError.write(Data("delivered \(delivered) of \(count)\n".utf8))
        exit(1)
    }
    report("produce", seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)

case "consume":
    final class Progress: Sendable {
        let received = Atomic<Int>(0)
        let start = Mutex<ContinuousClock.Instant?>(nil)
        let end = Mutex<ContinuousClock.Instant?>(nil)
    }
    let progress = Progress()
    let consumerBox = Mutex<KafkaConsumer?>(nil)
    let configuration = KafkaConsumerConfiguration(bootstrapServers: bootstrap, groupId: "bench-swift-\(UUID().uuidString)", topics: [topic])
    let consumer = try KafkaConsumer(configuration: configuration, logger: logger) { _ in
        let received = progress.received.add(1, ordering: .relaxed).newValue
        if received == 1 { progress.start.withLock { $0 = .now } }
        if received == count {
            progress.end.withLock { $0 = .now }
            consumerBox.withLock { $0?.triggerShutdown() }
        }
    }
    consumerBox.withLock { $0 = consumer }
    let watchdog = Task {
        try await Task.sleep(for: .seconds(300))
        FileHandle.standardError.write(Data("consumed only \(progress.received.load(ordering: .relaxed)) of \(count)\n".utf8))
        exit(1)
    }
    try await consumer.run()
    watchdog.cancel()
    let elapsed = progress.end.withLock { $0! } - progress.start.withLock { $0! }
    report("consume", seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)

default:
    FileHandle.standardError.write(Data("unknown mode \(mode)\n".utf8))
    exit(2)
}
