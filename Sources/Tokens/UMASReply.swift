/// The body and content type of a `gettoken` reply, byte for byte as UMAS clients parse it:
///
/// | format | Content-Type                      | body                                                              |
/// |--------|-----------------------------------|-------------------------------------------------------------------|
/// | text   | `text/plain; charset=utf-8`       | `39VvZGpnrmVcsSiZ`                                                |
/// | json   | `application/json`                | `{"Token":"xDDR4V07Iqyn3n0A"}`                                    |
/// | xml    | `application/xml; charset=utf-8`  | `<?xml version="1.0" encoding="utf-8"?>` LF `<Token>CiQY56Fy6X65ltXH</Token>` |
///
/// No trailing newline on any of them: clients that take the whole body as the token (the
/// text format) would otherwise append it to the stream URL.
///
/// Content types: `application/json` without a charset (RFC 8259 §11 defines none; JSON is
/// UTF-8). For XML, `application/xml` — RFC 7303's preferred type; `text/xml` is its alias
/// and every client that takes one (browsers' XHR `responseXML`, .NET, PHP's SimpleXML on
/// the body) takes the other — with a charset that agrees with the declaration. Clients in
/// practice read the body whatever the type says; the choice is for the ones that check.
public struct UMASReply: Sendable, Equatable {
    public let contentType: String
    public let body: String

    /// Between the XML declaration and the element. UMAS's examples show them on two lines;
    /// a single LF is that layout, and XML parsers ignore it either way.
    static let xmlLineBreak = "\n"

    public static func render(_ token: Token, _ format: UMASFormat) -> UMASReply {
        // The token alphabet is letters and digits, so no JSON or XML escaping is ever needed.
        switch format {
        case .text:
            UMASReply(contentType: "text/plain; charset=utf-8", body: token.text)
        case .json:
            UMASReply(contentType: "application/json", body: #"{"Token":""# + token.text + #""}"#)
        case .xml:
            UMASReply(
                contentType: "application/xml; charset=utf-8",
                body: #"<?xml version="1.0" encoding="utf-8"?>"# + xmlLineBreak + "<Token>" + token.text + "</Token>")
        }
    }
}
