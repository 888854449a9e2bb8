import Foundation
import Logging
import MaestroDomain
import MaestroKafka
import MaestroRedis
import PostgresNIO
import Synchronization

/// One dependency `/health/ready` checks, with its own time limit.
public struct ReadinessCheck: Sendable {
    public let name: String
    public let timeout: Duration
    let probe: @Sendable () async throws -> Void

    public init(name: String, timeout: Duration = .seconds(2), probe: @escaping @Sendable () async throws -> Void) {
        self.name = name
        self.timeout = timeout
        self.probe = probe
    }

    /// `SELECT 1`.
    public static func postgres(_ client: PostgresClient, timeout: Duration = .seconds(2)) -> ReadinessCheck {
        ReadinessCheck(name: "postgres", timeout: timeout) {
            try await client.query("SELECT 1")
        }
    }

    /// `PING`.
    public static func redis(_ client: RedisClient, timeout: Duration = .seconds(2)) -> ReadinessCheck {
        ReadinessCheck(name: "redis", timeout: timeout) {
            try await client.ping()
        }
    }

    /// A metadata request to the brokers.
    public static func kafka(_ admin: KafkaAdmin, timeout: Duration = .seconds(2)) -> ReadinessCheck {
        ReadinessCheck(name: "kafka", timeout: timeout) {
            _ = try await admin.topics(timeout: timeout)
        }
    }

    /// `nil` when the dependency answered in time, otherwise why not.
    ///
    /// Returns by the deadline even if the probe ignores cancellation (a blocking client
    /// call); the probe is cancelled and left to finish on its own.
    func run(logger: Logger) async -> String? {
        let outcome = Outcome()
        return await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
            outcome.install(continuation)
            let probeTask = Task {
                do {
                    try await probe()
                    outcome.resolve(nil)
                } catch {
                    logger.warning("readiness check failed", metadata: ["dependency": .string(name), "error": "\(error)"])
                    outcome.resolve("unreachable")
                }
            }
            Task {
                try? await Task.sleep(for: timeout)
                if outcome.resolve("no answer within \(timeout)") {
                    logger.warning("readiness check timed out", metadata: ["dependency": .string(name)])
                    probeTask.cancel()
                }
            }
        }
    }
}

/// Resumes a continuation once, with whichever answer comes first.
private final class Outcome: Sendable {
    private let state = Mutex<(continuation: CheckedContinuation<String?, Never>?, done: Bool)>((nil, false))

    func install(_ continuation: CheckedContinuation<String?, Never>) {
        state.withLock { $0.continuation = continuation }
    }

    @discardableResult
    func resolve(_ value: String?) -> Bool {
        let continuation = state.withLock { state -> CheckedContinuation<String?, Never>? in
            guard !state.done else { return nil }
            state.done = true
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(returning: value)
        return continuation != nil
    }
}
