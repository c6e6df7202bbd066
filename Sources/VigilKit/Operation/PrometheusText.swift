/// The Prometheus text exposition format (version 0.0.4) written from a status snapshot:
/// `# HELP`, `# TYPE`, then one sample per line with escaped label values. Written directly
/// rather than through swift-prometheus: the numbers already live in the pipelines and hubs,
/// and a snapshot is all `/metrics` needs.
struct PrometheusText {
    private(set) var text = ""

    mutating func family(_ name: String, _ type: String, _ help: String, _ samples: [([(String, String)], Double)]) {
        text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        for (labels, value) in samples {
            let rendered = labels.map { "\($0.0)=\"\(Self.escape($0.1))\"" }.joined(separator: ",")
            text += labels.isEmpty ? name : "\(name){\(rendered)}"
            text += " \(Self.number(value))\n"
        }
    }

    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }

    /// Every metric Vigil exposes, from one snapshot.
    static func render(_ status: VigilStatus) -> String {
        var out = PrometheusText()
        let streams = status.streams
        func perStream(_ value: (VigilStatus.Stream) -> Double) -> [([(String, String)], Double)] {
            streams.map { ([("stream", $0.path)], value($0)) }
        }
        func perTrack(_ value: (VigilStatus.Track) -> Double) -> [([(String, String)], Double)] {
            streams.flatMap { stream in stream.tracks.map { ([("stream", stream.path), ("track", $0.kind)], value($0)) } }
        }
        func perViewer(_ value: (VigilStatus.ViewerTrack) -> Double?) -> [([(String, String)], Double)] {
            streams.flatMap { stream in
                stream.viewers.flatMap { viewer in
                    viewer.tracks.compactMap { track in
                        value(track).map { ([("stream", stream.path), ("viewer", String(viewer.viewer)), ("track", track.kind)], $0) }
                    }
                }
            }
        }
        out.family("vigil_build_info", "gauge", "Vigil's version.", [([("version", status.version)], 1)])
        out.family("vigil_uptime_seconds", "gauge", "Seconds since the daemon started.", [([], status.uptimeSeconds)])
        out.family("vigil_frames_captured_total", "counter", "Pictures delivered by the stream's video source.", perStream { Double($0.counters.framesCaptured) })
        out.family("vigil_frames_encoded_total", "counter", "Pictures encoded.", perStream { Double($0.counters.framesEncoded) })
        out.family("vigil_frames_dropped_total", "counter", "Pictures dropped before encoding (the encoder fell behind).", perStream { Double($0.counters.framesDropped) })
        out.family("vigil_audio_chunks_captured_total", "counter", "Audio chunks delivered by the stream's audio source.", perStream { Double($0.counters.audioChunksCaptured) })
        out.family("vigil_audio_units_encoded_total", "counter", "Audio units encoded.", perStream { Double($0.counters.audioUnitsEncoded) })
        out.family("vigil_snapshot_encodes_total", "counter", "JPEG encodes for snapshots and MJPEG (one per picture and width).", perStream { Double($0.counters.snapshotEncodes) })
        out.family("vigil_hls_active", "gauge", "1 while a live HLS muxer runs for the stream.", perStream { $0.counters.hlsActive ? 1 : 0 })
        out.family("vigil_hls_parts_total", "counter", "Parts made by the stream's running HLS muxer (a new muxer starts at 0).", perStream { Double($0.counters.hlsParts) })
        out.family("vigil_encoder_bitrate_kbps", "gauge", "The video bitrate the encoder steers for now.", perStream { Double($0.video.currentBitrateKbps) })
        out.family("vigil_encoder_bitrate_max_kbps", "gauge", "The configured video bitrate.", perStream { Double($0.video.bitrateKbps) })
        let recording = streams.compactMap { stream in stream.recording.map { (stream.path, $0) } }
        func perRecording(_ value: (VigilStatus.Recording) -> Double) -> [([(String, String)], Double)] {
            recording.map { ([("stream", $0.0)], value($0.1)) }
        }
        if !recording.isEmpty {
            out.family("vigil_recording_active", "gauge", "1 while the stream's recorder writes a segment, 0 when it waits or is paused.", perRecording { $0.state == "recording" ? 1 : 0 })
            out.family("vigil_recording_paused", "gauge", "1 while recording is paused by a full disk or a write error.", perRecording { $0.state == "paused" ? 1 : 0 })
            out.family("vigil_recording_pauses_total", "counter", "Times recording paused (disk full, write error).", perRecording { Double($0.pauses) })
            out.family("vigil_recording_cutoffs_total", "counter", "Times the recorder fell behind and was cut off.", perRecording { Double($0.cutOffs) })
            out.family("vigil_recording_segments_total", "counter", "Segment files created.", perRecording { Double($0.segmentsWritten) })
            out.family("vigil_recording_parts_total", "counter", "Parts written and made durable.", perRecording { Double($0.partsWritten) })
            out.family("vigil_recording_bytes_total", "counter", "Bytes of parts written.", perRecording { Double($0.bytesWritten) })
        }
        if let deleted = status.retentionDeleted {
            out.family("vigil_retention_deleted_total", "counter", "Segments the retention cleaner deleted, by the bound that was passed.",
                       deleted.keys.sorted().map { ([("reason", $0)], Double(deleted[$0] ?? 0)) })
        }
        out.family("vigil_viewers", "gauge", "Viewers playing the stream.", perStream { Double($0.viewers.count) })
        out.family("vigil_rtp_packets_sent_total", "counter", "RTP packets of the stream (built once, whatever the number of viewers).", perTrack { Double($0.packetsSent) })
        out.family("vigil_rtp_bytes_sent_total", "counter", "RTP payload bytes of the stream (once, whatever the number of viewers).", perTrack { Double($0.bytesSent) })
        out.family("vigil_rtp_packets_to_viewers_total", "counter", "RTP packets written to viewers (each viewer counted).", perTrack { Double($0.packetsToViewers) })
        out.family("vigil_rtp_bytes_to_viewers_total", "counter", "RTP payload bytes written to viewers (each viewer counted).", perTrack { Double($0.bytesToViewers) })
        out.family("vigil_rtp_packets_resent_total", "counter", "RTP packets sent again after a NACK.", perTrack { Double($0.packetsResent) })
        out.family("vigil_rtcp_nacks_received_total", "counter", "Generic NACKs received from viewers.", perTrack { Double($0.nacksReceived) })
        out.family("vigil_rtcp_key_frame_requests_total", "counter", "PLI and FIR messages received from viewers.", perTrack { Double($0.keyFrameRequests) })
        out.family("vigil_viewer_packets_dropped_total", "counter", "Packets a viewer's path could not take.", perViewer { Double($0.packetsDropped) })
        out.family("vigil_viewer_fraction_lost", "gauge", "Fraction lost in the viewer's last RTCP receiver report.", perViewer { $0.fractionLost })
        out.family("vigil_viewer_cumulative_lost", "gauge", "Packets lost, from the viewer's last receiver report.", perViewer { $0.cumulativeLost.map(Double.init) })
        out.family("vigil_viewer_jitter_seconds", "gauge", "Interarrival jitter from the viewer's last receiver report.", perViewer { $0.jitterSeconds })
        out.family("vigil_viewer_round_trip_seconds", "gauge", "Round-trip time from the viewer's last receiver report.", perViewer { $0.roundTripSeconds })
        return out.text
    }
}

import Foundation
