public import HTTP1

/// A lane's cache of request series (kept in the lane's `Connection.laneLocal`), so the observer's own
/// lookup, which takes its lock, runs once per lane and kind of request, not once per request.
/// Lane-confined: never shared, never locked.
final class RequestSeriesCache {
    private struct Key: Hashable {
        var route: String
        var method: HTTPMethod
        var status: Int
    }

    private var series: [Key: any RequestSeries] = [:]

    func series(
        route: String, method: HTTPMethod, status: Int, observer: any HTTPServerObserver
    ) -> any RequestSeries {
        let key = Key(route: route, method: method, status: status)
        if let known = series[key] { return known }
        let made = observer.requestSeries(route: route, method: method, status: status)
        series[key] = made
        return made
    }
}
