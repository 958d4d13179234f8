import DispatchSockets
import Glibc

// Fixed-reply responder for measuring the socket layer alone: on any read containing "\r\n\r\n" it
// writes "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" once per terminator found.
// Usage: SocketBench <epoll|dispatch> [port] [lanes] [mode]; runs until stdin closes.
// mode: "plain" (default) | "pause" (pause reading around each reply, like the HTTP layer)
//       | "close" (reply with Connection: close, then close flushing; use wrk -H 'Connection: close')
// Environment: TICK_MS (timer tick, default 100).
let arguments = CommandLine.arguments
let backend = IOBackendKind(rawValue: arguments.count > 1 ? arguments[1] : "epoll") ?? .epoll
let port = UInt16(arguments.count > 2 ? arguments[2] : "0") ?? 0
let lanes = Int(arguments.count > 3 ? arguments[3] : "") ?? SocketServerConfiguration.onlineProcessorCount
let mode = arguments.count > 4 ? arguments[4] : "plain"
let tickMilliseconds = getenv("TICK_MS").flatMap { Int(String(cString: $0)) } ?? 100
let reply = Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".utf8)
let closingReply = Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".utf8)

final class FixedReply: ConnectionHandler {
    func connection(_ connection: Connection, didRead bytes: UnsafeRawBufferPointer) {
        var index = 0
        while index + 3 < bytes.count {
            guard bytes[index] == 13, bytes[index + 1] == 10, bytes[index + 2] == 13, bytes[index + 3] == 10 else {
                index += 1
                continue
            }
            index += 4
            switch mode {
            case "pause":
                connection.pauseReading()
                connection.write(reply)
                connection.resumeReading()
            case "close":
                connection.write(closingReply)
                connection.close(flushingOutput: true)
                return
            default:
                connection.write(reply)
            }
        }
    }
}

signal(SIGPIPE, SIG_IGN)
let server = SocketServer(
    configuration: .init(
        host: "127.0.0.1", port: port, backend: backend, laneCount: lanes,
        timerTick: .milliseconds(tickMilliseconds))
) { _ in FixedReply() }
let address = try server.start()
print("listening \(address) backend \(backend) lanes \(lanes) mode \(mode)")
fflush(nil)
var byte: UInt8 = 0
while read(0, &byte, 1) > 0 {}
print("accepted \(server.acceptedConnectionCount)")
