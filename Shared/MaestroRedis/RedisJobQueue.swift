import Foundation

/// Commands waiting for a connection, handed out oldest first to the pool's OS threads.
///
/// Whichever connection frees up takes the oldest waiting job, so callers are served in
/// arrival order however many are queued. The threads block here, never on Swift's
/// cooperative pool.
///
/// `@unchecked Sendable`: `state` is only read or written while holding `condition`.
final class RedisJobQueue: @unchecked Sendable {
    struct Job: Sendable {
        let commands: RedisCommandBuffer
        let continuation: CheckedContinuation<Result<[RedisValue], RedisError>, Never>
    }

    private let condition = NSCondition()
    private var state: StateMachine

    init(threads: Int) {
        state = StateMachine(threads: threads)
    }

    /// Queues a job; `false` once the queue is closed, in which case the job never runs.
    func submit(_ job: Job) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard state.submit(job) else { return false }
        condition.signal()
        return true
    }

    /// Blocks the calling pool thread until a job is ready; `nil` once closed and drained.
    func next() -> Job? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            switch state.next() {
            case .run(let job): return job
            case .wait: condition.wait()
            case .exit: return nil
            }
        }
    }

    /// Refuses new jobs without waiting; the threads finish the queued ones, then exit.
    func close() {
        condition.lock()
        _ = state.close(waiter: nil)
        condition.broadcast()
        condition.unlock()
    }

    /// Refuses new jobs and returns once the threads have finished the queued ones, closed
    /// their connections and exited.
    func closeAndWait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            condition.lock()
            let stopped = state.close(waiter: continuation)
            condition.broadcast()
            condition.unlock()
            if stopped { continuation.resume() }
        }
    }

    /// Called by each pool thread as it exits, after it has closed its connection.
    func threadExited() {
        condition.lock()
        let waiters = state.threadExited()
        condition.unlock()
        for waiter in waiters { waiter.resume() }
    }
}

extension RedisJobQueue {
    struct StateMachine {
        enum State {
            case open
            /// Closed to new jobs; the threads still drain what is queued.
            case closing(runningThreads: Int, waiters: [CheckedContinuation<Void, Never>])
            case stopped
        }

        enum NextAction {
            case run(Job)
            case wait
            case exit
        }

        private var state = State.open
        private let threads: Int
        /// A FIFO as an array plus a head index; consumed entries are dropped in bulk.
        private var jobs: [Job] = []
        private var head = 0

        init(threads: Int) {
            self.threads = threads
        }

        mutating func submit(_ job: Job) -> Bool {
            guard case .open = state else { return false }
            jobs.append(job)
            return true
        }

        mutating func next() -> NextAction {
            if head < jobs.count {
                let job = jobs[head]
                head += 1
                if head == jobs.count {
                    jobs.removeAll(keepingCapacity: true)
                    head = 0
                } else if head > 64 && head * 2 > jobs.count {
                    jobs.removeFirst(head)
                    head = 0
                }
                return .run(job)
            }
            if case .open = state { return .wait }
            return .exit
        }

        /// `true` if the threads are already gone: the caller resumes `waiter` itself.
        mutating func close(waiter: CheckedContinuation<Void, Never>?) -> Bool {
            switch state {
            case .open:
                state = .closing(runningThreads: threads, waiters: waiter.map { [$0] } ?? [])
                return false
            case .closing(let running, var waiters):
                if let waiter { waiters.append(waiter) }
                state = .closing(runningThreads: running, waiters: waiters)
                return false
            case .stopped:
                return true
            }
        }

        /// The waiters to resume once the last thread has gone.
        mutating func threadExited() -> [CheckedContinuation<Void, Never>] {
            guard case .closing(let running, let waiters) = state else { return [] }
            if running > 1 {
                state = .closing(runningThreads: running - 1, waiters: waiters)
                return []
            }
            state = .stopped
            return waiters
        }
    }
}
