/* tree.js - the operation tree as an icicle chart: each node under its
 * parent, widths by inclusive time, the gap after the children being the
 * parent's self time. Hover shows the numbers; click zooms into a node. */
ET.tree = (function () {
  const ROW = 20, MIN_PX = 0.25;
  let roots = [], focus = null, parents = new Map();

  function total(nodes) { return nodes.reduce((s, n) => s + ET.num(n.total_time), 0); }

  function tipFor(node) {
    const parent = parents.get(node);
    const rows = [
      ["path", String(node.path !== undefined ? node.path : node.name)],
      ["count", ET.fmtCount(node.count)],
      ["inclusive", ET.fmtSec(node.total_time)],
      ["self", ET.fmtSec(node.self_time) + (ET.num(node.total_time) > 0 && ET.has(node.self_time) ? " (" + ET.fmtPct(node.self_time / node.total_time) + ")" : "")],
    ];
    if (parent && ET.num(parent.total_time) > 0) rows.push(["of parent", ET.fmtPct(ET.num(node.total_time) / parent.total_time)]);
    if (ET.has(node.cpu_time)) rows.push(["CPU", ET.fmtSec(node.cpu_time)]);
    if (ET.has(node.avg_memory_delta)) rows.push(["avg Δmem", ET.fmtMB(node.avg_memory_delta, true)]);
    if (ET.has(node.max_peak_memory_delta)) rows.push(["max peak", ET.fmtMB(node.max_peak_memory_delta, true)]);
    return [String(node.name), rows];
  }

  function draw() {
    const box = ET.clear(document.getElementById("chart-tree"));
    const W = ET.widthOf(box, 1200);
    const drawn = [];          /* index -> node, for hover and click */
    let culled = 0, maxDepth = 0;
    const svgItems = [];
    const place = (node, x, w, depth) => {
      if (w < MIN_PX) { culled++; return; }
      maxDepth = Math.max(maxDepth, depth);
      svgItems.push([node, x, w, depth]);
      let cx = x;
      const t = ET.num(node.total_time);
      for (const c of Array.isArray(node.children) ? node.children : []) {
        const cw = t > 0 ? (w * ET.num(c.total_time)) / t : 0;
        place(c, cx, cw, depth + 1);
        cx += cw;
      }
    };
    /* Zoomed: the focus's ancestors span the width above it. */
    const chain = [];
    for (let n = focus; n; n = parents.get(n)) chain.unshift(n);
    if (focus) {
      chain.slice(0, -1).forEach((n, d) => { svgItems.push([n, 0, W, d, true]); });
      place(focus, 0, W, chain.length - 1);
    } else {
      const sum = total(roots);
      let x = 0;
      for (const r of roots) { const w = sum > 0 ? (W * ET.num(r.total_time)) / sum : 0; place(r, x, w, 0); x += w; }
    }
    maxDepth = Math.max(maxDepth, chain.length - 1);
    const H = (maxDepth + 1) * ROW + 2;
    const svg = ET.svg("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img", "aria-label": "operation tree" });
    for (const [node, x, w, depth, ancestor] of svgItems) {
      const i = drawn.push(node) - 1;
      const g = ET.svg("g", { "data-i": i });
      g.append(ET.svg("rect", { class: "node", x, y: depth * ROW, width: Math.max(w, 0.5), height: ROW - 1, fill: ET.color(String(node.name), true), "fill-opacity": ancestor ? 0.45 : 1 }));
      if (w > 36) g.append(ET.svg("text", { x: x + 4, y: depth * ROW + ROW / 2, "dominant-baseline": "middle", "pointer-events": "none" },
        ET.fit(String(node.name) + " " + ET.fmtSec(node.total_time), w - 8)));
      svg.append(g);
    }
    const pick = (ev) => { const g = ev.target.closest("g[data-i]"); return g ? drawn[+g.getAttribute("data-i")] : null; };
    ET.hover(svg, (ev) => { const n = pick(ev); return n ? tipFor(n) : null; });
    svg.addEventListener("click", (ev) => { const n = pick(ev); if (n) { focus = n === focus ? parents.get(n) || null : n; draw(); } });
    if (focus) {
      const crumbs = ET.el("div", { class: "crumbs" });
      const reset = ET.el("button", { type: "button" }, "Show all");
      reset.addEventListener("click", () => { focus = null; draw(); });
      crumbs.append(reset, " zoomed into " + String(focus.path !== undefined ? focus.path : focus.name));
      box.append(crumbs);
    }
    box.append(svg);
    box.setAttribute("data-culled", String(culled));
    document.getElementById("tree-hint").textContent = "width = inclusive time; the gap after a node's children is its self time · hover for numbers, click to zoom" +
      (culled ? " · " + culled + (culled === 1 ? " node" : " nodes") + " under a quarter pixel not drawn" : "");
  }

  return {
    render(tree) {
      const box = ET.clear(document.getElementById("chart-tree"));
      roots = Array.isArray(tree) ? tree : [];
      focus = null;
      parents = new Map();
      const walk = (n, p) => { parents.set(n, p); for (const c of Array.isArray(n.children) ? n.children : []) walk(c, n); };
      for (const r of roots) walk(r, null);
      if (!roots.length) {
        document.getElementById("tree-hint").textContent = "";
        box.append(ET.el("div", { class: "empty" }, "This report has no operation tree."));
        return;
      }
      draw();
    },
  };
})();
