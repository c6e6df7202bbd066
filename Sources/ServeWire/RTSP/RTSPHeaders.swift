/// The header fields of an RTSP message — RFC 2326 §4.2, §12: ordered (name, value) pairs with
/// ASCII case-insensitive lookup. Repeated names are kept in order, as they arrived.
public struct RTSPHeaders: Hashable, Sendable, Sequence, ExpressibleByDictionaryLiteral, ExpressibleByArrayLiteral {
    struct Field: Hashable, Sendable {
        var name: String
        var value: String
    }

    private var fields: [Field] = []

    public init() {}

    public init(_ pairs: [(String, String)]) {
        fields = pairs.map { Field(name: $0.0, value: $0.1) }
    }

    /// `["CSeq": "1", "Public": "OPTIONS"]`, in the order written.
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    /// `[("User-Agent", "a"), ("User-Agent", "b")]`, for repeated names.
    public init(arrayLiteral elements: (String, String)...) {
        self.init(elements)
    }

    /// The first value for `name`, compared without regard to ASCII case.
    public subscript(name: String) -> String? {
        fields.first { $0.name.equalsIgnoringASCIICase(name) }?.value
    }

    /// Every value for `name`, in order.
    public func values(name: String) -> [String] {
        fields.filter { $0.name.equalsIgnoringASCIICase(name) }.map(\.value)
    }

    public func contains(name: String) -> Bool {
        fields.contains { $0.name.equalsIgnoringASCIICase(name) }
    }

    /// Appends a field, keeping any earlier ones of the same name.
    public mutating func add(name: String, value: String) {
        fields.append(Field(name: name, value: value))
    }

    /// Replaces the first field of this name in place (dropping later ones), or appends it.
    public mutating func replaceOrAdd(name: String, value: String) {
        guard let first = fields.firstIndex(where: { $0.name.equalsIgnoringASCIICase(name) }) else {
            add(name: name, value: value)
            return
        }
        fields[first] = Field(name: name, value: value)
        var index = fields.index(after: first)
        while index < fields.endIndex {
            if fields[index].name.equalsIgnoringASCIICase(name) {
                fields.remove(at: index)
            } else {
                index += 1
            }
        }
    }

    /// Removes every field of this name.
    public mutating func remove(name: String) {
        fields.removeAll { $0.name.equalsIgnoringASCIICase(name) }
    }

    public var count: Int { fields.count }

    /// Appends a folded continuation line (RFC 2326 §4.2 allows RFC 822 folding) to the last field.
    mutating func appendToLastValue(_ continuation: Substring) {
        guard !fields.isEmpty else { return }
        fields[fields.count - 1].value += fields[fields.count - 1].value.isEmpty ? String(continuation) : " " + continuation
    }

    public struct Iterator: IteratorProtocol {
        var base: IndexingIterator<[Field]>

        public mutating func next() -> (name: String, value: String)? {
            base.next().map { ($0.name, $0.value) }
        }
    }

    public func makeIterator() -> Iterator {
        Iterator(base: fields.makeIterator())
    }
}
