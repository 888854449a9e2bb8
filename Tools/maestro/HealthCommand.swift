import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `maestro health`: a service's health from inside its container, so the image needs no curl.
struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "Check a service on this host: exit status 0 when /health/live (or /health/ready) answers 200.",
        discussion: "The container image's HEALTHCHECK. The port is --port, else MAESTRO_HTTP_PORT, the port the service listens on."
    )

    @Flag(help: "Check readiness (PostgreSQL, Redis and Kafka reachable) instead of liveness.")
    var ready = false

    @Option(help: "The service's port (default: $MAESTRO_HTTP_PORT).")
    var port: Int?

    @Option(help: "The service's host.")
    var host = "127.0.0.1"

    @Option(help: "Seconds to wait for the answer.")
    var timeout: Double = 3

    func run() async throws {
        guard let port = port ?? ProcessInfo.processInfo.environment["MAESTRO_HTTP_PORT"].flatMap({ Int($0) }) else {
            throw CLIError("no port: pass --port or set MAESTRO_HTTP_PORT")
        }
        guard let url = URL(string: "http://\(host):\(port)/health/\(ready ? "ready" : "live")") else {
            throw CLIError("--host \(host) does not make a URL")
        }
        let status: Int
        do {
            let (_, response) = try await URLSession.shared.data(for: URLRequest(url: url, timeoutInterval: timeout))
            status = (response as? HTTPURLResponse)?.statusCode ?? 0
        } catch {
            throw CLIError("\(url.absoluteString): \(error.localizedDescription)")
        }
        guard status == 200 else { throw CLIError("\(url.absoluteString) answered HTTP \(status)") }
        print("\(url.absoluteString): ok")
    }
}
