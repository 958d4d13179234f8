/// Where this process runs, added to every event it describes: the build, this process's instance id, the
/// host, and on Kubernetes the pod, namespace and node (from the downward API's environment variables).
public struct DeploymentContext: Sendable, Equatable {
    public var version: String
    /// Random per process start: tells two processes of one pod (a restart) apart.
    public var instance: String
    public var host: String
    public var pod: String?
    public var namespace: String?
    public var node: String?
    /// True when the kubelet's `KUBERNETES_SERVICE_HOST` is set (every pod has it).
    public var isKubernetes: Bool

    public init(
        version: String, instance: String, host: String, pod: String? = nil, namespace: String? = nil,
        node: String? = nil, isKubernetes: Bool = false
    ) {
        self.version = version
        self.instance = instance
        self.host = host
        self.pod = pod
        self.namespace = namespace
        self.node = node
        self.isKubernetes = isKubernetes
    }

    /// The fields as JSON members, each with a leading comma, to append to every event's `data`.
    func jsonMembers() -> [UInt8] {
        JSONObjectWriter.members { writer in
            writer.string("version", version)
            writer.string("instance", instance)
            writer.string("host", host)
            writer.string("pod", pod)
            writer.string("namespace", namespace)
            writer.string("node", node)
            writer.bool("is_kubernetes", isKubernetes)
        }
    }
}
