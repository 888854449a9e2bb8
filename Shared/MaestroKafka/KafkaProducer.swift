import CRdKafka
import Logging
import ServiceLifecycle
import Synchronization

/// An idempotent Kafka producer (`enable.idempotence=true`, `acks=all`).
///
/// Guarantees: a send completes only when the broker has acknowledged the record (its
/// delivery report) or when it has failed for good with a ``KafkaError``; records with the
/// same key keep their send order; retries never duplicate a record.
///
/// Throughput: a send crosses to the producer's own thread once per batch, with no
/// per-record Task or actor hop. That thread both hands records to librdkafka and serves
/// delivery reports, so each record's copy is allocated and freed on one thread (no
/// contention for a malloc arena, and no two threads producing into the same partition
/// queues), and a record's bookkeeping needs no lock or atomic; it completes whole batches
/// of sends with a single continuation resume. Records name their topic by a cached handle,
/// not by name. When librdkafka's queue is full it serves delivery reports until there is
/// room (backpressure). As a `Service` it flushes outstanding records on graceful shutdown.
public final class KafkaProducer: Service, Sendable {
    private let client: RDKafkaClient
    private let worker: BlockingWorker
    private let logger: Logger
    private let flushTimeout: Duration
    private let polling = PollingFlag()
    private let submissions: SubmissionQueue
    private let isClosed = Atomic<Bool>(false)

    public init(configuration: KafkaProducerConfiguration, logger: Logger) throws(KafkaError) {
        self.logger = logger
        self.flushTimeout = configuration.flushTimeout
        let client = try RDKafkaClient(kind: .producer, config: configuration.rdKafkaConfig, logger: logger, configure: { conf in
            rd_kafka_conf_set_dr_msg_cb(conf, deliveryReportCallback)
        })
        self.client = client
        self.submissions = SubmissionQueue(client: client)
        self.worker = BlockingWorker(name: "kafka-producer")
        // The loop holds the client, the queue and the flag, not the producer, so an unclosed producer still deinitializes.
        let polling = self.polling
        let submissions = self.submissions
        worker.enqueue {
            var topics = TopicHandles(client: client)
            while true {
                let (pending, open) = submissions.takeAll(closing: !polling.isOn)
                for batch in pending { Self.enqueue(batch, client: client, topics: &topics) }
                guard open else { return }
                rd_kafka_poll(client.handle, pending.isEmpty ? 50 : 0)
            }
        }
    }

    deinit {
        polling.stop()
        submissions.wake()
        worker.stop()
    }

    /// Sends one record and returns where the broker stored it.
    public func send(_ message: KafkaProducerMessage) async throws(KafkaError) -> KafkaDeliveryReport {
        try await send([message])[0].get()
    }

    /// Sends records in order and returns one result per record, in the same order, once
    /// every record is acknowledged or has failed. Records that share a key are stored in
    /// array order. Not cancellable: records handed over are delivered or fail on their own.
    public func send(_ messages: [KafkaProducerMessage]) async -> KafkaDeliveryResults {
        let batch = DeliveryBatch(messages: messages)
        if !messages.isEmpty && !submissions.submit(batch) { batch.fail(.closed()) }
        return await batch.results()
    }

    /// Producer thread: hands every record of a batch to librdkafka, serving delivery reports while its queue is full.
    private static func enqueue(_ batch: DeliveryBatch, client: RDKafkaClient, topics: inout TopicHandles) {
        for (index, message) in batch.messages.enumerated() {
            let slot = batch.slot(index)
            while let error = enqueue(message, topic: topics.handle(message.topic), opaque: UnsafeMutableRawPointer(slot), client: client) {
                if error.code == RD_KAFKA_RESP_ERR__QUEUE_FULL.rawValue {
                    rd_kafka_poll(client.handle, 10)
                    continue
                }
                DeliveryBatch.complete(slot, partition: -1, offset: -1, error: error)
                break
            }
        }
    }

    /// Hands one record to librdkafka (copying key, value and headers); returns the error if it was not accepted.
    private static func enqueue(_ message: KafkaProducerMessage, topic topicHandle: OpaquePointer?, opaque: UnsafeMutableRawPointer,
                                client: RDKafkaClient) -> KafkaError? {
        var headers: OpaquePointer?
        if !message.headers.isEmpty {
            let list = rd_kafka_headers_new(message.headers.count)!
            for header in message.headers {
                // withCString, not implicit bridging, which would allocate a C string per header.
                header.name.withCString { name in
                    if let value = header.value {
                        value.withUnsafeBytes { bytes in
                            _ = rd_kafka_header_add(list, name, -1, bytes.baseAddress, bytes.count)
                        }
                    } else {
                        _ = rd_kafka_header_add(list, name, -1, nil, 0)
                    }
                }
            }
            headers = list
        }
        let error: OpaquePointer? = message.topic.withCString { topic in
            message.value.withUnsafeBytes { value in
                withOptionalBytes(message.key) { key in
                    withUnsafeTemporaryAllocation(of: rd_kafka_vu_t.self, capacity: 7) { vus in
                        var count = 0
                        func append(_ vtype: rd_kafka_vtype_t, _ fill: (inout rd_kafka_vu_t) -> Void) {
                            var vu = rd_kafka_vu_t()
                            vu.vtype = vtype
                            fill(&vu)
                            vus[count] = vu
                            count += 1
                        }
                        if let topicHandle {
                            append(RD_KAFKA_VTYPE_RKT) { $0.u.rkt = topicHandle }
                        } else {
                            append(RD_KAFKA_VTYPE_TOPIC) { $0.u.cstr = topic }
                        }
                        append(RD_KAFKA_VTYPE_VALUE) { $0.u.mem = .init(ptr: UnsafeMutableRawPointer(mutating: value.baseAddress), size: value.count) }
                        if let key {
                            append(RD_KAFKA_VTYPE_KEY) { $0.u.mem = .init(ptr: UnsafeMutableRawPointer(mutating: key.baseAddress), size: key.count) }
                        }
                        if let partition = message.partition {
                            append(RD_KAFKA_VTYPE_PARTITION) { $0.u.i32 = partition }
                        }
                        if let headers {
                            append(RD_KAFKA_VTYPE_HEADERS) { $0.u.headers = headers }
                        }
                        append(RD_KAFKA_VTYPE_OPAQUE) { $0.u.ptr = opaque }
                        append(RD_KAFKA_VTYPE_MSGFLAGS) { $0.u.i = RD_KAFKA_MSG_F_COPY }
                        return rd_kafka_produceva(client.handle, vus.baseAddress, count)
                    }
                }
            }
        }
        guard let error else { return nil }
        // Headers pass to librdkafka only when the record was accepted.
        if let headers { rd_kafka_headers_destroy(headers) }
        return KafkaError(consuming: error)
    }

    /// Stops accepting records and waits up to the flush timeout for outstanding ones;
    /// records still unacknowledged then fail their sends with a purge error.
    public func close() async {
        guard !isClosed.exchange(true, ordering: .relaxed) else { return }
        polling.stop()
        submissions.wake()
        let client = self.client
        let timeout = Int32(clamping: flushTimeout.milliseconds)
        let remaining = await worker.submit { () -> Int32 in
            rd_kafka_flush(client.handle, timeout)
            let remaining = rd_kafka_outq_len(client.handle)
            if remaining > 0 {
                rd_kafka_purge(client.handle, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT)
                rd_kafka_poll(client.handle, 0)
            }
            return remaining
        }
        worker.stop()
        if remaining > 0 {
            logger.error("Kafka producer closed with unacknowledged records", metadata: ["records": "\(remaining)"])
        }
    }

    /// Runs until graceful shutdown, then flushes.
    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }
}

/// Batches waiting for the producer thread. Once closed (by that thread, on its way out,
/// after taking what was waiting), it refuses new batches, so none is left behind.
///
/// `@unchecked Sendable`: `state` is a Mutex; the queue handle is thread-safe.
private final class SubmissionQueue: @unchecked Sendable {
    private let client: RDKafkaClient
    private let mainQueue: OpaquePointer
    private let state = Mutex<(pending: [DeliveryBatch], closed: Bool)>(([], false))

    init(client: RDKafkaClient) {
        self.client = client
        self.mainQueue = rd_kafka_queue_get_main(client.handle)
    }

    deinit {
        rd_kafka_queue_destroy(mainQueue)
    }

    /// False once the producer thread has stopped taking batches.
    func submit(_ batch: DeliveryBatch) -> Bool {
        let accepted = state.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.pending.append(batch)
            return true
        }
        if accepted { wake() }
        return accepted
    }

    /// Every waiting batch, and whether the queue is still open (it closes now if `closing`).
    func takeAll(closing: Bool) -> (pending: [DeliveryBatch], open: Bool) {
        state.withLock { state in
            defer { state.pending = [] }
            if closing { state.closed = true }
            return (state.pending, !state.closed)
        }
    }

    /// Ends the producer thread's current `rd_kafka_poll` wait early.
    func wake() {
        rd_kafka_queue_yield(mainQueue)
    }
}

/// The producer thread's topic handles, by name. A record names its topic by handle: by
/// name, librdkafka would look the topic up under its client-wide write lock for every
/// record, which also holds up its broker threads.
private struct TopicHandles: ~Copyable {
    private let client: RDKafkaClient
    private var handles: [String: OpaquePointer] = [:]
    /// The most recent topic: the records of a batch mostly share one.
    private var last: (name: String, handle: OpaquePointer)?

    init(client: RDKafkaClient) {
        self.client = client
    }

    deinit {
        for handle in handles.values { rd_kafka_topic_destroy(handle) }
    }

    /// The handle for `name`, or nil if librdkafka refuses the name (the record then goes by
    /// name, and librdkafka reports why).
    mutating func handle(_ name: String) -> OpaquePointer? {
        if let last, last.name == name { return last.handle }
        if let handle = handles[name] {
            last = (name, handle)
            return handle
        }
        guard let handle = rd_kafka_topic_new(client.handle, name, nil) else { return nil }
        handles[name] = handle
        last = (name, handle)
        return handle
    }
}

/// Keeps the delivery-report loop running until stopped.
private final class PollingFlag: Sendable {
    private let running = Atomic<Bool>(true)
    var isOn: Bool { running.load(ordering: .relaxed) }
    func stop() { running.store(false, ordering: .relaxed) }
}

private func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
    guard let bytes else { return body(nil) }
    return bytes.withUnsafeBytes { body($0) }
}

/// Completes the sends of one batch from delivery reports.
///
/// Each record's `msg_opaque` is the address of its ``Slot``, which holds the batch and
/// receives the record's partition and offset, so a delivery report reads and writes one
/// place and allocates nothing. The batch stays alive until its last report: the sending
/// task holds it while it awaits ``results()``.
///
/// `@unchecked Sendable`: the slots and `remaining` belong to the producer thread from the
/// batch's hand-over until its last outcome (or, for a batch that never reached that
/// thread, to the sender, in ``fail(_:)``). The last outcome sets `finished` under
/// `state`'s lock, and the sender reads the slots only after seeing `finished` under that
/// lock (or being resumed by its continuation), so every slot write happens before the
/// read. With one writer, a record's bookkeeping needs no atomic or lock.
private final class DeliveryBatch: @unchecked Sendable {
    /// One record's delivery outcome, written once: by its report or by its failed hand-over.
    struct Slot {
        let batch: Unmanaged<DeliveryBatch>
        var partition: Int32 = -1
        var offset: Int64 = -1
    }

    private struct State {
        var finished = false
        var errors: [Int: KafkaError] = [:]
        var continuation: CheckedContinuation<Void, Never>?
    }

    let messages: [KafkaProducerMessage]
    private let slots: UnsafeMutablePointer<Slot>
    private var remaining: Int
    private let state = Mutex(State())

    init(messages: [KafkaProducerMessage]) {
        self.messages = messages
        slots = .allocate(capacity: max(messages.count, 1))
        remaining = messages.count
        if messages.isEmpty { state.withLock { $0.finished = true } }
        slots.initialize(repeating: Slot(batch: Unmanaged.passUnretained(self)), count: messages.count)
    }

    deinit {
        slots.deinitialize(count: messages.count)
        slots.deallocate()
    }

    /// The slot of the record at `index`; its address is the record's `msg_opaque`.
    func slot(_ index: Int) -> UnsafeMutablePointer<Slot> {
        slots + index
    }

    /// Producer thread: records one outcome; the last one resumes the waiting sender.
    /// Nothing touches the batch after that resume, since the sender may release it right away.
    static func complete(_ slot: UnsafeMutablePointer<Slot>, partition: Int32, offset: Int64, error: KafkaError?) {
        slot.pointee.partition = partition
        slot.pointee.offset = offset
        slot.pointee.batch._withUnsafeGuaranteedRef { batch in
            if let error { batch.state.withLock { $0.errors[slot - batch.slots] = error } }
            batch.remaining -= 1
            if batch.remaining == 0 { batch.finish(errors: nil) }
        }
    }

    /// Sender: fails every record of a batch the producer thread never took.
    func fail(_ error: KafkaError) {
        finish(errors: Dictionary(uniqueKeysWithValues: messages.indices.map { ($0, error) }))
    }

    private func finish(errors: [Int: KafkaError]?) {
        let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let errors { state.errors = errors }
            state.finished = true
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume()
    }

    func results() async -> KafkaDeliveryResults {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = state.withLock { state -> Bool in
                if state.finished { return true }
                state.continuation = continuation
                return false
            }
            if done { continuation.resume() }
        }
        let slots = UnsafeBufferPointer(start: self.slots, count: messages.count)
        return KafkaDeliveryResults(messages: messages, partitions: slots.map(\.partition), offsets: slots.map(\.offset),
                                    errors: state.withLock { $0.errors })
    }
}

/// The outcome of each record of a batch send, in the order the records were given.
public struct KafkaDeliveryResults: RandomAccessCollection, Sendable {
    private let messages: [KafkaProducerMessage]
    private let partitions: [Int32]
    private let offsets: [Int64]
    /// The failed records by index.
    public let errors: [Int: KafkaError]

    init(messages: [KafkaProducerMessage], partitions: [Int32], offsets: [Int64], errors: [Int: KafkaError]) {
        self.messages = messages
        self.partitions = partitions
        self.offsets = offsets
        self.errors = errors
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { messages.count }

    public subscript(index: Int) -> Result<KafkaDeliveryReport, KafkaError> {
        if let error = errors[index] { return .failure(error) }
        return .success(KafkaDeliveryReport(topic: messages[index].topic, partition: partitions[index], offset: offsets[index]))
    }

    /// Whether the broker acknowledged every record.
    public var allDelivered: Bool { errors.isEmpty }
}

/// The delivery report callback, served by `rd_kafka_poll` on the producer thread.
private func deliveryReportCallback(_ rk: OpaquePointer?, _ message: UnsafePointer<rd_kafka_message_t>?, _ opaque: UnsafeMutableRawPointer?) {
    guard let message, let slot = message.pointee._private else { return }
    let err = message.pointee.err
    DeliveryBatch.complete(slot.assumingMemoryBound(to: DeliveryBatch.Slot.self), partition: message.pointee.partition, offset: message.pointee.offset,
                           error: err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaError(err))
}
