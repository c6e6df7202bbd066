extension Duration {
    /// Whole milliseconds, rounded toward zero; what a nonce records of its issue time.
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
