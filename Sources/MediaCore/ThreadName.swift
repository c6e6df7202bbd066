#if canImport(Glibc)
import Glibc
#endif

/// Names the calling thread for the kernel (`top -H`, `/proc/PID/task/*/comm`, perf), at most
/// 15 bytes. Foundation's `Thread.name` on Linux stays inside Foundation, and Glibc's
/// `pthread_setname_np` is not visible to Swift without `_GNU_SOURCE`, so this writes the
/// thread's own `comm` file, which is what that call does too.
public func nameCurrentThread(_ name: String) {
    #if canImport(Glibc)
    let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { return }
    let bytes = Array(name.utf8.prefix(15))
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
    #endif
}
