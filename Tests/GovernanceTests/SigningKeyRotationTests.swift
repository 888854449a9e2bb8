import Foundation
import Hummingbird
import HummingbirdTesting
import MaestroHTTPTestSupport
import MaestroEvents
import MaestroService
import MaestroTestSupport
import PostgresNIO
import Testing
@testable import Governance

@Suite("Governance signing key rotation", .serialized, .timeLimit(.minutes(2)))
struct SigningKeyRotationTests {
    @Test("with no publish lead, the new key signs at once and the old key's tokens still verify")
    func rotateWithoutLead() async throws {
        try await GovernanceHarness.with(adjusting: { $0.keyPublishLead = .zero }) { governance in
            #expect(governance.settings.keyPublishLead == .zero)
            try await governance.application.governance { api in
                let before = try await api.token(governance.adminKey)
                let oldKid = try keyID(ofToken: before)
                #expect(try await api.publishedKeyIDs() == [oldKid])

                let rotated = try await api.client.execute(uri: "/v1/signing-keys/rotate", method: .post, headers: .bearer(before))
                #expect(rotated.status == .ok)
                let newKid = try #require(string(try rotated.json["kid"]))
                #expect(try rotated.json["signs_after_seconds"] == .number(0))
                #expect(newKid != oldKid)
                #expect(try await api.publishedKeyIDs() == [oldKid, newKid])

                let after = try await api.token(governance.adminKey)
                #expect(try keyID(ofToken: after) == newKid)

                let oldMe = try await api.me(before)
                #expect(oldMe["subject"] == .string("admin"))
                #expect(oldMe["tenant"] == .string("default"))
                // The rotate call itself loaded the key set, so the verifier reloads for the
                // new kid only after its minimum refresh interval (1 s).
                try await Task.sleep(for: .milliseconds(1500))
                let newMe = try await api.me(after)
                #expect(newMe["subject"] == .string("admin"))
                #expect(newMe["roles"] == .array([.string("admin")]))
            }
        }
    }

    @Test("with the default 10-minute lead, the new key is published at once but the old key keeps signing")
    func rotateWithDefaultLead() async throws {
        try await GovernanceHarness.with { governance in
            #expect(governance.settings.keyPublishLead == .seconds(600))
            try await governance.application.governance { api in
                let before = try await api.token(governance.adminKey)
                let oldKid = try keyID(ofToken: before)

                let rotated = try await api.client.execute(uri: "/v1/signing-keys/rotate", method: .post, headers: .bearer(before))
                #expect(rotated.status == .ok)
                let newKid = try #require(string(try rotated.json["kid"]))
                #expect(try rotated.json["signs_after_seconds"] == .number(600))
                #expect(try await api.publishedKeyIDs() == [oldKid, newKid])

                let after = try await api.token(governance.adminKey)
                #expect(try keyID(ofToken: after) == oldKid)
                #expect(try await api.me(after)["subject"] == .string("admin"))
                #expect(try await api.me(before)["subject"] == .string("admin"))

                let retirement = try await governance.asOwner { owner in
                    try await owner.integer("""
                        SELECT extract(epoch FROM retires_at - now())::int8 FROM governance.signing_keys WHERE kid = \(oldKid)
                        """)
                }
                #expect(retirement > 600 + 12 * 3600)
            }
        }
    }

    @Test("only a platform admin may rotate")
    func rotateRequiresPlatformAdmin() async throws {
        try await GovernanceHarness.with { governance in
            try await governance.application.governance { api in
                let admin = try await api.token(governance.adminKey)
                let id = try await api.createPrincipal(token: admin, #"{"name":"editor","roles":["editor"]}"#)
                let key = try #require(string(try await api.createAPIKey(token: admin, #"{"principal_id":"\#(id)"}"#)["api_key"]))
                let editor = try await api.token(key)
                #expect(try await api.client.execute(uri: "/v1/signing-keys/rotate", method: .post, headers: .bearer(editor)).status == .forbidden)
                #expect(try await api.publishedKeyIDs().count == 1)
            }
        }
    }
}
