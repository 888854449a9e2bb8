import ArgumentParser
import Foundation

/// `maestro policy`: the approval policy of the tenant, or of one model.
struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Show or set an approval policy (a model's overrides its tenant's).",
        subcommands: [Get.self, Set.self]
    )

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the policy in force: the tenant's, or the one a model's promotions follow.")
        @Option(help: "A model, for the policy its promotions follow.") var model: String?
        @Option(help: "Another tenant (platform admin).") var tenant: String?
        @OptionGroup var client: ClientOptions

        func run() async throws {
            var api = try APIClient(client)
            let answer = try await api.call("governance", "GET", policyPath(model) + tenantQuery(tenant))
            if client.json { return Output.json(answer) }
            let body = answer as? [String: Any] ?? [:]
            let policy = body["policy"] as? [String: Any] ?? [:]
            var lines: [(String, String)] = [("scope", model.map { "model \($0)" } ?? "tenant"), ("revision", body[text: "revision"]),
                                              ("default", body[text: "is_default"])]
            lines += policy.keys.sorted().map { ($0, Output.text(policy[$0])) }
            Output.fields(lines)
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Replace a policy with the JSON in a file ('-' for standard input).")
        @Argument(help: "A JSON file with every member of the policy (see GET /v1/policy).") var file: String
        @Option(help: "Set this model's own policy instead of the tenant's.") var model: String?
        @Option(help: "Another tenant (platform admin).") var tenant: String?
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: file)
            guard let data else { throw CLIError("cannot read \(file)") }
            guard let policy = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw CLIError("\(file) does not hold a JSON object")
            }
            var api = try APIClient(client)
            let answer = try await api.call("governance", "PUT", policyPath(model) + tenantQuery(tenant), body: policy)
            if client.json { return Output.json(answer) }
            let body = answer as? [String: Any] ?? [:]
            print("policy of \(model.map { "model \($0)" } ?? "the tenant") set: revision \(body[text: "revision"])")
        }
    }
}

private func policyPath(_ model: String?) -> String {
    model.map { "/v1/models/\(segment($0))/policy" } ?? "/v1/policy"
}
