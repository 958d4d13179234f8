internal import CYAML

/// Parses one YAML (or JSON) document with Debian's libyaml into a ``ConfigNode`` tree. Aliases, tags and
/// multiple documents are refused: a key file has no use for them.
enum YAMLDocumentParser {
    struct ParseError: Error, CustomStringConvertible {
        let description: String
    }

    static func parse(_ text: [UInt8]) throws(ParseError) -> ConfigNode {
        // JSON indented with tabs is valid JSON but not valid YAML indentation. A raw tab can only be
        // whitespace in valid JSON (inside strings it must be escaped), so spaces mean the same.
        var input = text
        if input.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) == UInt8(ascii: "{") {
            for index in input.indices where input[index] == 0x09 { input[index] = 0x20 }
        }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { throw ParseError(description: "libyaml could not initialise") }
        defer { yaml_parser_delete(&parser) }
        return try input.withUnsafeBufferPointer { (buffer) throws(ParseError) -> ConfigNode in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var builder = TreeBuilder()
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    let problem = parser.problem.map { String(cString: $0) } ?? "syntax error"
                    throw ParseError(description: "\(problem) at line \(parser.problem_mark.line + 1), column \(parser.problem_mark.column + 1)")
                }
                defer { yaml_event_delete(&event) }
                if try builder.consume(&event) { break }
            }
            guard let root = builder.root else { throw ParseError(description: "the document is empty") }
            return root
        }
    }

    /// Folds libyaml's event stream into a tree with an explicit stack.
    private struct TreeBuilder {
        enum Frame {
            case sequence([ConfigNode])
            case mapping([(key: String, value: ConfigNode)], pendingKey: String?)
        }

        var stack: [Frame] = []
        var root: ConfigNode?
        var documents = 0

        /// Returns true at the end of the stream.
        mutating func consume(_ event: inout yaml_event_t) throws(ParseError) -> Bool {
            switch event.type {
            case YAML_STREAM_START_EVENT, YAML_DOCUMENT_END_EVENT:
                return false
            case YAML_DOCUMENT_START_EVENT:
                documents += 1
                if documents > 1 { throw ParseError(description: "only one document is allowed") }
                return false
            case YAML_STREAM_END_EVENT:
                return true
            case YAML_ALIAS_EVENT:
                throw ParseError(description: "aliases are not allowed (line \(event.start_mark.line + 1))")
            case YAML_SCALAR_EVENT:
                let scalar = event.data.scalar
                let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
                let quoted = scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE || scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE
                try add(.scalar(text, quoted: quoted), line: event.start_mark.line)
                return false
            case YAML_SEQUENCE_START_EVENT:
                stack.append(.sequence([]))
                return false
            case YAML_MAPPING_START_EVENT:
                stack.append(.mapping([], pendingKey: nil))
                return false
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                guard let frame = stack.popLast() else { throw ParseError(description: "unbalanced document") }
                switch frame {
                case .sequence(let items):
                    try add(.sequence(items), line: event.start_mark.line)
                case .mapping(let pairs, _):
                    try add(.mapping(pairs), line: event.start_mark.line)
                }
                return false
            default:
                return false
            }
        }

        private mutating func add(_ node: ConfigNode, line: Int) throws(ParseError) {
            guard let top = stack.popLast() else {
                root = node
                return
            }
            switch top {
            case .sequence(var items):
                items.append(node)
                stack.append(.sequence(items))
            case .mapping(var pairs, let pendingKey):
                if let key = pendingKey {
                    if pairs.contains(where: { $0.key == key }) {
                        throw ParseError(description: "duplicate key '\(key)' (line \(line + 1))")
                    }
                    pairs.append((key: key, value: node))
                    stack.append(.mapping(pairs, pendingKey: nil))
                } else {
                    guard case .scalar(let key, _) = node else {
                        throw ParseError(description: "mapping keys must be scalars (line \(line + 1))")
                    }
                    stack.append(.mapping(pairs, pendingKey: key))
                }
            }
        }
    }
}
