import Foundation
import Logging
import MaestroDomain
import MaestroEvents
import MaestroTracing
import Metrics
import PostgresNIO
import Tracing

/// A service's one way into its PostgreSQL schema: tenant transactions, the outbox, the inbox.
///
/// Guarantees:
/// - **Tenant scope.** ``transaction(_:_:)`` sets `maestro.tenant` for the transaction, so
///   row-level security shows it only the caller's tenant (repositories also filter by tenant).
/// - **Events commit with state.** ``TenantTransaction/emit(_:key:subject:cause:correlation:actor:)``
///   writes the event into the outbox of the same transaction: it is published if and only if the
///   transaction commits.
/// - **Effectively once.** ``once(consumer:event:caller:_:)`` records the event in the inbox in
///   the same transaction as its effect.
///
/// Each transaction is a client span (`transaction <schema>`) with a child span per statement,
/// and counts in `maestro_postgres_connections_in_use` while it holds its connection.
public struct ServiceDatabase<Domain: EventDomain>: Sendable {
    public let client: PostgresClient
    public let schema: String
    public let logger: Logger
    public let outbox: Outbox
    public let inbox: Inbox
    private let spanAttributes: SpanAttributes
    private let connectionsInUse: Meter

    public init(client: PostgresClient, settings: PostgresSettings, logger: Logger) {
        self.client = client
        self.schema = settings.schema
        self.logger = logger
        self.outbox = Outbox(settings: settings)
        self.inbox = Inbox(settings: settings)
        var attributes = SpanAttributes()
        attributes[SpanAttributeName.databaseSystem] = "postgresql"
        attributes[SpanAttributeName.databaseNamespace] = settings.database
        attributes[SpanAttributeName.serverAddress] = settings.host
        attributes[SpanAttributeName.serverPort] = settings.port
        self.spanAttributes = attributes
        self.connectionsInUse = Meter(label: "maestro_postgres_connections_in_use", dimensions: [("schema", settings.schema)])
        Gauge(label: "maestro_postgres_connections_max", dimensions: [("schema", settings.schema)]).record(settings.clientConfiguration.options.maximumConnections)
    }

    /// Runs `body` in a transaction that sees only `caller.tenant`'s rows. An error thrown by
    /// `body` rolls back and comes out as itself.
    public func transaction<Result: Sendable>(_ caller: Caller, _ body: (TenantTransaction<Domain>) async throws -> Result) async throws -> Result {
        try await traced(tenant: caller.tenant) {
            try await client.transaction(logger: logger) { connection in
                try await TenantScope.set(caller.tenant, on: connection, logger: logger)
                return try await body(TenantTransaction(connection: connection, caller: caller, database: self))
            }
        }
    }

    /// `body`, as one transaction's span and one connection in use.
    private func traced<Result: Sendable>(tenant: String?, _ body: () async throws -> Result) async throws -> Result {
        try await withSpanWhenRecording("transaction \(schema)", ofKind: .client) { span in
            if let span {
                var attributes = spanAttributes
                attributes[SpanAttributeName.tenant] = tenant
                span.attributes.merge(attributes)
            }
            connectionsInUse.increment()
            defer { connectionsInUse.decrement() }
            return try await body()
        }
    }

    /// Runs `body` in a transaction scoped to no tenant: it sees only tables without row-level
    /// security until it enters a tenant with ``PlatformTransaction/enter(_:)``. For work that
    /// spans tenants, such as a consumer appending one batch for many tenants.
    public func platformTransaction<Result: Sendable>(_ body: (PlatformTransaction<Domain>) async throws -> Result) async throws -> Result {
        try await traced(tenant: nil) {
            try await client.transaction(logger: logger) { connection in
                try await body(PlatformTransaction(connection: connection, database: self))
            }
        }
    }

    /// Runs `effect` once per `(consumer, event id)` in a tenant transaction for `caller`;
    /// `nil` for an event already handled. A redelivered event changes nothing.
    public func once<Result: Sendable>(consumer: String, event: CloudEvent, caller: Caller,
                                       _ effect: (TenantTransaction<Domain>) async throws -> Result) async throws -> Result? {
        try await transaction(caller) { transaction -> Result? in
            guard try await !inbox.claim(consumer: consumer, ids: [event.id], on: transaction.connection, logger: logger).isEmpty else { return nil }
            return try await effect(transaction)
        }
    }

    /// Runs a statement for its effect, outside any transaction and tenant (tables without
    /// row-level security).
    public func execute(_ query: PostgresQuery) async throws {
        try await traced(tenant: nil) {
            _ = try await client.query(query, logger: logger)
        }
    }
}

/// Statements inside one of a service's transactions.
public protocol DatabaseTransaction: Sendable {
    var connection: PostgresConnection { get }
    var logger: Logger { get }
}

extension DatabaseTransaction {
    /// Runs a statement and returns its rows; a child span of the transaction's, named by
    /// the statement's first keyword, with its text (values are bound, never in the text).
    public func query(_ query: PostgresQuery) async throws -> PostgresRowSequence {
        try await statementSpan(query.sql) { try await connection.query(query, logger: logger) }
    }

    /// Runs a prepared statement and returns its decoded rows: PostgreSQL parses and plans it
    /// once per connection, for the fixed-shape statements of hot paths. A child span like
    /// ``query(_:)``'s.
    public func query<Statement: PostgresPreparedStatement>(_ statement: Statement) async throws
        -> AsyncThrowingMapSequence<PostgresRowSequence, Statement.Row> {
        try await statementSpan(Statement.sql) { try await connection.execute(statement, logger: logger) }
    }

    /// `body` within a child span named by the statement's first keyword, with its text.
    private func statementSpan<Result>(_ sql: String, _ body: () async throws -> Result) async throws -> Result {
        try await withSpanWhenRecording(Self.operation(of: sql), ofKind: .client) { span in
            if let span {
                span.attributes[SpanAttributeName.databaseSystem] = "postgresql"
                span.attributes[SpanAttributeName.databaseOperation] = span.operationName
                span.attributes[SpanAttributeName.databaseQueryText] = String(sql.prefix(2048))
            }
            return try await body()
        }
    }

    /// `SELECT`, `INSERT`, `WITH`…: the statement's first word, upper-cased.
    static func operation(of sql: String) -> String {
        let word = sql.drop { !$0.isLetter }.prefix { $0.isLetter }
        return word.isEmpty ? "statement" : word.uppercased()
    }

    /// Runs a statement for its effect.
    public func execute(_ query: PostgresQuery) async throws {
        _ = try await countRows(query)
    }

    /// Runs a statement and counts the rows it returns: with `RETURNING`, the rows it inserted,
    /// updated or deleted.
    public func countRows(_ query: PostgresQuery) async throws -> Int {
        var count = 0
        for try await _ in try await self.query(query) { count += 1 }
        return count
    }
}

/// A transaction scoped to one caller's tenant; see ``ServiceDatabase/transaction(_:_:)``.
public struct TenantTransaction<Domain: EventDomain>: DatabaseTransaction {
    public let connection: PostgresConnection
    public let caller: Caller
    let database: ServiceDatabase<Domain>

    public var tenant: String { caller.tenant }
    public var logger: Logger { database.logger }

    /// Enqueues one event of this service's domain on the domain's topic, in this transaction.
    /// - Parameters:
    ///   - key: the Kafka key, the aggregate id (e.g. the model name).
    ///   - subject: what the event is about, e.g. `models/fraud/versions/3`.
    ///   - cause: the event this one answers: it continues its correlation chain.
    ///   - correlation: the chain to join when there is no cause (a new chain otherwise).
    ///   - actor: the acting principal (`authid`); the caller by default.
    ///   - trace: the `traceparent` of the saga `correlation` names, for a step taken outside
    ///     it (e.g. a person's decision through the API): the event joins the saga's trace
    ///     rather than the request's, and its span links to the request's.
    public func emit<Event: DomainEvent>(_ payload: Event, key: String, subject: String, cause: CloudEvent? = nil,
                                         correlation: String? = nil, actor: String? = nil, trace: String? = nil) async throws where Event.Domain == Domain {
        try await enqueue(key: key, joining: trace) { traceParent in
            try CloudEvent(source: Domain.source, subject: subject, tenant: caller.tenant, payload: payload, authId: actor ?? caller.subject,
                           correlationId: correlation ?? cause?.correlationId, causationId: cause?.id,
                           traceParent: traceParent ?? cause?.traceParent ?? trace)
        }
    }

    /// Enqueues an event about the platform itself, which belongs to no tenant (no `tenant`
    /// attribute), e.g. a checkpoint of audit's `_system` log; otherwise as ``emit(_:key:subject:cause:correlation:actor:)``.
    public func emitPlatformEvent<Event: DomainEvent>(_ payload: Event, key: String, subject: String, actor: String? = nil) async throws
        where Event.Domain == Domain {
        try await enqueue(key: key, joining: nil) { traceParent in
            try CloudEvent(source: Domain.source, subject: subject, tenant: nil, payload: payload, authId: actor ?? caller.subject,
                           traceParent: traceParent)
        }
    }

    /// Writes the event `make` builds into the outbox within a producer span, `create <topic>`,
    /// whose context the event carries as `traceparent`: consumers continue the trace from it.
    /// With `saga`, the span is created in that trace and linked to the current one. With
    /// tracing off, an event keeps its cause's (or the saga's) trace context.
    private func enqueue(key: String, joining saga: String?, _ make: (_ traceParent: String?) throws -> CloudEvent) async throws {
        let topic = Domain.topic.name
        let current = ServiceContext.current
        try await withSpanWhenRecording("create \(topic)", context: saga.map { TraceContext.context(continuing: $0) }, ofKind: .producer) { span in
            let event = try make(span.flatMap { TraceContext.traceParent(of: $0.context) })
            if let span {
                if saga != nil, let current { span.addLink(SpanLink(context: current, attributes: [:])) }
                span.attributes.setMessaging(.create, destination: topic)
                span.attributes[SpanAttributeName.messagingMessageID] = event.id
                span.attributes[SpanAttributeName.kafkaMessageKey] = key
                span.attributes[SpanAttributeName.tenant] = event.tenant
            }
            try await database.outbox.enqueue(event, topic: Domain.topic, key: key, on: connection, logger: database.logger)
        }
    }
}

/// A transaction scoped to no tenant; see ``ServiceDatabase/platformTransaction(_:)``.
public struct PlatformTransaction<Domain: EventDomain>: DatabaseTransaction {
    public let connection: PostgresConnection
    let database: ServiceDatabase<Domain>

    public var logger: Logger { database.logger }

    /// Runs `body` scoped to `caller.tenant`, in this transaction; afterwards the transaction
    /// sees no tenant's rows again until the next `enter`.
    public func enter<Result: Sendable>(_ caller: Caller, _ body: (TenantTransaction<Domain>) async throws -> Result) async throws -> Result {
        try await TenantScope.set(caller.tenant, on: connection, logger: database.logger)
        let result = try await body(TenantTransaction(connection: connection, caller: caller, database: database))
        try await TenantScope.clear(on: connection, logger: database.logger)
        return result
    }

    /// Records `ids` in the inbox as handled by `consumer`, in this transaction, and returns
    /// those not recorded before: their effects are the caller's to apply in this transaction.
    public func claim(consumer: String, ids: [String]) async throws -> Set<String> {
        try await database.inbox.claim(consumer: consumer, ids: ids, on: connection, logger: database.logger)
    }
}
