#!/usr/bin/env python3
"""An HLS playlist checker for the test suite: parses a live (low-latency) or VOD media
playlist with the `m3u8` package from PyPI (an independent parser), checks it against
RFC 8216 and its low-latency revision (draft-pantos-hls-rfc8216bis), and checks with
ffprobe that every segment and every independent part starts on a key frame.

    hls_check.py live URL     # a live media playlist (EXT-X-PART, blocking reload, preload hint)
    hls_check.py vod URL      # a VOD playlist (byte ranges, PROGRAM-DATE-TIME, ENDLIST)

Prints one JSON object (what it saw) on stdout; every violation goes to stderr and makes
the exit status 1. Exit 2: the checker could not run (no m3u8, no ffprobe, no answer).
"""
import json
import math
import subprocess
import sys
import tempfile
import urllib.request
from datetime import timedelta

try:
    import m3u8
except ImportError:
    print("the m3u8 package is missing (Scripts/install-deps --test installs it from PyPI)", file=sys.stderr)
    sys.exit(2)

problems = []


def problem(text):
    problems.append(text)
    print("hls_check: " + text, file=sys.stderr)


def fetch(url, byterange=None):
    request = urllib.request.Request(url)
    if byterange is not None:
        length, offset = byterange
        request.add_header("Range", f"bytes={offset}-{offset + length - 1}")
    with urllib.request.urlopen(request, timeout=20) as answer:
        return answer.status, answer.headers, answer.read()


def parse_range(text):
    """m3u8's byterange text 'length@offset' (offset may be absent: after the last)."""
    if text is None:
        return None
    length, _, offset = str(text).partition("@")
    return int(length), int(offset) if offset else None


def video_frames(init, media):
    """Key-frame flags of the video frames in init + media, by ffprobe."""
    with tempfile.NamedTemporaryFile(suffix=".mp4") as file:
        file.write(init + media)
        file.flush()
        result = subprocess.run(
            ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "frame=key_frame,pict_type",
             "-of", "csv=p=0", file.name], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        problem(f"ffprobe cannot read a segment: {result.stderr.strip()[:300]}")
        return []
    return [line.split(",")[0] == "1" for line in result.stdout.split() if line]


def check_live(url):
    status, headers, body = fetch(url)
    text = body.decode()
    if headers.get("Content-Type") != "application/vnd.apple.mpegurl":
        problem(f"playlist Content-Type is {headers.get('Content-Type')!r}")
    playlist = m3u8.loads(text, uri=url)
    target = playlist.target_duration
    part_target = playlist.part_inf.part_target if playlist.part_inf else None
    control = playlist.server_control
    summary = {"version": playlist.version, "target": target, "part_target": part_target,
               "media_sequence": playlist.media_sequence, "segments": 0, "parts": 0,
               "longest_part": 0.0, "shortest_part": None, "keyframe_checked": 0}
    if playlist.version is None or playlist.version < 6:
        problem(f"EXT-X-VERSION {playlist.version}: fMP4 with EXT-X-MAP needs 6 or more")
    if target is None:
        problem("no EXT-X-TARGETDURATION")
    if part_target is None:
        problem("no EXT-X-PART-INF:PART-TARGET")
    if control is None or control.can_block_reload != "YES":
        problem("EXT-X-SERVER-CONTROL lacks CAN-BLOCK-RELOAD=YES")
    elif part_target is not None and (control.part_hold_back or 0) < 2 * part_target:
        problem(f"PART-HOLD-BACK {control.part_hold_back} is under twice PART-TARGET {part_target}")
    if playlist.is_endlist:
        problem("a live playlist has EXT-X-ENDLIST")
    if playlist.preload_hint is None or playlist.preload_hint.hint_type != "PART":
        problem("no EXT-X-PRELOAD-HINT:TYPE=PART")

    inits = {}
    previous_end = None
    last_part_uri = None
    for number, segment in enumerate(playlist.segments):
        complete = segment.uri is not None
        if segment.init_section is None:
            problem(f"segment {number} has no EXT-X-MAP")
            continue
        init_url = segment.init_section.absolute_uri
        if init_url not in inits:
            inits[init_url] = fetch(init_url)[2]
        init = inits[init_url]
        if complete:
            summary["segments"] += 1
            if target is not None and round(segment.duration) > target:
                problem(f"segment {segment.uri}: EXTINF {segment.duration} rounds above the target {target}")
        if segment.program_date_time is not None and previous_end is not None:
            gap = abs((segment.program_date_time - previous_end).total_seconds())
            if gap > 0.05:
                problem(f"segment {number}: PROGRAM-DATE-TIME is {gap:.3f} s off the previous segment's end")
        if segment.parts:
            total = 0.0
            for index, part in enumerate(segment.parts):
                summary["parts"] += 1
                total += part.duration
                summary["longest_part"] = max(summary["longest_part"], part.duration)
                last_in_segment = complete and index == len(segment.parts) - 1
                if not last_in_segment and index > 0:
                    shortest = summary["shortest_part"]
                    summary["shortest_part"] = part.duration if shortest is None else min(shortest, part.duration)
                if part_target is not None and part.duration > part_target + 1e-9:
                    problem(f"part {part.uri}: {part.duration} s is longer than PART-TARGET {part_target}")
                if part_target is not None and not last_in_segment and part.independent != "YES" \
                        and part.duration < 0.85 * part_target - 1e-9:
                    problem(f"part {part.uri}: {part.duration} s is under 85% of PART-TARGET")
                if (index == 0) != (part.independent == "YES"):
                    problem(f"part {part.uri}: INDEPENDENT={part.independent} (a segment's first part, and only it, starts on a key frame)")
                last_part_uri = part.absolute_uri
            if complete and abs(total - segment.duration) > 0.002:
                problem(f"segment {segment.uri}: its parts last {total:.4f} s, its EXTINF {segment.duration}")
            first = fetch(segment.parts[0].absolute_uri)[2]
            flags = video_frames(init, first)
            summary["keyframe_checked"] += 1
            if not flags or not flags[0]:
                problem(f"part {segment.parts[0].uri} (INDEPENDENT) does not start on a key frame")
        if complete:
            media = fetch(segment.absolute_uri)[2]
            flags = video_frames(init, media)
            summary["keyframe_checked"] += 1
            if not flags or not flags[0]:
                problem(f"segment {segment.uri} does not start on a key frame")
            elif any(flags[1:]):
                problem(f"segment {segment.uri} has a key frame inside it (segments are cut on every key frame)")
            if segment.parts:
                joined = b"".join(fetch(part.absolute_uri)[2] for part in segment.parts)
                if joined != media:
                    problem(f"segment {segment.uri} is not its parts back to back")
        if segment.program_date_time is not None:
            duration = segment.duration if complete else sum(part.duration for part in segment.parts)
            previous_end = segment.program_date_time + timedelta(seconds=duration)
    hint = playlist.preload_hint
    if hint is not None and last_part_uri is not None:
        summary["preload_hint"] = hint.uri
        summary["last_part"] = last_part_uri.rsplit("/", 1)[-1]
    return summary


def check_vod(url):
    status, headers, body = fetch(url)
    playlist = m3u8.loads(body.decode(), uri=url)
    target = playlist.target_duration
    summary = {"version": playlist.version, "target": target, "segments": 0, "duration": 0.0,
               "discontinuities": 0, "first_program_date_time": None, "keyframe_checked": 0}
    if playlist.playlist_type != "vod":
        problem(f"EXT-X-PLAYLIST-TYPE is {playlist.playlist_type!r}, not VOD")
    if not playlist.is_endlist:
        problem("a VOD playlist without EXT-X-ENDLIST")
    if playlist.version is None or playlist.version < 6:
        problem(f"EXT-X-VERSION {playlist.version}: fMP4 with EXT-X-MAP needs 6 or more")
    inits = {}
    previous_end = None
    for segment in playlist.segments:
        summary["segments"] += 1
        summary["duration"] += segment.duration
        if segment.discontinuity:
            summary["discontinuities"] += 1
        if target is not None and round(segment.duration) > target:
            problem(f"segment {segment.uri}: EXTINF {segment.duration} rounds above the target {target}")
        if segment.program_date_time is None:
            problem(f"segment {segment.uri} has no PROGRAM-DATE-TIME")
        else:
            if summary["first_program_date_time"] is None:
                summary["first_program_date_time"] = segment.program_date_time.isoformat()
            if previous_end is not None and not segment.discontinuity:
                gap = abs((segment.program_date_time - previous_end).total_seconds())
                if gap > 0.05:
                    problem(f"segment {segment.uri}: PROGRAM-DATE-TIME is {gap:.3f} s off the previous segment's end")
            previous_end = segment.program_date_time + timedelta(seconds=segment.duration)
        init_section = segment.init_section
        if init_section is None:
            problem(f"segment {segment.uri} has no EXT-X-MAP")
            continue
        init_range = parse_range(init_section.byterange)
        key = (init_section.absolute_uri, init_range)
        if key not in inits:
            init_status, _, init = fetch(init_section.absolute_uri, (init_range[0], init_range[1] or 0) if init_range else None)
            if init_range and init_status != 206:
                problem(f"a byte range of the initialization segment answered {init_status}, not 206")
            inits[key] = init
        media_range = parse_range(segment.byterange)
        if media_range is None or media_range[1] is None:
            problem(f"segment {segment.uri} has no EXT-X-BYTERANGE with an offset")
            continue
        media_status, _, media = fetch(segment.absolute_uri, media_range)
        if media_status != 206 or len(media) != media_range[0]:
            problem(f"segment {segment.uri} @{segment.byterange}: {media_status}, {len(media)} bytes")
        flags = video_frames(inits[key], media)
        summary["keyframe_checked"] += 1
        if not flags or not flags[0]:
            problem(f"segment {segment.uri} @{segment.byterange} does not start on a key frame")
    return summary


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("live", "vod"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    try:
        summary = check_live(sys.argv[2]) if sys.argv[1] == "live" else check_vod(sys.argv[2])
    except (OSError, ValueError) as error:
        print(f"hls_check: cannot check {sys.argv[2]}: {error}", file=sys.stderr)
        sys.exit(2)
    summary["problems"] = problems
    print(json.dumps(summary, default=str))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
