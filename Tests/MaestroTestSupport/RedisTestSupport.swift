import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Helpers for integration tests against real Redis servers: the one `make test` starts
/// (`MAESTRO_REDIS_URL`) or a private `redis-server` a test starts, stops and restarts.
public enum RedisTestSupport {
    /// The server `make test` started. Missing configuration is an error, never a skip.
    public static func configuredURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["MAESTRO_REDIS_URL"], !url.isEmpty else {
            throw TestSetupError("MAESTRO_REDIS_URL is not set: run the tests with `make test`, which starts a throwaway Redis")
        }
        return url
    }

    /// A key prefix no other test uses, e.g. `test:rate:1a2b3c4d:`.
    public static func uniquePrefix(_ name: String) -> String {
        "test:\(name):\(UUID().uuidString.prefix(8).lowercased()):"
    }

    /// A loopback TCP port nothing listens on right now (the kernel picks it).
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, streamSocket, 0)
        guard fd >= 0 else { throw TestSetupError("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(fd, socketAddress, length) == 0 && getsockname(fd, socketAddress, &length) == 0
            }
        }
        guard bound else { throw TestSetupError("cannot bind a loopback port: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    public static func isListening(port: Int) -> Bool {
        let fd = socket(AF_INET, streamSocket, 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    #if canImport(Glibc)
    private static let streamSocket = Int32(SOCK_STREAM.rawValue)
    #else
    private static let streamSocket = SOCK_STREAM
    #endif

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}

/// A private `redis-server` (no persistence) on its own loopback port, for tests that stop
/// and restart Redis. Call ``stop()`` in a `defer`; deinit kills the server as a last resort.
public final class RedisServerProcess {
    public let port: Int
    private let extraArguments: [String]
    private var process: Process?

    /// Starts a server on a free port, trying other ports if one is taken in the meantime.
    public init(extraArguments: [String] = []) throws {
        self.extraArguments = extraArguments
        var lastError: (any Error)?
        for _ in 0..<5 {
            let candidate = try RedisTestSupport.freePort()
            do {
                process = try Self.launch(port: candidate, extraArguments: extraArguments)
                port = candidate
                return
            } catch {
                lastError = error
            }
        }
        throw lastError ?? TestSetupError("cannot start redis-server")
    }

    deinit {
        stop()
    }

    public var url: String { "redis://127.0.0.1:\(port)" }

    /// SIGTERM, then waits for the process to exit (SIGKILL after 10 s, so a test never hangs here).
    public func stop() {
        guard let process else { return }
        self.process = nil
        if process.isRunning {
            process.terminate()
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while process.isRunning && ContinuousClock.now < deadline {
            usleep(10_000)
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// Starts the server again on the same port.
    public func start() throws {
        stop()
        process = try Self.launch(port: port, extraArguments: extraArguments)
    }

    private static func launch(port: Int, extraArguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", NSTemporaryDirectory()] + extraArguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try runWithSignalsUnblocked(process)
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if !process.isRunning {
                throw TestSetupError("redis-server on port \(port) exited with status \(process.terminationStatus)")
            }
            if RedisTestSupport.isListening(port: port) {
                return process
            }
            usleep(20_000)
        }
        process.terminate()
        process.waitUntilExit()
        throw TestSetupError("redis-server on port \(port) did not accept connections within 10 s")
    }

    /// Starts `process` from a fresh thread with no blocked signals. A child inherits the
    /// signal mask of the thread that spawns it, and the threads behind Swift tasks block
    /// every signal: spawned from a task, redis-server would never see SIGTERM.
    private static func runWithSignalsUnblocked(_ process: Process) throws {
        let failure = Mutex<String?>(nil)
        let started = DispatchSemaphore(value: 0)
        let thread = Thread {
            var none = sigset_t()
            sigemptyset(&none)
            pthread_sigmask(SIG_SETMASK, &none, nil)
            do {
                try process.run()
            } catch {
                failure.withLock { $0 = "\(error)" }
            }
            started.signal()
        }
        thread.start()
        started.wait()
        if let failure = failure.withLock({ $0 }) {
            throw TestSetupError("cannot start redis-server: \(failure)")
        }
    }
}
