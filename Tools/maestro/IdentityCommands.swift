import ArgumentParser
import Foundation

/// `maestro principals`: users and service accounts of a tenant (tenant admin).
struct PrincipalsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "principals",
        abstract: "Create, list and disable principals (users and service accounts).",
        subcommands: [List.self, Create.self, Disable.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tenant's principals.")
        @Option(help: "Another tenant (platform admin).") var tenant: String?
        @OptionGroup var client: ClientOptions

        func run() async throws {
            var api = try APIClient(client)
            let answer = try await api.call("governance", "GET", "/v1/principals" + tenantQuery(tenant))
            if client.json { return Output.json(answer) }
            Output.table(["ID", "NAME", "KIND", "ROLES", "DISABLED"], items(answer).map {
                [$0[text: "id"], $0[text: "name"], $0[text: "kind"], $0[text: "roles"], $0[text: "disabled_at"]]
            })
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a principal with roles.")
        @Argument(help: "Its name, unique in the tenant.") var name: String
        @Option(help: "user or service_account.") var kind: String = "user"
        @Option(name: .customLong("role"), help: "A role: viewer, editor, approver or admin (repeat for several).") var roles: [String] = []
        @Option(help: "Another tenant (platform admin).") var tenant: String?
        @OptionGroup var client: ClientOptions

        func run() async throws {
            var api = try APIClient(client)
            var body: [String: Any] = ["name": name, "kind": kind, "roles": roles]
            if let tenant { body["tenant"] = tenant }
            let answer = try await api.call("governance", "POST", "/v1/principals", body: body)
            if client.json { return Output.json(answer) }
            let principal = answer as? [String: Any] ?? [:]
            print("created \(principal[text: "kind"]) \(principal[text: "name"]) (\(principal[text: "id"])) with roles \(principal[text: "roles"])")
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable a principal: its API keys stop working and the tokens already issued to it are revoked.",
            aliases: ["revoke"]
        )
        @Argument(help: "The principal's name or id.") var principal: String
        @Option(help: "Another tenant (platform admin).") var tenant: String?
        @OptionGroup var client: ClientOptions

        func run() async throws {
            var api = try APIClient(client)
            let id = try await principalID(principal, tenant: tenant, api: &api)
            let answer = try await api.call("governance", "POST", "/v1/principals/\(id)/disable" + tenantQuery(tenant))
            if client.json { return Output.json(answer) }
            print("disabled \(principal) (\(id)): its keys no longer sign in and its tokens are revoked")
        }
    }
}

/// `maestro keys`: API keys of the tenant's principals (tenant admin).
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create, list and revoke API keys.",
        subcommands: [List.self, Create.self, Revoke.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tenant's API keys (never their secrets).")
        @Option(help: "Another tenant (platform admin).") var tenant: String?
        @OptionGroup var client: ClientOptions

        func run() async throws {
            var api = try APIClient(client)
            let answer = try await api.call("governance", "GET", "/v1/api-keys" + tenantQuery(tenant))
            if client.json { return Output.json(answer) }
            Output.table(["ID", "PREFIX", "NAME", "PRINCIPAL", "EXPIRES", "REVOKED", "LAST USED"], items(answer).map {
                [$0[text: "id"], $0[text: "prefix"], $0[text: "name"], $0[text: "principal_id"], $0[text: "expires_at"], $0[text: "revoked_at"],
                 $0[text: "last_used_at"]]
            })
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an API key for a principal; the key is shown once.")
        @Option(help: "The principal's name or id.") var principal: String
        @Option(help: "A name for the key.") var name: String
        @Option(help: "Expiry, e.g. 30d or 12h; none by default.") var expiresIn: String?
        @Option(help: "Another tenant (platform admin).") var tenant: String?
        @OptionGroup var client: ClientOptions

        func run() async throws {
            var api = try APIClient(client)
            let id = try await principalID(principal, tenant: tenant, api: &api)
            var body: [String: Any] = ["principal_id": id, "name": name]
            if let tenant { body["tenant"] = tenant }
            if let expiresIn {
                let seconds = Double(try parseDuration(expiresIn, option: "--expires-in").components.seconds)
                body["expires_at"] = ISO8601DateFormatter().string(from: Date().addingTimeInterval(seconds))
            }
            let answer = try await api.call("governance", "POST", "/v1/api-keys", body: body)
            if client.json { return Output.json(answer) }
            let key = answer as? [String: Any] ?? [:]
            // The secret alone on standard output, so `KEY=$(maestro keys create …)` keeps it; the rest on standard error.
            FileHandle.standardError.write(Data("created key \(key[text: "name"]) (\(key[text: "id"]), client id \(key[text: "prefix"])) for \(principal); it is shown only now:\n".utf8))
            print(key[text: "api_key"])
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke an API key: it stops signing in and its tokens are revoked.")
        @Argument(help: "The key's id.") var id: String
        @Option(help: "Another tenant (platform admin).") var tenant: String?
        @OptionGroup var client: ClientOptions

        func run() async throws {
            var api = try APIClient(client)
            let answer = try await api.call("governance", "POST", "/v1/api-keys/\(segment(id))/revoke" + tenantQuery(tenant))
            if client.json { return Output.json(answer) }
            print("revoked key \(id)")
        }
    }
}

/// `?tenant=…` for a platform admin acting in another tenant, or nothing.
func tenantQuery(_ tenant: String?, separator: String = "?") -> String {
    tenant.map { "\(separator)tenant=\(segment($0))" } ?? ""
}

/// A principal's id from its name (or the id itself).
func principalID(_ nameOrID: String, tenant: String?, api: inout APIClient) async throws -> String {
    if UUID(uuidString: nameOrID) != nil { return nameOrID.lowercased() }
    let principals = items(try await api.call("governance", "GET", "/v1/principals" + tenantQuery(tenant)))
    guard let id = principals.first(where: { $0["name"] as? String == nameOrID })?["id"] as? String else {
        throw CLIError("no principal named '\(nameOrID)' in \(tenant.map { "tenant \($0)" } ?? "your tenant")")
    }
    return id
}
