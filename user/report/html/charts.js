/* charts.js - hand-written SVG charts: time per operation (inclusive and
 * self), memory net change vs peak, and one operation's latency
 * distribution on a log axis with its percentiles marked. */
ET.charts = (function () {
  const TOP = 25;

  /* The names of ops, largest key(op) first, at most n. */
  function top(ops, key, n) {
    return Object.keys(ops).sort((a, b) => key(ops[b]) - key(ops[a]) || (a < b ? -1 : 1)).slice(0, n);
  }

  function legend(items) {
    const box = ET.el("div", { class: "legend" });
    for (const [label, color, outline] of items) {
      const sw = ET.el("span", { class: "swatch" });
      sw.style.background = outline ? "transparent" : color;
      if (outline) sw.style.border = "1.5px solid " + color;
      box.append(ET.el("span", null, sw, label));
    }
    return box;
  }

  /* A horizontal linear scale: value -> x within [x0, x1]. */
  function linear(lo, hi, x0, x1) {
    const span = hi - lo || 1;
    return (v) => x0 + ((v - lo) / span) * (x1 - x0);
  }

  function xAxis(svg, scale, ticks, y, fmt, gridTo) {
    const g = ET.svg("g", { class: "axis" });
    for (const t of ticks) {
      const x = scale(t);
      if (gridTo) svg.append(ET.svg("line", { class: "gridline", x1: x, x2: x, y1: y, y2: gridTo, stroke: "#eceff3" }));
      g.append(ET.svg("line", { x1: x, x2: x, y1: y - 4, y2: y }));
      g.append(ET.svg("text", { x, y: y - 7, "text-anchor": "middle" }, fmt(t)));
    }
    svg.append(g);
  }

  /* Row labels: names in full in a <title>, shortened to fit on screen. */
  function rowLabel(svg, name, x, y, width) {
    const t = ET.svg("text", { x, y, "text-anchor": "end", "dominant-baseline": "middle" }, ET.fit(name, width));
    ET.svgTitle(t, name);
    svg.append(t);
  }

  function empty(box, text) {
    box.append(ET.el("div", { class: "empty" }, text));
  }

  /* ---- time per operation ------------------------------------------------ */
  function renderTime(ops) {
    const box = ET.clear(document.getElementById("chart-time"));
    const names = top(ops, (o) => ET.num(o.total_time), TOP);
    const all = Object.keys(ops).length;
    document.getElementById("time-hint").textContent = all > names.length ? "top " + names.length + " of " + all + " by inclusive time" : "by inclusive time";
    if (!names.length) return empty(box, "No operation.");
    const hasSelf = names.some((n) => ET.has(ops[n].self_time));
    box.append(legend(hasSelf
      ? [["inclusive (total_time)", "hsl(210,55%,78%)"], ["self (without direct children)", "hsl(210,58%,48%)"]]
      : [["inclusive (total_time); this report has no self time", "hsl(210,55%,78%)"]]));
    const W = ET.widthOf(box, 640), labelW = Math.min(200, Math.floor(W * 0.3)), valueW = 64;
    const rowH = hasSelf ? 24 : 18, top0 = 22, H = top0 + rowH * names.length + 6;
    const max = Math.max(...names.map((n) => ET.num(ops[n].total_time)), 1e-9);
    const x = linear(0, max, labelW + 8, W - valueW);
    const svg = ET.svg("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img", "aria-label": "time per operation" });
    xAxis(svg, x, ET.ticks(0, max, Math.max(2, Math.floor((W - labelW) / 110))), top0 - 2, ET.fmtSec, H);
    names.forEach((n, i) => {
      const op = ops[n], y = top0 + i * rowH;
      rowLabel(svg, n, labelW, y + rowH / 2, labelW);
      const bars = hasSelf ? [["inclusive", op.total_time, true], ["self", op.self_time, false]] : [["inclusive", op.total_time, true]];
      const h = hasSelf ? 9 : 12;
      bars.forEach(([kind, v, light], k) => {
        const by = y + 2 + k * (h + 2), w = Math.max(ET.has(v) ? 1 : 0, x(ET.num(v)) - x(0));
        const r = ET.svg("rect", { class: "bar", "data-kind": kind, x: x(0), y: by, width: w, height: h, fill: ET.color(n, light), rx: 1.5 });
        ET.svgTitle(r, n + "\n" + kind + ": " + ET.fmtSec(v) + (kind === "self" && ET.num(op.total_time) > 0 ? " (" + ET.fmtPct(ET.num(v) / op.total_time) + " of inclusive)" : ""));
        svg.append(r);
        svg.append(ET.svg("text", { x: x(0) + w + 4, y: by + h / 2, "dominant-baseline": "middle", class: "muted" }, ET.has(v) ? ET.fmtSec(v) : "–"));
      });
    });
    box.append(svg);
  }

  /* ---- memory: net vs peak -------------------------------------------------- */
  function renderMemory(ops) {
    const box = ET.clear(document.getElementById("chart-memory"));
    const size = (o) => Math.max(Math.abs(ET.num(o.max_memory_delta)), Math.abs(ET.num(o.avg_memory_delta)), ET.num(o.max_peak_memory_delta));
    const names = top(ops, size, 20);
    const all = Object.keys(ops).length;
    document.getElementById("memory-hint").textContent = (all > names.length ? "top " + names.length + " of " + all + " · " : "") +
      "net = RSS at end − at start; peak = highest RSS during the operation − at start";
    if (!names.length) return empty(box, "No operation.");
    const hasPeak = names.some((n) => ET.has(ops[n].max_peak_memory_delta));
    box.append(legend([["avg net", "hsl(265,45%,52%)"], ["max net", "hsl(265,45%,52%)", true]].concat(hasPeak
      ? [["avg peak", "hsl(28,85%,55%)"], ["max peak", "hsl(28,85%,55%)", true]] : [])));
    const W = ET.widthOf(box, 640), labelW = Math.min(200, Math.floor(W * 0.3));
    const rowH = hasPeak ? 24 : 16, top0 = 22, H = top0 + rowH * names.length + 6;
    let lo = 0, hi = 0;
    for (const n of names) for (const k of ["avg_memory_delta", "max_memory_delta", "avg_peak_memory_delta", "max_peak_memory_delta"]) {
      lo = Math.min(lo, ET.num(ops[n][k])); hi = Math.max(hi, ET.num(ops[n][k]));
    }
    if (hi - lo < 1e-6) hi = lo + 1;
    const x = linear(lo, hi, labelW + 8, W - 10);
    const svg = ET.svg("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img", "aria-label": "memory per operation" });
    xAxis(svg, x, ET.ticks(lo, hi, Math.max(2, Math.floor((W - labelW) / 100))), top0 - 2, (v) => ET.fmtMB(v, true), H);
    svg.append(ET.svg("line", { x1: x(0), x2: x(0), y1: top0, y2: H, stroke: "#7a8794" }));
    const span = (v) => [Math.min(x(0), x(v)), Math.max(1, Math.abs(x(v) - x(0)))];
    names.forEach((n, i) => {
      const op = ops[n], y = top0 + i * rowH;
      rowLabel(svg, n, labelW, y + rowH / 2, labelW);
      const series = [["net", "hsl(265,45%,52%)", op.avg_memory_delta, op.max_memory_delta]];
      if (hasPeak) series.push(["peak", "hsl(28,85%,55%)", op.avg_peak_memory_delta, op.max_peak_memory_delta]);
      series.forEach(([kind, color, avg, max], k) => {
        const by = y + 2 + k * 11;
        const [mx, mw] = span(ET.num(max));
        const outline = ET.svg("rect", { class: "bar", "data-kind": "max " + kind, x: mx, y: by, width: mw, height: 9, fill: "none", stroke: color, "stroke-width": 1.2 });
        const [ax, aw] = span(ET.num(avg));
        const solid = ET.svg("rect", { class: "bar", "data-kind": "avg " + kind, x: ax, y: by, width: aw, height: 9, fill: color, "fill-opacity": 0.85 });
        const text = n + "\navg " + kind + ": " + ET.fmtMB(avg, true) + "\nmax " + kind + ": " + ET.fmtMB(max, true);
        ET.svgTitle(outline, text); ET.svgTitle(solid, text);
        svg.append(outline, solid);
      });
    });
    box.append(svg);
  }

  /* ---- latency distribution -------------------------------------------------- */

  /* The lower bound of the histogram bucket whose upper bound is le seconds,
   * as etltrace exports them (histogram.h): 4 ns wide up to 128 ns, then 16
   * buckets per power of two. */
  function bucketLow(le, prevLe) {
    const ns = Math.round(le * 1e9) + 1;
    const width = ns <= 128 ? 4 : Math.pow(2, Math.floor(Math.log2(ns - 1)) - 4);
    const lo = (ns - width) / 1e9;
    return prevLe !== null && prevLe > lo ? prevLe : Math.max(lo, le * 0.5);
  }

  function decadeTicks(lo, hi) {
    /* Within a decade or so, round linear values read better than 1-2-5. */
    if (Math.log10(hi / lo) < 1.2) return ET.ticks(lo, hi, 6).filter((v) => v > 0);
    const out = [];
    const steps = Math.log10(hi / lo) < 2.2 ? [1, 2, 5] : [1];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++)
      for (const m of steps) { const v = m * Math.pow(10, e); if (v >= lo && v <= hi) out.push(v); }
    return out;
  }

  function renderLatency(name, op) {
    const box = ET.clear(document.getElementById("chart-latency"));
    const hint = document.getElementById("latency-hint");
    if (!op) { hint.textContent = ""; return empty(box, "No operation."); }
    const hist = Array.isArray(op.histogram) ? op.histogram.filter((b) => ET.num(b.le) > 0 && ET.num(b.count) > 0) : [];
    hint.textContent = ET.fmtCount(op.count) + " samples · min " + ET.fmtSec(op.min_time) + " · avg " + ET.fmtSec(op.avg_time) +
      " · max " + ET.fmtSec(op.max_time) + " · buckets within 1%; x axis logarithmic";
    if (!hist.length) return empty(box, "No finished sample of this operation, so no distribution.");
    const buckets = [];
    let prev = null;
    for (const b of hist) { buckets.push({ lo: bucketLow(b.le, prev), hi: b.le, count: b.count }); prev = b.le; }
    const marks = [["p50", op.p50_time, "#2d6cdf"], ["p90", op.p90_time, "#a15c00"], ["p99", op.p99_time, "#c62828"]].filter((m) => ET.num(m[1]) > 0);
    let lo = buckets[0].lo, hi = buckets[buckets.length - 1].hi;
    for (const m of marks) { lo = Math.min(lo, m[1]); hi = Math.max(hi, m[1]); }
    lo /= 1.25; hi *= 1.25;
    const W = ET.widthOf(box, 1200), H = 250, left = 56, right = 16, top0 = 44, bottom = 30;
    const lx = (v) => left + (Math.log(v / lo) / Math.log(hi / lo)) * (W - left - right);
    const maxCount = Math.max(...buckets.map((b) => b.count));
    const y = (c) => H - bottom - (c / maxCount) * (H - top0 - bottom);
    const svg = ET.svg("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img", "aria-label": "latency distribution" });
    ET.svgTitle(svg, name);
    for (const t of ET.ticks(0, maxCount, 4)) {
      svg.append(ET.svg("line", { x1: left, x2: W - right, y1: y(t), y2: y(t), stroke: "#eceff3" }));
      svg.append(ET.svg("text", { x: left - 6, y: y(t), "text-anchor": "end", "dominant-baseline": "middle", class: "muted" }, ET.fmtCount(t)));
    }
    const axis = ET.svg("g", { class: "axis" });
    axis.append(ET.svg("line", { x1: left, x2: W - right, y1: H - bottom, y2: H - bottom }));
    for (const t of decadeTicks(lo, hi)) {
      axis.append(ET.svg("line", { x1: lx(t), x2: lx(t), y1: H - bottom, y2: H - bottom + 4 }));
      axis.append(ET.svg("text", { x: lx(t), y: H - bottom + 16, "text-anchor": "middle" }, ET.fmtSec(t)));
    }
    svg.append(axis);
    const color = ET.color(name);
    for (const b of buckets) {
      const x0 = lx(b.lo), w = Math.max(2, lx(b.hi) - x0);
      const r = ET.svg("rect", { class: "bar", x: x0, y: y(b.count), width: w, height: H - bottom - y(b.count), fill: color });
      ET.svgTitle(r, ET.fmtSec(b.lo) + " – " + ET.fmtSec(b.hi) + ": " + ET.fmtCount(b.count) + " samples");
      svg.append(r);
    }
    /* Labels left to right, each on the first line where it clears the
     * previous one: p90 and p99 often fall in the same bucket. */
    const ends = [];
    marks.forEach(([label, v, c]) => {
      const text = label + " " + ET.fmtSec(v), x = lx(v);
      let line = ends.findIndex((end) => end < x);
      if (line < 0) line = ends.length;
      ends[line] = x + 8 + text.length * 6.2;
      const g = ET.svg("g", { class: "marker", "data-marker": label });
      g.append(ET.svg("line", { x1: x, x2: x, y1: top0 - 6 - line * 12, y2: H - bottom, stroke: c }));
      g.append(ET.svg("text", { x: x + 3, y: top0 - 8 - line * 12, fill: c }, text));
      svg.append(g);
    });
    box.append(svg);
  }

  let latencyOps = {};
  function fillLatencySelect(ops, chosen) {
    const sel = ET.clear(document.getElementById("latency-select"));
    const names = Object.keys(ops).sort((a, b) => ET.num(ops[b].total_time) - ET.num(ops[a].total_time));
    const frag = document.createDocumentFragment();
    for (const n of names) {
      const o = ET.el("option", null, n + "  (" + ET.fmtCount(ops[n].count) + ")");
      o.value = n;
      frag.append(o);
    }
    sel.append(frag);
    sel.onchange = () => ET.selectOp(sel.value);
    return chosen !== undefined && ops[chosen] ? chosen : names[0];
  }

  return {
    render(ops) {
      latencyOps = ops;
      renderTime(ops);
      renderMemory(ops);
      return fillLatencySelect(ops);
    },
    showLatency(name) {
      document.getElementById("latency-select").value = name;
      document.getElementById("latency-name").textContent = name;
      renderLatency(name, latencyOps[name]);
    },
  };
})();
