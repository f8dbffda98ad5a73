// The lead board: drag a card to a column, or use its "Move to" form; live updates by SSE.
// Without this script the board still works: the forms post and the page reloads.
"use strict";

(() => {
  const board = document.querySelector("[data-board]");
  if (!board) return;
  const status = document.getElementById("board-status");
  const filters = board.dataset.filters;
  const partial = { "X-CSRF-Token": board.dataset.csrf, "HX-Request": "true" };

  const say = (text) => { status.textContent = text; };
  const cardOf = (id) => board.querySelector(`.lead[data-lead-id="${id}"]`);
  const listOf = (stage) => board.querySelector(`[data-column="${stage}"] .cards`);
  const labelOf = (stage) => board.querySelector(`#col-${stage}`).textContent.trim();

  function parse(html) {
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content.firstElementChild;
  }

  // Cards are newest first (data-sort); a card older than the last one loaded waits for
  // its column's "Show more", which will bring it.
  function place(card) {
    const list = listOf(card.dataset.stage);
    const others = [...list.querySelectorAll(":scope > .lead")].filter((c) => c !== card);
    const before = others.find((c) => c.dataset.sort < card.dataset.sort);
    const more = list.querySelector(":scope > .more");
    if (before) list.insertBefore(card, before);
    else if (!more) list.appendChild(card);
    else { card.remove(); return false; }
    document.getElementById("board-empty")?.remove();
    if (window.htmx) window.htmx.process(card);
    return true;
  }

  // Put a fresh card in place of every copy of it, keeping the keyboard focus inside it.
  // A move's answer and the live feed's refresh of the same lead may both arrive, in either
  // order, each holding a card that the other has already replaced: remove them all.
  function replace(fresh) {
    const copies = board.querySelectorAll(`.lead[data-lead-id="${fresh.dataset.leadId}"]`);
    const within = [...copies].find((c) => c.contains(document.activeElement));
    const focused = within ? document.activeElement.id : null;
    copies.forEach((c) => c.remove());
    if (place(fresh) && focused) document.getElementById(focused)?.focus();
  }

  async function reason(answer) {
    const page = new DOMParser().parseFromString(await answer.text(), "text/html");
    return page.querySelector("[role=alert]")?.textContent.trim() || `error ${answer.status}`;
  }

  async function move(id, stage, { focus = false } = {}) {
    const old = cardOf(id);
    if (!old || old.dataset.stage === stage) return;
    const name = old.querySelector(".lead-name").textContent.trim();
    // Lost asks why first (lost.js); cancelling it leaves the card where it was.
    const why = stage === "lost" && window.askLostReason ? await window.askLostReason(name) : {};
    if (!why) return;
    old.classList.add("is-busy");
    const answer = await fetch(`/leads/${id}/stage`, {
      method: "POST", headers: partial, body: new URLSearchParams({ stage, ...why }),
    });
    old.classList.remove("is-busy");
    if (answer.headers.get("HX-Redirect")) { window.location.href = answer.headers.get("HX-Redirect"); return; }
    if (!answer.ok) { say(`Could not move ${name}: ${await reason(answer)}`); return; }
    const fresh = parse(await answer.text());
    replace(fresh);
    say(`Moved ${name} to ${labelOf(stage)}.`);
    if (focus) (fresh.isConnected ? fresh.querySelector("select") : listOf(stage))?.focus();
  }

  // A change from the live feed: fetch the card as this board (with its filters) shows it.
  async function refresh(id) {
    const answer = await fetch(`/leads/${id}/card?${filters}`, { headers: partial });
    const old = cardOf(id);
    if (answer.status === 204) { old?.remove(); return; }
    if (!answer.ok) return;
    const fresh = parse(await answer.text());
    if (old && old.outerHTML === fresh.outerHTML) return;
    replace(fresh);
  }

  // The keyboard (and no-drag) way: each card's "Move to" form.
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
  document.body.addEventListener("htmx:load", (event) => {
    const card = event.detail.elt;
    if (!card.matches?.(".lead")) return;
    const copies = board.querySelectorAll(`.lead[data-lead-id="${card.dataset.leadId}"]`);
    if (copies.length > 1) card.remove();
  });

  // Live: the server sends lead changes this user may see; EventSource reconnects by itself.
  if (window.EventSource) {
    const feed = new EventSource(board.dataset.feed);
    for (const topic of JSON.parse(board.dataset.topics)) {
      feed.addEventListener(topic, (event) => refresh(JSON.parse(event.data).lead_id));
    }
    window.addEventListener("pagehide", () => feed.close());
  }
})();
