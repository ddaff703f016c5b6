/* main.js - reads the embedded data and renders every section; one failing
 * section is reported on the page and does not take the others down. When
 * everything is drawn, <html data-ready> is set (the browser test waits on
 * it) with the time it took in data-render-ms. */
(function () {
  const started = performance.now();
  ET.startedAt = started;
  ET.timings = {};
  const section = (name, fn) => {
    const t = performance.now();
    try { return fn(); } catch (e) { ET.fail(name + ": " + (e && e.stack ? e.stack : e)); console.error(e); return undefined; }
    finally { ET.timings[name] = Math.round(performance.now() - t) + (ET.timings[name] || 0); }
  };
  let report = null, timeline = null;
  section("reading the report", () => { report = ET.readData("etltrace-report"); });
  section("reading the timeline", () => { timeline = ET.readData("etltrace-timeline"); });
  if (!report || typeof report !== "object") {
    ET.fail("no report data in this page");
    document.documentElement.setAttribute("data-ready", "error");
    return;
  }
  const processes = Array.isArray(report.processes) ? report.processes : [];
  let selected = null;

  ET.selectOp = function (name) {
    selected = name;
    section("table selection", () => ET.table.select(name));
    section("latency chart", () => ET.charts.showLatency(name));
  };

  /* The whole report, or process i's sub-report (summary and operations;
   * counters, advice, tree and timeline stay those of the whole trace). */
  function show(view) {
    const ops = view.operations && typeof view.operations === "object" ? view.operations : {};
    section("summary", () => ET.summary.render(view, report));
    section("operations table", () => ET.table.render(ops, ET.selectOp));
    const first = section("charts", () => ET.charts.render(ops));
    const keep = selected !== null && ops[selected] ? selected : first;
    if (keep !== undefined) ET.selectOp(keep);
  }

  document.getElementById("sec-timeline").hidden = !timeline;
  ET.measure(["chart-time", "chart-memory", "chart-latency", "chart-tree", "chart-timeline"]);
  if (processes.length) {
    const picker = document.getElementById("process-picker"), sel = document.getElementById("process-select");
    picker.hidden = false;
    const all = ET.el("option", null, "All processes (" + processes.length + ")");
    all.value = "all";
    sel.append(all);
    processes.forEach((p, i) => {
      const o = ET.el("option", null, "pid " + p.pid + (p.command !== undefined ? ": " + String(p.command) : ""));
      o.value = String(i);
      sel.append(o);
    });
    sel.addEventListener("change", () => show(sel.value === "all" ? report : processes[+sel.value]));
  }
  show(report);
  section("comparison", () => ET.compare.render(report));
  section("operation tree", () => ET.tree.render(ET.nestTree(report.tree)));
  section("timeline", () => ET.timeline.render(timeline));
  document.documentElement.setAttribute("data-render-ms", String(Math.round(performance.now() - started)));
  document.documentElement.setAttribute("data-ready", ET.errors.length ? "error" : "1");
})();
