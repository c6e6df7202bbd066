import Foundation
import XCTest

/// curl against Vigil's HTTP port, plain or HTTPS (`--cacert`), with the session cookie sent
/// by hand so that a test says exactly what each request carries.
struct WebClient {
    struct Reply: CustomStringConvertible {
        var status: Int
        var headers: [(String, String)]
        var body: Data
        var curlStatus: Int32
        var curlError: String

        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
        var text: String { String(decoding: body, as: UTF8.self) }
        var description: String { "\(status) \(headers.map { "\($0.0): \($0.1)" }) \(text.prefix(300))" }

        /// The session id a `Set-Cookie: vigil_session=…` sets.
        var sessionCookie: String? {
            guard let value = header("set-cookie"), value.hasPrefix("vigil_session=") else { return nil }
            let id = value.dropFirst("vigil_session=".count).prefix { $0 != ";" }
            return id.isEmpty ? nil : String(id)
        }
    }

    var base: String
    /// The CA file for HTTPS.
    var caCertificate: String?

    init(port: Int, tls caCertificate: String? = nil) {
        base = "\(caCertificate == nil ? "http" : "https")://127.0.0.1:\(port)"
        self.caCertificate = caCertificate
    }

    func request(
        _ method: String = "GET", _ path: String, cookie: String? = nil, headers: [String] = [], form: [(String, String)]? = nil,
        output: URL? = nil, scheme: String? = nil
    ) throws -> Reply {
        let headerFile = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-web-\(UUID()).headers")
        defer { try? FileManager.default.removeItem(at: headerFile) }
        var arguments = ["-sS", "--max-time", "20", "-X", method, "-D", headerFile.path, "-o", output?.path ?? "-"]
        if let caCertificate { arguments += ["--cacert", caCertificate] }
        if let cookie { arguments += ["-H", "Cookie: vigil_session=\(cookie)"] }
        for header in headers { arguments += ["-H", header] }
        if let form {
            let body = form.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
            arguments += ["-H", "Content-Type: application/x-www-form-urlencoded", "--data-binary", body]
        }
        var url = base + path
        if let scheme, let colon = url.firstIndex(of: ":") { url = scheme + url[colon...] }
        arguments.append(url)
        let result = try runProcess("/usr/bin/curl", arguments, timeout: 30)
        let dump = (try? String(contentsOf: headerFile, encoding: .utf8)) ?? ""
        let lines = (dump.components(separatedBy: "\r\n\r\n").last { $0.hasPrefix("HTTP/") } ?? "").components(separatedBy: "\r\n")
        let status = Int(lines.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
        let fields = lines.dropFirst().compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return Reply(status: status, headers: fields, body: result.stdout, curlStatus: result.status, curlError: result.stderr)
    }

    static func encode(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }

    /// Logs in; the session id and its CSRF token.
    func logIn(_ user: String, _ password: String, file: StaticString = #filePath, line: UInt = #line) throws -> (id: String, csrf: String) {
        let reply = try request("POST", "/login", form: [("username", user), ("password", password)])
        XCTAssertEqual(reply.status, 303, "\(reply)", file: file, line: line)
        let id = try XCTUnwrap(reply.sessionCookie, "\(reply)", file: file, line: line)
        let info = try request("GET", "/api/v1/session", cookie: id)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: info.body) as? [String: Any], "\(info)", file: file, line: line)
        return (id, try XCTUnwrap(json["csrf_token"] as? String, "\(json)", file: file, line: line))
    }
}

/// A tool the test needs: present, or the test fails saying how to get it (never a skip).
func requireTool(_ path: String, _ hint: String, file: StaticString = #filePath, line: UInt = #line) throws {
    guard FileManager.default.isExecutableFile(atPath: path) else {
        XCTFail("\(path) is missing: \(hint)", file: file, line: line)
        throw TestClientError.unexpected("\(path) is missing")
    }
}
