import Foundation
import XCTest

/// A viewer host behind an impaired link, made by the test itself: a network namespace joined
/// to this one by a veth pair. Loss comes from nftables (`numgen random`) inside the viewer's
/// namespace, on UDP both ways, packet by packet (GSO batches are cut before the pair); a bottleneck from a token-bucket filter (`tc … tbf`) on the
/// server's end of the pair. (This host's kernel has no `sch_netem`; tbf and nftables are the
/// real kernel's own queue and filter, so what crosses the link is still real.)
///
/// Everything lives in the namespace or on the veth pair, which goes with it: nothing is left
/// behind on the host when the test ends, even if it fails.
final class ImpairedLink {
    let namespace: String
    let hostInterface: String
    let viewerInterface: String
    let hostAddress: String
    let viewerAddress: String

    static var isAvailable: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip")
            && FileManager.default.isExecutableFile(atPath: "/usr/sbin/tc")
            && FileManager.default.isExecutableFile(atPath: "/usr/sbin/nft")
    }

    init() throws {
        let id = Int(getpid()) % 60_000 + Int.random(in: 0..<1000)
        namespace = "vigil-imp-\(id)"
        hostInterface = "vih\(id)"
        viewerInterface = "viv\(id)"
        let subnet = 10 + id % 200
        hostAddress = "10.78.\(subnet).1"
        viewerAddress = "10.78.\(subnet).2"
        try ip(["netns", "add", namespace])
        try ip(["link", "add", hostInterface, "type", "veth", "peer", "name", viewerInterface])
        try ip(["link", "set", viewerInterface, "netns", namespace])
        try ip(["addr", "add", "\(hostAddress)/24", "dev", hostInterface])
        // One packet per skb towards the viewer: the server's UDP GSO writes a unit's packets as
        // one segmented skb, which the veth would carry whole into the namespace, where the
        // loss rule below would keep or drop all of them together (a burst of up to a whole
        // picture at each 5 % draw). A link loses packets, not batches: with at most one
        // segment per skb the kernel cuts the batch before the veth, and each packet meets the
        // rule alone.
        try ip(["link", "set", hostInterface, "gso_max_segs", "1"])
        try ip(["link", "set", hostInterface, "up"])
        try ip(["-n", namespace, "addr", "add", "\(viewerAddress)/24", "dev", viewerInterface])
        try ip(["-n", namespace, "link", "set", viewerInterface, "up"])
        try ip(["-n", namespace, "link", "set", "lo", "up"])
    }

    /// Removes the namespace; the veth pair and everything on it go with it.
    func remove() {
        _ = try? runProcess("/usr/sbin/ip", ["netns", "del", namespace], timeout: 10)
        _ = try? runProcess("/usr/sbin/ip", ["link", "del", hostInterface], timeout: 10)
    }

    private func ip(_ arguments: [String]) throws {
        let result = try runProcess("/usr/sbin/ip", arguments, timeout: 10)
        guard result.status == 0 else { throw LinkError.command("ip \(arguments.joined(separator: " ")): \(result.stderr)") }
    }

    /// Drops `permille`/1000 of UDP datagrams at random, each way, in the viewer's namespace.
    func dropUDP(permille: Int) throws {
        let rules = """
            table inet impair {
              chain inbound { type filter hook input priority 0; meta l4proto udp numgen random mod 1000 < \(permille) counter drop; }
              chain outbound { type filter hook output priority 0; meta l4proto udp numgen random mod 1000 < \(permille) counter drop; }
            }
            """
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(namespace).nft")
        try rules.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try runProcess("/usr/sbin/ip", ["netns", "exec", namespace, "/usr/sbin/nft", "-f", file.path], timeout: 10)
        guard result.status == 0 else { throw LinkError.command("nft: \(result.stderr)") }
    }

    /// Packets the loss rules dropped so far, inbound (towards the viewer) and outbound.
    func droppedUDP() throws -> (inbound: Int, outbound: Int) {
        let result = try runProcess("/usr/sbin/ip", ["netns", "exec", namespace, "/usr/sbin/nft", "list", "table", "inet", "impair"], timeout: 10)
        let counts = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").compactMap { line -> Int? in
            guard let range = line.range(of: "counter packets ") else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }
        return (counts.first ?? 0, counts.dropFirst().first ?? 0)
    }

    /// A bottleneck of `kbps` from the server towards the viewer, with a queue of `queueMilliseconds`.
    func limitRate(kbps: Int, queueMilliseconds: Int) throws {
        let result = try runProcess("/usr/sbin/tc", [
            "qdisc", "add", "dev", hostInterface, "root", "tbf", "rate", "\(kbps)kbit", "burst", "16kb",
            "latency", "\(queueMilliseconds)ms",
        ], timeout: 10)
        guard result.status == 0 else { throw LinkError.command("tc: \(result.stderr)") }
    }

    /// What the bottleneck has sent and dropped so far, in packets.
    func bottleneckCounters() throws -> (sent: Int, dropped: Int) {
        let result = try runProcess("/usr/sbin/tc", ["-s", "qdisc", "show", "dev", hostInterface], timeout: 10)
        let text = String(decoding: result.stdout, as: UTF8.self)
        func number(after marker: String) -> Int {
            guard let range = text.range(of: marker) else { return 0 }
            return Int(text[range.upperBound...].prefix { $0.isNumber }) ?? 0
        }
        // " Sent 2709466 bytes 3730 pkt (dropped 392, overlimits …"
        guard let bytes = text.range(of: " bytes ") else { return (0, 0) }
        let sent = Int(text[bytes.upperBound...].prefix { $0.isNumber }) ?? 0
        return (sent, number(after: "dropped "))
    }

    /// `arguments` run in the viewer's namespace.
    func command(_ arguments: [String]) -> [String] { ["netns", "exec", namespace] + arguments }

    enum LinkError: Error { case command(String) }
}
