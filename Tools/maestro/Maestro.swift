import ArgumentParser

@main
struct Maestro: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "maestro",
        abstract: "Maestro's operator tool: the development stack, the event bus and audit verification.",
        subcommands: [Dev.self, Events.self, Audit.self]
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
