/* table.js - the operations table: one row per operation, every column
 * sortable by clicking its header, numbers with units, names in full.
 *
 * Every operation has its <tr>, but only the first PAGE rows in the current
 * order (among those matching the name filter) are displayed until the
 * reader asks for more: the browser lays out 10,000 rows of 23 cells in
 * seconds, hidden rows cost nothing. */
ET.table = (function () {
  const sec = (k) => (op) => op[k];
  /* Columns; `need` names the key an operation must have for the column to
   * be shown (reports without resources or self time have fewer). */
  const COLUMNS = [
    { id: "name", label: "Operation", text: true },
    { id: "count", label: "Count", narrow: true, get: sec("count"), fmt: ET.fmtCount },
    { id: "unfinished", label: "Unfin", narrow: true, get: sec("unfinished"), fmt: ET.fmtCount, need: "unfinished", title: "still open when the trace ended" },
    { id: "total_time", label: "Total", get: sec("total_time"), fmt: ET.fmtSec, share: true, title: "inclusive time: the operation and everything inside it" },
    { id: "self_time", label: "Self", get: sec("self_time"), fmt: ET.fmtSec, need: "self_time", title: "inclusive time minus the inclusive time of direct children" },
    { id: "avg_time", label: "Avg", get: sec("avg_time"), fmt: ET.fmtSec },
    { id: "min_time", label: "Min", get: sec("min_time"), fmt: ET.fmtSec },
    { id: "p50_time", label: "P50", get: sec("p50_time"), fmt: ET.fmtSec, need: "p50_time" },
    { id: "p90_time", label: "P90", get: sec("p90_time"), fmt: ET.fmtSec, need: "p90_time" },
    { id: "p99_time", label: "P99", get: sec("p99_time"), fmt: ET.fmtSec, need: "p99_time" },
    { id: "max_time", label: "Max", get: sec("max_time"), fmt: ET.fmtSec },
    { id: "cpu", label: "CPU", narrow: true, need: "cpu_time", fmt: ET.fmtPct, title: "share of the time on CPU (the rest waited: I/O, locks, sleep)",
      get: (op) => (ET.num(op.total_time) > 0 ? ET.num(op.cpu_time) / op.total_time : 0) },
    { id: "avg_memory_delta", label: "Avg Δmem", get: sec("avg_memory_delta"), fmt: (v) => ET.fmtMB(v, true), title: "RSS at end minus RSS at start" },
    { id: "max_memory_delta", label: "Max Δmem", get: sec("max_memory_delta"), fmt: (v) => ET.fmtMB(v, true) },
    { id: "avg_peak_memory_delta", label: "Avg peak", get: sec("avg_peak_memory_delta"), fmt: (v) => ET.fmtMB(v, true), need: "avg_peak_memory_delta", title: "highest RSS during the operation minus RSS at start" },
    { id: "max_peak_memory_delta", label: "Max peak", get: sec("max_peak_memory_delta"), fmt: (v) => ET.fmtMB(v, true), need: "max_peak_memory_delta" },
    { id: "minor_faults", label: "Flt minor", get: sec("minor_faults"), fmt: ET.fmtCount, need: "minor_faults" },
    { id: "major_faults", label: "Flt major", get: sec("major_faults"), fmt: ET.fmtCount, need: "major_faults" },
    { id: "read_bytes", label: "Read", get: sec("read_bytes"), fmt: ET.fmtBytes, need: "read_bytes" },
    { id: "write_bytes", label: "Written", get: sec("write_bytes"), fmt: ET.fmtBytes, need: "write_bytes" },
    { id: "records", label: "Records", get: sec("records"), fmt: ET.fmtCount, need: "records" },
    { id: "records_per_second", label: "Rec/s", get: sec("records_per_second"), fmt: ET.fmtRate, need: "records_per_second" },
    { id: "max_depth", label: "Depth", get: sec("max_depth"), fmt: ET.fmtCount, need: "max_depth", narrow: true, title: "deepest nesting level seen (0 = outermost)" },
  ];

  /* Colours go through the CSSOM (el.style), which the page's style policy
   * allows, unlike style attributes. */
  let rows = [];      /* {name, op, tr, values[]} */
  let columns = [];
  let sortCol = 2, sortDir = -1;
  const PAGE = 500;
  let limit = PAGE, filter = "";

  /* Displays the first `limit` rows that match the filter. */
  function applyVisibility() {
    let shown = 0, matching = 0;
    for (const r of rows) {
      const match = !filter || r.lower.includes(filter);
      if (match) matching++;
      const show = match && shown < limit;
      if (show) shown++;
      if (r.tr.hidden === show) r.tr.hidden = !show;
    }
    const info = document.getElementById("ops-shown");
    info.textContent = "showing " + ET.fmtCount(shown) + " of " + ET.fmtCount(matching) +
      (filter ? " matching (" + ET.fmtCount(rows.length) + " in all)" : "");
    document.getElementById("ops-more").hidden = shown >= matching;
    document.getElementById("ops-all").hidden = shown >= matching;
  }

  function sortRows() {
    const c = columns[sortCol];
    const i = sortCol;
    rows.sort(c.text
      ? (a, b) => sortDir * (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
      : (a, b) => sortDir * (a.values[i] - b.values[i]) || (a.name < b.name ? -1 : 1));
    const body = document.querySelector("#ops-table tbody");
    const frag = document.createDocumentFragment();
    for (const r of rows) frag.append(r.tr);
    body.append(frag);
    applyVisibility();
    document.querySelectorAll("#ops-table thead th").forEach((th, j) =>
      th.setAttribute("aria-sort", j === sortCol ? (sortDir > 0 ? "ascending" : "descending") : "none"));
  }

  function header() {
    const tr = ET.el("tr");
    columns.forEach((c, j) => {
      const th = ET.el("th", { class: c.text ? "name-col" : c.narrow ? "num narrow" : "num", title: (c.title ? c.title + ". " : "") + "Click to sort", scope: "col" }, c.label);
      th.addEventListener("click", () => {
        if (sortCol === j) sortDir = -sortDir;
        else { sortCol = j; sortDir = c.text ? 1 : -1; }
        sortRows();
      });
      tr.append(th);
    });
    ET.clear(document.querySelector("#ops-table thead")).append(tr);
  }

  /* Rows are built with the plainest DOM calls: 10,000 of them are
   * 230,000 cells. */
  function cell(tr, cls, text) {
    const td = document.createElement("td");
    td.className = cls;
    td.textContent = text;
    tr.appendChild(td);
    return td;
  }

  function row(name, op, maxTotal) {
    const tr = document.createElement("tr");
    tr.setAttribute("data-op", name);
    const values = new Array(columns.length);
    columns.forEach((c, j) => {
      if (c.text) {
        const td = cell(tr, "name", "");
        td.title = ET.opTitle(name, op);
        const sw = document.createElement("span");
        sw.className = "swatch";
        sw.style.background = ET.color(name);
        td.append(sw, name);
        return;
      }
      const present = !c.need || ET.has(op[c.need]);
      const v = present ? ET.num(c.get(op)) : -Infinity;
      values[j] = v;
      const cls = "num" + (!present || v === 0 ? " dim" : "") + (c.id === "unfinished" && v > 0 ? " unfinished" : "") + (c.share ? " share" : "");
      const td = cell(tr, cls, present ? c.fmt(c.get(op)) : "–");
      if (c.share && maxTotal > 0) {
        const bar = document.createElement("span");
        bar.className = "bar";
        bar.style.width = (100 * Math.max(0, v) / maxTotal).toFixed(1) + "%";
        td.appendChild(bar);
      }
    });
    return { name, lower: name.toLowerCase(), op, tr, values };
  }

  return {
    /* Shows ops ({name: op}); onSelect(name) is called on a row click. */
    render(ops, onSelect) {
      const names = Object.keys(ops);
      columns = COLUMNS.filter((c) => !c.need || names.some((n) => ET.has(ops[n][c.need])));
      sortCol = columns.findIndex((c) => c.id === "total_time");
      sortDir = -1;
      header();
      let maxTotal = 0;
      for (const n of names) maxTotal = Math.max(maxTotal, ET.num(ops[n].total_time));
      limit = PAGE;
      rows = names.map((n) => row(n, ops[n], maxTotal));
      const body = ET.clear(document.querySelector("#ops-table tbody"));
      body.onclick = (ev) => {
        const tr = ev.target.closest("tr");
        if (tr && onSelect) onSelect(tr.getAttribute("data-op"));
      };
      sortRows();
      const input = document.getElementById("ops-filter");
      let timer = 0;
      input.oninput = () => {
        clearTimeout(timer);
        timer = setTimeout(() => { filter = input.value.trim().toLowerCase(); limit = PAGE; applyVisibility(); }, 120);
      };
      filter = input.value.trim().toLowerCase();
      document.getElementById("ops-more").onclick = () => { limit += PAGE; applyVisibility(); };
      document.getElementById("ops-all").onclick = () => { limit = Infinity; applyVisibility(); };
      applyVisibility();
      document.getElementById("ops-hint").textContent =
        names.length + " operations · memory in MB = MiB of RSS · click a column to sort, a row to see its distribution";
    },
    select(name) {
      for (const r of rows) r.tr.classList.toggle("selected", r.name === name);
    },
  };
})();
