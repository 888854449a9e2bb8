import ArgumentParser
import Foundation
import MaestroService

struct DevTokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Mint a development token signed with the dev key in <dir>/keys.",
        discussion: "Services of the dev stack verify tokens against <dir>/keys/jwks.json until governance issues tokens."
    )

    @Option(name: .long, help: "The tenant claim.")
    var tenant: String = "default"

    @Option(name: .long, help: "The subject (principal) claim.")
    var sub: String = "admin"

    @Option(name: .long, help: "Roles, comma-separated: viewer, editor, approver, admin.")
    var roles: String = "admin"

    @Option(name: .long, help: "Lifetime, e.g. 15m, 12h, 3600s.")
    var ttl: String = "12h"

    @Option(name: .long, help: "The iss claim; MAESTRO_GOVERNANCE_ISSUER, else governance in the dev stack.")
    var issuer: String?

    @Option(name: .long, help: "The dev stack's directory.")
    var dir: String = ".maestro"

    func run() async throws {
        let roleList = roles.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let known: Set<String> = ["viewer", "editor", "approver", "admin"]
        guard !roleList.isEmpty, roleList.allSatisfy(known.contains) else {
            throw CLIError("--roles must be a comma-separated list of viewer, editor, approver, admin")
        }
        guard !tenant.isEmpty, !sub.isEmpty else { throw CLIError("--tenant and --sub must not be empty") }
        let lifetime = try parseDuration(ttl, option: "--ttl")
        var reader = SettingsReader(environment: issuer.map { ["MAESTRO_GOVERNANCE_ISSUER": $0] } ?? ProcessInfo.processInfo.environment)
        let tokenIssuer = reader.issuer()
        if let problem = reader.problems.first { throw CLIError(problem) }
        let key = try DevSigningKey.loadOrCreate(in: URL(fileURLWithPath: dir).appendingPathComponent("keys"))
        print(try await key.token(subject: sub, tenant: tenant, roles: roleList, lifetime: lifetime, issuer: tokenIssuer))
    }
}
