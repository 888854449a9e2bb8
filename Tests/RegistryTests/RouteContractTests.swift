import Foundation
import MaestroEvents
import MaestroHTTPTestSupport
import MaestroService
import Testing
@testable import Registry

@Suite("Registry routes", .serialized, .timeLimit(.minutes(2)))
struct RouteContractTests {
    @Test("every registered route is in openapi.yaml, and every documented route is registered")
    func routesMatchOpenAPI() async throws {
        try await RegistryHarness.with { registry in
            // The document lists each MLflow route once; its description says every one is also
            // served under /api/2.0/preview/mlflow/ (as MLflow's server does).
            let registered = Set(RouteContract.registered(registry.router).map { route in
                RouteContract.Route(route.method, route.path.replacingOccurrences(of: "/api/2.0/preview/mlflow/", with: "/api/2.0/mlflow/"))
            })
            let documented = RouteContract.documented(try RegistryService.openAPI())
            #expect(!documented.isEmpty)
            #expect(registered.subtracting(documented).sorted() == [], "registered but not documented")
            #expect(documented.subtracting(registered).sorted() == [], "documented but not registered")
        }
    }

    @Test("every route except the kit's open ones refuses an anonymous request with 401")
    func anonymousRequestsAreRefused() async throws {
        try await RegistryHarness.with { registry in
            let reachable = try await RouteContract.reachableAnonymously(registry.router)
            #expect(reachable == RouteContract.kitOpenRoutes)
        }
    }

    @Test("it publishes its own domain's events on its catalog topic, and its consumer groups keep their names")
    func eventsAndConsumers() async throws {
        #expect(RegistryService.Events.topic == RegistryService.identity.topic)
        #expect(RegistryService.Events.source == RegistryService.identity.eventSource)
        try await RegistryHarness.with { registry in
            #expect(registry.service.consumers.map(\.name) == ["registry.governance-decisions", "registry.alias-cache"])
        }
    }

    @Test("every route refuses a token without the role its openapi.yaml names, with 403")
    func rolesAreEnforcedAtRegistration() async throws {
        try await RegistryHarness.with { registry in
            let required = RouteContract.documentedRoles(try RegistryService.openAPI())
            #expect(required.count > 5)
            let refused = try await RouteContract.refusedForLackingRole(registry.router, required: required) { roles in
                try await registry.token(subject: "probe", tenant: "acme", roles: roles)
            }
            #expect(Set(required.keys).subtracting(refused).sorted() == [], "routes that let a caller without their role through")
        }
    }
}
