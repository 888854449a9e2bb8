import Foundation
import Logging
import MaestroAuditLog
import ServiceLifecycle

/// Signs a checkpoint of every log that has grown since its last one and whose last one is
/// older than the interval, so a quiet log is still covered by a signature within one interval
/// of its last entry. (Busy logs are checkpointed every N entries by the append itself.)
struct Checkpointer: Service {
    let store: AuditLogStore
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await signDue()
            } catch {
                logger.warning("checkpoint round failed; retrying next round", metadata: ["error": "\(String(reflecting: error))"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: min(interval, .seconds(1))) }
        }
    }

    /// Signs every due log; returns how many were signed.
    @discardableResult
    func signDue() async throws -> Int {
        var signed = 0
        for tenant in try await store.logsDueForCheckpoint(quietFor: interval) {
            try await store.withLog(tenant) { log in
                var state = try await store.lockLog(log)
                guard state.tree.size > state.checkpointSize else { return }
                try await store.signCheckpoint(state: &state, in: log)
                try await store.saveLog(state, in: log)
                signed += 1
            }
        }
        return signed
    }
}
