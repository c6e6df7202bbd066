/// Strict UTF-8 decoding: nil for any ill-formed sequence instead of a silent U+FFFD, so two
/// different byte strings never decode to the same name.
enum UTF8Text {
    static func decode<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String? {
        let text = String(decoding: bytes, as: UTF8.self)
        return text.utf8.elementsEqual(bytes) ? text : nil
    }
}
