/// Test input helpers: requests are written as Swift strings with explicit `\r\n`.
func bytes(_ text: String) -> [UInt8] {
    Array(text.utf8)
}

func bytes(_ parts: [UInt8]...) -> [UInt8] {
    parts.flatMap { $0 }
}

func repeated(_ character: Character, _ count: Int) -> String {
    String(repeating: String(character), count: count)
}
