import ArgumentParser
import Foundation

/// `maestro promote MODEL ALIAS VERSION`: asks the registry to point an alias at a version
/// and, for a protected alias, follows the promotion through governance until it is decided.
struct PromoteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promote",
        abstract: "Point an alias at a version; a protected alias waits for governance, whose checks are shown with their evidence.",
        discussion: """
            An unprotected alias moves at once. A protected one opens a promotion: the command shows governance's approval request \
            with each check and its evidence, then follows the promotion until it is decided (exit 0 when the alias moved, 1 when \
            the promotion was rejected, expired or cancelled). --no-wait stops after showing the checks.
            """
    )

    @Argument(help: "The registered model.") var model: String
    @Argument(help: "The alias, e.g. champion.") var alias: String
    @Argument(help: "The version to point it at.") var version: Int
    @Option(help: "Why, kept with the promotion and the alias history.") var reason: String?
    @Flag(help: "Show the checks, then return without waiting for the decision.") var noWait = false
    @Option(help: "How long to follow the promotion.") var timeout: String = "1h"
    @OptionGroup var client: ClientOptions

    func run() async throws {
        let timeout = try parseDuration(timeout, option: "--timeout")
        var api = try APIClient(client)
        var body: [String: Any] = ["version": version]
        if let reason { body["reason"] = reason }
        let path = "/v1/models/\(segment(model))/aliases/\(segment(alias))"
        let (status, data) = try await api.raw("registry", "PUT", path, body: body)
        guard status == 200 || status == 202 else { throw APIClient.problem(status: status, data: data, method: "PUT", path: path) }
        let answer = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        if status == 200 {
            if client.json { return Output.json(["moved": answer]) }
            return print("moved \(alias) of \(model) to version \(version) (the alias is not protected)")
        }
        let promotionID = answer[text: "id"]
        let promotionPath = "/v1/models/\(segment(model))/promotions/\(promotionID)"
        if !client.json { print("promotion \(promotionID): \(alias) of \(model) to version \(version) waits for approval in governance") }
        let approval = try await approvalRequest(for: promotionID, subject: "models/\(model)/aliases/\(alias)", api: &api)
        if !client.json, let approval {
            print("")
            printApproval(approval)
        }
        if noWait {
            if client.json { Output.json(["promotion": answer, "approval": approval.map { $0 as Any } ?? NSNull()]) }
            return
        }
        if !client.json { print("\nwaiting for the decision (Ctrl-C stops waiting; the promotion stays open)…") }
        fflush(nil)  // what was printed so far reaches a pipe now, not when the promotion is decided
        let decided = try await followPromotion(path: promotionPath, timeout: timeout, api: &api)
        if client.json { Output.json(["promotion": decided, "approval": approval.map { $0 as Any } ?? NSNull()]) }
        let state = decided[text: "state"]
        guard state == "COMPLETED" else {
            throw CLIError("promotion \(promotionID) ended \(state)\(decided["decision_reason"].map { ": \(Output.text($0))" } ?? ""); \(alias) did not move")
        }
        if !client.json { print("COMPLETED: \(alias) of \(model) now points to version \(version)") }
    }

    /// Governance's request for the promotion, once its `promotion.requested` event has arrived (a few seconds at most).
    private func approvalRequest(for promotionID: String, subject: String, api: inout APIClient) async throws -> [String: Any]? {
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            let pending = items(try await api.call("governance", "GET", "/v1/approvals?subject=\(segment(subject))"))
            for summary in pending {
                let detail = try await api.call("governance", "GET", "/v1/approvals/\(summary[text: "id"])") as? [String: Any] ?? [:]
                if (detail["promotion"] as? [String: Any])?["promotion_id"] as? String == promotionID { return detail }
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        FileHandle.standardError.write(Data("governance has not opened a request for promotion \(promotionID) yet; is it running?\n".utf8))
        return nil
    }
}
