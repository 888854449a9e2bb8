import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MaestroDomain
import MaestroEvents
import MaestroHTTPTestSupport
import MaestroTestSupport
import NIOCore
import Testing
@testable import Registry

/// Protected stages (Production unless an admin chose others) are governed like protected
/// aliases: MLflow's transition-stage opens a promotion of the stage's alias instead of moving,
/// and the version enters the stage only when governance grants it.
@Suite("Governed stages", .serialized, .timeLimit(.minutes(2)))
struct GovernedStageTests {
    let alice = Caller(tenant: "acme", subject: "alice", roles: [.editor])

    func transition(_ client: some TestClientProtocol, _ model: String, version: Int, to stage: String, archive: Bool = false,
                    token: String) async throws -> TestResponse {
        try await client.execute(uri: "/api/2.0/mlflow/model-versions/transition-stage", method: .post,
                                 headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                                 body: ByteBuffer(string: #"{"name":"\#(model)","version":"\#(version)","stage":"\#(stage)","archive_existing_versions":\#(archive)}"#))
    }

    func stages(_ registry: RegistryHarness, _ model: String) async throws -> [Int: ModelVersionStage] {
        var filter = VersionFilter()
        filter.modelName = [.equals(model)]
        let (versions, _) = try await registry.store.searchVersions(alice, filter: filter, order: .modelAndVersion(ascending: true), limit: 100, after: nil)
        return Dictionary(uniqueKeysWithValues: versions.map { ($0.version, $0.stage) })
    }

    func grant(_ registry: RegistryHarness, _ promotion: Promotion) async throws {
        let ref = GovernanceEvent.PromotionRef(promotionID: promotion.id.uuidString.lowercased(), modelName: promotion.modelName,
                                               version: promotion.version, alias: promotion.alias)
        let event = try CloudEvent(source: "/maestro/governance", subject: "models/\(promotion.modelName)/aliases/\(promotion.alias)", tenant: "acme",
                                   payload: GovernanceEvent.ApprovalGranted(approvalID: "approval-1", subject: "models/\(promotion.modelName)/aliases/\(promotion.alias)",
                                                                           promotion: ref, approvers: ["bea"], grantedAt: Date()), authId: "governance")
        try await GovernanceDecisionHandler(store: registry.store, cache: registry.cache).handle(event)
    }

    @Test("an editor's transition to Production is refused with PERMISSION_DENIED naming the pending promotion; the grant moves stage and alias, archiving the others")
    func productionIsGoverned() async throws {
        try await RegistryHarness.with { registry in
            let token = try await registry.token()
            let model = unique("fraud")
            _ = try await registry.store.createModel(alice, name: model, description: nil, owner: nil, tags: [:])
            for index in 1...3 { _ = try await registry.store.createVersion(alice, modelName: model, NewModelVersion(source: "s3://m/\(index)")) }
            guard case .moved = try await registry.store.transitionStage(alice, modelName: model, version: 1, to: .staging, archiveExisting: false) else {
                throw TestSetupError("Staging is not protected by default")
            }
            try await registry.application.test(.router) { client in
                let refused = try await transition(client, model, version: 2, to: "Production", archive: true, token: token)
                #expect(refused.status == .forbidden)
                let error = try refused.json
                #expect(error["error_code"] == .string("PERMISSION_DENIED"))
                let message = try #require(error["message"]?.string)
                #expect(message.hasPrefix("Approval required: Stage 'Production' of registered model '\(model)' is protected and did not move."))
                let promotions = try await registry.store.promotions(alice, modelName: model).promotions
                #expect(promotions.count == 1)
                let promotion = try #require(promotions.first)
                #expect(message.contains("Promotion \(promotion.id.uuidString.lowercased()) to version 2 is pending approval"))
                #expect(promotion.alias == "production" && promotion.stage == .production && promotion.archiveExisting && promotion.state == .pending)
                // Asking again answers the same promotion.
                #expect(try await transition(client, model, version: 2, to: "Production", archive: true, token: token).status == .forbidden)
                #expect(try await registry.store.promotions(alice, modelName: model).promotions.count == 1)
                #expect(try await stages(registry, model) == [1: .staging, 2: .none, 3: .none])

                // Governance's promotion.requested names the stage's alias.
                let requested = try await registry.outboxEvents().filter { $0.type == RegistryEvent.PromotionRequested.eventType.name }
                #expect(requested.map { $0.data["alias"] } == [.string("production")])

                try await grant(registry, promotion)
                #expect(try await stages(registry, model) == [1: .staging, 2: .production, 3: .none])
                #expect(try await registry.store.resolveAlias(alice, modelName: model, alias: "production").version == 2)
                #expect(try await registry.store.promotions(alice, modelName: model).promotions.map(\.state) == [.completed])

                // Version 3 through governance too, archiving version 2 on the grant.
                _ = try await transition(client, model, version: 3, to: "Production", archive: true, token: token)
                let next = try #require(try await registry.store.promotions(alice, modelName: model).promotions.last)
                try await grant(registry, next)
                #expect(try await stages(registry, model) == [1: .staging, 2: .archived, 3: .production])
            }
        }
    }

    @Test("taking a version out of a protected stage takes an admin; an admin's own transition into it is governed too; other stages move at once")
    func leavingAProtectedStage() async throws {
        try await RegistryHarness.with { registry in
            let model = unique("fraud")
            let admin = try await registry.token(subject: "root", roles: ["admin"])
            try await registry.application.test(.router) { client in
                // Production ungoverned while the version gets there, then governed again.
                #expect(try await client.send(.post, "/v1/models", token: admin, body: #"{"name":"\#(model)","protected_stages":[]}"#).status == .created)
                _ = try await registry.store.createVersion(alice, modelName: model, NewModelVersion(source: "s3://m/1"))
                _ = try await registry.store.createVersion(alice, modelName: model, NewModelVersion(source: "s3://m/2"))
                #expect(try await transition(client, model, version: 1, to: "Production", token: admin).status == .ok)
                let restored = try await client.send(.patch, "/v1/models/\(model)", token: admin, body: #"{"protected_stages":["Production","Staging"]}"#)
                #expect(try restored.json["protected_stages"] == .array([.string("Production"), .string("Staging")]))

                let editor = try await registry.token()
                let demoted = try await transition(client, model, version: 1, to: "Archived", token: editor)
                #expect(demoted.status == .forbidden)
                #expect(try demoted.json["error_code"] == .string("PERMISSION_DENIED"))
                #expect(try await transition(client, model, version: 1, to: "Archived", token: admin).status == .ok)
                #expect(try await transition(client, model, version: 2, to: "Staging", token: admin).status == .forbidden, "Staging is protected now, for admins too")
                #expect(try await stages(registry, model) == [1: .archived, 2: .none])

                // Only an admin chooses the protected stages, and only real stages, each once.
                #expect(try await client.send(.patch, "/v1/models/\(model)", token: editor, body: #"{"protected_stages":[]}"#).status == .forbidden)
                for bad in [#"["None"]"#, #"["Production","Production"]"#, #"["production"]"#] {
                    let refused = try await client.send(.patch, "/v1/models/\(model)", token: admin, body: #"{"protected_stages":\#(bad)}"#)
                    #expect(refused.status == .unprocessableContent, "\(bad)")
                }
            }
        }
    }
}
