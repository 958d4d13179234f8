#if canImport(Glibc)
import Glibc
#endif

/// How many times longer than written the tests' deadlines are (`waitUntil`, `RawHTTPClient`'s socket
/// timeouts): `KELPIE_TEST_TIME_SCALE`, 1 unless set. scripts/sanitize.sh sets it, because ThreadSanitizer
/// and AddressSanitizer slow everything several times over; deadlines stretch, assertions stay the same.
public enum TestTimeScale {
    public static let factor: Int = {
        guard let raw = getenv("KELPIE_TEST_TIME_SCALE"), let value = Int(String(cString: raw)), value >= 1 else { return 1 }
        return value
    }()

    public static func scaled(_ duration: Duration) -> Duration { duration * factor }
}
