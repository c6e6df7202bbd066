import COpenSSL

/// OpenSSL's error queue, per thread: cleared before each call whose outcome is read with
/// `SSL_get_error` (which requires an empty queue), drained into text for an error.
enum OpenSSLErrorQueue {
    static func clear() { ERR_clear_error() }

    /// Every queued reason, oldest first, joined by "; "; the queue is left empty.
    static func drain() -> String {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var text = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &text, text.count)
            reasons.append(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return reasons.isEmpty ? "no reason given" : reasons.joined(separator: "; ")
    }

    /// A setup failure: `call` and whatever OpenSSL queued.
    static func error(_ call: String) -> DTLSError { .openSSL(call: call, reason: drain()) }
}
