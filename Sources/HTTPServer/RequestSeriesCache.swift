import DispatchSockets
import HTTP1

/// A lane's cache of request series (kept in the lane's `Connection.laneLocal`), so the observer's own
/// lookup, which takes its lock, runs once per lane and kind of request, not once per request.
/// Lane-confined: never shared, never locked.
final class RequestSeriesCache {
    private struct Key: Hashable {
        var route: String
        var method: HTTPMethod
        var status: Int
        var protocolVersion: HTTPProtocolVersion
    }

    private var series: [Key: any RequestSeries] = [:]

    func series(
        route: String, method: HTTPMethod, status: Int, protocolVersion: HTTPProtocolVersion, observer: any HTTPServerObserver
    ) -> any RequestSeries {
        let key = Key(route: route, method: method, status: status, protocolVersion: protocolVersion)
        if let known = series[key] { return known }
        let made = observer.requestSeries(route: route, method: method, status: status, protocolVersion: protocolVersion)
        series[key] = made
        return made
    }

    /// Counts one answered request of `connection` in its lane's cache (made on first use).
    static func record(
        on connection: any HTTPTransport, observer: (any HTTPServerObserver)?, route: String, method: HTTPMethod,
        status: Int, protocolVersion: HTTPProtocolVersion, duration: Duration, wireBytes: Int
    ) {
        guard let observer else { return }
        let cache: RequestSeriesCache
        if let existing = connection.laneLocal as? RequestSeriesCache {
            cache = existing
        } else {
            cache = RequestSeriesCache()
            connection.laneLocal = cache
        }
        cache.series(route: route, method: method, status: status, protocolVersion: protocolVersion, observer: observer)
            .record(duration: duration, wireBytes: wireBytes)
    }
}
