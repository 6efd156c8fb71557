// neardup review: marks, keyboard shortcuts, apply/undo and the compare modes.
// Loaded as a static file (the Content-Security-Policy allows no inline script); it only
// ever writes text with textContent, never markup.
"use strict";
(function () {
  const base = document.body.dataset.base;
  const view = document.body.dataset.view;
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

  function say(text, isError) {
    const box = $("#message");
    box.textContent = text;
    box.hidden = !text;
    box.classList.toggle("error", !!isError);
  }

  async function post(endpoint, body) {
    const response = await fetch(base + "api/" + endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body || {}),
      credentials: "same-origin",
      cache: "no-store",
    });
    let data = {};
    try { data = await response.json(); } catch (e) { data = { error: response.statusText }; }
    if (!response.ok) {
      say(data.error || "request failed (" + response.status + ")", true);
      throw new Error(data.error || String(response.status));
    }
    if (data.totals) showTotals(data.totals);
    return data;
  }

  function showTotals(t) {
    $("#to-free").textContent = t.human;
    $("#to-free-files").textContent = String(t.files);
    $("#decided").textContent = String(t.decided);
    $("#freed").textContent = t.freed_human;
    const apply = $("#apply");
    if (apply) apply.disabled = t.files === 0;
  }

  function labelButtons(member) {
    const del = $(".mark-delete", member);
    if (del) del.textContent = member.classList.contains("role-delete") ? "Keep" : "Delete";
  }

  function showGroup(g) {
    $$('.group[data-gid="' + g.gid + '"]').forEach((section) => {
      section.classList.remove("status-undecided", "status-marked", "status-not-duplicates");
      section.classList.add("status-" + g.status);
      for (const m of g.members) {
        $$('.member[data-fid="' + m.id + '"]', section).forEach((el) => {
          el.classList.remove("role-keeper", "role-delete", "role-keep", "role-removed");
          el.classList.add("role-" + m.role);
          labelButtons(el);
          const distance = $("dd.distance", el);
          if (distance) distance.textContent = m.id === g.keeper ? "keeper" : m.distance + " bits";
        });
      }
    });
  }

  // -- groups view ------------------------------------------------------------------------------
  function groups() { return $$("main .group"); }
  let current = null;

  function select(section, member) {
    if (current) current.classList.remove("current");
    current = section;
    if (!section) return;
    section.classList.add("current");
    $$(".member.selected").forEach((m) => m.classList.remove("selected"));
    const pick = member || $(".member:not(.role-keeper)", section) || $(".member", section);
    if (pick) pick.classList.add("selected");
    section.scrollIntoView({ block: "nearest" });
  }

  function selectedMember() {
    return current ? $(".member.selected", current) : null;
  }

  function move(step) {
    const all = groups();
    if (!all.length) return;
    let k = all.indexOf(current);
    k = k < 0 ? 0 : k + step;
    if (k >= all.length) { const next = $("#next-page"); if (next) next.click(); return; }
    if (k < 0) { const prev = $("#prev-page"); if (prev) prev.click(); return; }
    select(all[k]);
  }

  function moveMember(step) {
    if (!current) return;
    const members = $$(".member", current);
    const k = members.indexOf(selectedMember());
    const next = members[Math.max(0, Math.min(members.length - 1, k + step))];
    select(current, next);
  }

  async function markMember(member, mark) {
    const section = member.closest(".group");
    const data = await post("mark", {
      group: Number(section.dataset.gid), file: Number(member.dataset.fid), mark: mark,
    });
    say("");
    showGroup(data.group);
    if (mark === "keeper" && view === "groups") reorder(section, data.group);
    if (mark === "keeper" && view === "compare") window.location.reload();
  }

  function reorder(section, g) {
    // the keeper goes first; distances are recomputed on the next page load
    const list = $(".members", section);
    const keeper = $('.member[data-fid="' + g.keeper + '"]', list);
    if (keeper) list.insertBefore(keeper, list.firstChild);
  }

  async function groupAction(section, action) {
    const data = await post("group", { group: Number(section.dataset.gid), action: action });
    say("");
    showGroup(data.group);
    if (view === "groups") reorder(section, data.group);
  }

  function showRun(run) {
    const box = $("#runs");
    const line = document.createElement("div");
    line.className = "run";
    line.dataset.run = run.run_id;
    line.append("Run ");
    const code = document.createElement("code");
    code.className = "run-id";
    code.textContent = run.run_id;
    line.append(code, ": " + run.removed + " files (" + run.bytes_human + ") " + run.action + " ");
    const undo = document.createElement("button");
    undo.type = "button";
    undo.className = "undo-run";
    undo.dataset.run = run.run_id;
    undo.textContent = "Undo this run";
    line.append(undo);
    box.append(line);
    box.hidden = false;
  }

  async function apply() {
    const button = $("#apply");
    button.disabled = true;
    say("applying: every file is checked again, then moved; this is journaled…");
    try {
      const data = await post("apply", {});
      for (const g of data.groups) showGroup(g);
      showRun(data.run);
      let text = "Run " + data.run.run_id + ": " + data.run.removed + " files (" + data.run.bytes_human + ") " + data.run.action + ".";
      if (data.run.not_removed.length) {
        text += "\nNot removed:";
        for (const o of data.run.not_removed) text += "\n  " + o.path + ": " + o.reason + " " + o.detail;
      }
      say(text, data.run.not_removed.length > 0);
    } catch (e) { /* already shown */ }
  }

  async function undoRun(button) {
    button.disabled = true;
    try {
      const data = await post("undo", { run: button.dataset.run });
      for (const g of data.groups) showGroup(g);
      const line = button.closest(".run");
      button.remove();
      line.append(data.problems.length ? " (undo incomplete)" : " (undone)");
      let text = "Undone: " + data.restored + " files restored.";
      for (const p of data.problems) text += "\n  " + p.path + ": " + p.status + " " + p.detail;
      say(text, data.problems.length > 0);
    } catch (e) { button.disabled = false; }
  }

  async function done() {
    try { await post("done", {}); } catch (e) { return; }
    document.body.classList.add("stopped");
    say("The review server has stopped. Your decisions are saved; you can close this tab.");
    $$("button").forEach((b) => { b.disabled = true; });
  }

  // -- compare view -----------------------------------------------------------------------------
  let flickerTimer = null;
  function setMode(mode) {
    const main = $("#compare");
    if (!main) return;
    main.classList.remove("mode-side", "mode-flicker", "mode-diff");
    main.classList.add("mode-" + mode);
    main.dataset.mode = mode;
    $$(".modes button").forEach((b) => b.classList.toggle("active", b.dataset.mode === mode));
    if (flickerTimer) { clearInterval(flickerTimer); flickerTimer = null; }
    $$(".pane").forEach((p) => p.classList.remove("hidden"));
    if (mode === "flicker") {
      const b = $(".pane-b");
      b.classList.add("hidden");
      flickerTimer = setInterval(() => {
        $(".pane-a").classList.toggle("hidden");
        b.classList.toggle("hidden");
      }, 600);
    }
    if (mode === "diff") {
      const img = $("#diff-image");
      if (!img.getAttribute("src")) img.setAttribute("src", img.dataset.src);
    }
    const url = new URL(window.location.href);
    url.searchParams.set("mode", mode);
    window.history.replaceState(null, "", url.toString());
  }

  function toggleActual() {
    const main = $("#compare");
    const on = main.classList.toggle("actual");
    const button = $("#actual");
    if (button) button.classList.toggle("active", on);
  }

  // -- wiring -----------------------------------------------------------------------------------
  document.addEventListener("click", (event) => {
    const target = event.target;
    if (!(target instanceof HTMLElement)) return;
    const markButton = target.closest("button[data-mark]");
    if (markButton) { markMember(markButton.closest(".member"), markButton.dataset.mark).catch(() => {}); return; }
    const actionButton = target.closest("button[data-action]");
    if (actionButton) { groupAction(actionButton.closest(".group"), actionButton.dataset.action).catch(() => {}); return; }
    const undo = target.closest("button.undo-run");
    if (undo) { undoRun(undo); return; }
    const modeButton = target.closest("button[data-mode]");
    if (modeButton) { setMode(modeButton.dataset.mode); return; }
    if (target.id === "apply") { apply(); return; }
    if (target.id === "actual") { toggleActual(); return; }
    if (target.id === "done") { done(); return; }
    if (target.id === "help-button") { $("#help").showModal(); return; }
    const section = target.closest("main .group");
    if (section && view === "groups") select(section, target.closest(".member"));
  });

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const t = event.target;
    if (t instanceof HTMLInputElement || t instanceof HTMLSelectElement || t instanceof HTMLTextAreaElement) return;
    if ($("#help").open) return;
    const key = event.key;
    if (key === "?") { $("#help").showModal(); event.preventDefault(); return; }
    if (view === "compare") {
      const modes = { v: "side", f: "flicker", x: "diff" };
      if (modes[key]) { setMode(modes[key]); event.preventDefault(); }
      else if (key === "1") { toggleActual(); }
      else if (key === "Escape") { window.location.href = $("#back").href; }
      else if (key === "d") { markMember($(".pane-b"), "toggle").catch(() => {}); }
      else if (key === "s") { markMember($(".pane-b"), "keeper").catch(() => {}); }
      return;
    }
    const member = selectedMember();
    const handlers = {
      j: () => move(1), ArrowDown: () => move(1), k: () => move(-1), ArrowUp: () => move(-1),
      ArrowRight: () => moveMember(1), l: () => moveMember(1),
      ArrowLeft: () => moveMember(-1), h: () => moveMember(-1),
      d: () => member && markMember(member, "toggle").catch(() => {}),
      s: () => member && markMember(member, "keeper").catch(() => {}),
      a: () => current && groupAction(current, "delete-duplicates").catch(() => {}),
      n: () => current && groupAction(current, "not-duplicates").catch(() => {}),
      u: () => current && groupAction(current, "clear").catch(() => {}),
      c: () => member && $(".thumb", member).click(),
      Enter: () => member && $(".thumb", member).click(),
      "]": () => { const n = $("#next-page"); if (n) n.click(); },
      "[": () => { const p = $("#prev-page"); if (p) p.click(); },
    };
    const handler = handlers[key];
    if (handler) { handler(); event.preventDefault(); }
  });

  $$(".member").forEach(labelButtons);
  if (view === "groups") {
    const focus = $(".group[data-focus]") || groups()[0] || null;
    if (focus) select(focus);
    const apply = $("#apply");
    if (apply) apply.disabled = Number($("#to-free-files").textContent) === 0;
  } else if (view === "compare") {
    setMode($("#compare").dataset.mode);
  }
})();
