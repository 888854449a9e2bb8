import Foundation
import Hummingbird
import HummingbirdTesting
import MaestroHTTPTestSupport
import MaestroService
import MaestroTestSupport
import Testing

@Suite("ETag and pagination")
struct HTTPHelperTests {
    @Test func aStaleIfMatchIs412() async throws {
        let service = try await TestService.make()
        let token = try await service.keys.token(roles: ["editor"])
        try await service.application.test(.router) { client in
            var headers = HTTPFields.bearer(token)
            headers[.ifMatch] = ETag(version: 2).description
            let stale = try await client.execute(uri: "/v1/items/a", method: .put, headers: headers)
            #expect(stale.status == .preconditionFailed)
            let problem = try stale.problem()
            #expect(problem.status == 412)
            #expect(problem.type == "urn:maestro:problem:precondition-failed")

            headers[.ifMatch] = #"W/"v3""#
            #expect(try await client.execute(uri: "/v1/items/a", method: .put, headers: headers).status == .preconditionFailed)
            headers[.ifMatch] = #""v1", "v3""#
            #expect(try await client.execute(uri: "/v1/items/a", method: .put, headers: headers).status == .noContent)
            #expect(try await client.execute(uri: "/v1/items/a", method: .put, headers: .bearer(token)).status == .noContent)
        }
    }

    struct ItemPage: Decodable {
        let items: [Item]
        let next_page_token: String?
    }

    @Test func pageTokensRoundTripAndPageSizeIsCapped() async throws {
        let service = try await TestService.make()
        let token = try await service.keys.token()
        try await service.application.test(.router) { client in
            let first = try await client.execute(uri: "/v1/items?page_size=2", method: .get, headers: .bearer(token))
            #expect(first.status == .ok)
            let page1 = try JSONDecoder().decode(ItemPage.self, from: Data(first.body.readableBytesView))
            #expect(page1.items.map(\.size) == [0, 1])
            let next = try #require(page1.next_page_token)
            #expect(!next.contains("=") && !next.contains("+") && !next.contains("/"))

            let second = try await client.execute(uri: "/v1/items?page_size=100&page_token=\(next)", method: .get, headers: .bearer(token))
            let page2 = try JSONDecoder().decode(ItemPage.self, from: Data(second.body.readableBytesView))
            #expect(page2.items.map(\.size) == [2, 3, 4])

            let token9 = PageToken.encode(ItemCursor(after: 9))
            #expect(try PageToken.decode(token9, as: ItemCursor.self) == ItemCursor(after: 9))
            let last = try await client.execute(uri: "/v1/items?page_token=\(token9)", method: .get, headers: .bearer(token))
            let page3 = try JSONDecoder().decode(ItemPage.self, from: Data(last.body.readableBytesView))
            #expect(page3.items.map(\.size) == [9])
            #expect(page3.next_page_token == nil)
        }
    }

    @Test func aBadPageTokenOrSizeIs400() async throws {
        let service = try await TestService.make()
        let token = try await service.keys.token()
        try await service.application.test(.router) { client in
            for query in ["page_token=not-a-token", "page_token=\(Data("[1,2]".utf8).base64URL)", "page_size=0", "page_size=ten"] {
                let response = try await client.execute(uri: "/v1/items?\(query)", method: .get, headers: .bearer(token))
                #expect(response.status == .badRequest, "\(query)")
                let problem = try response.problem()
                #expect(problem.status == 400)
                #expect(problem.errors.count == 1)
            }
        }
    }
}
