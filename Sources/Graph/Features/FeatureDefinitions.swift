import Table
import Contract

/// The definition of every feature column, written into features.parquet's metadata (`mimir.features`)
/// and in docs/features.md.
enum FeatureDefinitions {
    static let fixed: [String: String] = [
        "fraction_pod_comm_not_through_vips": "pod-to-pod bytes not matched by traffic through service addresses, over all pod-to-pod bytes (the original's VIP invariant; outside and DNS left out)",
        "into_dns_from_outside": "bytes from outside into the DNS pods",
        "dns_outside_inside_ratio": "bytes from the DNS pods to outside over bytes into them from inside (inf: only outside; NaN: no traffic)",
        "into_dns_ratio": "bytes from outside into the DNS pods over bytes into them from inside",
        "new_service_edges": "service-graph edges never seen in earlier windows of this length (nor in the reference graph)",
        "new_service_edge_bytes": "bytes on those new service-graph edges",
        FeatureColumns.load: "flows from outside the cluster into it in the window (with --flows): the application's load, which exfiltration leaving the cluster does not raise",
        "ide_kashima_score": "Ide-Kashima: 1 - cos(principal eigenvector of the symmetrised service traffic matrix, typical pattern of the previous windows)",
    ]

    static let families: [(prefix: String, suffix: String, text: String)] = [
        ("", "_reciprocity", "weighted reciprocity of the traffic between the two services (within one, for A_to_A); -1 without traffic"),
        ("", "_edge_coef_of_var", "coefficient of variation of the pod edge weights between the two services"),
        ("class_harmonic_centrality_", "", "harmonic centrality of the service in the service graph (distance 1 / normalised bytes)"),
        ("pods_cfbc_sub_coef_of_var_", "", "coefficient of variation, over the service's pods, of current-flow betweenness from the sensitive service's pods to outside"),
        (FeatureColumns.bytesPrefix, "", "bytes from the first service (or outside) to the second in the window, a service's pods and address merged (0: none)"),
        ("new_peers_", "", "services this service exchanged traffic with for the first time"),
        ("distinct_dst_ports_", "", "distinct destination ports of the flows the service's pods started (to a port below the ephemeral range, 32768: replies to clients left out)"),
        ("fanout_", "", "distinct destination addresses of the flows the service's pods started (to a port below the ephemeral range, 32768)"),
        ("failed_connections_", "", "TCP flows from the service's pods with a SYN and no ACK (unanswered, refused, half-open)"),
    ]

    static func describe(_ name: String) -> String {
        if let text = fixed[name] { return text }
        for family in families where name.hasPrefix(family.prefix) && name.hasSuffix(family.suffix) { return family.text }
        return ""
    }
}
