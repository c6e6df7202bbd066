extension String {
    /// The longest prefix whose UTF-8 encoding fits `maxBytes`, cut between characters.
    func utf8Prefix(maxBytes: Int) -> [UInt8] {
        guard utf8.count > maxBytes else { return Array(utf8) }
        var bytes: [UInt8] = []
        for character in self {
            let encoded = Array(character.utf8)
            if bytes.count + encoded.count > maxBytes { break }
            bytes += encoded
        }
        return bytes
    }
}
