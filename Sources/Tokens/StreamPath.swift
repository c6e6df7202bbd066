/// The rule that scopes a token to a stream: a token minted with `app=door` opens the stream
/// whose path is `door`, and nothing else.
///
/// Both sides are normalized the same way — leading and trailing `/` removed — so
/// `app=/door/` at mint time matches `rtsp://host/door` at redeem time. After that the match
/// is exact and case-sensitive: `door` opens neither `Door`, `door2`, `door/hd` nor `yard`.
/// There is no prefix or wildcard match; a token without `app` opens every stream.
///
/// The caller passes the *stream's* path, percent-decoded and without the query — not a
/// track control URL (`door/trackID=0`), which the RTSP layer resolves to its stream first.
public enum StreamPath {
    public static func normalized(_ path: some StringProtocol) -> String {
        var slice = Substring(path)
        while slice.first == "/" { slice.removeFirst() }
        while slice.last == "/" { slice.removeLast() }
        return String(slice)
    }
}
