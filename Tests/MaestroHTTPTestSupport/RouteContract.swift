import Foundation
import Hummingbird
import HummingbirdTesting
import MaestroService

/// Checks that hold for every service: its registered routes are the ones its `openapi.yaml`
/// documents, and every route outside the open group refuses an anonymous caller.
public enum RouteContract {
    /// `METHOD /path/{parameter}`, in OpenAPI's path-template form.
    public struct Route: Hashable, Comparable, CustomStringConvertible, Sendable {
        public let method: String
        public let path: String

        public init(_ method: String, _ path: String) {
            self.method = method.uppercased()
            self.path = path
        }

        public var description: String { "\(method) \(path)" }
        public static func < (lhs: Route, rhs: Route) -> Bool { (lhs.path, lhs.method) < (rhs.path, rhs.method) }
    }

    /// The routes a router serves.
    public static func registered(_ router: Router<MaestroRequestContext>) -> Set<Route> {
        Set(router.routes.map { Route($0.method.rawValue, $0.path.description) })
    }

    /// The operations of an OpenAPI document: each path under `paths:` (indented two spaces)
    /// with each of its methods (indented four), as the services' documents are written.
    public static func documented(_ document: OpenAPIDocument) -> Set<Route> {
        Set(operations(document).keys)
    }

    /// The role each documented operation requires (`x-required-role`, indented six spaces).
    public static func documentedRoles(_ document: OpenAPIDocument) -> [Route: String] {
        operations(document).compactMapValues { $0 }
    }

    /// Each operation with its `x-required-role`, if it names one.
    static func operations(_ document: OpenAPIDocument) -> [Route: String?] {
        let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]
        var operations: [Route: String?] = [:]
        var inPaths = false
        var path: String?
        var operation: Route?
        for line in String(decoding: document.bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") && !line.isEmpty && !line.hasPrefix("#") {
                inPaths = line.hasPrefix("paths:")
                continue
            }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast()).trimmingCharacters(in: CharacterSet(charactersIn: "'\""))
                operation = nil
            } else if line.hasPrefix("    "), !line.hasPrefix("     "), let path {
                let key = String(line.dropFirst(4).prefix { $0 != ":" })
                operation = methods.contains(key) ? Route(key, path) : nil
                if let operation { operations[operation] = .some(nil) }
            } else if line.hasPrefix("      x-required-role:"), let operation {
                operations[operation] = line.split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces)
            } else if line.hasPrefix("  "), !line.hasPrefix("   "), !line.hasPrefix("  #") {
                path = nil
                operation = nil
            }
        }
        return operations
    }

    /// The roles a token holds when it lacks `role` but holds every role that does not imply it.
    public static func rolesBelow(_ role: String) -> [String] {
        switch role {
        case "viewer": []
        case "editor": ["viewer", "approver"]
        case "approver": ["viewer", "editor"]
        default: ["viewer", "editor", "approver"]
        }
    }

    /// Sends each route of `required` a request with a token lacking its role (from `token`);
    /// the routes whose group refused it with 403 for that role.
    public static func refusedForLackingRole(_ router: Router<MaestroRequestContext>, required: [Route: String],
                                             token: @escaping @Sendable ([String]) async throws -> String) async throws -> Set<Route> {
        try await routes(of: router, Array(required.keys)) { route in
            let role = required[route]!
            return [.authorization: "Bearer \(try await token(rolesBelow(role)))"]
        } where: { route, response in
            response.status == .forbidden && String(buffer: response.body).contains("This operation requires the \(required[route]!) role.")
        }
    }

    /// A concrete URI for a route: each `{parameter}` becomes a plausible value.
    public static func uri(for route: Route) -> String {
        route.path.replacing(/\{([^}]+)\}/) { match in
            let name = String(match.output.1)
            if name.hasSuffix("id") || name.hasSuffix("ID") { return "0190a8e4-7b1c-7000-8000-000000000001" }
            if ["version", "index", "size", "first", "second"].contains(name) { return "1" }
            if name == "role" { return "viewer" }
            return "x"
        }
    }

    /// Sends every registered route a request without a token; the routes its group did not
    /// refuse. A refusal counts only if it is the authentication middleware's own (401 with
    /// `WWW-Authenticate: Bearer` and its message, in whatever error shape the path answers in): a route wrongly left open whose handler then
    /// asks for the caller also answers 401, but in other words.
    public static func reachableAnonymously(_ router: Router<MaestroRequestContext>) async throws -> Set<Route> {
        let routes = registered(router)
        let refused = try await Self.routes(of: router, Array(routes)) { _ in [:] } where: { _, response in
            response.status == .unauthorized && response.headers[.wwwAuthenticate] == "Bearer"
                && String(buffer: response.body).contains("A bearer token is required.")
        }
        return routes.subtracting(refused)
    }

    /// Sends each of `routes` a request (a JSON `{}` body where the method takes one, plus
    /// `headers(route)`); the routes whose response satisfies `matches`.
    static func routes(of router: Router<MaestroRequestContext>, _ routes: [Route], headers: @escaping @Sendable (Route) async throws -> HTTPFields,
                       where matches: @escaping @Sendable (Route, TestResponse) -> Bool) async throws -> Set<Route> {
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        return try await app.test(.router) { client in
            var matching: Set<Route> = []
            for route in routes {
                let method = HTTPRequest.Method(rawValue: route.method)!
                var fields = try await headers(route)
                fields[.contentType] = "application/json"
                let body = method == .get || method == .head || method == .delete ? nil : ByteBuffer(string: "{}")
                let response = try await client.execute(uri: uri(for: route), method: method, headers: fields, body: body)
                if matches(route, response) { matching.insert(route) }
            }
            return matching
        }
    }

    /// The kit's own open routes, in every service.
    public static let kitOpenRoutes: Set<Route> = [Route("GET", "/health/live"), Route("GET", "/health/ready"), Route("GET", "/metrics"),
                                                   Route("GET", "/openapi.yaml"), Route("GET", "/docs"),
                                                   Route("GET", "/docs/redoc.standalone.js")]
}
