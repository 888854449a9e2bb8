import Foundation
import Hummingbird
import HummingbirdTesting
import MaestroEvents
import MaestroHTTPTestSupport
import MaestroTestSupport
import Testing
@testable import Registry

@Suite("Alias history and promotions are paginated", .serialized, .timeLimit(.minutes(2)))
struct HistoryPagingTests {
    @Test("an alias history of five moves comes in pages of two, oldest first, with nothing lost or repeated")
    func historyPages() async throws {
        try await RegistryHarness.with { registry in
            let token = try await registry.token()
            try await registry.application.test(.router) { client in
                _ = try await client.createModel(#"{"name":"paged"}"#, token: token)
                _ = try await client.createVersion(of: "paged", token: token)
                _ = try await client.createVersion(of: "paged", token: token)
                for move in 0..<5 {
                    let response = try await client.send(.put, "/v1/models/paged/aliases/canary", token: token,
                                                         body: #"{"version":\#(move % 2 + 1),"reason":"move \#(move)"}"#)
                    #expect(response.status == .ok)
                }
                var reasons: [String] = []
                var pages = 0
                var next: String? = nil
                repeat {
                    let query = next.map { "&page_token=\($0)" } ?? ""
                    let page = try await client.send(.get, "/v1/models/paged/aliases/canary/history?page_size=2\(query)", token: token).json
                    guard case .array(let items)? = page["items"] else { throw TestSetupError("no items") }
                    #expect(items.count <= 2)
                    for case .object(let item) in items { if case .string(let reason)? = item["reason"] { reasons.append(reason) } }
                    if case .string(let token)? = page["next_page_token"] { next = token } else { next = nil }
                    pages += 1
                } while next != nil
                #expect(reasons == (0..<5).map { "move \($0)" })
                #expect(pages == 3)
            }
        }
    }
}
