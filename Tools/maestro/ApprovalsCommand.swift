import ArgumentParser
import Foundation

/// `maestro approvals`: governance's approval requests, and deciding them.
struct ApprovalsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approvals",
        abstract: "List, show, approve, reject and cancel approval requests.",
        subcommands: [List.self, Show.self, Approve.self, Reject.self, Cancel.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List approval requests, newest first.")
        @Option(help: "PENDING, APPROVED, REJECTED, EXPIRED or CANCELLED.") var state: String?
        @Option(help: "Only requests about this subject, e.g. models/fraud/aliases/champion.") var subject: String?
        @OptionGroup var client: ClientOptions

        func run() async throws {
            var api = try APIClient(client)
            var query: [String] = []
            if let state { query.append("state=\(segment(state))") }
            if let subject { query.append("subject=\(segment(subject))") }
            let answer = try await api.call("governance", "GET", "/v1/approvals" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")))
            if client.json { return Output.json(answer) }
            Output.table(["ID", "STATE", "SUBJECT", "REQUESTED BY", "REQUESTED AT"], items(answer).map {
                [$0[text: "id"], $0[text: "state"], $0[text: "subject"], $0[text: "requested_by"], $0[text: "requested_at"]]
            })
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a request: its checks with their evidence, and its decisions.")
        @Argument(help: "The request's id.") var id: String
        @OptionGroup var client: ClientOptions

        func run() async throws {
            var api = try APIClient(client)
            let answer = try await api.call("governance", "GET", "/v1/approvals/\(segment(id))")
            if client.json { return Output.json(answer) }
            printApproval(answer as? [String: Any] ?? [:])
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Approve a request; the approval that grants a promotion waits until the registry has moved the alias."
        )
        @Argument(help: "The request's id.") var id: String
        @Option(help: "A comment kept with the decision.") var comment: String?
        @Flag(help: "Do not wait for the registry to move the alias.") var noWait = false
        @Option(help: "How long to wait for the move.") var timeout: String = "30s"
        @OptionGroup var client: ClientOptions

        func run() async throws {
            try await decide(id: id, approve: true, comment: comment, wait: !noWait, timeout: try parseDuration(timeout, option: "--timeout"), client: client)
        }
    }

    struct Reject: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reject a request; one rejection ends it.")
        @Argument(help: "The request's id.") var id: String
        @Option(help: "Why (kept with the decision and sent to the requester's side).") var comment: String
        @OptionGroup var client: ClientOptions

        func run() async throws {
            try await decide(id: id, approve: false, comment: comment, wait: false, timeout: .zero, client: client)
        }
    }
}

extension ApprovalsCommand {
    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel a pending request (its requester or an admin); a promotion closes as CANCELLED and its alias stays."
        )
        @Argument(help: "The request's id.") var id: String
        @Option(help: "Why, kept with the cancellation.") var reason: String?
        @OptionGroup var client: ClientOptions

        func run() async throws {
            var api = try APIClient(client)
            let query = reason.map { "?reason=\(segment($0))" } ?? ""
            let answer = try await api.call("governance", "POST", "/v1/approvals/\(segment(id))/cancel" + query)
            if client.json { return Output.json(answer) }
            print("cancelled \(id): the request is \((answer as? [String: Any])?[text: "state"] ?? "?")")
        }
    }
}

private func decide(id: String, approve: Bool, comment: String?, wait: Bool, timeout: Duration, client: ClientOptions) async throws {
    var api = try APIClient(client)
    var body: [String: Any] = ["approve": approve]
    if let comment { body["comment"] = comment }
    let answer = try await api.call("governance", "POST", "/v1/approvals/\(segment(id))/decisions", body: body)
    let approval = answer as? [String: Any] ?? [:]
    let move = approval["promotion_move"] as? [String: Any]
    var promotion: [String: Any]?
    if wait, move?["status"] as? String == "PENDING", let path = move?["registry_path"] as? String {
        promotion = try await followPromotion(path: path, timeout: timeout, api: &api)
    }
    if client.json {
        var output: [String: Any] = ["approval": approval]
        if let promotion { output["promotion"] = promotion }
        return Output.json(output)
    }
    print("\(approve ? "approved" : "rejected") \(id): the request is \(approval[text: "state"]) (\(approval[text: "approvals"]) of \(approval[text: "required_approvals"]) approvals)")
    if let promotion {
        print("the registry moved \(promotion[text: "alias"]) of \(promotion[text: "model_name"]) to version \(promotion[text: "version"]) (promotion \(promotion[text: "state"]))")
    } else if let move {
        print("promotion: \(move[text: "status"]): \(move[text: "detail"])")
    }
}

/// Polls the registry's promotion until it is no longer `PENDING`.
func followPromotion(path: String, timeout: Duration, api: inout APIClient) async throws -> [String: Any] {
    let deadline = ContinuousClock.now + timeout
    while true {
        let promotion = try await api.call("registry", "GET", path) as? [String: Any] ?? [:]
        if promotion["state"] as? String != "PENDING" { return promotion }
        guard ContinuousClock.now < deadline else {
            throw CLIError("the promotion is still PENDING after \(timeout); follow it with GET \(path) on the registry")
        }
        try await Task.sleep(for: .milliseconds(250))
    }
}

/// A request for people: what it is about, its checks with their evidence, its decisions.
func printApproval(_ approval: [String: Any]) {
    var lines: [(String, String)] = [("id", approval[text: "id"]), ("subject", approval[text: "subject"]), ("state", approval[text: "state"]),
                                     ("approvals", "\(approval[text: "approvals"]) of \(approval[text: "required_approvals"])"),
                                     ("requested by", approval[text: "requested_by"]), ("expires at", approval[text: "expires_at"])]
    if let move = approval["promotion_move"] as? [String: Any] { lines.append(("promotion", "\(move[text: "status"]): \(move[text: "detail"])")) }
    Output.fields(lines)
    let checks = approval["checks"] as? [[String: Any]] ?? []
    if !checks.isEmpty {
        print("")
        Output.table(["CHECK", "PASSED", "REASON", "EVIDENCE"], checks.map { [$0[text: "name"], $0[text: "passed"], $0[text: "reason"], $0[text: "evidence"]] })
    }
    let decisions = approval["decisions"] as? [[String: Any]] ?? []
    if !decisions.isEmpty {
        print("")
        Output.table(["DECISION", "BY", "AT", "COMMENT"], decisions.map { [$0[text: "decision"], $0[text: "principal"], $0[text: "decided_at"], $0[text: "comment"]] })
    }
}
