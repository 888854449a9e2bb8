import ArgumentParser
import Foundation
import Logging
import MaestroKafka

/// Where the Kafka brokers are: `--brokers`, else `MAESTRO_KAFKA_BROKERS`, else the address
/// the embedded broker wrote to `<run dir>/kafka.bootstrap`.
struct BrokerOptions: ParsableArguments {
    @Option(name: .long, help: "Kafka bootstrap servers (host:port,…). Default: $MAESTRO_KAFKA_BROKERS, then the embedded broker's address file.")
    var brokers: String?

    @Option(name: .long, help: "The dev stack's run directory, where the embedded broker writes its address.")
    var runDir: String = ProcessInfo.processInfo.environment["MAESTRO_RUN_DIR"] ?? ".maestro/run"

    @Flag(name: .long, help: "Show the Kafka client's own log lines.")
    var verbose = false

    func bootstrapServers() throws -> String {
        if let brokers, !brokers.isEmpty { return brokers }
        if let fromEnvironment = ProcessInfo.processInfo.environment["MAESTRO_KAFKA_BROKERS"], !fromEnvironment.isEmpty {
            return fromEnvironment
        }
        let file = URL(fileURLWithPath: runDir).appendingPathComponent(DevBrokerCommand.bootstrapFileName)
        if let text = try? String(contentsOf: file, encoding: .utf8), !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        throw CLIError("no Kafka broker configured: pass --brokers, set MAESTRO_KAFKA_BROKERS, or start `maestro dev broker` (it writes \(file.path))")
    }

    /// The Kafka clients' logger: quiet unless --verbose, so a wrong address gives one clear error line, not client noise.
    var kafkaLogger: Logger {
        var logger = Logger(label: "maestro.kafka")
        logger.logLevel = verbose ? .debug : .critical
        return logger
    }

    /// Checks that a broker answers and has the topic.
    /// The topic's partition count; a clear error when Kafka cannot be reached or lacks the topic.
    @discardableResult
    func checkTopic(_ topic: String, bootstrapServers: String) async throws -> Int32 {
        let topics: [String: Int32]
        do {
            topics = try await KafkaAdmin(bootstrapServers: bootstrapServers, logger: kafkaLogger).topics()
        } catch {
            throw CLIError("cannot reach Kafka: \(error.message)")
        }
        guard let partitions = topics[topic] else {
            let known = topics.keys.filter { !$0.hasPrefix("__") }.sorted().joined(separator: ", ")
            throw CLIError("topic '\(topic)' does not exist on \(bootstrapServers) (it has: \(known.isEmpty ? "no topics" : known))")
        }
        return partitions
    }
}

/// A failure explained in one line; the command exits with status 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// A positive duration written `90s`, `15m`, `12h` or `1d`.
func parseDuration(_ text: String, option: String) throws -> Duration {
    let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
    guard let unit = text.last, let factor = units[unit], let value = Int64(text.dropLast()), value > 0 else {
        throw CLIError("\(option) must look like 90s, 15m, 12h or 1d")
    }
    return .seconds(value * factor)
}
