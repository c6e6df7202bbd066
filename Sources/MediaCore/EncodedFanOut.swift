import Synchronization

/// Something that takes a stream's encoded units: the live hub, the recorder, later the HLS
/// muxer and push targets. `offer` is called on the encoder's thread and must not block; a
/// consumer that cannot keep up drops on its own side (an `EncodedUnitQueue` does this).
public protocol EncodedUnitConsumer: AnyObject, Sendable {
    /// Takes `unit` of `track` (0 video, 1 the stream's audio, 2 the browser audio when the
    /// stream's own is G.711) or ignores it.
    func offer(_ unit: EncodedUnit, track: Int)
}

/// One encoded stream, several consumers: each encoder publishes here, and every attached
/// consumer is offered every unit in order. Consumers come and go at any time (an HLS
/// muxer runs only while someone watches); publishing never waits for one.
public final class EncodedFanOut: Sendable {
    private let consumers: Mutex<[any EncodedUnitConsumer]>

    public init(consumers: [any EncodedUnitConsumer] = []) {
        self.consumers = Mutex(consumers)
    }

    public func attach(_ consumer: any EncodedUnitConsumer) {
        consumers.withLock { list in
            if !list.contains(where: { $0 === consumer }) { list.append(consumer) }
        }
    }

    public func detach(_ consumer: any EncodedUnitConsumer) {
        consumers.withLock { list in list.removeAll { $0 === consumer } }
    }

    public var consumerCount: Int { consumers.withLock { $0.count } }

    /// Offers `unit` to every consumer, outside the lock (an offer may attach or detach).
    public func publish(_ unit: EncodedUnit, track: Int) {
        let list = consumers.withLock { $0 }
        for consumer in list { consumer.offer(unit, track: track) }
    }
}
