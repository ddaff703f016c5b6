/* timeline.js - the Chrome trace-event timeline on a canvas: a track per
 * thread, slices nested by time containment, an RSS counter track per
 * process; wheel or buttons zoom, dragging pans, hover shows a slice.
 *
 * Built for a million slices: each thread's slices are split by nesting
 * level into typed arrays sorted by start; slices on one level never
 * overlap, so their ends are sorted too and the visible ones are found by
 * binary search. Slices narrower than 2 px are merged into runs drawn as
 * one rectangle, so a frame costs at most one pass over what is visible. */
ET.timeline = (function () {
  const ROW = 16, GUTTER = 200, AXIS = 24, COUNTER_H = 40, HEAD = 18, GAP = 4;
  const stats = { slices: 0, tracks: 0, counters: 0, buildMs: 0, drawMs: 0, draws: 0 };
  let model = null, view = null, canvas = null, ctx = null, width = 0, frame = 0;

  /* First index i in sorted arr[0..n) with arr[i] >= v. */
  function lowerBound(arr, n, v) {
    let lo = 0, hi = n;
    while (lo < hi) { const mid = (lo + hi) >>> 1; if (arr[mid] < v) lo = mid + 1; else hi = mid; }
    return lo;
  }

  function build(doc) {
    const t0 = performance.now();
    const events = Array.isArray(doc) ? doc : (doc && Array.isArray(doc.traceEvents) ? doc.traceEvents : []);
    const procNames = new Map(), threadNames = new Map(), threads = new Map(), counters = new Map();
    const nameIds = new Map(), names = [];
    let minT = Infinity, maxT = -Infinity;
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      if (!e || typeof e !== "object") continue;
      if (e.ph === "X" && ET.has(e.ts)) {
        const key = e.pid + "/" + e.tid;
        let th = threads.get(key);
        if (!th) threads.set(key, (th = { pid: e.pid, tid: e.tid, idx: [] }));
        th.idx.push(i);
        minT = Math.min(minT, e.ts); maxT = Math.max(maxT, e.ts + ET.num(e.dur));
      } else if (e.ph === "M" && e.args) {
        if (e.name === "process_name") procNames.set(e.pid, String(e.args.name));
        else if (e.name === "thread_name") threadNames.set(e.pid + "/" + e.tid, String(e.args.name));
      } else if (e.ph === "C" && e.args && ET.has(e.ts)) {
        for (const k of Object.keys(e.args)) {
          if (!ET.has(e.args[k])) continue;
          const key = e.pid + "/" + e.name + "/" + k;
          let c = counters.get(key);
          if (!c) counters.set(key, (c = { pid: e.pid, label: e.name === "rss" && k === "rss_mb" ? "RSS" : String(e.name) + " " + k, ts: [], v: [] }));
          c.ts.push(e.ts); c.v.push(e.args[k]);
          minT = Math.min(minT, e.ts); maxT = Math.max(maxT, e.ts);
        }
      }
    }
    const tracks = [];
    for (const th of threads.values()) {
      const n = th.idx.length, start = new Float64Array(n), dur = new Float64Array(n);
      th.idx.forEach((ei, j) => { start[j] = events[ei].ts; dur[j] = Math.max(0, ET.num(events[ei].dur)); });
      /* Start order; at equal starts the longer (outer) slice first. */
      const order = new Uint32Array(n).map((_, j) => j).sort((a, b) => start[a] - start[b] || dur[b] - dur[a]);
      const depth = new Uint8Array(n), stack = [];
      const perLevel = [];
      for (const j of order) {
        const s = start[j];
        while (stack.length && stack[stack.length - 1] <= s) stack.pop();
        const d = Math.min(stack.length, 255);
        depth[j] = d;
        stack.push(s + dur[j]);
        perLevel[d] = (perLevel[d] || 0) + 1;
      }
      const levels = perLevel.map((count) => ({ n: 0, start: new Float64Array(count), end: new Float64Array(count), name: new Uint32Array(count), ev: new Uint32Array(count) }));
      for (const j of order) {
        const L = levels[depth[j]], e = events[th.idx[j]], nm = String(e.name);
        let id = nameIds.get(nm);
        if (id === undefined) { id = names.length; names.push(nm); nameIds.set(nm, id); }
        L.start[L.n] = start[j]; L.end[L.n] = start[j] + dur[j]; L.name[L.n] = id; L.ev[L.n] = th.idx[j]; L.n++;
      }
      const label = (threadNames.get(th.pid + "/" + th.tid) || "thread") + " " + th.tid;
      tracks.push({ kind: "thread", pid: th.pid, tid: th.tid, label, levels, height: Math.max(1, levels.length) * ROW + GAP });
      stats.slices += n;
    }
    const series = [...counters.values()].map((c) => {
      const order = c.ts.map((_, j) => j).sort((a, b) => c.ts[a] - c.ts[b]);
      const ts = Float64Array.from(order, (j) => c.ts[j]), v = Float64Array.from(order, (j) => c.v[j]);
      let max = 0;
      for (const x of v) max = Math.max(max, x);
      return { kind: "counter", pid: c.pid, label: c.label, ts, v, max, height: COUNTER_H + GAP };
    });
    /* Rows: per process (by pid), a heading, its counters, its threads. */
    const pids = [...new Set(tracks.map((t) => t.pid).concat(series.map((s) => s.pid)))].sort((a, b) => a - b);
    const rows = [];
    for (const pid of pids) {
      rows.push({ kind: "process", pid, label: (procNames.get(pid) || "process") + " (pid " + pid + ")", height: HEAD });
      rows.push(...series.filter((s) => s.pid === pid));
      rows.push(...tracks.filter((t) => t.pid === pid).sort((a, b) => a.tid - b.tid));
    }
    let y = AXIS;
    for (const r of rows) { r.y = y; y += r.height; }
    stats.tracks = tracks.length;
    stats.counters = series.length;
    stats.buildMs = performance.now() - t0;
    if (!(maxT > minT)) { minT = 0; maxT = 1; }
    return { rows, names, colors: names.map((n) => ET.color(n, true)), events, minT, maxT, height: y + 4 };
  }

  /* ---- drawing ------------------------------------------------------------ */
  const xOf = (t) => GUTTER + ((t - view.t0) / (view.t1 - view.t0)) * (width - GUTTER);
  const tOf = (x) => view.t0 + ((x - GUTTER) / (width - GUTTER)) * (view.t1 - view.t0);

  function drawThread(r) {
    const start = view.t0, end = view.t1;
    r.levels.forEach((L, d) => {
      const y = r.y + d * ROW;
      let runA = -1, runB = -2;
      const flush = () => { if (runB >= runA && runA >= 0) { ctx.fillStyle = "#8fa1b5"; ctx.fillRect(runA, y, Math.max(1, runB - runA), ROW - 1); } };
      for (let i = lowerBound(L.end, L.n, start); i < L.n && L.start[i] <= end; i++) {
        const x0 = Math.max(GUTTER, xOf(L.start[i])), x1 = Math.min(width, xOf(L.end[i]));
        if (x1 - x0 < 2) {
          if (x0 <= runB + 1) runB = Math.max(runB, x1);
          else { flush(); runA = x0; runB = x1; }
          continue;
        }
        flush(); runA = -1; runB = -2;
        ctx.fillStyle = model.colors[L.name[i]];
        ctx.fillRect(x0, y, x1 - x0 - 0.5, ROW - 1);
        if (x1 - x0 > 40) {
          ctx.fillStyle = "#1d232b";
          ctx.fillText(ET.fit(model.names[L.name[i]], x1 - x0 - 6), x0 + 3, y + ROW / 2);
        }
      }
      flush();
    });
  }

  function drawCounter(r) {
    const top = r.y + 2, h = COUNTER_H - 4, n = r.ts.length;
    const yOf = (v) => top + h - (r.max > 0 ? (v / r.max) * h : 0);
    ctx.fillStyle = "#f5f7fa";
    ctx.fillRect(GUTTER, top, width - GUTTER, h);
    ctx.strokeStyle = "hsl(28,85%,45%)";
    ctx.fillStyle = "hsla(28,85%,55%,0.35)";
    /* One vertical span per pixel column: min and max of the samples in it,
     * plus the step from the previous sample. */
    let i = Math.max(0, lowerBound(r.ts, n, view.t0) - 1);
    ctx.beginPath();
    let lastX = null, lastY = null;
    for (; i < n; i++) {
      const x = Math.max(GUTTER, Math.min(width, xOf(r.ts[i]))), y = yOf(r.v[i]);
      if (lastX === null) ctx.moveTo(x, y);
      else if (Math.floor(x) === Math.floor(lastX)) { ctx.lineTo(x, y); }
      else { ctx.lineTo(x, lastY); ctx.lineTo(x, y); }
      lastX = x; lastY = y;
      if (r.ts[i] > view.t1) break;
    }
    if (lastX !== null) {
      ctx.lineTo(i >= n ? xOf(view.t1) : lastX, lastY);
      ctx.stroke();
    }
    ctx.fillStyle = "#5f6b78";
    ctx.fillText("max " + ET.fmtMB(r.max), GUTTER + 4, top + 8);
  }

  function drawAxis() {
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, width, AXIS);
    ctx.strokeStyle = "#d9dee4";
    ctx.fillStyle = "#5f6b78";
    const ticks = ET.ticks(view.t0 - model.minT, view.t1 - model.minT, Math.max(2, Math.floor((width - GUTTER) / 110)));
    for (const t of ticks) {
      const x = xOf(t + model.minT);
      if (x < GUTTER) continue;
      ctx.beginPath(); ctx.moveTo(x + 0.5, AXIS - 6); ctx.lineTo(x + 0.5, model.height); ctx.stroke();
      ctx.fillText(ET.fmtSec(t / 1e6), x + 3, AXIS - 12);
    }
  }

  function draw() {
    frame = 0;
    const t0 = performance.now();
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, model.height);
    ctx.font = "11px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    drawAxis();
    for (const r of model.rows) {
      if (r.kind === "thread") drawThread(r);
      else if (r.kind === "counter") drawCounter(r);
    }
    /* The gutter last, over anything drawn left of the time area. */
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, AXIS, GUTTER, model.height - AXIS);
    for (const r of model.rows) {
      ctx.fillStyle = r.kind === "process" ? "#1d232b" : "#5f6b78";
      ctx.font = r.kind === "process" ? "600 12px system-ui, sans-serif" : "11px system-ui, sans-serif";
      ctx.fillText(ET.fit(r.label, GUTTER - 16), r.kind === "process" ? 6 : 16, r.y + (r.kind === "process" ? HEAD / 2 : Math.min(r.height, ROW) / 2));
      if (r.kind === "process") { ctx.fillStyle = "#d9dee4"; ctx.fillRect(0, r.y, width, 1); }
    }
    document.getElementById("tl-range").textContent = "showing " + ET.fmtSec((view.t0 - model.minT) / 1e6) + " – " +
      ET.fmtSec((view.t1 - model.minT) / 1e6) + " (" + ET.fmtSec((view.t1 - view.t0) / 1e6) + ")";
    stats.drawMs = performance.now() - t0;
    stats.draws++;
  }

  function redraw() { if (!frame) frame = requestAnimationFrame(draw); }

  function resize() {
    const dpr = window.devicePixelRatio || 1;
    width = Math.max(400, ET.widthOf(canvas.parentElement));
    canvas.width = Math.floor(width * dpr);
    canvas.height = Math.floor(model.height * dpr);
    canvas.style.height = model.height + "px";
  }

  /* ---- interaction ---------------------------------------------------------- */
  function zoom(factor, atX) {
    const span = view.t1 - view.t0, full = model.maxT - model.minT;
    const newSpan = Math.min(full, Math.max(1, span * factor));
    const anchor = tOf(atX), frac = (atX - GUTTER) / (width - GUTTER);
    let t0 = anchor - frac * newSpan;
    t0 = Math.max(model.minT, Math.min(model.maxT - newSpan, t0));
    view = { t0, t1: t0 + newSpan };
    redraw();
  }

  function pan(dx) {
    const dt = (dx / (width - GUTTER)) * (view.t1 - view.t0), span = view.t1 - view.t0;
    const t0 = Math.max(model.minT, Math.min(model.maxT - span, view.t0 - dt));
    view = { t0, t1: t0 + span };
    redraw();
  }

  /* The slice or counter sample under (x, y), as tooltip content. */
  function hit(x, y) {
    if (x < GUTTER) return null;
    const r = model.rows.find((row) => y >= row.y && y < row.y + row.height);
    if (!r) return null;
    const t = tOf(x), slack = (2 * (view.t1 - view.t0)) / (width - GUTTER);
    if (r.kind === "counter") {
      const i = Math.max(0, lowerBound(r.ts, r.ts.length, t) - 1);
      if (!r.ts.length) return null;
      return [r.label, [["at", ET.fmtSec((r.ts[i] - model.minT) / 1e6)], ["value", ET.fmtMB(r.v[i])]]];
    }
    if (r.kind !== "thread") return null;
    const L = r.levels[Math.floor((y - r.y) / ROW)];
    if (!L) return null;
    const i = lowerBound(L.end, L.n, t - slack);
    if (i >= L.n || L.start[i] > t + slack) return null;
    const e = model.events[L.ev[i]];
    const rows = [["start", ET.fmtSec((L.start[i] - model.minT) / 1e6)], ["duration", ET.fmtSec((L.end[i] - L.start[i]) / 1e6)], ["thread", r.label]];
    if (e.args && typeof e.args === "object")
      for (const k of Object.keys(e.args)) rows.push([k, typeof e.args[k] === "number" ? ET.fmtCount(e.args[k]) : String(e.args[k])]);
    return [String(e.name), rows];
  }

  function wire() {
    let drag = null;
    canvas.addEventListener("wheel", (ev) => {
      ev.preventDefault();
      const rect = canvas.getBoundingClientRect();
      if (Math.abs(ev.deltaX) > Math.abs(ev.deltaY) || ev.shiftKey) pan(-(ev.deltaX || ev.deltaY));
      else zoom(Math.exp(ev.deltaY * 0.002), ev.clientX - rect.left);
    }, { passive: false });
    canvas.addEventListener("mousedown", (ev) => { drag = ev.clientX; canvas.classList.add("dragging"); });
    window.addEventListener("mouseup", () => { drag = null; canvas.classList.remove("dragging"); });
    canvas.addEventListener("mousemove", (ev) => {
      const rect = canvas.getBoundingClientRect();
      if (drag !== null) { pan(ev.clientX - drag); drag = ev.clientX; ET.untip(); return; }
      const t = hit(ev.clientX - rect.left, ev.clientY - rect.top);
      if (t) ET.tip(ev, t[0], t[1]); else ET.untip();
    });
    canvas.addEventListener("mouseleave", ET.untip);
    const mid = () => GUTTER + (width - GUTTER) / 2;
    document.getElementById("tl-zoom-in").addEventListener("click", () => zoom(0.5, mid()));
    document.getElementById("tl-zoom-out").addEventListener("click", () => zoom(2, mid()));
    document.getElementById("tl-reset").addEventListener("click", () => { view = { t0: model.minT, t1: model.maxT }; redraw(); });
    window.addEventListener("resize", () => { ET.measure(["chart-timeline"]); resize(); redraw(); });
  }

  return {
    stats,
    render(doc) {
      const sec = document.getElementById("sec-timeline");
      if (!doc) { sec.hidden = true; document.getElementById("nav-timeline").hidden = true; return; }
      sec.hidden = false;
      model = build(doc);
      view = { t0: model.minT, t1: model.maxT };
      canvas = document.getElementById("tl-canvas");
      ctx = canvas.getContext("2d");
      resize();
      wire();
      draw();
      document.getElementById("timeline-hint").textContent = ET.fmtCount(stats.slices) + " slices on " + stats.tracks + (stats.tracks === 1 ? " thread" : " threads") +
        (stats.counters ? ", " + stats.counters + " counter track" + (stats.counters > 1 ? "s" : "") : "") +
        " · wheel zooms, drag or shift+wheel pans; slices under 2 px are merged (grey)";
    },
    /* Redraws now and returns the milliseconds it took (for measurements). */
    drawNow() { draw(); return stats.drawMs; },
  };
})();
