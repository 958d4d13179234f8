import Glibc

/// Small whole-file helpers on plain file descriptors (no Foundation).
public enum FileIO {
    public static let readChunkBytes = 1 << 20

    public static func write(_ bytes: [UInt8], to path: String) throws(LoadError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io("cannot create \(path): errno \(errno)") }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw .io("cannot write \(path): errno \(errno)") }
            offset += written
        }
    }

    public static func write(_ text: String, to path: String) throws(LoadError) {
        try write(Array(text.utf8), to: path)
    }

    /// Calls `body` with each line (without the newline) of the file, reading it in chunks.
    public static func forEachLine(in path: String, _ body: (ArraySlice<UInt8>) -> Void) throws(LoadError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .io("cannot open \(path): errno \(errno)") }
        defer { close(fd) }
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: readChunkBytes)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw .io("cannot read \(path): errno \(errno)") }
            if count == 0 { break }
            pending.append(contentsOf: chunk[0..<count])
            // memchr, not a per-byte loop: verify scans spools of millions of lines, often in debug builds.
            let lineEnds = pending.withUnsafeBytes { raw in
                var ends: [Int] = []
                var offset = 0
                while offset < raw.count, let found = memchr(raw.baseAddress! + offset, 10, raw.count - offset) {
                    let newline = UnsafeRawPointer(found) - raw.baseAddress!
                    ends.append(newline)
                    offset = newline + 1
                }
                return ends
            }
            var lineStart = 0
            for newline in lineEnds {
                body(pending[lineStart..<newline])
                lineStart = newline + 1
            }
            pending.removeFirst(lineStart)
        }
        if !pending.isEmpty { body(pending[...]) }
    }

    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Regular files under `directory` (recursively) whose names end in one of `suffixes`, sorted by path.
    public static func files(under directory: String, suffixes: [String]) throws(LoadError) -> [String] {
        guard let handle = opendir(directory) else { throw .io("cannot open directory \(directory): errno \(errno)") }
        defer { closedir(handle) }
        var found: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            let path = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            if isDirectory(path) {
                found += try files(under: path, suffixes: suffixes)
            } else if suffixes.contains(where: { name.hasSuffix($0) }) {
                found.append(path)
            }
        }
        return found.sorted()
    }
}
