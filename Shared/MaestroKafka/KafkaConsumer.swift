import CRdKafka
import Logging
import Metrics
import ServiceLifecycle
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A consumer-group member that hands records to a handler in partition order, one at a time
/// or, with a batch handler, a fetched batch at a time.
///
/// Guarantees:
/// - **At least once.** A record's offset is stored only after the handler returned for it,
///   and only stored offsets are committed. A handler that throws stops the consumer
///   without storing that record, so it is delivered again (to this group) later.
/// - **Rebalance-safe.** On revoke, the records still waiting for the handler are dropped
///   (the new owner gets them), the revoke waits until the handler has finished and stored
///   the records it holds, and the stored offsets are committed before the partitions are
///   released: nothing is committed past an unhandled record.
/// - **Off the cooperative pool.** The blocking poll runs on a dedicated thread; records
///   cross to the handler loop in batches, one hand-off per batch.
/// - **Bounded buffering.** At most ``KafkaConsumerConfiguration/maxBatchSize`` × 4 records
///   wait outside librdkafka; the poll thread stops fetching while they do. Handled batches
///   are released on the poll thread, which allocated them: freeing them on the handler's
///   thread made the two threads contend for one malloc arena.
/// - **Graceful shutdown** finishes the record in hand, stores and commits offsets, and
///   leaves the group.
public final class KafkaConsumer: Service, Sendable {
    public typealias Handler = @Sendable (KafkaConsumerMessage) async throws -> Void
    /// Handles a batch as a whole: its offsets are stored only when it returns, all or none.
    public typealias BatchHandler = @Sendable ([KafkaConsumerMessage]) async throws -> Void

    private enum Handling: Sendable {
        case each(Handler)
        case batch(BatchHandler)
    }

    private let client: RDKafkaClient
    private let worker: BlockingWorker
    private let buffer: FetchBuffer
    private let logger: Logger
    private let handling: Handling
    private let maxBatchSize: Int
    private let groupId: String
    private let topicNames = TopicNameCache()
    private let stopRequested = Atomic<Bool>(false)
    private let isClosed = Atomic<Bool>(false)
    private let fatal = Mutex<KafkaError?>(nil)

    public convenience init(configuration: KafkaConsumerConfiguration, logger: Logger, handler: @escaping Handler) throws(KafkaError) {
        try self.init(configuration: configuration, logger: logger, handling: .each(handler))
    }

    /// A consumer whose handler gets up to ``KafkaConsumerConfiguration/maxBatchSize`` records
    /// (and about 16 MB of values) at once, in partition order.
    public static func batched(configuration: KafkaConsumerConfiguration, logger: Logger, handler: @escaping BatchHandler) throws(KafkaError) -> KafkaConsumer {
        try KafkaConsumer(configuration: configuration, logger: logger, handling: .batch(handler))
    }

    private init(configuration: KafkaConsumerConfiguration, logger: Logger, handling: Handling) throws(KafkaError) {
        guard !configuration.topics.isEmpty else { throw .invalidArgument("a consumer needs at least one topic") }
        let maxBatchSize = max(1, configuration.maxBatchSize)
        let buffer = FetchBuffer(capacity: maxBatchSize * 4)
        self.logger = logger
        self.handling = handling
        self.maxBatchSize = maxBatchSize
        self.groupId = configuration.groupId
        self.buffer = buffer
        self.client = try RDKafkaClient(kind: .consumer, config: configuration.rdKafkaConfig, logger: logger,
                                        rebalance: { rk, err, partitions in
                                            KafkaConsumer.rebalance(rk, err, partitions, buffer: buffer, logger: logger)
                                        })
        self.worker = BlockingWorker(name: "kafka-consumer-poll")
        rd_kafka_poll_set_consumer(client.handle)
        let list = rd_kafka_topic_partition_list_new(Int32(configuration.topics.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for topic in configuration.topics {
            rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA)
        }
        let err = rd_kafka_subscribe(client.handle, list)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            worker.stop()
            throw KafkaError(err)
        }
    }

    deinit {
        worker.stop()
    }

    /// Consumes until graceful shutdown, cancellation, or a handler error (which is rethrown
    /// after committing what was handled before it).
    public func run() async throws {
        try await withTaskCancellationHandler {
            try await withGracefulShutdownHandler {
                try await consume()
            } onGracefulShutdown: {
                self.triggerShutdown()
            }
        } onCancel: {
            self.triggerShutdown()
        }
    }

    /// Asks ``run()`` to finish the record in hand, commit and return.
    public func triggerShutdown() {
        stopRequested.store(true, ordering: .relaxed)
    }

    private func consume() async throws {
        worker.enqueue { self.pollLoop() }
        var failure: (any Error)?
        while !stopRequested.load(ordering: .relaxed) {
            let batch = await buffer.take()
            if batch.isEmpty { break }
            var handled = HandledOffsets()
            do {
                switch handling {
                case .each(let handler):
                    for message in batch {
                        try await handler(message)
                        handled.record(message)
                        if stopRequested.load(ordering: .relaxed) { break }
                    }
                case .batch(let handler):
                    // The buffer hands over all it holds; the handler gets at most maxBatchSize
                    // records and about 16 MB of values at a time.
                    var start = 0
                    while start < batch.count {
                        var end = start
                        var bytes = 0
                        while end < batch.count && end - start < maxBatchSize && (end == start || bytes + batch[end].value.count <= 16 << 20) {
                            bytes += batch[end].value.count
                            end += 1
                        }
                        let chunk = Array(batch[start..<end])
                        try await handler(chunk)
                        for message in chunk { handled.record(message) }
                        start = end
                        if stopRequested.load(ordering: .relaxed) { break }
                    }
                }
            } catch {
                failure = error
            }
            store(handled)
            buffer.done(releasing: batch)
            if failure != nil { break }
        }
        triggerShutdown()
        await close()
        if failure == nil, let fatal = fatal.withLock({ $0 }) { failure = fatal }
        // A handler interrupted by the stop itself is a clean stop; its record was not stored.
        if let failure, !(failure is CancellationError) { throw failure }
    }

    /// The poll thread: fetches until stopped, pausing while the buffer is full.
    private func pollLoop() {
        while !stopRequested.load(ordering: .relaxed) {
            guard buffer.waitForRoom(timeout: 0.1) else { continue }
            switch pollBatch() {
            case .messages(let batch):
                if !batch.isEmpty { buffer.append(batch) }
            case .fatal(let error):
                logger.critical("Kafka consumer failed", metadata: ["error": "\(error)"])
                fatal.withLock { $0 = error }
                stopRequested.store(true, ordering: .relaxed)
            }
        }
        buffer.finish()
    }

    private enum PollResult: Sendable {
        case messages([KafkaConsumerMessage])
        case fatal(KafkaError)
    }

    /// Waits up to 100 ms for a record, then drains what is already fetched, up to the batch size.
    private func pollBatch() -> PollResult {
        var batch: [KafkaConsumerMessage] = []
        var timeout: Int32 = 100
        while batch.count < maxBatchSize, let raw = rd_kafka_consumer_poll(client.handle, timeout) {
            timeout = 0
            defer { rd_kafka_message_destroy(raw) }
            let err = raw.pointee.err
            if err == RD_KAFKA_RESP_ERR_NO_ERROR {
                batch.append(message(from: raw))
            } else if let fatal = fatalError() {
                return .fatal(fatal)
            } else if err != RD_KAFKA_RESP_ERR__PARTITION_EOF {
                let error = KafkaError(err, message: raw.pointee.payload.map { String(cString: $0.assumingMemoryBound(to: CChar.self)) })
                logger.warning("Kafka consumer error", metadata: ["error": "\(error)"])
            }
        }
        return .messages(batch)
    }

    /// Runs on the poll thread, inside `rd_kafka_consumer_poll` or `rd_kafka_consumer_close`.
    private static func rebalance(_ rk: OpaquePointer, _ err: rd_kafka_resp_err_t, _ partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?,
                                  buffer: FetchBuffer, logger: Logger) {
        let cooperative = String(cString: rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE"
        switch err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            logger.debug("partitions assigned", metadata: ["count": "\(partitions?.pointee.cnt ?? 0)"])
            if cooperative {
                if let error = rd_kafka_incremental_assign(rk, partitions) { logger.error("assign failed", metadata: ["error": "\(KafkaError(consuming: error))"]) }
            } else {
                _ = rd_kafka_assign(rk, partitions)
            }
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            var revoked = Set<HandledOffsets.Position>()
            if let partitions {
                for index in 0..<Int(partitions.pointee.cnt) {
                    let element = partitions.pointee.elems[index]
                    revoked.insert(.init(topic: String(cString: element.topic), partition: element.partition))
                }
            }
            buffer.revoke { revoked.contains(.init(topic: $0.topic, partition: $0.partition)) }
            let commit = rd_kafka_commit(rk, nil, 0)
            if commit != RD_KAFKA_RESP_ERR_NO_ERROR && commit != RD_KAFKA_RESP_ERR__NO_OFFSET {
                logger.warning("offset commit on revoke failed", metadata: ["error": "\(KafkaError(commit))"])
            }
            logger.debug("partitions revoked", metadata: ["count": "\(revoked.count)"])
            if cooperative {
                if let error = rd_kafka_incremental_unassign(rk, partitions) { logger.error("unassign failed", metadata: ["error": "\(KafkaError(consuming: error))"]) }
            } else {
                _ = rd_kafka_assign(rk, nil)
            }
        default:
            logger.warning("rebalance error", metadata: ["error": "\(KafkaError(err))"])
            _ = rd_kafka_assign(rk, nil)
        }
    }

    private func fatalError() -> KafkaError? {
        var errstr = [CChar](repeating: 0, count: 512)
        let err = rd_kafka_fatal_error(client.handle, &errstr, errstr.count)
        return err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaError(err, message: cString(errstr))
    }

    private func message(from raw: UnsafeMutablePointer<rd_kafka_message_t>) -> KafkaConsumerMessage {
        let record = raw.pointee
        var headers: [KafkaHeader] = []
        var list: OpaquePointer?
        if rd_kafka_message_headers(raw, &list) == RD_KAFKA_RESP_ERR_NO_ERROR, let list {
            var index = 0
            var name: UnsafePointer<CChar>?
            var value: UnsafeRawPointer?
            var size = 0
            while rd_kafka_header_get_all(list, index, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR {
                let bytes = value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) }
                headers.append(KafkaHeader(name: name.map { String(cString: $0) } ?? "", value: bytes))
                index += 1
            }
        }
        var timestampType = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let timestamp = rd_kafka_message_timestamp(raw, &timestampType)
        return KafkaConsumerMessage(
            topic: topicNames.name(of: record.rkt),
            partition: record.partition,
            offset: record.offset,
            key: record.key.map { Array(UnsafeRawBufferPointer(start: $0, count: record.key_len)) },
            value: record.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: record.len)) } ?? [],
            headers: headers,
            timestamp: timestampType == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : timestamp
        )
    }

    /// Stores the offsets after the handled records; the next (auto or closing) commit sends them.
    private func store(_ handled: HandledOffsets) {
        let next = handled.next
        guard !next.isEmpty else { return }
        let list = rd_kafka_topic_partition_list_new(Int32(next.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for (position, offset) in next {
            rd_kafka_topic_partition_list_add(list, position.topic, position.partition).pointee.offset = offset
        }
        let err = rd_kafka_offsets_store(client.handle, list)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            // The partition was revoked meanwhile (e.g. a poll interval overrun): its new owner gets the records again.
            logger.debug("offsets not stored", metadata: ["error": "\(KafkaError(err))"])
        }
        recordLag(next)
    }

    /// `maestro_consumer_lag`: records between the last handled one and the partition's end,
    /// from the high watermark librdkafka last fetched (no broker round trip).
    private func recordLag(_ next: [HandledOffsets.Position: Int64]) {
        for (position, offset) in next {
            var low: Int64 = 0
            var high: Int64 = 0
            guard rd_kafka_get_watermark_offsets(client.handle, position.topic, position.partition, &low, &high) == RD_KAFKA_RESP_ERR_NO_ERROR else { continue }
            Gauge(label: "maestro_consumer_lag", dimensions: [("group", groupId), ("topic", position.topic), ("partition", String(position.partition))])
                .record(max(0, high - offset))
        }
    }

    /// How long closing may wait for the group coordinator. With the cluster unreachable the
    /// final commit and the leave would wait for ever; past this the consumer gives up on
    /// them (the group then rebalances after its session timeout, and the next member resumes
    /// from the last committed offsets: records are redelivered, never lost).
    static let closeTimeout: Duration = .seconds(10)

    /// Commits stored offsets and leaves the group, waiting at most ``closeTimeout``. Idempotent.
    private func close() async {
        guard !isClosed.exchange(true, ordering: .relaxed) else { return }
        let client = self.client
        let logger = self.logger
        let closed = Atomic<Bool>(false)
        let closing = Task { [worker] in
            await worker.submit {
                let commit = rd_kafka_commit(client.handle, nil, 0)
                if commit != RD_KAFKA_RESP_ERR_NO_ERROR && commit != RD_KAFKA_RESP_ERR__NO_OFFSET {
                    logger.warning("final offset commit failed", metadata: ["error": "\(KafkaError(commit))"])
                }
                rd_kafka_consumer_close(client.handle)
                closed.store(true, ordering: .releasing)
            }
        }
        let deadline = ContinuousClock.now + Self.closeTimeout
        while !closed.load(ordering: .acquiring) && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        guard closed.load(ordering: .acquiring) else {
            // The poll thread stays blocked in librdkafka; the process is about to exit.
            logger.warning("the consumer could not commit and leave its group within \(Self.closeTimeout): the Kafka cluster is unreachable; its records will be redelivered")
            _ = closing
            return
        }
        await closing.value
        worker.stop()
    }
}

/// The next offset to commit per partition, after the records handled in one batch.
/// Records arrive in runs per partition, so only a change of partition touches the dictionary.
struct HandledOffsets {
    struct Position: Hashable {
        let topic: String
        let partition: Int32
    }

    private var finished: [Position: Int64] = [:]
    private var current: (topic: String, partition: Int32, next: Int64)?

    mutating func record(_ message: KafkaConsumerMessage) {
        if let run = current, run.partition == message.partition, run.topic == message.topic {
            current = (run.topic, run.partition, message.offset + 1)
            return
        }
        if let run = current { finished[Position(topic: run.topic, partition: run.partition)] = run.next }
        current = (message.topic, message.partition, message.offset + 1)
    }

    var next: [Position: Int64] {
        var all = finished
        if let run = current { all[Position(topic: run.topic, partition: run.partition)] = run.next }
        return all
    }
}

/// Topic names by librdkafka topic handle, so each record does not allocate its topic name anew.
/// A hit is confirmed against the handle's current name, in case a freed handle's address is reused.
///
/// `@unchecked Sendable`: used only on the consumer's worker thread.
private final class TopicNameCache: @unchecked Sendable {
    private var names: [OpaquePointer: (name: String, cName: [CChar])] = [:]

    func name(of topic: OpaquePointer?) -> String {
        guard let topic else { return "" }
        let current = rd_kafka_topic_name(topic)!
        if let cached = names[topic], strcmp(current, cached.cName) == 0 { return cached.name }
        let name = String(cString: current)
        names[topic] = (name, Array(name.utf8CString))
        return name
    }
}
