import CV4L2
import Foundation
import MediaCore

/// A camera streaming with mmap buffers in one selected mode (V4L2 "Streaming I/O (Memory
/// Mapping)"): open, set the format and rate, queue the buffers, STREAMON; then `next` waits
/// for a filled buffer, copies the picture out and queues the buffer again.
final class V4L2Capture {
    /// Buffers the driver fills in turn: enough that one slow encode does not starve it.
    static let bufferCount: UInt32 = 4

    let device: V4L2Device
    let selection: CameraSelection
    let rawFormat: PixelFormat
    private var buffers: [(start: UnsafeMutableRawPointer, length: Int)] = []
    private var bytesPerLine: Int = 0
    private var lastSequence: UInt32?
    private(set) var droppedByDriver: UInt64 = 0
    private(set) var lastTimestampSource: TimestampMapping.Source = .driver
    private var streaming = false

    init(path: String, selection: CameraSelection) throws(CameraError) {
        guard let rawFormat = selection.rawFormat else {
            throw .noAcceptableFormat(path: path, offered: [selection.pixelFormat.description])
        }
        self.rawFormat = rawFormat
        self.selection = selection
        device = try V4L2Device(path: path)
        let caps = try device.capabilities()
        guard caps.canCapture else { throw .notACaptureDevice(path: path, card: caps.card) }

        var format = v4l2_format()
        format.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        format.fmt.pix.width = UInt32(selection.width)
        format.fmt.pix.height = UInt32(selection.height)
        format.fmt.pix.pixelformat = selection.pixelFormat.fourcc
        format.fmt.pix.field = V4L2_FIELD_NONE.rawValue
        let setCode = device.control(VIGIL_VIDIOC_S_FMT, &format)
        if setCode == EBUSY { throw .busy(path: path) }
        guard setCode == 0 else { throw .call("VIDIOC_S_FMT", errno: setCode) }
        let got = "\(format.fmt.pix.width)x\(format.fmt.pix.height) \(CameraPixelFormat(fourcc: format.fmt.pix.pixelformat))"
        guard Int(format.fmt.pix.width) == selection.width, Int(format.fmt.pix.height) == selection.height,
            format.fmt.pix.pixelformat == selection.pixelFormat.fourcc
        else {
            throw .modeChanged(path: path, expected: "\(selection.width)x\(selection.height) \(selection.pixelFormat)", got: got)
        }
        bytesPerLine = Int(format.fmt.pix.bytesperline)

        // The rate is a request: drivers round it, and some ignore it.
        var parm = v4l2_streamparm()
        parm.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        parm.parm.capture.timeperframe = v4l2_fract(numerator: 1, denominator: UInt32(selection.frameRate))
        device.control(VIGIL_VIDIOC_S_PARM, &parm)

        var request = v4l2_requestbuffers()
        request.count = Self.bufferCount
        request.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        request.memory = V4L2_MEMORY_MMAP.rawValue
        let requestCode = device.control(VIGIL_VIDIOC_REQBUFS, &request)
        if requestCode == EBUSY { throw .busy(path: path) }
        guard requestCode == 0, request.count > 0 else { throw .call("VIDIOC_REQBUFS", errno: requestCode) }
        for index in 0..<request.count {
            var buffer = v4l2_buffer()
            buffer.index = index
            buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            buffer.memory = V4L2_MEMORY_MMAP.rawValue
            try device.require(VIGIL_VIDIOC_QUERYBUF, "VIDIOC_QUERYBUF", &buffer)
            let start = v4l2_mmap(nil, Int(buffer.length), PROT_READ | PROT_WRITE, MAP_SHARED, device.fd, Int64(buffer.m.offset))
            guard let start, start != MAP_FAILED else { throw .call("v4l2_mmap", errno: errno) }
            buffers.append((start, Int(buffer.length)))
            try device.require(VIGIL_VIDIOC_QBUF, "VIDIOC_QBUF", &buffer)
        }
        var type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        try device.require(VIGIL_VIDIOC_STREAMON, "VIDIOC_STREAMON", &type)
        streaming = true
    }

    deinit {
        if streaming {
            var type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            device.control(VIGIL_VIDIOC_STREAMOFF, &type)
        }
        for buffer in buffers { v4l2_munmap(buffer.start, buffer.length) }
    }

    /// The next picture, or nil when none came within `timeoutMilliseconds`. Throws
    /// `deviceLost` when the device went away.
    func next(timeoutMilliseconds: Int32, sequence: UInt64) throws(CameraError) -> RawFrame? {
        var descriptor = pollfd(fd: device.fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, timeoutMilliseconds)
        if ready < 0 {
            if errno == EINTR { return nil }
            throw .call("poll", errno: errno)
        }
        if ready == 0 { return nil }
        if descriptor.revents & Int16(POLLERR | POLLHUP | POLLNVAL) != 0 && descriptor.revents & Int16(POLLIN) == 0 {
            throw .deviceLost(path: device.path, errno: ENODEV)
        }
        var buffer = v4l2_buffer()
        buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        buffer.memory = V4L2_MEMORY_MMAP.rawValue
        let code = device.control(VIGIL_VIDIOC_DQBUF, &buffer)
        if code == EAGAIN { return nil }
        if code == ENODEV || code == EIO || code == EPIPE { throw .deviceLost(path: device.path, errno: code) }
        guard code == 0 else { throw .call("VIDIOC_DQBUF", errno: code) }
        let dequeuedAt = MediaClock.now()
        defer { device.control(VIGIL_VIDIOC_QBUF, &buffer) }

        droppedByDriver += TimestampMapping.dropped(previous: lastSequence, current: buffer.sequence)
        lastSequence = buffer.sequence
        let (instant, source) = TimestampMapping.instant(
            flags: buffer.flags, seconds: buffer.timestamp.tv_sec, microseconds: buffer.timestamp.tv_usec, dequeuedAt: dequeuedAt)
        lastTimestampSource = source
        guard Int(buffer.index) < buffers.count, buffer.flags & UInt32(V4L2_BUF_FLAG_ERROR) == 0 else { return nil }
        let source_ = buffers[Int(buffer.index)]
        let bytes = copyPicture(from: source_.start, used: Int(buffer.bytesused))
        return RawFrame(format: rawFormat, width: selection.width, height: selection.height, bytes: bytes, instant: instant, sequence: sequence)
    }

    /// Copies the picture out of the driver's buffer, dropping any row padding
    /// (bytesperline beyond the visible width).
    private func copyPicture(from start: UnsafeMutableRawPointer, used: Int) -> [UInt8] {
        let width = selection.width
        let height = selection.height
        let size = rawFormat.frameSize(width: width, height: height)
        let tightLine = rawFormat == .yuyv ? width * 2 : width
        let source = start.assumingMemoryBound(to: UInt8.self)
        return [UInt8](unsafeUninitializedCapacity: size) { out, count in
            let d = out.baseAddress!
            if bytesPerLine <= tightLine {
                d.update(from: source, count: min(size, max(used, size)))
            } else {
                // Padded rows: copy each plane row by row.
                let stride = bytesPerLine
                for y in 0..<height { (d + y * tightLine).update(from: source + y * stride, count: tightLine) }
                let lumaOut = tightLine * height
                let lumaIn = stride * height
                switch rawFormat {
                case .yuyv:
                    break
                case .nv12:
                    for y in 0..<((height + 1) / 2) {
                        (d + lumaOut + y * width).update(from: source + lumaIn + y * stride, count: width)
                    }
                case .i420:
                    let cw = (width + 1) / 2
                    let ch = (height + 1) / 2
                    let chromaStride = stride / 2
                    for plane in 0..<2 {
                        for y in 0..<ch {
                            (d + lumaOut + plane * cw * ch + y * cw).update(
                                from: source + lumaIn + plane * chromaStride * ch + y * chromaStride, count: cw)
                        }
                    }
                }
            }
            count = size
        }
    }
}
