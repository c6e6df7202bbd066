/// The `format` parameter of `gettoken`: how the token comes back.
public enum UMASFormat: String, Sendable, CaseIterable {
    /// The default when `format` is absent: the bare token.
    case text
    case json
    case xml
}
