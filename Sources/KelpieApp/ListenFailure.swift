public import DispatchSockets

/// A listener could not be opened: which setting named it (`listen`, `grpc-listen`), its address and why.
public struct ListenFailure: Error, Sendable, CustomStringConvertible {
    public let setting: String
    public let address: ListenAddress
    public let error: SocketError

    public var description: String { "cannot listen on \(address): \(error.description)" }
}
