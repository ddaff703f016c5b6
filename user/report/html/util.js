/* util.js - shared helpers: reading the embedded data, building DOM and SVG
 * without markup strings (names are untrusted: they only ever reach the page
 * through textContent and setAttribute), number formatting, colours, the
 * tooltip. Everything the page defines lives under ET. */
const ET = { errors: [], cspViolations: [] };

/* Any failure is shown on the page and counted (the browser test reads
 * ET.errors); a CSP violation would mean something tried to load or run. */
window.addEventListener("error", (e) => ET.fail(e.message || String(e)));
window.addEventListener("unhandledrejection", (e) => ET.fail(String(e.reason)));
document.addEventListener("securitypolicyviolation", (e) => {
  ET.cspViolations.push(e.violatedDirective + " " + (e.blockedURI || ""));
  ET.fail("blocked by the page's security policy: " + e.violatedDirective + " " + (e.blockedURI || ""));
});

ET.fail = function (message) {
  ET.errors.push(message);
  const box = document.getElementById("errors");
  if (box) {
    box.hidden = false;
    box.textContent = "This page hit a problem: " + ET.errors.join("\n");
  }
};

/* The parsed content of a data element, or null when it is absent. */
ET.readData = function (id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : null;
};

/* An HTML element: attrs set with setAttribute (except className), children
 * appended, strings as text nodes. */
ET.el = function (tag, attrs, ...children) {
  const node = document.createElement(tag);
  ET.setAttrs(node, attrs);
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
};

const SVG_NS = "http://www.w3.org/2000/svg";
ET.svg = function (tag, attrs, text) {
  const node = document.createElementNS(SVG_NS, tag);
  ET.setAttrs(node, attrs);
  if (text !== undefined) node.textContent = text;
  return node;
};

ET.setAttrs = function (node, attrs) {
  if (!attrs) return;
  for (const key of Object.keys(attrs)) {
    const v = attrs[key];
    if (v === null || v === undefined || v === false) continue;
    if (key === "class") node.setAttribute("class", v);
    else node.setAttribute(key, String(v));
  }
};

ET.clear = function (node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
};

/* An SVG <title> child: the browser's own tooltip, text only. */
ET.svgTitle = function (node, text) {
  node.append(ET.svg("title", null, text));
  return node;
};

/* ---- numbers --------------------------------------------------------------- */

ET.num = (v) => (typeof v === "number" && isFinite(v) ? v : 0);
ET.has = (v) => typeof v === "number" && isFinite(v);

function sig(v, digits) {
  const a = Math.abs(v);
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(Math.max(0, digits - 2));
  return v.toFixed(Math.max(0, digits - 1));
}

/* Seconds with a unit chosen by magnitude: 812 ns, 3.41 µs, 12.3 ms, 1.56 s,
 * 2m 05s. */
ET.fmtSec = function (s) {
  if (!ET.has(s)) return "–";
  const a = Math.abs(s);
  if (a === 0) return "0";
  if (a < 1e-6) return sig(s * 1e9, 3) + " ns";
  if (a < 1e-3) return sig(s * 1e6, 3) + " µs";
  if (a < 1) return sig(s * 1e3, 3) + " ms";
  if (a < 60) return sig(s, 3) + " s";
  if (a < 3600) return Math.floor(a / 60) + "m " + String(Math.round(a % 60)).padStart(2, "0") + "s";
  return Math.floor(a / 3600) + "h " + String(Math.floor((a % 3600) / 60)).padStart(2, "0") + "m";
};

/* MB (MiB) with a sign when signed is set. */
ET.fmtMB = function (mb, signed) {
  if (!ET.has(mb)) return "–";
  const sign = signed && mb > 0 ? "+" : "";
  const a = Math.abs(mb);
  if (a >= 1024) return sign + sig(mb / 1024, 3) + " GB";
  if (a === 0) return "0 MB";
  if (a < 1) return sign + sig(mb * 1024, 3) + " KB";
  return sign + sig(mb, 3) + " MB";
};

ET.fmtBytes = function (b) {
  if (!ET.has(b)) return "–";
  if (b === 0) return "0";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  while (Math.abs(b) >= 1024 && i < units.length - 1) { b /= 1024; i++; }
  return (i === 0 ? String(b) : sig(b, 3)) + " " + units[i];
};

ET.fmtCount = function (n) {
  if (!ET.has(n)) return "–";
  /* Grouped by hand: toLocaleString costs microseconds a call. */
  return Number.isInteger(n) ? String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",") : sig(n, 3);
};

ET.fmtRate = function (r) {
  if (!ET.has(r)) return "–";
  if (r >= 1e6) return sig(r / 1e6, 3) + " M/s";
  if (r >= 1e3) return sig(r / 1e3, 3) + " k/s";
  return sig(r, 3) + " /s";
};

ET.fmtPct = (f) => (ET.has(f) ? (f * 100).toFixed(f >= 0.995 || f === 0 ? 0 : 1) + "%" : "–");

/* "Nice" axis ticks over [lo, hi]: about `count` round values. */
ET.ticks = function (lo, hi, count) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || raw;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return out;
};

/* ---- colours: one hue per operation name, stable across charts ------------- */

ET.hue = function (name) {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) { h ^= name.charCodeAt(i); h = Math.imul(h, 16777619); }
  return ((h >>> 0) % 360);
};
ET.color = (name, light) => "hsl(" + ET.hue(name) + (light ? ",55%,78%)" : ",58%,48%)");

/* ---- tooltip: a single fixed box, filled with text only -------------------- */

/* Shows title and rows ([label, value] pairs) near the pointer of event ev. */
ET.tip = function (ev, title, rows) {
  const box = document.getElementById("tooltip");
  ET.clear(box);
  box.append(ET.el("div", { class: "tt-title" }, title));
  for (const [k, v] of rows || []) box.append(ET.el("div", { class: "tt-row" }, ET.el("span", null, k), ET.el("span", null, v)));
  box.hidden = false;
  const pad = 14, w = box.offsetWidth, h = box.offsetHeight;
  let x = ev.clientX + pad, y = ev.clientY + pad;
  if (x + w > window.innerWidth) x = Math.max(0, ev.clientX - w - pad);
  if (y + h > window.innerHeight) y = Math.max(0, ev.clientY - h - pad);
  box.style.left = x + "px";
  box.style.top = y + "px";
};
ET.untip = function () { document.getElementById("tooltip").hidden = true; };

/* Wires hover tooltips to node: fn(ev) returns [title, rows] or null. */
ET.hover = function (node, fn) {
  node.addEventListener("mousemove", (ev) => {
    const t = fn(ev);
    if (t) ET.tip(ev, t[0], t[1]); else ET.untip();
  });
  node.addEventListener("mouseleave", ET.untip);
};

/* The operation's display name: raw_name (lossless) is shown beside the
 * key when the key had to be changed. */
ET.opTitle = function (name, op) {
  return op && typeof op.raw_name === "string" && op.raw_name !== name ? name + "\n(raw bytes: " + op.raw_name + ")" : name;
};

/* Width in px of an SVG container: charts are drawn at their real width.
 * Widths are read once (ET.measure, before the big table exists): reading
 * one later forces a layout of the whole page, seconds with 10,000 rows. */
ET.widths = new Map();
ET.measure = function (ids) {
  for (const id of ids) ET.widths.set(id, document.getElementById(id).clientWidth);
};
ET.widthOf = (node, fallback) => Math.max(320, Math.floor(ET.widths.get(node.id) || node.clientWidth || fallback || 900));

/* Shortens text to fit about `px` pixels at ~6.6 px per character. */
ET.fit = function (text, px) {
  const n = Math.floor(px / 6.6);
  if (n <= 1) return "";
  return text.length <= n ? text : text.slice(0, n - 1) + "…";
};

/* The report's tree is a flat list, depth first, each node naming its
 * parent's index (-1 for a root); the charts want each node with its
 * children. A list already nested (children arrays) is returned as is. */
ET.nestTree = function (list) {
  if (!Array.isArray(list)) return [];
  if (list.some((n) => n && Array.isArray(n.children))) return list;
  const nodes = list.map((n) => Object.assign({}, n, { children: [] }));
  const roots = [];
  nodes.forEach((n) => {
    const p = Number.isInteger(n.parent) && n.parent >= 0 && n.parent < nodes.length ? nodes[n.parent] : null;
    (p && p !== n ? p.children : roots).push(n);
  });
  return roots;
};
