// Vigil's web page: every stream live (WebRTC through WHEP, else low-latency HLS through
// /assets/llhls.js), its viewers with their RTCP quality, its recordings on a 24-hour
// timeline that plays them (VOD HLS) and cuts clips, and the box's health.
// No dependencies, no build step: served as it is from /assets/vigil.js.
//
// The page authenticates with its session cookie (HttpOnly: this script never sees it) and
// sends the session's CSRF token, from /api/v1/session, in X-Vigil-CSRF on every request that
// changes something (WHEP's POST and DELETE, logout). No credential or token is ever put in a
// URL. Tests read window.VigilPage.report().
"use strict";
(function (global) {
  const STATUS_EVERY_MS = 2000;
  const RECORDINGS_EVERY_MS = 10000;
  const TIMELINE_SPAN_MS = 24 * 3600 * 1000;
  // Recorded time played per timeline pick, and a clip's length.
  const PLAYBACK_WINDOW_MS = 10 * 60 * 1000;
  const CLIP_MS = 60 * 1000;
  // A WebRTC connection that shows no picture by then falls back to HLS.
  const WHEP_CONNECT_MS = 8000;
  const ICE_GATHERING_MS = 2000;

  const state = { session: null, streams: new Map(), problem: null, cpu: null };

  function csrfHeaders(extra) {
    const headers = Object.assign({}, extra || {});
    if (state.session && state.session.csrf_token) headers["X-Vigil-CSRF"] = state.session.csrf_token;
    return headers;
  }

  async function getJSON(url) {
    const response = await fetch(url, { credentials: "same-origin", cache: "no-store" });
    if (response.status === 401 || (response.redirected && new URL(response.url).pathname === "/login")) {
      global.location.assign("/login");
      throw new Error("logged out");
    }
    if (!response.ok) {
      const error = new Error(url + ": " + response.status);
      error.status = response.status;
      throw error;
    }
    return response.json();
  }

  function showProblem(text) {
    const element = document.getElementById("problem");
    element.textContent = text || "";
    element.hidden = !text;
  }

  function encodePath(path) {
    return path.split("/").map(encodeURIComponent).join("/");
  }

  // MARK: Live video

  class WHEPUnavailable extends Error {}

  // WHEP (draft-ietf-wish-whep): POST the offer as application/sdp, 201 with the answer and
  // a Location that names the session; DELETE it to leave. Non-trickle: the offer carries
  // every candidate gathered within ICE_GATHERING_MS.
  async function playWHEP(entry) {
    const pc = new RTCPeerConnection();
    entry.pc = pc;
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.addTransceiver("audio", { direction: "recvonly" });
    const media = new MediaStream();
    pc.ontrack = (event) => {
      media.addTrack(event.track);
      entry.video.srcObject = media;
      entry.video.play().catch(() => {});
    };
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((resolve) => {
      if (pc.iceGatheringState === "complete") return resolve();
      const timer = setTimeout(resolve, ICE_GATHERING_MS);
      pc.addEventListener("icegatheringstatechange", () => {
        if (pc.iceGatheringState === "complete") { clearTimeout(timer); resolve(); }
      });
    });
    const endpoint = "/" + encodePath(entry.path) + "/whep";
    let response;
    try {
      response = await fetch(endpoint, {
        method: "POST", credentials: "same-origin", body: pc.localDescription.sdp,
        headers: csrfHeaders({ "Content-Type": "application/sdp", Accept: "application/sdp" }),
      });
    } catch (error) {
      throw new WHEPUnavailable("network: " + error);
    }
    if (response.status !== 201 && response.status !== 200) throw new WHEPUnavailable("HTTP " + response.status);
    const location = response.headers.get("Location");
    if (location) entry.whepResource = new URL(location, new URL(endpoint, global.location.href)).href;
    await pc.setRemoteDescription({ type: "answer", sdp: await response.text() });
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new WHEPUnavailable("no picture in " + WHEP_CONNECT_MS + " ms")), WHEP_CONNECT_MS);
      const check = () => {
        if (pc.connectionState === "failed" || pc.connectionState === "closed") {
          clearTimeout(timer);
          reject(new WHEPUnavailable("connection " + pc.connectionState));
        }
      };
      pc.addEventListener("connectionstatechange", check);
      entry.video.requestVideoFrameCallback(() => { clearTimeout(timer); resolve(); });
    });
  }

  function leaveWHEP(entry) {
    if (entry.pc) { entry.pc.close(); entry.pc = null; }
    if (entry.whepResource) {
      // keepalive: the DELETE goes out even while the page unloads.
      fetch(entry.whepResource, { method: "DELETE", credentials: "same-origin", keepalive: true, headers: csrfHeaders() })
        .catch(() => {});
      entry.whepResource = null;
    }
  }

  function playHLS(entry) {
    const url = "/" + encodePath(entry.path) + "/index.m3u8";
    if (!global.MediaSource && entry.video.canPlayType("application/vnd.apple.mpegurl")) {
      // iOS Safari: its <video> plays HLS itself (and has no MSE on the iPhone).
      entry.video.src = url;
      entry.video.play().catch(() => {});
      return;
    }
    if (!global.VigilHLS) throw new Error("the HLS loader (/assets/llhls.js) did not load");
    entry.hls = global.VigilHLS.play(entry.video, url, {
      onError: (error) => { entry.error = String(error); },
    });
  }

  async function startLive(entry) {
    setTransport(entry, "connecting");
    if (global.RTCPeerConnection && !new URLSearchParams(global.location.search).has("hls")) {
      try {
        await playWHEP(entry);
        setTransport(entry, "WebRTC");
        // A connection that fails later (the network went, the box restarted): leave it and
        // go on with HLS.
        const pc = entry.pc;
        pc.addEventListener("connectionstatechange", () => {
          if (entry.pc !== pc || pc.connectionState !== "failed") return;
          entry.whepError = "connection failed while playing";
          leaveWHEP(entry);
          entry.video.srcObject = null;
          playHLS(entry);
          setTransport(entry, "HLS");
        });
        return;
      } catch (error) {
        entry.whepError = String(error);
        leaveWHEP(entry);
        entry.video.srcObject = null;
      }
    }
    try {
      playHLS(entry);
      setTransport(entry, "HLS");
    } catch (error) {
      entry.error = String(error);
      setTransport(entry, "no video");
    }
  }

  function setTransport(entry, text) {
    entry.transport = text;
    const badge = entry.element.querySelector(".transport");
    badge.textContent = text;
    badge.classList.toggle("live", text === "WebRTC" || text === "HLS");
  }

  function countFrames(entry) {
    const video = entry.video;
    if (!video.requestVideoFrameCallback) return;
    const tick = () => { entry.frames++; video.requestVideoFrameCallback(tick); };
    video.requestVideoFrameCallback(tick);
  }

  // MARK: Streams

  function addStream(access) {
    const template = document.getElementById("stream-template");
    const element = template.content.firstElementChild.cloneNode(true);
    element.dataset.path = access.path;
    element.querySelector(".stream-path").textContent = access.path;
    document.getElementById("streams").appendChild(element);
    const entry = {
      path: access.path, access, element, video: element.querySelector("video.live"), frames: 0,
      transport: null, pc: null, whepResource: null, hls: null, spans: [], error: null, whepError: null, vod: null,
    };
    state.streams.set(access.path, entry);
    countFrames(entry);
    if (access.read) startLive(entry); else setTransport(entry, "not allowed");
    if (access.playback) {
      setUpTimeline(entry);
    } else {
      element.querySelector(".recordings").hidden = true;
    }
    return entry;
  }

  function quality(track) {
    const lost = track.fraction_lost;
    if (lost === undefined || lost === null) return "";
    return lost < 0.01 ? "quality-good" : lost < 0.05 ? "quality-fair" : "quality-poor";
  }

  function percent(value) {
    return value === undefined || value === null ? "–" : (value * 100).toFixed(1) + " %";
  }

  function milliseconds(value) {
    return value === undefined || value === null ? "–" : Math.round(value * 1000) + " ms";
  }

  function showStatus(entry, stream) {
    const video = stream.video;
    const facts = [video.codec, video.width + "×" + video.height, video.fps + " fps", video.current_bitrate_kbps + " kbit/s"];
    if (stream.audio) facts.push(stream.audio.codec + " " + stream.audio.sample_rate + " Hz");
    entry.element.querySelector(".stream-facts").textContent = facts.join(" · ");
    const body = entry.element.querySelector("table.viewers tbody");
    body.replaceChildren();
    for (const viewer of stream.viewers) {
      const video = viewer.tracks.find((track) => track.kind === "video") || viewer.tracks[0] || {};
      const row = document.createElement("tr");
      const cells = [String(viewer.viewer), viewer.transport, viewer.peer, percent(video.fraction_lost),
        milliseconds(video.jitter_seconds), milliseconds(video.round_trip_seconds)];
      for (const text of cells) {
        const cell = document.createElement("td");
        cell.textContent = text;
        row.appendChild(cell);
      }
      row.cells[3].className = quality(video);
      body.appendChild(row);
    }
    entry.element.querySelector(".viewer-count").textContent = String(stream.viewers.length);
    const badge = entry.element.querySelector(".recording-state");
    const recording = stream.recording ? stream.recording.state : "off";
    badge.textContent = recording;
    badge.className = "recording-state badge " + recording;
  }

  function duration(seconds) {
    const s = Math.floor(seconds);
    const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    return (d ? d + " d " : "") + (d || h ? h + " h " : "") + m + " min";
  }

  function bytes(value) {
    if (value === undefined || value === null) return "–";
    const units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
    return value.toFixed(unit ? 1 : 0) + " " + units[unit];
  }

  function showHealth(status) {
    document.getElementById("health-version").textContent = status.version;
    document.getElementById("health-uptime").textContent = duration(status.uptime_seconds);
    const health = status.health;
    if (!health) return;
    const now = performance.now();
    let share = "";
    if (state.cpu) {
      const used = (health.process_cpu_seconds - state.cpu.seconds) / ((now - state.cpu.at) / 1000);
      share = "Vigil " + (used * 100 / health.cpu_count).toFixed(0) + " % of " + health.cpu_count + " cores";
    }
    state.cpu = { seconds: health.process_cpu_seconds, at: now };
    const load = health.load_average.length ? "load " + health.load_average.map((v) => v.toFixed(2)).join(" ") : "";
    document.getElementById("health-cpu").textContent = [share, load].filter(Boolean).join(", ") || "…";
    document.getElementById("health-disk").textContent =
      bytes(health.disk_free_bytes) + " of " + bytes(health.disk_total_bytes) + " (" + health.disk_path + ")";
  }

  async function pollStatus() {
    try {
      const status = await getJSON("/api/v1/status");
      state.status = status;
      for (const stream of status.streams) {
        const entry = state.streams.get(stream.path);
        if (entry) showStatus(entry, stream);
      }
      showHealth(status);
      if (state.problem === "status") { showProblem(""); state.problem = null; }
    } catch (error) {
      if (error.status === 403) {
        state.problem = "status";
        showProblem("This user may not read the status API (the \"api\" permission): viewers and health are hidden.");
        return;
      }
    }
    setTimeout(pollStatus, STATUS_EVERY_MS);
  }

  // MARK: Recordings

  function iso(ms) {
    return new Date(ms).toISOString();
  }

  function setUpTimeline(entry) {
    const timeline = entry.element.querySelector(".timeline");
    const pick = (event) => {
      const box = timeline.getBoundingClientRect();
      const fraction = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
      const at = entry.timelineFrom + fraction * TIMELINE_SPAN_MS;
      playRecorded(entry, at);
    };
    timeline.addEventListener("click", pick);
    timeline.addEventListener("keydown", (event) => {
      const step = { ArrowLeft: -60000, ArrowRight: 60000 }[event.key];
      if (!step) return;
      const at = Math.min(Date.now(), Math.max(entry.timelineFrom, (entry.playingAt || Date.now()) + step));
      playRecorded(entry, at);
    });
    entry.element.querySelector(".playback-close").addEventListener("click", () => stopRecorded(entry));
    pollRecordings(entry);
  }

  async function pollRecordings(entry) {
    const now = Date.now();
    entry.timelineFrom = now - TIMELINE_SPAN_MS;
    try {
      const url = "/api/v1/recordings/" + encodePath(entry.path) + "?start=" + encodeURIComponent(iso(entry.timelineFrom));
      const listing = await getJSON(url);
      entry.spans = listing.spans.map((span) => ({ start: Date.parse(span.start), end: Date.parse(span.end), bytes: span.bytes }));
      drawTimeline(entry, now);
    } catch (error) {
      if (error.status === 404) {
        entry.spans = [];
        drawTimeline(entry, now);
      }
    }
    setTimeout(() => pollRecordings(entry), RECORDINGS_EVERY_MS);
  }

  function drawTimeline(entry, now) {
    const spans = entry.element.querySelector(".timeline-spans");
    spans.replaceChildren();
    const list = entry.element.querySelector("ul.spans");
    list.replaceChildren();
    for (const span of entry.spans) {
      const bar = document.createElement("div");
      bar.style.left = ((span.start - entry.timelineFrom) / TIMELINE_SPAN_MS * 100) + "%";
      bar.style.width = ((span.end - span.start) / TIMELINE_SPAN_MS * 100) + "%";
      bar.title = new Date(span.start).toLocaleString() + " – " + new Date(span.end).toLocaleTimeString();
      spans.appendChild(bar);
      const item = document.createElement("li");
      item.className = "span";
      item.textContent = new Date(span.start).toLocaleString() + " – " + new Date(span.end).toLocaleTimeString() +
        " (" + Math.round((span.end - span.start) / 1000) + " s, " + bytes(span.bytes) + ")";
      item.addEventListener("click", () => playRecorded(entry, span.start));
      list.appendChild(item);
    }
    if (!entry.spans.length) {
      const item = document.createElement("li");
      item.textContent = "Nothing recorded in the last 24 hours.";
      list.appendChild(item);
    }
    entry.element.querySelector(".timeline-from").textContent = new Date(entry.timelineFrom).toLocaleString();
    void now;
  }

  // The recorded span that holds `at`, or the next one after it.
  function spanAt(entry, at) {
    return entry.spans.find((span) => at >= span.start && at < span.end) || entry.spans.find((span) => span.start > at);
  }

  function playRecorded(entry, at) {
    const span = spanAt(entry, at);
    if (!span) return;
    const start = Math.max(at, span.start);
    const end = Math.min(span.end, start + PLAYBACK_WINDOW_MS);
    entry.playingAt = start;
    const box = entry.element.querySelector(".playback");
    box.hidden = false;
    const cursor = entry.element.querySelector(".timeline-cursor");
    cursor.hidden = false;
    cursor.style.left = ((start - entry.timelineFrom) / TIMELINE_SPAN_MS * 100) + "%";
    entry.element.querySelector(".timeline").setAttribute("aria-valuenow", String(Math.round((start - entry.timelineFrom) / TIMELINE_SPAN_MS * 100)));
    entry.element.querySelector(".playback-at").textContent = new Date(start).toLocaleString();
    const clipEnd = Math.min(span.end, start + CLIP_MS);
    const clip = entry.element.querySelector("a.clip");
    clip.href = "/api/v1/recordings/" + encodePath(entry.path) + "/clip.mp4?start=" + encodeURIComponent(iso(start)) +
      "&end=" + encodeURIComponent(iso(clipEnd));
    clip.textContent = "Download clip (" + Math.round((clipEnd - start) / 1000) + " s)";
    const url = "/" + encodePath(entry.path) + "/playback/index.m3u8?start=" + encodeURIComponent(iso(start)) +
      "&end=" + encodeURIComponent(iso(end));
    if (entry.vod) entry.vod.stop();
    const video = box.querySelector("video");
    entry.vod = playVOD(video, url, entry, (error) => { entry.vodError = String(error); });
  }

  function stopRecorded(entry) {
    if (entry.vod) entry.vod.stop();
    entry.vod = null;
    entry.element.querySelector(".playback").hidden = true;
    entry.element.querySelector(".timeline-cursor").hidden = true;
  }

  // A VOD playlist of recorded files (byte ranges of each file, a discontinuity between
  // files) into Media Source Extensions, in "sequence" mode so that every file, whose media
  // time starts at zero, follows the one before. Where the browser plays HLS itself (Safari),
  // it does.
  function playVOD(video, url, entry, onError) {
    const abort = new AbortController();
    if (!global.MediaSource && video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = url;
      video.play().catch(onError);
      return { stop: () => { video.removeAttribute("src"); video.load(); } };
    }
    (async () => {
      const text = await (await fetch(url, { credentials: "same-origin", signal: abort.signal })).text();
      const items = parseVOD(text, new URL(url, global.location.href));
      const codecs = await liveCodecs(entry);
      const mime = 'video/mp4; codecs="' + codecs + '"';
      const source = new MediaSource();
      video.src = URL.createObjectURL(source);
      await new Promise((resolve) => source.addEventListener("sourceopen", resolve, { once: true }));
      const buffer = source.addSourceBuffer(mime);
      buffer.mode = "sequence";
      let started = false;
      for (const item of items) {
        if (abort.signal.aborted) return;
        const response = await fetch(item.uri, {
          credentials: "same-origin", signal: abort.signal,
          headers: { Range: "bytes=" + item.offset + "-" + (item.offset + item.length - 1) },
        });
        const data = await response.arrayBuffer();
        // Keep about a minute ahead of the playhead.
        while (started && buffer.buffered.length && buffer.buffered.end(buffer.buffered.length - 1) - video.currentTime > 60) {
          await new Promise((resolve) => setTimeout(resolve, 500));
          if (abort.signal.aborted) return;
        }
        buffer.appendBuffer(data);
        await new Promise((resolve, reject) => {
          buffer.addEventListener("updateend", resolve, { once: true });
          buffer.addEventListener("error", reject, { once: true });
        });
        if (!started && buffer.buffered.length) {
          started = true;
          video.currentTime = buffer.buffered.start(0);
          video.play().catch(onError);
        }
      }
      if (!abort.signal.aborted && source.readyState === "open") source.endOfStream();
    })().catch((error) => { if (!abort.signal.aborted) onError(error); });
    return { stop: () => { abort.abort(); video.removeAttribute("src"); video.load(); } };
  }

  function parseVOD(text, base) {
    const items = [];
    let pendingRange = null;
    for (const raw of text.split("\n")) {
      const line = raw.trim();
      if (line.startsWith("#EXT-X-MAP:")) {
        const uri = /URI="([^"]*)"/.exec(line), range = /BYTERANGE="(\d+)@(\d+)"/.exec(line);
        if (uri && range) items.push({ uri: new URL(uri[1], base).href, length: Number(range[1]), offset: Number(range[2]) });
      } else if (line.startsWith("#EXT-X-BYTERANGE:")) {
        const range = /(\d+)@(\d+)/.exec(line);
        pendingRange = range ? { length: Number(range[1]), offset: Number(range[2]) } : null;
      } else if (line && !line.startsWith("#") && pendingRange) {
        items.push({ uri: new URL(line, base).href, length: pendingRange.length, offset: pendingRange.offset });
        pendingRange = null;
      }
    }
    return items;
  }

  // The recorded files hold what the live stream carries: its multivariant playlist names
  // the codecs (MSE needs them before the first byte).
  async function liveCodecs(entry) {
    if (entry.codecs) return entry.codecs;
    try {
      const text = await (await fetch("/" + encodePath(entry.path) + "/index.m3u8", { credentials: "same-origin" })).text();
      const match = /CODECS="([^"]+)"/.exec(text);
      entry.codecs = match ? match[1] : "avc1.42c01e";
    } catch (error) {
      entry.codecs = "avc1.42c01e";
    }
    return entry.codecs;
  }

  // MARK: Start

  async function start() {
    let session;
    try {
      session = await getJSON("/api/v1/session");
    } catch (error) {
      showProblem("Vigil did not answer: " + error.message);
      return;
    }
    state.session = session;
    if (session.user) {
      document.getElementById("who").textContent = session.user;
      const logout = document.getElementById("logout");
      logout.querySelector("input[name=csrf]").value = session.csrf_token;
      logout.hidden = false;
    }
    if (!session.streams.some((stream) => stream.read || stream.playback)) {
      showProblem("There is nothing this login may watch.");
    }
    for (const access of session.streams) addStream(access);
    pollStatus();
    global.addEventListener("pagehide", () => { for (const entry of state.streams.values()) leaveWHEP(entry); });
  }

  global.VigilPage = {
    // What the page shows, for tests: streams, decoded pictures, transports, recorded spans.
    report() {
      return {
        user: state.session ? state.session.user : null,
        streams: [...state.streams.values()].map((entry) => ({
          path: entry.path, transport: entry.transport, frames: entry.frames, width: entry.video.videoWidth,
          spans: entry.spans.length, listed: entry.element.querySelectorAll("ul.spans li.span").length,
          viewers: entry.element.querySelectorAll("table.viewers tbody tr").length,
          error: entry.error, whepError: entry.whepError, vodError: entry.vodError || null,
          recordedFrames: entry.element.querySelector("video.recorded").getVideoPlaybackQuality
            ? entry.element.querySelector("video.recorded").getVideoPlaybackQuality().totalVideoFrames : 0,
        })),
        health: document.getElementById("health-version").textContent,
        problem: document.getElementById("problem").hidden ? null : document.getElementById("problem").textContent,
      };
    },
    // Audio bytes the WebRTC connection has received (getStats inbound-rtp), for tests.
    async audioBytes(path) {
      const entry = state.streams.get(path);
      if (!entry || !entry.pc) return null;
      let bytes = 0;
      (await entry.pc.getStats()).forEach((r) => { if (r.type === "inbound-rtp" && r.kind === "audio") bytes += r.bytesReceived; });
      return bytes;
    },
    pick(path, at) {
      const entry = state.streams.get(path);
      if (entry) playRecorded(entry, at === undefined ? (entry.spans[0] || {}).start : at);
    },
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})(window);
