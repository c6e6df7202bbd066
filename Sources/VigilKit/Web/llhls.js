// Vigil's low-latency HLS loader, for browsers whose <video> plays no HLS itself (Chromium
// on desktop). It follows a live media playlist with blocking reloads (RFC 8216bis
// §6.2.5.2: _HLS_msn/_HLS_part) and appends every fMP4 part to one Media Source Extensions
// SourceBuffer, starting PART-HOLD-BACK behind the live edge on an independent part.
// No dependencies, no build step: served as it is from /assets/llhls.js.
//
//   const player = VigilHLS.play(videoElement, "http://box:8080/live/index.m3u8");
//   player.stop();
"use strict";
(function (global) {
  // KEY=VALUE,KEY="quoted, with commas" (RFC 8216 §4.2).
  function attributes(text) {
    const result = {};
    const pattern = /([A-Z0-9-]+)=("[^"]*"|[^,]*)/g;
    let match;
    while ((match = pattern.exec(text)) !== null) {
      const value = match[2];
      result[match[1]] = value.startsWith('"') ? value.slice(1, -1) : value;
    }
    return result;
  }

  // A media playlist as the loader needs it: each part with its segment number and index.
  function parseMedia(text, base) {
    const playlist = { parts: [], partTarget: 0.2, partHoldBack: 0.6, hint: null };
    let sequence = 0;
    let index = 0;
    let map = null;
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].trim();
      if (line.startsWith("#EXT-X-MEDIA-SEQUENCE:")) {
        sequence = Number(line.slice(22));
      } else if (line.startsWith("#EXT-X-MAP:")) {
        map = new URL(attributes(line.slice(11)).URI, base).href;
      } else if (line.startsWith("#EXT-X-PART-INF:")) {
        playlist.partTarget = Number(attributes(line.slice(16))["PART-TARGET"]);
      } else if (line.startsWith("#EXT-X-SERVER-CONTROL:")) {
        const holdBack = attributes(line.slice(22))["PART-HOLD-BACK"];
        if (holdBack) playlist.partHoldBack = Number(holdBack);
      } else if (line.startsWith("#EXT-X-PART:")) {
        const part = attributes(line.slice(12));
        playlist.parts.push({
          sequence, index, map, uri: new URL(part.URI, base).href,
          duration: Number(part.DURATION), independent: part.INDEPENDENT === "YES",
        });
        index++;
      } else if (line.startsWith("#EXTINF:")) {
        sequence++;
        index = 0;
      } else if (line.startsWith("#EXT-X-PRELOAD-HINT:")) {
        playlist.hint = new URL(attributes(line.slice(20)).URI, base).href;
      }
    }
    return playlist;
  }

  function after(part, position) {
    return part.sequence > position.sequence || (part.sequence === position.sequence && part.index >= position.index);
  }

  async function text(url, signal) {
    const answer = await fetch(url, { signal, cache: "no-store" });
    if (!answer.ok) throw new Error(url + ": HTTP " + answer.status);
    return answer.text();
  }

  async function bytes(url, signal) {
    const answer = await fetch(url, { signal });
    if (!answer.ok) throw new Error(url + ": HTTP " + answer.status);
    return answer.arrayBuffer();
  }

  function append(buffer, data) {
    return new Promise((resolve, reject) => {
      buffer.addEventListener("updateend", resolve, { once: true });
      buffer.addEventListener("error", () => reject(new Error("SourceBuffer append failed")), { once: true });
      buffer.appendBuffer(data);
    });
  }

  function play(video, url, options) {
    const settings = Object.assign({ onError: (error) => console.error("VigilHLS:", error) }, options || {});
    const abort = new AbortController();
    const signal = abort.signal;

    async function run() {
      const start = new URL(url, global.location.href);
      let mediaURL = start;
      let codecs = "avc1.42c01e";
      const first = await text(start, signal);
      if (first.includes("#EXT-X-STREAM-INF:")) {
        const lines = first.split("\n").map((line) => line.trim());
        const at = lines.findIndex((line) => line.startsWith("#EXT-X-STREAM-INF:"));
        codecs = attributes(lines[at].slice(18)).CODECS || codecs;
        mediaURL = new URL(lines.slice(at + 1).find((line) => line && !line.startsWith("#")), start);
      }
      const mime = 'video/mp4; codecs="' + codecs + '"';
      if (!global.MediaSource || !MediaSource.isTypeSupported(mime)) throw new Error("this browser cannot play " + mime);
      const source = new MediaSource();
      video.src = URL.createObjectURL(source);
      await new Promise((resolve) => source.addEventListener("sourceopen", resolve, { once: true }));
      const buffer = source.addSourceBuffer(mime);
      buffer.mode = "segments";

      let playlist = parseMedia(await text(mediaURL, signal), mediaURL);
      // Start PART-HOLD-BACK behind the newest part, on the independent part at or before it.
      let behind = 0;
      let from = playlist.parts.length - 1;
      while (from > 0 && behind < playlist.partHoldBack) behind += playlist.parts[from--].duration;
      while (from > 0 && !playlist.parts[from].independent) from--;
      if (from < 0 || !playlist.parts[from]) throw new Error("the playlist lists no parts");
      let next = { sequence: playlist.parts[from].sequence, index: playlist.parts[from].index };
      let map = null;
      let started = false;
      while (!signal.aborted) {
        let pending = playlist.parts.filter((part) => after(part, next));
        const first = pending[0];
        const continues = first && ((first.sequence === next.sequence && first.index === next.index) ||
          (first.sequence > next.sequence && first.index === 0 && first.independent));
        if (first && !continues) {
          // Fell out of the listed window: start again at the newest independent part.
          const independent = playlist.parts.filter((part) => part.independent);
          const restart = independent[independent.length - 1];
          pending = restart ? playlist.parts.filter((part) => after(part, restart)) : [];
        }
        for (const part of pending) {
          if (part.map !== map) {
            await append(buffer, await bytes(part.map, signal));
            map = part.map;
          }
          await append(buffer, await bytes(part.uri, signal));
          next = { sequence: part.sequence, index: part.index + 1 };
        }
        if (!started && buffer.buffered.length) {
          // Decoding starts at the independent part; playing starts PART-HOLD-BACK behind the edge.
          started = true;
          const end = buffer.buffered.end(buffer.buffered.length - 1);
          video.currentTime = Math.max(buffer.buffered.start(0), end - playlist.partHoldBack);
          video.play().catch(settings.onError);
        }
        if (started && buffer.buffered.length) {
          const end = buffer.buffered.end(buffer.buffered.length - 1);
          // More than a second beyond the hold-back behind (a stall, a background tab): catch up.
          if (end - video.currentTime > playlist.partHoldBack + 1) video.currentTime = end - playlist.partHoldBack;
          // Keep half a minute behind the playhead, no more.
          if (!buffer.updating && video.currentTime - buffer.buffered.start(0) > 40) {
            buffer.remove(0, video.currentTime - 30);
            await new Promise((resolve) => buffer.addEventListener("updateend", resolve, { once: true }));
          }
        }
        const reload = new URL(mediaURL);
        reload.searchParams.set("_HLS_msn", String(next.sequence));
        reload.searchParams.set("_HLS_part", String(next.index));
        try {
          playlist = parseMedia(await text(reload, signal), reload);
        } catch (error) {
          if (signal.aborted) return;
          // 503 (not made in time) or a lost connection: wait a part and ask again.
          await new Promise((resolve) => setTimeout(resolve, playlist.partTarget * 1000));
        }
      }
    }

    run().catch((error) => { if (!signal.aborted) settings.onError(error); });
    return { stop: () => abort.abort() };
  }

  global.VigilHLS = { play, parseMedia };
})(typeof window !== "undefined" ? window : globalThis);
