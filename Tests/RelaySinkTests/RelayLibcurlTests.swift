import CCurl
import Testing

/// The libcurl RelaySink links is the one scripts/bootstrap.sh builds into .build-deps/curl: the pinned
/// version, HTTP and HTTPS only, TLS from the system OpenSSL, the threaded resolver, and none of what
/// Debian's libcurl4 brings (other protocols, libz, IDN, PSL, GSS-API, HTTP/2), which the image leaves out.
@Suite struct RelayLibcurlTests {
    @Test func libcurlIsThePinnedHTTPOnlyBuildOverOpenSSL() throws {
        let info = try #require(kelpie_curl_version_info()).pointee
        #expect(String(cString: info.version) == "8.14.1")
        var protocols: [String] = []
        var cursor = info.protocols!
        while let name = cursor.pointee {
            protocols.append(String(cString: name))
            cursor += 1
        }
        #expect(protocols.sorted() == ["http", "https"])
        let ssl = info.ssl_version.map { String(cString: $0) } ?? "none"
        #expect(ssl.hasPrefix("OpenSSL/3"), "TLS backend: \(ssl)")
        #expect(info.libz_version == nil)
        let features = info.features
        #expect(features & CURL_VERSION_SSL != 0)
        #expect(features & CURL_VERSION_ASYNCHDNS != 0, "the multi interface must not block on DNS")
        for (name, flag) in [
            ("libz", CURL_VERSION_LIBZ), ("IDN", CURL_VERSION_IDN), ("PSL", CURL_VERSION_PSL),
            ("GSS-API", CURL_VERSION_GSSAPI), ("HTTP/2", CURL_VERSION_HTTP2), ("brotli", CURL_VERSION_BROTLI),
        ] {
            #expect(features & flag == 0, "libcurl was built with \(name)")
        }
    }
}
