import Foundation
import MediaCore

/// A source's own thread, with a stop flag it checks between frames.
///
/// Blocking work (pacing sleeps, file and FIFO reads) runs here, never on an event loop or the
/// cooperative pool. `stop()` returns once the thread has finished.
final class SourceThread: @unchecked Sendable {
    private let lock = NSLock()
    private var running = false
    private var stopRequested = false
    private let finished = DispatchSemaphore(value: 0)
    private let name: String

    init(name: String) {
        self.name = name
    }

    var isStopRequested: Bool { lock.withLock { stopRequested } }

    func start(_ body: @escaping @Sendable (SourceThread) -> Void) {
        let shouldStart = lock.withLock { () -> Bool in
            guard !running else { return false }
            running = true
            stopRequested = false
            return true
        }
        guard shouldStart else { return }
        let thread = Thread { [self] in
            nameCurrentThread(name)
            body(self)
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    func stop() {
        let wasRunning = lock.withLock { () -> Bool in
            stopRequested = true
            defer { running = false }
            return running
        }
        if wasRunning { finished.wait() }
    }
}

/// Hands a device opened on the composition root's thread to the source's own thread, once.
/// The source takes it out (rather than holding it in a parameter) so that dropping it when
/// the device is lost really closes it.
final class HandOff<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value?

    init(_ value: Value?) {
        self.value = value
    }

    func take() -> Value? {
        lock.lock()
        defer { lock.unlock() }
        let taken = value
        value = nil
        return taken
    }
}
