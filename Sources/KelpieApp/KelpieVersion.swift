/// The version string Kelpie reports (`kelpie --version`, `kelpie_build_info`).
public enum KelpieVersion {
    public static let current = "0.1.0"
}
