import Logging
import Synchronization

/// What a logger logged, for tests that assert on logs.
public final class LogRecords: Sendable {
    public struct Record: Sendable {
        public let level: Logger.Level
        public let message: String
        public let metadata: [String: String]
    }

    private let records = Mutex<[Record]>([])

    public init() {}

    public func append(_ record: Record) {
        records.withLock { $0.append(record) }
    }

    public var all: [Record] {
        records.withLock { $0 }
    }

    /// A logger at trace level that keeps every record here.
    public func logger(label: String) -> Logger {
        var logger = Logger(label: label) { _ in CapturingLogHandler(records: self) }
        logger.logLevel = .trace
        return logger
    }
}

/// Keeps every log record, with the logger's and the record's metadata merged.
public struct CapturingLogHandler: LogHandler {
    let records: LogRecords
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    public init(records: LogRecords) {
        self.records = records
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        records.append(.init(level: event.level, message: event.message.description, metadata: merged.mapValues { "\($0)" }))
    }
}
