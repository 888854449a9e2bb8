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
///
/// The server is spawned with `posix_spawn` and reaped with `waitpid`, not with Foundation's
/// `Process`: that one learns of exits through Dispatch, which can be starved when the
/// machine's few threads are busy, and a wait for it would then never return. The child
/// starts with no blocked signals (the threads behind Swift tasks block most signals, and a
/// child inherits the mask, so it would ignore SIGTERM) and none of the test's descriptors.
public final class RedisServerProcess: @unchecked Sendable {
    public let port: Int
    private let extraArguments: [String]
    private let pid = Mutex<pid_t?>(nil)

    /// Starts a server on a free port, trying other ports if one is taken in the meantime.
    public init(extraArguments: [String] = []) throws {
        self.extraArguments = extraArguments
        var lastError: (any Error)?
        for _ in 0..<5 {
            let candidate = try RedisTestSupport.freePort()
            do {
                let child = try Self.launch(port: candidate, extraArguments: extraArguments)
                pid.withLock { $0 = child }
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
        guard let child = pid.withLock({ value -> pid_t? in defer { value = nil }; return value }) else { return }
        Self.terminate(child)
    }

    /// Starts the server again on the same port.
    public func start() throws {
        stop()
        let child = try Self.launch(port: port, extraArguments: extraArguments)
        pid.withLock { $0 = child }
    }

    private static func terminate(_ child: pid_t) {
        kill(child, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(10)
        var status: Int32 = 0
        while ContinuousClock.now < deadline {
            if waitpid(child, &status, WNOHANG) != 0 { return }
            usleep(10_000)
        }
        kill(child, SIGKILL)
        while waitpid(child, &status, 0) == -1 && errno == EINTR {}
    }

    private static func launch(port: Int, extraArguments: [String]) throws -> pid_t {
        let arguments = ["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                         "--dir", NSTemporaryDirectory()] + extraArguments
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for descriptor: Int32 in 0...2 {
            posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", descriptor == 0 ? O_RDONLY : O_WRONLY, 0)
        }
        let inherited = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).compactMap { Int32($0) }.filter { $0 > 2 }
        for descriptor in inherited where fcntl(descriptor, F_GETFD) != -1 {
            posix_spawn_file_actions_addclose(&actions, descriptor)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let spawned = posix_spawnp(&child, "redis-server", &actions, &attributes, argv, environ)
        guard spawned == 0 else { throw TestSetupError("cannot start redis-server: \(String(cString: strerror(spawned)))") }

        let deadline = ContinuousClock.now + .seconds(10)
        var status: Int32 = 0
        while ContinuousClock.now < deadline {
            if waitpid(child, &status, WNOHANG) == child {
                throw TestSetupError("redis-server on port \(port) exited with status \(status)")
            }
            if RedisTestSupport.isListening(port: port) {
                return child
            }
            usleep(20_000)
        }
        terminate(child)
        throw TestSetupError("redis-server on port \(port) did not accept connections within 10 s")
    }
}
