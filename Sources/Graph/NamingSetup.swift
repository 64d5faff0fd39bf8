import Cluster
import Contract

/// The one address-naming policy: from graph's naming choices, the entity logs and cluster.yaml, the
/// address book, the cluster's layout and the options every namer of a capture uses. Graph builds
/// it from its options; features from the choices graph recorded in the pod-edge table, so the two
/// name every address alike.
public struct NamingSetup {
    public let book: AddressBook
    public let layout: ClusterLayout
    public let options: GraphOptions
    /// How many entity events the logs held.
    public let eventCount: Int

    /// - Parameter origin: the capture's windows' origin (nanoseconds), which the original's pickle
    ///   log's relative times count from.
    public init(naming: AddressNaming, entities: [String], cluster: String?, origin: Int64) throws {
        let events = try EntityLogs.read(paths: entities, captureStart: origin, originalOffset: naming.logOffsetSeconds)
        let original = naming.profile == "mimir"
        book = AddressBook(events: events, expires: !original)
        let gateways = naming.gateways.compactMap(IPAddress.init)
        layout = try cluster.map { ClusterLayout(settings: try ClusterSettings.read(path: $0), extraGateways: gateways) }
            ?? ClusterLayout(book: book, gateways: gateways)
        options = GraphOptions(dropInfrastructure: naming.dropInfrastructure, membership: original ? .originalLabels : .selector)
        eventCount = events.count
    }

    public var namer: AddressNamer { AddressNamer(book: book, layout: layout, options: options) }
}
