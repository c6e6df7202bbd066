#!/usr/bin/env python3
"""Where a server's CPU goes, from a `perf record -g` profile (cpu-clock samples with call
chains).

    perf_breakdown.py PERF_DATA      prints JSON: {"cpu_seconds", "samples", "categories",
                                      "under", "top"}

Every sample lands in exactly one category, so the categories add up to 100 %:

- a sample in the kernel is sorted by the call it is under, not by its own symbol: with
  cpu-clock sampling in a VM, samples taken while interrupts were off are booked where they
  come back on (`_raw_spin_unlock_irqrestore`, `finish_task_switch`), so the leaf symbol says
  little. Under `tcp_sendmsg` it is TCP send; below `process_backlog` inside the send it is
  the loopback delivery to the viewer, which the kernel runs in the sender's context (softirq
  on the same CPU), so it is charged to whichever server sends (both pay it alike); switched
  out on the way back from a system call, it is the preemption by the reader that call woke;
- a sample in user space is sorted by its own symbol and library: Swift retain/release, NIO's
  pending-write bookkeeping, NIO's pipeline, Vigil's own modules, x264, libc, GLib/GStreamer
  (the anchor). Swift symbols are mangled and carry their module (`$s7NIOCore…`, `$s5Serve…`).

"under" gives inclusive shares of a few frames (everything below them, kernel included):
the fan-out itself (`StreamHub.fanOut`), the encoder, the write calls.
"""
import collections, json, re, shutil, subprocess, sys

USER_SYMBOL = [
    ('Swift retain/release', r'^swift_(retain|release|bridgeObjectRetain|bridgeObjectRelease|unknownObjectRetain|unknownObjectRelease|nonatomic|isUniquelyReferenced|tryRetain)'),
    ('NIO pending-write bookkeeping', r'^\$s(7NIOCore|8NIOPosix).*(PendingStreamWrites|PendingDatagramWrites|PendingWrite|MarkedCircularBuffer|CircularBuffer|IOVector|iovec|WaterMark|isWritable)'),
    ('NIO pipeline and channel', r'^\$s(7NIOCore|8NIOPosix).*(ChannelPipeline|ChannelHandlerContext|HeadChannelHandler|TailChannelHandler|Channel|Socket|OutboundInvoker)'),
    ('NIO other (event loop, buffers)', r'^\$s(7NIOCore|8NIOPosix|11NIOEmbedded|20NIOConcurrencyHelpers|7NIOHTTP1|8NIOHTTP2)'),
    ("Vigil's own code", r'^\$s(5Serve|9ServeWire|8VigilKit|7Capture|6Encode|9MediaCore|5vigil|6Access|6Tokens)'),
    ('Swift runtime and standard library', r'^(\$s|swift_|_swift)'),
]
USER_DSO = [
    ('x264 (encoder)', r'libx264'),
    ('GStreamer RTSP server', r'libgstrtspserver|libgstrtsp-'),
    ('GStreamer core and plug-ins', r'libgst'),
    ('GLib/GIO (sockets, sources, write queues)', r'libglib|libgio|libgobject'),
    ('Python (anchor glue)', r'python|libpython'),
    ('libc (memcpy, malloc, locks)', r'libc\.so|libc-|ld-linux|libm\.so|libpthread'),
    ('Swift runtime and standard library', r'libswift|libFoundation|libdispatch|libBlocksRuntime'),
]
# Inclusive shares: a sample counts for each of these its stack contains.
UNDER = [
    ('StreamHub.fanOut (Vigil: all of the fan-out, kernel included)', r'^\$s5Serve9StreamHubC6fanOut'),
    ('the encoder (x264)', r'^x264_'),
    ('write/writev calls', r'^(ksys_write|do_writev)$'),
    ('sendmsg/sendmmsg calls', r'^(__sys_sendmmsg|__sys_sendmsg|___sys_sendmsg)$'),
    ('epoll_wait', r'^do_epoll_wait$'),
]
SYSCALL = re.compile(r'^(__x64_sys_|__do_sys_|ksys_|do_syscall_64$)')


def samples(path):
    """(comm, period, frames leaf first as (symbol, dso, in_kernel)) for every sample."""
    argv = ['perf', 'script', '-i', path, '-F', 'comm,period,ip,sym,dso']
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, errors='replace')
    head, frames = None, []
    for line in p.stdout:
        line = line.rstrip('\n')
        if not line.strip():
            if head:
                yield head[0], head[1], frames
            head, frames = None, []
            continue
        if not line.startswith('\t') and not line.startswith(' '):
            parts = line.split()
            period = int(parts[-1]) if parts and parts[-1].isdigit() else 1
            head, frames = (' '.join(parts[:-1]), period), []
            continue
        m = re.match(r'\s*([0-9a-f]+)\s+(.*?)\s+\((.*)\)\s*$', line)
        if m:
            addr, sym, dso = m.groups()
            frames.append((sym.split('+0x')[0], dso, dso.startswith('[kernel') or addr.startswith('ffffffff')))
    if head:
        yield head[0], head[1], frames
    p.wait()


def kernel_category(frames):
    names = [f[0] for f in frames if f[2]]
    def index(pattern):
        return next((i for i, n in enumerate(names) if re.search(pattern, n)), None)
    send = index(r'^(tcp_sendmsg|tcp_sendmsg_locked)$')
    udp = index(r'^(udp_sendmsg|__sys_sendmmsg|___sys_sendmsg|__sys_sendmsg)$')
    deliver = index(r'^(process_backlog|__netif_receive_skb|__netif_receive_skb_one_core|net_rx_action)$')
    if send is not None or udp is not None:
        what = 'TCP' if send is not None and (udp is None or send < udp) else 'UDP'
        top = send if what == 'TCP' else udp
        if deliver is not None and deliver < top:
            return f'kernel: {what} loopback delivery to the viewer (receive side, run in the sender)'
        if index(r'copy_from_iter|_copy_from_user|rep_movs|copy_user') is not None and index(r'copy_from_iter|_copy_from_user|rep_movs|copy_user') < top:
            return f'kernel: {what} send, copying the payload'
        return f'kernel: {what} send (socket, TCP/IP, skb)'
    if index(r'^exit_to_user_mode_loop$') is not None and index(r'^(__schedule|schedule)$') is not None:
        # Switched out on the way back from a system call: a thread it woke (on loopback, the
        # viewer it just wrote to) runs first. Booked here when the server is switched back in.
        return 'kernel: preempted on return from a system call (the woken reader runs)'
    if index(r'^(ksys_write|do_writev|vfs_write|vfs_writev)$') is not None:
        return 'kernel: write/writev, outside the socket'
    if index(r'^do_epoll_wait$') is not None:
        return 'kernel: epoll_wait'
    if index(r'futex') is not None:
        return 'kernel: futex (locks, thread wake-ups)'
    if index(r'^(ksys_read|do_readv|__sys_recvfrom|__sys_recvmsg|__sys_recvmmsg|tcp_recvmsg|udp_recvmsg)$') is not None:
        return 'kernel: reads and receives'
    if any(SYSCALL.search(n) for n in names):
        return 'kernel: other system calls'
    return 'kernel: interrupts, timers, page faults'


def user_category(symbol, dso):
    for name, pattern in USER_SYMBOL:
        if re.search(pattern, symbol):
            return name
    for name, pattern in USER_DSO:
        if re.search(pattern, dso):
            return name
    return 'other user space'


def demangle(names):
    tool = shutil.which('swift-demangle') or shutil.which('swift')
    if not tool or not names:
        return names
    argv = [tool, '--simplified'] if tool.endswith('swift-demangle') else [tool, 'demangle', '--simplified']
    p = subprocess.run(argv, input='\n'.join(names), capture_output=True, text=True)
    out = p.stdout.splitlines()
    return [o[:160] for o in out] if p.returncode == 0 and len(out) == len(names) else names


def main():
    categories, under, leaves = collections.Counter(), collections.Counter(), collections.Counter()
    total = count = 0
    for comm, period, frames in samples(sys.argv[1]):
        if not frames:
            continue
        total += period
        count += 1
        sym, dso, kernel = frames[0]
        c = kernel_category(frames) if kernel else user_category(sym, dso)
        categories[c] += period
        leaves[(sym, dso, c)] += period
        names = [f[0] for f in frames]
        for label, pattern in UNDER:
            if any(re.search(pattern, n) for n in names):
                under[label] += period
    share = lambda v: round(100.0 * v / total, 2) if total else 0.0
    top = leaves.most_common(15)
    names = demangle([k[0] for k, _ in top])
    print(json.dumps(dict(
        cpu_seconds=total / 1e9, samples=count,
        categories={k: share(v) for k, v in categories.most_common()},
        under={label: share(under[label]) for label, _ in UNDER if under[label]},
        top=[dict(percent=share(v), symbol=n, dso=k[1].rsplit('/', 1)[-1], category=k[2]) for (k, v), n in zip(top, names)],
    )))


if __name__ == '__main__':
    main()
