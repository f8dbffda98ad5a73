// The lead board: drag a card to a column, or use its "Move" menu; live updates by SSE.
// Without this script the board still works: the forms post and the page reloads.
"use strict";

(() => {
  const board = document.querySelector("[data-board]");
  if (!board) return;
  const status = document.getElementById("board-status");
  const filters = board.dataset.filters;
  const limit = Number(board.dataset.limit) || 25;
  const partial = { "X-CSRF-Token": board.dataset.csrf, "HX-Request": "true" };

  const say = (text) => { status.textContent = text; };
  const cardOf = (id) => board.querySelector(`.lead[data-lead-id="${id}"]`);
  const listOf = (stage) => board.querySelector(`[data-column="${stage}"] .cards`);
  const labelOf = (stage) => board.querySelector(`#col-${stage} .column-name`).textContent.trim();
  const cardsIn = (list) => [...list.querySelectorAll(":scope > .lead")];

  function fragment(html) {
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content;
  }
  const parse = (html) => fragment(html).querySelector(".lead");

  // ---- columns: newest first, each keeps its limit -------------------------------------

  // How many cards a column may hold: its first page, plus every "Show more" the user asked
  // for. Live cards push the oldest ones out; "Show more" continues after the last one kept.
  const allowed = (list) => Number(list.dataset.allow || limit);

  function moreButton(list, cursor) {
    const stage = list.closest("[data-column]").dataset.column;
    const url = `/leads/column?stage=${stage}&cursor=${encodeURIComponent(cursor)}${filters ? `&${filters}` : ""}`;
    const item = document.createElement("li");
    item.className = "more";
    const button = document.createElement("button");
    button.type = "button";
    button.className = "show-more";
    button.textContent = "Show more";
    button.setAttribute("hx-get", url);
    button.setAttribute("hx-target", "closest li");
    button.setAttribute("hx-swap", "outerHTML");
    item.appendChild(button);
    return item;
  }

  function trim(list) {
    const cards = cardsIn(list);
    if (cards.length <= allowed(list)) return;
    cards.slice(allowed(list)).forEach((c) => c.remove());
    const last = cards[allowed(list) - 1];
    list.querySelector(":scope > .more")?.remove();
    const more = moreButton(list, last.dataset.cursor);
    list.appendChild(more);
    if (window.htmx) window.htmx.process(more);
  }

  // Cards are newest first (data-sort); a card older than the last one loaded waits for
  // its column's "Show more", which will bring it.
  function place(card) {
    const list = listOf(card.dataset.stage);
    const others = cardsIn(list).filter((c) => c !== card);
    const before = others.find((c) => c.dataset.sort < card.dataset.sort);
    const more = list.querySelector(":scope > .more");
    if (before) list.insertBefore(card, before);
    else if (!more) list.insertBefore(card, null);
    else { card.remove(); return false; }
    document.getElementById("board-empty")?.remove();
    trim(list);
    return card.isConnected;
  }

  // Put a fresh card in place of every copy of it, keeping the keyboard focus inside it.
  // A move's answer and the live feed's refresh of the same lead may both arrive, in either
  // order, each holding a card that the other has already replaced: remove them all.
  function replace(fresh) {
    const copies = board.querySelectorAll(`.lead[data-lead-id="${fresh.dataset.leadId}"]`);
    const within = [...copies].find((c) => c.contains(document.activeElement));
    const focused = within ? document.activeElement.id : null;
    if (within?.querySelector(".move-menu")?.open) fresh.querySelector(".move-menu").open = true;
    if ([...copies].some((c) => c.querySelector(".pick")?.checked)) fresh.querySelector(".pick").checked = true;
    copies.forEach((c) => c.remove());
    if (place(fresh) && focused) document.getElementById(focused)?.focus();
  }

  // "12" when the column shows every lead it has, "25 of 137" when "Show more" has more.
  function count(stage, total) {
    const badge = board.querySelector(`[data-column="${stage}"] .column-count`);
    if (total === undefined) total = Number(badge.dataset.total);
    badge.dataset.total = total;
    const shown = cardsIn(listOf(stage)).length;
    badge.textContent = shown < total ? `${shown} of ${total}` : `${total}`;
  }
  const recount = (totals = {}) => {
    board.querySelectorAll("[data-column]").forEach((c) => {
      const stage = c.dataset.column;
      count(stage, totals[stage] ?? (totals.__all ? 0 : undefined));
    });
  };

  async function reason(answer) {
    const page = new DOMParser().parseFromString(await answer.text(), "text/html");
    return page.querySelector("[role=alert]")?.textContent.trim().replace(/\s+/g, " ") || `error ${answer.status}`;
  }

  // ---- moving a card -------------------------------------------------------------------

  async function move(id, stage, { focus = false } = {}) {
    const old = cardOf(id);
    if (!old || old.dataset.stage === stage) return;
    const name = old.querySelector(".lead-name").textContent.trim();
    // One lead, shared by the teams of its streams: a move shows on their boards too.
    const shared = old.dataset.shared;
    if (shared && !window.confirm(`Move ${name} to ${labelOf(stage)}? ${shared} ${shared.includes(",") ? "see" : "sees"} this lead too: the move shows on their board as well.`)) return;
    // Lost asks why first (lost.js); cancelling it leaves the card where it was.
    const why = stage === "lost" && window.askLostReason ? await window.askLostReason(name) : {};
    if (!why) return;
    old.classList.add("is-busy");
    const answer = await fetch(`/leads/${id}/stage`, {
      method: "POST", headers: partial, body: new URLSearchParams({ stage, ...why }),
    });
    old.classList.remove("is-busy");
    if (answer.headers.get("HX-Redirect")) { window.location.href = answer.headers.get("HX-Redirect"); return; }
    if (answer.status === 404) {  // it left the board meanwhile: say how, and drop its card
      say(`Could not move ${name}: ${await reason(answer)}`);
      board.querySelectorAll(`.lead[data-lead-id="${id}"]`).forEach((c) => c.remove());
      recount();
      return;
    }
    if (!answer.ok) { say(`Could not move ${name}: ${await reason(answer)}`); return; }
    const fresh = parse(await answer.text());
    if (focus) fresh.querySelector(".move-menu").open = true;
    replace(fresh);
    pending.add(id);  // the columns' totals follow with the next batch
    schedule();
    say(`Moved ${name} to ${labelOf(stage)}.`);
    if (focus) (fresh.isConnected ? fresh.querySelector("select") : listOf(stage))?.focus();
  }

  // The keyboard (and no-drag) way: each card's "Move" menu.
  board.addEventListener("submit", (event) => {
    const form = event.target.closest("form.move");
    if (!form) return;
    event.preventDefault();
    const card = form.closest(".lead");
    move(card.dataset.leadId, form.elements.stage.value, { focus: true });
  });

  // Drag and drop (HTML5).
  board.addEventListener("dragstart", (event) => {
    const card = event.target.closest(".lead");
    if (!card) return;
    event.dataTransfer.setData("text/plain", card.dataset.leadId);
    event.dataTransfer.effectAllowed = "move";
    card.classList.add("is-dragging");
  });
  board.addEventListener("dragend", (event) => {
    event.target.closest?.(".lead")?.classList.remove("is-dragging");
    board.querySelectorAll(".is-over").forEach((c) => c.classList.remove("is-over"));
  });
  board.addEventListener("dragover", (event) => {
    const column = event.target.closest(".column");
    if (!column) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    board.querySelectorAll(".is-over").forEach((c) => c !== column && c.classList.remove("is-over"));
    column.classList.add("is-over");
  });
  board.addEventListener("drop", (event) => {
    const column = event.target.closest(".column");
    if (!column) return;
    event.preventDefault();
    column.classList.remove("is-over");
    const id = event.dataTransfer.getData("text/plain");
    if (id) move(id, column.dataset.column);
  });

  // "Show more" may bring a card that the live feed placed already: keep the first one.
  // A column that was asked for more holds what it shows now.
  document.body.addEventListener("htmx:load", (event) => {
    const card = event.detail.elt;
    if (!card.matches?.(".lead")) return;
    const copies = board.querySelectorAll(`.lead[data-lead-id="${card.dataset.leadId}"]`);
    if (copies.length > 1) card.remove();
    const list = copies[0]?.closest(".cards");
    if (!list) return;
    list.dataset.allow = Math.max(allowed(list), cardsIn(list).length);
    count(list.closest("[data-column]").dataset.column);
  });

  // ---- bulk actions: tick cards, then move, assign or hide them all -------------------
  const bulk = document.getElementById("bulk");
  const picked = () => [...board.querySelectorAll(".pick:checked")];
  function showBulk() {
    const n = picked().length;
    bulk.hidden = n === 0;
    document.getElementById("bulk-count").textContent = `${n} selected`;
  }
  board.addEventListener("change", (event) => { if (event.target.matches(".pick")) showBulk(); });
  document.getElementById("bulk-none")?.addEventListener("click", () => {
    picked().forEach((box) => { box.checked = false; });
    showBulk();
  });
  bulk?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = new FormData(bulk, event.submitter);  // the ticked cards belong to the form
    // Lost asks why once for all of them, as for one card (lost.js).
    if (body.get("action") === "move" && body.get("stage") === "lost" && window.askLostReason) {
      const why = await window.askLostReason(`${picked().length} leads`);
      if (!why) return;
      for (const [key, value] of Object.entries(why)) body.set(key, value);
    }
    // (not bulk.action: that names its "action" buttons)
    const answer = await fetch(bulk.getAttribute("action"), { method: "POST", headers: partial, body: new URLSearchParams(body) });
    if (!answer.ok) { say(`Could not change the selected leads: ${await reason(answer)}`); return; }
    const done = fragment(await answer.text()).querySelector(".bulk-answer");
    const refused = [...done.querySelectorAll("li")].map((li) => li.textContent.trim());
    say(done.querySelector("p").textContent.trim() + (refused.length ? ` Not changed: ${refused.join("; ")}` : ""));
    for (const id of done.dataset.done.split(" ").filter(Boolean)) {
      pending.add(id);
      const box = cardOf(id)?.querySelector(".pick");
      if (box) box.checked = false;
    }
    showBulk();
    schedule();
  });

  // ---- live: coalesced --------------------------------------------------------------------
  // Changes are gathered and fetched as one batch of cards at most every GAP ms, one request
  // at a time: a fetch that makes thousands of leads costs an open board a few requests a
  // second, not one per lead. When more new leads arrive at once than a column shows, the
  // board says so ("N new leads — show") instead of fetching their cards.
  const GAP = 500;
  const BATCH = 100;  // lead ids in one request (the server's limit)
  const MANY = limit;
  const pending = new Set();  // lead ids whose cards to fetch again
  const waiting = { added: new Set(), changed: new Set() };  // behind the "show" button
  let timer = null, busy = false, last = 0, boxTimer = null;
  const news = document.getElementById("board-news");
  const newsText = document.getElementById("board-news-text");

  function schedule() {
    if (timer || busy || !pending.size) return;
    timer = window.setTimeout(flush, Math.max(0, last + GAP - Date.now()));
  }

  function tell() {
    const added = waiting.added.size, changed = waiting.changed.size;
    const parts = [];
    if (added) parts.push(`${added.toLocaleString("en")} new ${added === 1 ? "lead" : "leads"}`);
    if (changed) parts.push(`${changed.toLocaleString("en")} ${changed === 1 ? "lead" : "leads"} changed`);
    newsText.textContent = parts.join(", ");
    news.hidden = !parts.length;
  }

  async function flush() {
    timer = null;
    const absent = [...pending].filter((id) => !cardOf(id));
    if (waiting.added.size || waiting.changed.size || absent.length > MANY) {
      // Many at once: leads not on the board wait behind the button; cards shown refresh.
      absent.forEach((id) => {
        pending.delete(id);
        (created.has(id) ? waiting.added : waiting.changed).add(id);
        created.delete(id);
      });
      tell();
    }
    const ids = [...pending].slice(0, BATCH);
    if (!ids.length) return;
    ids.forEach((id) => { pending.delete(id); created.delete(id); });
    busy = true;
    last = Date.now();
    try {
      const query = ids.map((id) => `id=${id}`).join("&");
      const answer = await fetch(`/leads/cards?${query}${filters ? `&${filters}` : ""}`, { headers: partial });
      if (answer.ok) apply(ids, fragment(await answer.text()));
    } finally {
      busy = false;
      schedule();
    }
  }

  function apply(ids, found) {
    const fresh = new Map([...found.querySelectorAll(".lead")].map((c) => [c.dataset.leadId, c]));
    for (const id of ids) {
      const card = fresh.get(String(id));
      const old = cardOf(id);
      if (!card) { board.querySelectorAll(`.lead[data-lead-id="${id}"]`).forEach((c) => c.remove()); continue; }
      if (old && old.outerHTML === card.outerHTML) continue;
      replace(card);
    }
    const totals = found.querySelector("template[data-totals]");
    recount({ __all: true, ...JSON.parse(totals?.dataset.totals || "{}") });
  }

  // "show": the board as the server has it now (columns and the streams box), in place.
  async function reload() {
    const answer = await fetch(window.location.pathname + window.location.search);
    if (!answer.ok) return;
    const page = new DOMParser().parseFromString(await answer.text(), "text/html");
    for (const column of page.querySelectorAll("[data-column]")) {
      const mine = board.querySelector(`[data-column="${column.dataset.column}"]`);
      mine.replaceWith(column);
      if (window.htmx) window.htmx.process(column);
    }
    swapBox(page);
    waiting.added.clear();
    waiting.changed.clear();
    tell();
  }
  document.getElementById("board-news-show")?.addEventListener("click", () => {
    reload().then(() => say("The board shows the latest leads."));
  });

  // The "Lead streams" box: state and counts as they are now (at most once a second), the
  // box alone: a hundred open boards must not each read their columns again every second.
  function swapBox(page) {
    const box = page.getElementById("streams-list");
    const mine = document.getElementById("streams-list");
    if (box && mine) mine.replaceWith(box);
  }
  function refreshBox() {
    if (boxTimer) return;
    boxTimer = window.setTimeout(async () => {
      boxTimer = null;
      const answer = await fetch("/leads/streams", { headers: partial });
      if (answer.ok) swapBox(new DOMParser().parseFromString(await answer.text(), "text/html"));
    }, 1000);
  }

  const created = new Set();  // pending ids that are new leads (for the button's words)
  function heard(topic, data) {
    if (topic === "stream.changed") {
      refreshBox();
      // its teams may have changed: the cards of its leads may leave this board
      board.querySelectorAll(".lead[data-streams]").forEach((c) => {
        if (c.dataset.streams.split(" ").includes(String(data.stream_id))) pending.add(c.dataset.leadId);
      });
      schedule();
      return;
    }
    const id = String(data.lead_id);
    if (topic === "lead.cleared") refreshBox();
    if (topic === "lead.cleared" && data.left_board) {  // gone from every board: no request
      board.querySelectorAll(`.lead[data-lead-id="${id}"]`).forEach((c) => {
        c.remove();
        count(c.dataset.stage, Math.max(0, Number(board.querySelector(`[data-column="${c.dataset.stage}"] .column-count`).dataset.total) - 1));
      });
      pending.delete(id);
      waiting.added.delete(id);
      waiting.changed.delete(id);
      tell();
      return;
    }
    if (topic === "lead.created" || topic === "lead.matched") refreshBox();
    if (topic === "lead.created" && !cardOf(id)) created.add(id);
    pending.add(id);
    schedule();
  }

  // Live: the server sends lead changes this user may see; EventSource reconnects by itself.
  if (window.EventSource) {
    const feed = new EventSource(board.dataset.feed);
    for (const topic of JSON.parse(board.dataset.topics)) {
      feed.addEventListener(topic, (event) => heard(topic, JSON.parse(event.data)));
    }
    window.addEventListener("pagehide", () => feed.close());
  }
})();
