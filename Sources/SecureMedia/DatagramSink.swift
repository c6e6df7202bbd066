import COpenSSL

/// Where a session's OpenSSL writes: a BIO of Vigil's own that keeps datagram boundaries, which
/// a memory BIO loses. OpenSSL writes a flight record by record and flushes at its end; the
/// sink packs records into one datagram while they fit the MTU and starts a new one at a
/// flush or when the next record would not fit.
final class DatagramSink {
    let mtu: Int
    private(set) var datagrams: [[UInt8]] = []
    private var current: [UInt8] = []

    init(mtu: Int) { self.mtu = mtu }

    func append(_ record: UnsafeRawBufferPointer) {
        if !current.isEmpty, current.count + record.count > mtu { endDatagram() }
        current += record
    }

    func endDatagram() {
        if !current.isEmpty { datagrams.append(current) }
        current = []
    }

    /// Everything written so far, the datagram in progress included.
    func take() -> [[UInt8]] {
        endDatagram()
        defer { datagrams = [] }
        return datagrams
    }

    static func sink(of bio: OpaquePointer?) -> DatagramSink? {
        guard let bio, let data = BIO_get_data(bio) else { return nil }
        return Unmanaged<DatagramSink>.fromOpaque(data).takeUnretainedValue()
    }

    /// The BIO_METHOD: write appends to the sink (set as the BIO's data, unretained — the
    /// session owns the sink and frees the SSL, and with it the BIO, first); ctrl answers a
    /// flush and says nothing is pending; there is no read side.
    static func makeMethod() -> OpaquePointer? {
        let type = BIO_get_new_index() | BIO_TYPE_SOURCE_SINK
        guard let method = BIO_meth_new(type, "vigil datagram sink") else { return nil }
        _ = BIO_meth_set_write(method) { bio, data, length in
            guard let sink = DatagramSink.sink(of: bio), let data, length >= 0 else { return -1 }
            sink.append(UnsafeRawBufferPointer(start: data, count: Int(length)))
            return length
        }
        _ = BIO_meth_set_ctrl(method) { bio, command, _, _ in
            switch command {
            case BIO_CTRL_FLUSH:
                DatagramSink.sink(of: bio)?.endDatagram()
                return 1
            case BIO_CTRL_WPENDING, BIO_CTRL_PENDING: return 0
            default: return 0
            }
        }
        _ = BIO_meth_set_create(method) { bio in
            BIO_set_init(bio, 1)
            return 1
        }
        _ = BIO_meth_set_destroy(method) { bio in
            BIO_set_data(bio, nil)
            return 1
        }
        return method
    }
}
