/* compare.js - the comparison with a baseline (present when the report was
 * written with --baseline or by etltrace compare): every operation on both
 * sides with its ratio, regressions first and in red. */
ET.compare = (function () {
  function ratioBar(ratio, factor) {
    /* log2 scale centred on 1x, clipped at 1/8x and 8x */
    const svg = ET.svg("svg", { width: 160, height: 12, viewBox: "0 0 160 12", class: "ratio-bar" });
    const x = (r) => 80 + Math.max(-3, Math.min(3, Math.log2(r))) * (80 / 3);
    svg.append(ET.svg("line", { x1: 80, x2: 80, y1: 0, y2: 12, stroke: "#7a8794" }));
    svg.append(ET.svg("line", { x1: x(factor), x2: x(factor), y1: 0, y2: 12, stroke: "#c62828", "stroke-dasharray": "2 2" }));
    if (ET.has(ratio) && ratio > 0) {
      const a = Math.min(80, x(ratio)), w = Math.max(1, Math.abs(x(ratio) - 80));
      svg.append(ET.svg("rect", { x: a, y: 2, width: w, height: 8, fill: ratio > factor ? "#c62828" : ratio < 1 ? "#2e7d32" : "#8fa1b5" }));
    }
    return svg;
  }

  return {
    render(r) {
      const sec = document.getElementById("sec-compare");
      const cmp = r.comparison;
      if (!cmp || typeof cmp !== "object") { sec.hidden = true; document.getElementById("nav-compare").hidden = true; return; }
      sec.hidden = false;
      const factor = ET.has(cmp.regression_factor) ? cmp.regression_factor : 1.5;
      const ops = Array.isArray(cmp.operations) ? cmp.operations.slice() : [];
      ops.sort((a, b) => (b.regression === true) - (a.regression === true) || ET.num(b.ratio) - ET.num(a.ratio));
      const regs = ops.filter((o) => o.regression === true).length;
      document.getElementById("compare-hint").textContent = "regression: avg_time above " + factor + " × the baseline's";
      const box = ET.clear(document.getElementById("compare"));
      box.append(ET.el("div", { class: "cmp-summary" },
        ET.el("span", { class: regs ? "bad" : "good" }, regs ? regs + " operation" + (regs > 1 ? "s" : "") + " regressed" : "No regression"),
        " · " + ops.length + " operations compared"));
      const table = ET.el("table", { class: "cmp", id: "cmp-table" });
      table.append(ET.el("thead", null, ET.el("tr", null,
        ET.el("th", null, "Operation"), ET.el("th", { class: "num" }, "Baseline avg"), ET.el("th", { class: "num" }, "Current avg"),
        ET.el("th", { class: "num" }, "Ratio"), ET.el("th", null, "1/8× … 1× … 8×"), ET.el("th", null, "Status"))));
      const body = ET.el("tbody");
      for (const o of ops) {
        const name = String(o.operation);
        const cls = o.regression === true ? "regression" : ET.has(o.ratio) && o.ratio < 1 / factor ? "improved" : "";
        const tr = ET.el("tr", { class: cls, "data-op": name },
          ET.el("td", { class: "name", title: name }, name),
          ET.el("td", { class: "num" }, ET.fmtSec(o.baseline_avg_time)),
          ET.el("td", { class: "num" }, ET.fmtSec(o.current_avg_time)),
          ET.el("td", { class: "num ratio" }, ET.has(o.ratio) ? o.ratio.toFixed(2) + "×" : "–"),
          ET.el("td", null, ratioBar(o.ratio, factor)),
          ET.el("td", null, o.regression === true ? "REGRESSION" : cls === "improved" ? "faster" : "ok"));
        body.append(tr);
      }
      table.append(body);
      box.append(table);
      for (const [key, label] of [["only_in_baseline", "Only in the baseline"], ["only_in_current", "Only in this run"]]) {
        const list = Array.isArray(cmp[key]) ? cmp[key] : [];
        if (list.length) box.append(ET.el("p", { class: "muted" }, label + ": " + list.map(String).join(", ")));
      }
    },
  };
})();
