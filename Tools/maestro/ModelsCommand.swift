import ArgumentParser
import Foundation

/// `maestro models`: the registry's models, versions and cards.
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List models, show one with its versions, print a version's model card.",
        subcommands: [List.self, Show.self, Card.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tenant's registered models.")
        @Option(help: "Only models with this tag, key:value (repeatable).") var tag: [String] = []
        @OptionGroup var client: ClientOptions

        func run() async throws {
            var api = try APIClient(client)
            let query = tag.isEmpty ? "" : "?" + tag.map { "tag=\(segment($0))" }.joined(separator: "&")
            let answer = try await api.call("registry", "GET", "/v1/models" + query)
            if client.json { return Output.json(answer) }
            Output.table(["NAME", "ALIASES", "TAGS", "UPDATED"], items(answer).map {
                [$0[text: "name"], $0[text: "aliases"], $0[text: "tags"], $0[text: "updated_at"]]
            })
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a model and its versions.")
        @Argument(help: "The model's name.") var name: String
        @OptionGroup var client: ClientOptions

        func run() async throws {
            var api = try APIClient(client)
            let model = try await api.call("registry", "GET", "/v1/models/\(segment(name))")
            let versions = try await api.call("registry", "GET", "/v1/models/\(segment(name))/versions")
            if client.json { return Output.json(["model": model, "versions": items(versions)]) }
            let body = model as? [String: Any] ?? [:]
            Output.fields([("name", body[text: "name"]), ("description", body[text: "description"]), ("tags", body[text: "tags"]),
                           ("aliases", body[text: "aliases"]), ("protected aliases", body[text: "protected_aliases"]),
                           ("protected stages", body[text: "protected_stages"])])
            print("")
            Output.table(["VERSION", "STATUS", "STAGE", "METRICS", "MODEL SIGNATURE", "SOURCE"], items(versions).map {
                [$0[text: "version"], $0[text: "status"], $0[text: "stage"], $0[text: "metrics"], $0["signature"] == nil ? "no" : "yes", $0[text: "source"]]
            })
        }
    }

    struct Card: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a version's model card as Markdown, with its completeness.")
        @Argument(help: "The model's name.") var name: String
        @Argument(help: "The version.") var version: Int
        @OptionGroup var client: ClientOptions

        func run() async throws {
            var api = try APIClient(client)
            let path = "/v1/models/\(segment(name))/versions/\(version)/card"
            if client.json { return Output.json(try await api.call("registry", "GET", path)) }
            let (status, data) = try await api.raw("registry", "GET", path + ".md")
            guard status == 200 else { throw APIClient.problem(status: status, data: data, method: "GET", path: path + ".md") }
            print(String(decoding: data, as: UTF8.self), terminator: "")
        }
    }
}
