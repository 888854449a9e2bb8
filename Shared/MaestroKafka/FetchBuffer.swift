import Foundation

/// Records fetched by a consumer's poll thread and not yet taken by its handler loop.
///
/// Bounded: the poll thread stops fetching while `capacity` records wait. The handler loop
/// takes everything waiting at once (one hand-off per batch, not per record) and reports
/// ``done()`` once it has stored the offsets of what it handled. A revoke drops the waiting
/// records of the revoked partitions and waits for that report, so offsets are committed
/// for exactly the handled records before the partitions move to another member.
///
/// `@unchecked Sendable`: every field is guarded by `condition`.
final class FetchBuffer: @unchecked Sendable {
    private let condition = NSCondition()
    private let capacity: Int
    private var records: [KafkaConsumerMessage] = []
    private var waiter: CheckedContinuation<[KafkaConsumerMessage], Never>?
    private var handing = false
    private var spent: [[KafkaConsumerMessage]] = []
    private var finished = false

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Poll thread: waits up to `timeout` for room; false if the buffer is still full.
    func waitForRoom(timeout: TimeInterval) -> Bool {
        condition.lock()
        var released = spent
        spent = []
        if records.count >= capacity {
            _ = condition.wait(until: Date(timeIntervalSinceNow: timeout))
            released.append(contentsOf: spent)
            spent = []
        }
        let room = records.count < capacity
        condition.unlock()
        released.removeAll()
        return room
    }

    /// Poll thread: adds fetched records, handing them straight to a waiting handler loop.
    func append(_ batch: [KafkaConsumerMessage]) {
        condition.lock()
        if let waiter {
            self.waiter = nil
            handing = true
            condition.unlock()
            waiter.resume(returning: batch)
            return
        }
        records.append(contentsOf: batch)
        condition.unlock()
    }

    /// Handler loop: every waiting record, waiting for some if there are none; empty once finished.
    func take() async -> [KafkaConsumerMessage] {
        await withCheckedContinuation { continuation in
            condition.lock()
            if !records.isEmpty {
                let taken = records
                records = []
                handing = true
                condition.broadcast()
                condition.unlock()
                continuation.resume(returning: taken)
            } else if finished {
                condition.unlock()
                continuation.resume(returning: [])
            } else {
                waiter = continuation
                condition.unlock()
            }
        }
    }

    /// Handler loop: the batch it took is handled and its offsets are stored. The batch is
    /// freed later on the poll thread, whose allocator arena it came from.
    func done(releasing batch: consuming [KafkaConsumerMessage]) {
        condition.lock()
        spent.append(batch)
        handing = false
        condition.broadcast()
        condition.unlock()
    }

    /// Poll thread, revoke callback: drops waiting records of revoked partitions, then waits
    /// until the handler loop has stored the batch it holds.
    func revoke(where isRevoked: (KafkaConsumerMessage) -> Bool) {
        condition.lock()
        records.removeAll(where: isRevoked)
        while handing {
            condition.wait()
        }
        condition.unlock()
    }

    /// Poll thread: no more records will come; a waiting handler loop gets an empty batch.
    func finish() {
        condition.lock()
        finished = true
        let waiter = self.waiter
        self.waiter = nil
        condition.unlock()
        waiter?.resume(returning: [])
    }
}
