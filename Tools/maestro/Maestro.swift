import ArgumentParser
import MaestroEvents
import MaestroService

@main
struct Maestro: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "maestro",
        abstract: "Maestro's tool: sign in, models and promotions, approvals, identities and policies, the event bus, audit verification and the development stack.",
        subcommands: [LoginCommand.self, WhoAmICommand.self, TokenCommand.self, ModelsCommand.self, PromoteCommand.self, ApprovalsCommand.self, PolicyCommand.self,
                      PrincipalsCommand.self, KeysCommand.self, Events.self, Audit.self, Dev.self, ServicesCommand.self,
                      HealthCommand.self, SecretsCommand.self]
    )
}

struct Dev: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The embedded development stack.",
        subcommands: [DevUpCommand.self, DevBrokerCommand.self, DevTokenCommand.self]
    )
}

struct Events: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read and write CloudEvents on Maestro's topics.",
        subcommands: [EventsTail.self, EventsPublish.self]
    )
}

/// The platform's services, from the one catalog the dev stack and the services themselves use;
/// scripts read it (`maestro services`: one line per service, tab-separated).
struct ServicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "services",
        abstract: "List the platform's services: name, binary, dev port, PostgreSQL schema, event topic."
    )

    func run() {
        for service in ServiceCatalog.all {
            print([service.name, service.binary, String(service.defaultPort), service.schema, service.topic.name].joined(separator: "\t"))
        }
    }
}
