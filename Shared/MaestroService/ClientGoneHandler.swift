import Hummingbird
import NIOCore
import Synchronization

/// Notices when a client stops sending: its half of the TCP connection closes (Hummingbird
/// allows half-closure, so the channel itself stays open until the answer is written) or the
/// whole connection goes. One per connection, in the HTTP pipeline (``ServiceRunner/httpServer``);
/// ``MaestroRequestContext/connectionClosed`` finds it by the request's channel.
final class ClientGoneHandler: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    // Reads pass through untouched (the default channelRead forwards them).
    typealias InboundIn = Any

    /// The future of each live connection's handler, by channel.
    private static let registry = Mutex<[ObjectIdentifier: EventLoopFuture<Void>]>([:])
    private let gone = Mutex<EventLoopPromise<Void>?>(nil)

    /// Completes when the client of `channel` has stopped sending or gone; nil for a channel
    /// without the handler (router tests).
    static func future(for channel: any Channel) -> EventLoopFuture<Void>? {
        registry.withLock { $0[ObjectIdentifier(channel)] }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let promise = context.eventLoop.makePromise(of: Void.self)
        gone.withLock { $0 = promise }
        Self.registry.withLock { $0[ObjectIdentifier(context.channel)] = promise.futureResult }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        Self.registry.withLock { $0[ObjectIdentifier(context.channel)] = nil }
        complete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .inputClosed = event as? ChannelEvent { complete() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        complete()
        context.fireChannelInactive()
    }

    private func complete() {
        gone.withLock { promise in
            promise?.succeed()
            promise = nil
        }
    }
}
