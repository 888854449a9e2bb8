import Foundation
import MaestroEvents
import MaestroHTTPTestSupport
import MaestroService
import MaestroTestSupport
import Synchronization
import Testing
@testable import Governance

@Suite("Governance routes", .serialized, .timeLimit(.minutes(2)))
struct RouteContractTests {
    @Test("every registered route is in openapi.yaml, and every documented route is registered")
    func routesMatchOpenAPI() async throws {
        try await GovernanceHarness.with { governance in
            let registered = RouteContract.registered(governance.router)
            let documented = RouteContract.documented(try GovernanceService.openAPI())
            #expect(!documented.isEmpty)
            #expect(registered.subtracting(documented).sorted() == [], "registered but not documented")
            #expect(documented.subtracting(registered).sorted() == [], "documented but not registered")
        }
    }

    @Test("every route except the declared open ones refuses an anonymous request with 401")
    func anonymousRequestsAreRefused() async throws {
        try await GovernanceHarness.with { governance in
            let reachable = try await RouteContract.reachableAnonymously(governance.router)
            #expect(reachable == RouteContract.kitOpenRoutes.union([
                RouteContract.Route("POST", "/v1/tokens"), RouteContract.Route("GET", "/.well-known/jwks.json"), RouteContract.Route("POST", "/oauth/token"),
                RouteContract.Route("GET", "/.well-known/openid-configuration"), RouteContract.Route("GET", "/.well-known/oauth-authorization-server"),
                RouteContract.Route("GET", "/v1/event-keys"),
            ]))
        }
    }

    @Test("it publishes its own domain's events on its catalog topic, and its consumer groups keep their names")
    func eventsAndConsumers() async throws {
        #expect(GovernanceService.Events.topic == GovernanceService.identity.topic)
        #expect(GovernanceService.Events.source == GovernanceService.identity.eventSource)
        try await GovernanceHarness.with { governance in
            #expect(governance.service.consumers.map(\.name) == ["governance.promotion-requests"])
        }
    }

    @Test("every route refuses a token without the role its openapi.yaml names, with 403")
    func rolesAreEnforcedAtRegistration() async throws {
        try await GovernanceHarness.with { governance in
            let required = RouteContract.documentedRoles(try GovernanceService.openAPI())
            #expect(required.count > 5)
            // One principal per role set, each with an API key exchanged for a token.
            let tokens = Mutex<[[String]: String]>([:])
            try await governance.application.governance { client in
                let admin = try await client.token(governance.adminKey)
                for roles in Set(required.values.map(RouteContract.rolesBelow)) {
                    let token = try await client.member(admin: admin, "probe-\(roles.count)", roles: roles)
                    tokens.withLock { $0[roles] = token }
                }
            }
            let issued = tokens.withLock { $0 }
            let refused = try await RouteContract.refusedForLackingRole(governance.router, required: required) { roles in
                guard let token = issued[roles] else { throw TestSetupError("no token for \(roles)") }
                return token
            }
            #expect(Set(required.keys).subtracting(refused).sorted() == [], "routes that let a caller without their role through")
        }
    }
}
