/// A parsed configuration document (JSON or YAML) as a small tree. Scalars stay text; the reader of each
/// field decides what it must be, so error messages can name the field.
indirect enum ConfigNode: Sendable {
    case scalar(String, quoted: Bool)
    case sequence([ConfigNode])
    case mapping([(key: String, value: ConfigNode)])

    var kind: String {
        switch self {
        case .scalar: "a scalar"
        case .sequence: "a list"
        case .mapping: "a mapping"
        }
    }
}
