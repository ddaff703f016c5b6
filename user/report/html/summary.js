/* summary.js - the headline numbers, every counter (losses highlighted), and
 * the recommendations and suggestions. */
ET.summary = (function () {
  /* Counters that count activity, not loss; any other counter that is not
   * zero means something was missed or approximated, so it is highlighted
   * (a counter added later is highlighted by default). */
  const ACTIVITY = new Set(["starts", "ends", "records", "names_resolved_by_loader"]);
  const MEANING = {
    starts: "op_start probes seen", ends: "op_end probes seen",
    records: "records the loader received",
    ringbuf_full: "records dropped: the ring buffer was full (raise --ringbuf-mb)",
    unmatched_end: "op_end with no open operation on its thread",
    name_mismatch: "op_end whose name matches no open operation (dropped)",
    abandoned: "inner operations closed by their outer operation's end",
    name_unread_by_bpf: "names BPF could not read (then resolved by the loader)",
    stack_overflow: "starts beyond 32 open operations on one thread",
    no_thread_storage: "per-thread state that could not be allocated",
    peak_untracked: "operations whose peak memory could not be tracked",
    probe_arg_unread: "probe arguments that could not be read",
    names_resolved_by_loader: "unreadable names resolved by the loader",
    names_unresolved: "names that could not be resolved",
    operations_over_limit: "samples beyond --max-operations, in [other operations]",
  };

  function card(label, value, sub, bad) {
    return ET.el("div", { class: bad ? "card bad" : "card" },
      ET.el("div", { class: "label" }, label),
      ET.el("div", { class: "value" }, value),
      sub ? ET.el("div", { class: "sub" }, sub) : null);
  }

  function lossTotal(counters) {
    let n = 0;
    for (const k of Object.keys(counters || {})) if (!ACTIVITY.has(k)) n += ET.num(counters[k]);
    return n;
  }

  /* Cards for report r (the whole report, or one process's sub-report with
   * the whole report's counters). */
  function renderCards(r, whole) {
    const s = r.summary || {};
    const ops = r.operations || {};
    const box = ET.clear(document.getElementById("summary"));
    const wall = s.wall_time;
    box.append(card("Wall time", ET.fmtSec(wall), "how long the trace ran"));
    if (ET.has(s.traced_time))
      box.append(card("Traced time", ET.fmtSec(s.traced_time),
        (ET.has(wall) && wall > 0 ? ET.fmtPct(s.traced_time / wall) + " of wall time" : "") + " in outermost operations"));
    box.append(card("Operations", ET.fmtCount(s.total_operations), Object.keys(ops).length + " distinct names"));
    box.append(card("Average operation", ET.fmtSec(s.avg_operation_time)));
    box.append(card("Sum of operation time", ET.fmtSec(s.total_time), "nested time counts at each level"));
    const unfinished = ET.num(s.unfinished_operations);
    box.append(card("Unfinished", ET.fmtCount(unfinished), "still open at the end", unfinished > 0));
    const loss = lossTotal(whole.counters);
    box.append(card("Losses", ET.fmtCount(loss), loss ? "see the counters" : "nothing missed", loss > 0));
    const regs = Array.isArray(whole.regressions) ? whole.regressions.length : null;
    if (regs !== null) box.append(card("Regressions", ET.fmtCount(regs), "against the baseline", regs > 0));
  }

  function renderCounters(counters) {
    const box = ET.clear(document.getElementById("counters"));
    const keys = Object.keys(counters || {});
    if (!keys.length) { box.append(ET.el("div", { class: "muted" }, "No counters in this report.")); return; }
    for (const k of keys) {
      const v = ET.num(counters[k]);
      const cls = "counter" + (v === 0 ? " zero" : ACTIVITY.has(k) ? "" : " loss");
      box.append(ET.el("div", { class: cls, title: MEANING[k] || k, "data-counter": k },
        ET.el("span", null, k), ET.el("span", { class: "v" }, ET.fmtCount(v))));
    }
  }

  function renderAdvice(r) {
    const list = ET.el("ul", { class: "advice" });
    for (const text of r.recommendations || [])
      list.append(ET.el("li", { class: "rec" }, ET.el("span", { class: "kind" }, "recommendation"), String(text)));
    const details = Array.isArray(r.suggestion_details) ? r.suggestion_details : null;
    if (details && details.length) {
      for (const d of details)
        list.append(ET.el("li", { class: "sug", title: "rule: " + d.rule },
          ET.el("span", { class: "kind" }, "suggestion"), String(d.suggestion),
          ET.el("span", { class: "evidence" }, "— " + (d.operation !== undefined ? String(d.operation) + ": " : "") + String(d.evidence || ""))));
    } else {
      for (const text of r.suggestions || [])
        list.append(ET.el("li", { class: "sug" }, ET.el("span", { class: "kind" }, "suggestion"), String(text)));
    }
    if (!list.childElementCount) list.append(ET.el("li", { class: "none" }, "No recommendation or suggestion: every operation is within its thresholds."));
    ET.clear(document.getElementById("advice")).append(list);
  }

  function renderSubtitle(r) {
    const s = r.summary || {};
    const pids = Array.isArray(r.pids) ? r.pids : [];
    const parts = [];
    if (pids.length) parts.push((pids.length === 1 ? "pid " : "pids ") + pids.join(", "));
    if (ET.has(s.wall_time)) parts.push(ET.fmtSec(s.wall_time) + " traced");
    parts.push(ET.fmtCount(s.total_operations) + " operations");
    document.getElementById("subtitle").textContent = parts.join(" · ");
  }

  return {
    /* view: the report or sub-report shown; whole: the whole report. */
    render(view, whole) {
      renderCards(view, whole);
      renderCounters(whole.counters);
      renderAdvice(whole);
      renderSubtitle(whole);
    },
  };
})();
