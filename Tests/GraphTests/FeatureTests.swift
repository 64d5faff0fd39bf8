import Foundation
import Testing
import TestSupport
@testable import Graph
import Contract

/// The features against hand calculations (networkx cross-checks are in FeatureStageTests).
@Suite struct FeatureTests {
    static func graph(_ edges: [(String, NodeKind, String, String, NodeKind, String, Double)]) -> WindowGraph {
        var graph = WindowGraph()
        for (u, uk, us, v, vk, vs, w) in edges {
            let a = graph.node(u, kind: uk, service: us), b = graph.node(v, kind: vk, service: vs)
            graph.add(a, b, bytes: w)
        }
        return graph
    }

    @Test func reciprocity_summedOrAsTheOriginalOverwroteIt() {
        // A = {a1, A_VIP}, B = {b1}: a1->b1 10, b1->a1 4, b1->A_VIP 3, A_VIP->b1 5.
        let g = Self.graph([("a1", .pod, "A", "b1", .pod, "B", 10), ("b1", .pod, "B", "a1", .pod, "A", 4),
                            ("b1", .pod, "B", "A_VIP", .vip, "A", 3), ("A_VIP", .vip, "A", "b1", .pod, "B", 5)])
        let fixed = GraphFeatures(graph: g, profile: .fixed).servicePairs(["A", "B"])
        // Reciprocated: min(10,4) + min(4,10) + min(3,5) + min(5,3) = 14 of 22.
        #expect(fixed.reciprocity(0, 1) == 14.0 / 22)
        // The original keeps each node's last partner (name order A_VIP, a1, b1): A_VIP 3, a1 4, b1 (a1) 4 = 11.
        #expect(GraphFeatures(graph: g, profile: .mimir).servicePairs(["A", "B"]).reciprocity(0, 1) == 11.0 / 22)
        // No traffic within B: -1.
        #expect(fixed.reciprocity(1, 1) == -1)
    }

    @Test func edgeVariation_fromPodsOnly() {
        let g = Self.graph([("a1", .pod, "A", "b1", .pod, "B", 10), ("a2", .pod, "A", "b1", .pod, "B", 30),
                            ("A_VIP", .vip, "A", "b1", .pod, "B", 1000), ("b1", .pod, "B", "a1", .pod, "A", 20)])
        // Fixed: 10, 30, 20: mean 20, population std sqrt(200/3).
        #expect(abs(GraphFeatures(graph: g, profile: .fixed).servicePairs(["A", "B"]).edgeVariation(0, 1) - (200.0 / 3).squareRoot() / 20) < 1e-12)
        // The original: A's pods towards B only: 10, 30: mean 20, std 10.
        #expect(GraphFeatures(graph: g, profile: .mimir).servicePairs(["A", "B"]).edgeVariation(0, 1) == 0.5)
    }

    @Test func serviceAddressInvariant_zeroWhenBalanced_andBypassCounts() {
        // c (service C) calls service S through its address: c -> S_VIP 100 and c -> s1 100; the answer
        // s1 -> c 40 and S_VIP -> c 40.
        var edges: [(String, NodeKind, String, String, NodeKind, String, Double)] = [
            ("c", .pod, "C", "S_VIP", .vip, "S", 100), ("c", .pod, "C", "s1", .pod, "S", 100),
            ("s1", .pod, "S", "c", .pod, "C", 40), ("S_VIP", .vip, "S", "c", .pod, "C", 40),
        ]
        #expect(GraphFeatures(graph: Self.graph(edges), profile: .fixed).podTrafficNotThroughServiceAddresses(dnsService: "kube-dns") == 0)
        // s2 (service S, no service-address traffic) sends 60 straight to d (service D): the original's
        // tallies have no entry for it (0 / 400); the fixed profile counts it twice (120 / 400).
        edges.append(("s2", .pod, "S", "d", .pod, "D", 60))
        #expect(GraphFeatures(graph: Self.graph(edges), profile: .mimir).podTrafficNotThroughServiceAddresses(dnsService: "kube-dns") == 0)
        #expect(GraphFeatures(graph: Self.graph(edges), profile: .fixed).podTrafficNotThroughServiceAddresses(dnsService: "kube-dns") == 120.0 / 400)
        // s1 sends 60 more to c directly: c's entry S>c now has 100 pod-to-pod bytes against 40 (both profiles).
        edges.append(("s1", .pod, "S", "c", .pod, "C", 60))
        #expect(GraphFeatures(graph: Self.graph(edges), profile: .mimir).podTrafficNotThroughServiceAddresses(dnsService: "kube-dns") == 60.0 / 520)
    }

    @Test func dnsRatios() {
        let g = Self.graph([("a1", .pod, "A", "dns-1", .pod, "kube-dns", 30), ("dns-1", .pod, "kube-dns", "outside", .outside, "outside", 90),
                            ("outside", .outside, "outside", "dns-1", .pod, "kube-dns", 15)])
        let ratios = GraphFeatures(graph: g, profile: .fixed).dnsRatios(dnsService: "kube-dns")
        #expect(ratios.fromOutside == 15 && ratios.outsideInsideRatio == 3 && ratios.intoRatio == 0.5)
        let outsideOnly = Self.graph([("dns-1", .pod, "kube-dns", "outside", .outside, "outside", 9)])
        #expect(GraphFeatures(graph: outsideOnly, profile: .fixed).dnsRatios(dnsService: "kube-dns").outsideInsideRatio == .infinity)
    }

    @Test func ideKashima_oneMinusTheCosineToThePastPattern() {
        // Window 1: a<->b only: activity (1, 1, 0)/sqrt 2. Window 2: a<->c only: (1, 0, 1)/sqrt 2. The
        // pattern after window 1 is window 1's vector; cos = 1/2.
        let first = Self.graph([("a", .pod, "a", "b", .pod, "b", 5)]), second = Self.graph([("a", .pod, "a", "c", .pod, "c", 7)])
        let scores = IdeKashima(order: ["a", "b", "c"], history: 10).scores([first, second, second])
        #expect(scores[0].isNaN)
        #expect(abs(scores[1] - 0.5) < 1e-9)
        // Window 3 against windows 1 and 2: the pattern is (2, 1, 1)/sqrt 6 (principal vector of their
        // Gram sum); cos = 3 / sqrt 12.
        #expect(abs(scores[2] - (1 - 3 / 12.0.squareRoot())) < 1e-9)
    }

    @Test func harmonicCentrality_onTheServiceGraph() {
        // a->b 1, b->c 1, a->c 2 (total 4): distances 4, 4, 2. H(c) = 1/2 (from a) + 1/4 (from b); H(b) = 1/4; H(a) = 0.
        let services = Self.graph([("a", .pod, "a", "b", .pod, "b", 1), ("b", .pod, "b", "c", .pod, "c", 1), ("a", .pod, "a", "c", .pod, "c", 2)])
        let h = GraphFeatures.harmonicCentrality(services)
        #expect(h == [0, 0.25, 0.75])
    }
}

/// The features table's columns and a window's values by column.
@Suite struct FeatureColumnTests {
    @Test func keysThatMakeOneName_shareItsColumn() {
        let columns = FeatureColumnIndex()
        let reciprocity = columns.column(.reciprocity, "a", "b")
        #expect(columns.column(.reciprocity, "a", "b") == reciprocity)
        #expect(columns.column(.edgeVariation, "a", "b") != reciprocity)
        // The same text named outright, and a bytes column under the name it makes.
        #expect(columns.column(named: "a_to_b_reciprocity") == reciprocity)
        #expect(columns.column(named: FeatureColumns.bytes("x", "y")) == columns.column(.bytes, "x", "y"))
        #expect(columns.names == ["a_to_b_reciprocity", "a_to_b_edge_coef_of_var", "bytes_x_to_y"])
    }

    @Test func aRowSetsOverwritesAndAddsOnlyWhereAbsent() {
        var row = FeatureRow(capacity: 0)
        #expect(!row.has(3) && row.value(3) == nil)
        row.set(3, .nan)
        #expect(row.has(3) && row.value(3)!.isNaN && !row.has(0))
        row.add(3, 1)
        #expect(row.value(3)!.isNaN)
        row.set(3, 2)
        row.add(0, 5)
        #expect(row.value(3) == 2 && row.value(0) == 5 && row.value(7) == nil)
    }
}
