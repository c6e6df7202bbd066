import XCTest
@testable import Access

final class IPNetworkTests: XCTestCase {
    private func address(_ text: String) -> IPAddress {
        // swiftlint:disable:next force_try
        try! IPAddress(text)
    }

    func testParsesAddresses() throws {
        XCTAssertEqual(try IPAddress("192.0.2.1").bytes, [192, 0, 2, 1])
        XCTAssertEqual(try IPAddress("0.0.0.0").bytes, [0, 0, 0, 0])
        XCTAssertEqual(try IPAddress("::").bytes, Array(repeating: 0, count: 16))
        XCTAssertEqual(try IPAddress("::1").bytes, Array(repeating: 0, count: 15) + [1])
        XCTAssertEqual(try IPAddress("2001:db8::8:800:200c:417a").description, "2001:db8::8:800:200c:417a")
        XCTAssertEqual(try IPAddress("2001:DB8:0:0:8:800:200C:417A").description, "2001:db8::8:800:200c:417a")
        XCTAssertEqual(try IPAddress("fe80::1%eth0").description, "fe80::1")
        XCTAssertEqual(try IPAddress("[::1]").description, "::1")
        XCTAssertEqual(try IPAddress("::ffff:192.0.2.1").unmapped, try IPAddress("192.0.2.1"))
        XCTAssertEqual(try IPAddress("1:0:0:2:0:0:0:3").description, "1:0:0:2::3")
        XCTAssertEqual(try IPAddress("1::").description, "1::")
        XCTAssertEqual(try IPAddress("1:2:3:4:5:6:7::").bytes.suffix(2), [0, 0])
    }

    func testRefusesMalformedAddresses() {
        for text in [
            "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.-4", "1.2.3.+4", "a.b.c.d", " 1.2.3.4",
            ":", ":::", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", ":1:2:3:4:5:6:7", "1:2:3:4:5:6:7:",
            "12345::", "g::", "::1.2.3", "1.2.3.4::", "1:2:3:4:5:6:7:8::", "+1::", "::ffff:256.0.0.1",
        ] {
            XCTAssertThrowsError(try IPAddress(text), text) {
                XCTAssertEqual($0 as? IPAddressError, .invalidAddress(text))
            }
        }
    }

    func testCIDRMatching() throws {
        let lan = try IPNetwork("192.168.1.0/24")
        XCTAssertTrue(lan.contains(address("192.168.1.0")))
        XCTAssertTrue(lan.contains(address("192.168.1.255")))
        XCTAssertFalse(lan.contains(address("192.168.2.1")))
        XCTAssertFalse(lan.contains(address("::1")))
        // A dual-stack socket reports IPv4 peers mapped into IPv6.
        XCTAssertTrue(lan.contains(address("::ffff:192.168.1.77")))

        let host = try IPNetwork("10.0.0.7")
        XCTAssertEqual(host.prefixLength, 32)
        XCTAssertTrue(host.contains(address("10.0.0.7")))
        XCTAssertFalse(host.contains(address("10.0.0.8")))

        let odd = try IPNetwork("10.20.30.40/13")
        XCTAssertEqual(odd.description, "10.16.0.0/13")
        XCTAssertTrue(odd.contains(address("10.23.255.255")))
        XCTAssertFalse(odd.contains(address("10.24.0.0")))

        XCTAssertTrue(try IPNetwork("0.0.0.0/0").contains(address("203.0.113.9")))
        XCTAssertFalse(try IPNetwork("0.0.0.0/0").contains(address("2001:db8::1")))

        let ula = try IPNetwork("fd00::/8")
        XCTAssertTrue(ula.contains(address("fd12:3456::1")))
        XCTAssertFalse(ula.contains(address("fe80::1")))
        let linkLocal = try IPNetwork("fe80::/10")
        XCTAssertTrue(linkLocal.contains(address("febf:ffff::1")))
        XCTAssertFalse(linkLocal.contains(address("fec0::1")))
        XCTAssertTrue(try IPNetwork("::1/128").contains(address("::1")))
        XCTAssertTrue(try IPNetwork("::/0").contains(address("2001:db8::1")))

        // An IPv4-mapped network is the IPv4 network.
        let mapped = try IPNetwork("::ffff:10.0.0.0/104")
        XCTAssertEqual(mapped.description, "10.0.0.0/8")
        XCTAssertTrue(mapped.contains(address("10.9.9.9")))
    }

    func testRefusesBadPrefixes() {
        for text in ["10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/08x", "::/129", "::/1000", "10.0.0.0/8/8"] {
            XCTAssertThrowsError(try IPNetwork(text), text)
        }
        XCTAssertThrowsError(try IPNetwork("nope/8")) { XCTAssertEqual($0 as? IPAddressError, .invalidAddress("nope")) }
    }
}
