// The stream page: the Active switch, and the rule editor. The editor keeps the rule tree as
// JSON in a hidden input, builds conditions from the vocabulary embedded in the page, and asks
// the server to read the rules back in plain English (or to say what is wrong, by path).
// Plain DOM, no build step; every text goes in as a text node, never as HTML.
"use strict";

// A switch posts its form when it changes (the form's action is activate or deactivate).
document.addEventListener("change", (event) => {
  const input = event.target;
  if (input instanceof HTMLInputElement && input.matches("[data-autosubmit]")) {
    input.form.requestSubmit();
  }
});

(() => {
  const host = document.querySelector("[data-rule-editor]");
  if (!host) return;

  const vocab = JSON.parse(document.getElementById("vocabulary").textContent);
  const FIELDS = new Map(vocab.fields.map((f) => [f.name, f]));
  const EVENTS = new Map(vocab.event_types.map((e) => [e.name, e]));
  const hidden = document.getElementById("rules-json");
  const textEl = document.getElementById("rules-text");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;

  // Operator phrases are the server's (rules.describe), sent with the vocabulary: "{v}" is the
  // value, "{v0}" and "{v1}" the two ends of a between; tags have their own plural phrases.
  const PHRASES = vocab.phrases;
  const TAG_PHRASES = vocab.tag_phrases;
  // Operators by the value they take, as the server's parser checks them.
  const DAY_OPS = vocab.operator_values.days;
  const LIST_OPS = vocab.operator_values.list;
  const NUMBER_ONLY = vocab.operator_values.number;
  const NO_VALUE_OPS = vocab.operator_values.none;
  const PROPERTY_OPS = [...new Set([...Object.values(vocab.property_operators).flat(), ...NO_VALUE_OPS])];

  // ---- small helpers -------------------------------------------------------------------
  function h(tag, attrs = {}, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === false || value === null || value === undefined) continue;
      if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else if (key === "class") el.className = value;
      else el.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined && child !== false) el.append(child);
    }
    return el;
  }
  const cap = (text) => text.charAt(0).toUpperCase() + text.slice(1);
  const kindOf = (group) => ("any" in group ? "any" : "all");
  const isGroup = (node) => node && typeof node === "object" && ("all" in node || "any" in node);
  const idFor = (path, what) => `re-${path.replace(/[^A-Za-z0-9]+/g, "-")}-${what}`;
  const phraseOf = (type, op) => (type === "tags" && TAG_PHRASES[op]) || PHRASES[op];
  // A phrase with its value filled in; a function as replacement, so that "$" in a value stays.
  const fill = (phrase, slot, text) => phrase.replace(slot, () => text);
  // The operator alone, as a menu shows it: "is one of", "is within the last … days".
  function opLabel(type, op) {
    const phrase = phraseOf(type, op);
    if (!phrase) return op;
    if (DAY_OPS.includes(op)) return fill(phrase, "{v}", "… days");
    return phrase.replace(" {v0} and {v1}", "").replace(" {v}", "");
  }
  const eventLabel = (e) => (e.noun ? `${cap(e.verb)} ${/^[aeiou]/.test(e.noun) ? "an" : "a"} ${e.noun}` : `Had event "${e.name}"`);
  const fieldLabel = (f) => cap(f.label);

  function normalise(raw) {
    let tree;
    try { tree = JSON.parse(raw || "{}"); } catch { tree = {}; }
    if (!tree || typeof tree !== "object" || Array.isArray(tree) || !Object.keys(tree).length) return { all: [] };
    return isGroup(tree) ? tree : { all: [tree] };
  }

  // ---- one line of English per rule row (the whole tree is read back by the server) ------
  function show(value, type) {
    if (Array.isArray(value)) return value.map((v) => show(v, type)).join(", ");
    if (typeof value === "string" && type === "datetime") return value.slice(0, 10);
    if (typeof value === "string" && type !== "enum") return `"${value}"`;
    return String(value);
  }
  function fieldSummary(node) {
    const field = FIELDS.get(node.field);
    const type = field ? field.type : "string";
    const label = field ? fieldLabel(field) : node.field;
    const v = node.value;
    const phrase = phraseOf(type, node.op);
    if (phrase && DAY_OPS.includes(node.op)) return `${label} ${fill(phrase, "{v}", `${v} days`)}`;
    if (phrase && node.op === "between" && Array.isArray(v)) {
      return `${label} ${fill(fill(phrase, "{v0}", show(v[0], type)), "{v1}", show(v[1], type))}`;
    }
    return `${label} ${opLabel(type, node.op)}${v === undefined ? "" : " " + show(v, type)}`;
  }
  function eventSummary(node, negated) {
    const kind = EVENTS.get(node.event) || { name: node.event, verb: "had", noun: "" };
    let text = (negated ? "Did not: " : "") + eventLabel(kind);
    const where = (node.where || []).map((p) => `${p.property} ${opLabel(null, p.op)}${p.value === undefined ? "" : " " + show(p.value)}`);
    if (where.length) text += ` where ${where.join(" and ")}`;
    // The editor shows every activity's count, so its English says it too ("at least 1 time");
    // "did not … at least 1 time" says no more than "did not".
    const count = node.min_count || 1;
    if (count > 1 || !negated) text += `, at least ${count} ${count === 1 ? "time" : "times"}`;
    if (node.within_days) text += `, in the last ${node.within_days} days`;
    return text;
  }
  function summary(node) {
    if (node && "not" in node) {
      return "event" in node.not ? eventSummary(node.not, true) : `Not (${summary(node.not)})`;
    }
    if (node && "field" in node) return fieldSummary(node);
    if (node && "event" in node) return eventSummary(node, false);
    return JSON.stringify(node);
  }
  const editable = (node) => "field" in node || "event" in node || ("not" in node && node.not && "event" in node.not);

  // ---- talking to the server --------------------------------------------------------------
  async function check(rules) {
    try {
      const response = await fetch(host.dataset.textUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ rules }),
      });
      const data = await response.json();
      return { ok: response.ok, text: data.text, errors: data.errors || [] };
    } catch {
      return { ok: false, errors: [{ path: "rules", message: "The rules could not be checked just now; try again (is the session still open?)." }] };
    }
  }

  // ---- state ------------------------------------------------------------------------------
  let tree = normalise(hidden.value);
  let errors = [];
  let editing = null; // {group, index|null}: where Apply puts the condition
  const pathOf = new WeakMap();
  const parentOf = new WeakMap();
  let slots = []; // [{paths, box}]: where an error with that path shows

  const serverList = document.getElementById("rules-errors");
  if (serverList) {
    errors = [...serverList.querySelectorAll("li[data-path]")].map((li) => ({
      path: li.dataset.path, message: li.lastChild.textContent.trim(),
    }));
    serverList.remove();
  }

  // ---- rendering the tree -----------------------------------------------------------------
  function render(focusId) {
    slots = [];
    const general = h("div", { class: "rule-errors" });
    slots.push({ paths: ["rules"], box: general });
    host.replaceChildren(general, renderGroup(tree, "rules", 0));
    hidden.value = JSON.stringify(tree);
    placeErrors();
    if (focusId) document.getElementById(focusId)?.focus();
  }

  function renderGroup(group, path, depth) {
    const kind = kindOf(group);
    const members = group[kind];
    pathOf.set(group, path);
    const errBox = h("div", { class: "rule-errors" });
    slots.push({ paths: [path, `${path}.${kind}`], box: errBox });
    const radio = (value, text) => h("label", { class: "join-option" },
      h("input", {
        type: "radio", name: idFor(path, "join"), value, id: idFor(path, `join-${value}`),
        checked: kind === value,
        onchange: () => { setKind(group, value); render(idFor(pathOf.get(group), `join-${value}`)); refresh(); },
      }), text);
    const head = h("fieldset", { class: "join" },
      h("legend", {}, depth ? "This group holds when" : "A contact matches when"),
      radio("all", "all rules hold (AND)"), radio("any", "any rule holds (OR)"));
    const list = h("ol", { class: "rule-list" });
    members.forEach((node, index) => list.append(renderMember(group, node, `${path}.${kind}[${index}]`, index, depth)));
    if (!members.length) list.append(h("li", { class: "rule-empty muted" }, depth ? "An empty group: add a rule to it." : "No rules yet."));
    const actions = h("div", { class: "group-actions" },
      h("button", { type: "button", id: idFor(path, "add"), onclick: () => openEditor(group, null) }, "Add new rule"),
      depth < 3 ? h("button", { type: "button", onclick: () => addGroup(group) }, "Add group") : null,
      depth ? h("button", { type: "button", class: "danger", onclick: () => removeMember(group) }, "Remove group") : null);
    const box = h("div", { class: `rule-group depth-${depth}`, "data-path": path }, head, errBox, list, actions);
    if (editing && editing.group === group) box.append(panel.el);
    return box;
  }

  function renderMember(group, node, path, index, depth) {
    const kind = kindOf(group);
    const join = index ? h("span", { class: "join-word", "aria-hidden": "true" }, kind === "all" ? "AND" : "OR") : null;
    const errBox = h("div", { class: "rule-errors" });
    if (isGroup(node)) {
      parentOf.set(node, group);
      return h("li", { class: "rule-item nested" }, join, renderGroup(node, path, depth + 1));
    }
    slots.push({ paths: [path], box: errBox });
    const text = summary(node);
    const li = h("li", { class: "rule-item", "data-path": path }, join,
      h("span", { class: "rule-summary" }, text),
      h("span", { class: "rule-actions" },
        editable(node) ? h("button", { type: "button", class: "small", "aria-label": `Edit rule: ${text}`, onclick: () => openEditor(group, index) }, "Edit") : null,
        h("button", { type: "button", class: "small danger", id: idFor(path, "remove"), "aria-label": `Remove rule: ${text}`, onclick: () => removeAt(group, index) }, "Remove")),
      errBox);
    if (editing && editing.group === group && editing.index === index) li.classList.add("being-edited");
    return li;
  }

  function placeErrors() {
    for (const slot of slots) slot.box.replaceChildren();
    host.querySelectorAll(".has-error").forEach((el) => el.classList.remove("has-error"));
    for (const error of errors) {
      let best = slots[0];
      let bestLength = -1;
      for (const slot of slots) {
        for (const p of slot.paths) {
          const hit = error.path === p || error.path.startsWith(`${p}.`) || error.path.startsWith(`${p}[`);
          if (hit && p.length > bestLength) { best = slot; bestLength = p.length; }
        }
      }
      best.box.append(h("p", { class: "field-error", "data-path": error.path }, error.message));
      best.box.parentElement?.classList.add("has-error");
    }
  }

  // ---- changing the tree --------------------------------------------------------------------
  function setKind(group, kind) {
    const old = kindOf(group);
    if (old === kind) return;
    group[kind] = group[old];
    delete group[old];
  }
  function changed(focusId) { render(focusId); refresh(); }
  function removeAt(group, index) {
    group[kindOf(group)].splice(index, 1);
    if (editing && editing.group === group) closeEditor();
    changed(idFor(pathOf.get(group), "add"));
  }
  function removeMember(group) {
    const parent = parentOf.get(group);
    const list = parent[kindOf(parent)];
    list.splice(list.indexOf(group), 1);
    if (editing && editing.group === group) closeEditor();
    changed(idFor(pathOf.get(parent), "add"));
  }
  function addGroup(parent) {
    const group = kindOf(parent) === "all" ? { any: [] } : { all: [] };
    parent[kindOf(parent)].push(group);
    parentOf.set(group, parent);
    openEditor(group, null);
  }

  // ---- the condition editor ("Add new rule" … "Apply") --------------------------------------
  const panel = buildPanel();

  function buildPanel() {
    const p = {};
    p.title = h("h3", { id: "ce-title" }, "New rule");
    p.subject = h("select", { id: "ce-subject" },
      h("option", { value: "" }, "Choose a field or an activity…"),
      h("optgroup", { label: "Contact fields" }, vocab.fields.map((f) => h("option", { value: `field:${f.name}` }, fieldLabel(f)))),
      h("optgroup", { label: "Activities" }, vocab.event_types.map((e) => h("option", { value: `event:${e.name}` }, eventLabel(e)))));
    p.subjectErr = h("div", { class: "slot" });
    p.op = h("select", { id: "ce-op" });
    p.opErr = h("div", { class: "slot" });
    p.valueBox = h("div", { class: "value-box" });
    p.valueErr = h("div", { class: "slot" });
    p.fieldPart = h("div", { class: "ce-row" },
      h("div", { class: "ce-cell" }, h("label", { for: "ce-op" }, "Operator"), p.op, p.opErr),
      h("div", { class: "ce-cell grow" }, p.valueBox, p.valueErr));
    p.namedLabel = h("label", { for: "ce-named" }, "Name");
    p.named = h("input", { id: "ce-named", type: "text", autocomplete: "off" });
    p.namedErr = h("div", { class: "slot" });
    p.namedCell = h("div", { class: "ce-cell grow" }, p.namedLabel, p.named, p.namedErr);
    p.count = h("input", { id: "ce-count", type: "number", min: "1", step: "1", value: "1", inputmode: "numeric" });
    p.countErr = h("div", { class: "slot" });
    p.days = h("input", { id: "ce-days", type: "number", min: "1", step: "1", inputmode: "numeric", placeholder: "all time" });
    p.daysErr = h("div", { class: "slot" });
    p.negate = h("input", { id: "ce-negate", type: "checkbox" });
    p.rows = h("div", { class: "prop-rows" });
    p.eventPart = h("div", { class: "ce-event" },
      h("div", { class: "ce-row" }, p.namedCell,
        h("div", { class: "ce-cell" }, h("label", { for: "ce-count" }, "At least (times)"), p.count, p.countErr),
        h("div", { class: "ce-cell" }, h("label", { for: "ce-days" }, "In the last (days)"), p.days, p.daysErr)),
      h("fieldset", { class: "props" }, h("legend", {}, "Property conditions (optional)"), p.rows,
        h("button", { type: "button", class: "small", onclick: () => addPropertyRow() }, "Add property condition")),
      h("label", { class: "check" }, p.negate, " Has NOT done this (no such activity)"));
    p.general = h("div", { class: "slot" });
    p.el = h("div", { class: "condition-editor", role: "group", "aria-labelledby": "ce-title" },
      p.title,
      h("div", { class: "ce-cell" }, h("label", { for: "ce-subject" }, "Field or activity"), p.subject, p.subjectErr),
      p.fieldPart, p.eventPart, p.general,
      h("div", { class: "ce-actions" },
        h("button", { type: "button", class: "primary", id: "ce-apply", onclick: apply }, "Apply"),
        h("button", { type: "button", onclick: cancel }, "Cancel")));
    p.subject.addEventListener("change", () => { showSubject(); });
    p.op.addEventListener("change", () => buildValue(currentField(), p.op.value));
    p.el.addEventListener("keydown", (event) => {
      if (event.key === "Escape") { event.preventDefault(); cancel(); }
      if (event.key === "Enter" && event.target instanceof HTMLInputElement && event.target.type !== "checkbox") {
        event.preventDefault(); // Enter applies the condition; it never submits the stream form
        apply();
      }
    });
    return p;
  }

  const currentField = () => FIELDS.get(panel.subject.value.replace(/^field:/, ""));
  const currentEvent = () => EVENTS.get(panel.subject.value.replace(/^event:/, ""));

  function showSubject(node) {
    const [what] = panel.subject.value.split(":");
    panel.fieldPart.hidden = what !== "field";
    panel.eventPart.hidden = what !== "event";
    clearPanelErrors();
    if (what === "field") {
      const field = currentField();
      const fresh = vocab.default_operators[field.type] || field.operators[0]; // numbers: "is at least"
      const op = node && node.op && field.operators.includes(node.op) ? node.op : fresh;
      panel.op.replaceChildren(...field.operators.map((o) => h("option", { value: o, selected: o === op }, opLabel(field.type, o))));
      panel.op.value = op;
      buildValue(field, op, node ? node.value : undefined);
    }
    if (what === "event") {
      const kind = currentEvent();
      panel.namedCell.hidden = !kind.noun;
      panel.namedLabel.textContent = kind.noun ? `Which ${kind.noun} (optional)` : "Name";
      panel.named.placeholder = kind.noun ? `any ${kind.noun}` : "";
    }
  }

  function valueKind(type, op) {
    if (NO_VALUE_OPS.includes(op)) return "none";
    if (op === "within_last_days" || op === "more_than_days_ago") return "days";
    if (op === "between") return type === "datetime" ? "date-range" : "number-range";
    if (type === "number") return "number";
    if (type === "datetime") return "date";
    if (type === "boolean") return "boolean";
    if (type === "enum") return op === "in" || op === "not_in" ? "choices" : "choice";
    return LIST_OPS.includes(op) ? "list" : "text";
  }

  function buildValue(field, op, value) {
    const kind = valueKind(field.type, op);
    const box = panel.valueBox;
    box.dataset.kind = kind;
    const input = (id, type, label, val, extra = {}) => [
      h("label", { for: id }, label),
      h("input", { id, type, value: val === undefined || val === null ? "" : String(val), autocomplete: "off", ...extra }),
    ];
    const pair = Array.isArray(value) ? value : [];
    const day = (v) => (typeof v === "string" ? v.slice(0, 10) : v);
    const views = {
      none: () => [h("p", { class: "muted small" }, "No value needed.")],
      days: () => input("ce-value", "number", "Days", value, { min: "0", step: "1", inputmode: "numeric" }),
      number: () => input("ce-value", "number", "Value", value, { step: "any" }),
      "number-range": () => [h("div", { class: "ce-pair" },
        h("div", {}, input("ce-value", "number", "From", pair[0], { step: "any" })),
        h("div", {}, input("ce-value-2", "number", "To", pair[1], { step: "any" })))],
      date: () => input("ce-value", "date", "Date", day(value)),
      "date-range": () => [h("div", { class: "ce-pair" },
        h("div", {}, input("ce-value", "date", "From", day(pair[0]))),
        h("div", {}, input("ce-value-2", "date", "To", day(pair[1]))))],
      boolean: () => [h("label", { for: "ce-value" }, "Value"), h("select", { id: "ce-value" },
        h("option", { value: "true", selected: value !== false }, "true"),
        h("option", { value: "false", selected: value === false }, "false"))],
      choice: () => [h("label", { for: "ce-value" }, "Value"), h("select", { id: "ce-value" },
        h("option", { value: "" }, "Choose…"),
        field.values.map((v) => h("option", { value: v, selected: v === value }, v)))],
      choices: () => [h("fieldset", { class: "choices" }, h("legend", {}, "Values"),
        field.values.map((v) => h("label", { class: "check" },
          h("input", { type: "checkbox", value: v, checked: Array.isArray(value) && value.includes(v) }), ` ${v}`)))],
      list: () => input("ce-value", "text", "Values (separated by commas)", Array.isArray(value) ? value.join(", ") : value),
      text: () => input("ce-value", "text", "Value", value),
    };
    box.replaceChildren(...views[kind]());
  }

  function readValue() {
    const kind = panel.valueBox.dataset.kind;
    const get = (id) => document.getElementById(id).value;
    const num = (id) => (get(id) === "" ? null : Number(get(id)));
    switch (kind) {
      case "none": return undefined;
      case "days": case "number": return num("ce-value");
      case "number-range": return [num("ce-value"), num("ce-value-2")];
      case "date": return get("ce-value") || null;
      case "date-range": return [get("ce-value") || null, get("ce-value-2") || null];
      case "boolean": return get("ce-value") === "true";
      case "choices": return [...panel.valueBox.querySelectorAll("input:checked")].map((i) => i.value);
      case "list": return get("ce-value").split(",").map((v) => v.trim()).filter(Boolean);
      default: return get("ce-value");
    }
  }

  function addPropertyRow(cond = {}) {
    const n = panel.rows.children.length;
    const op = cond.op || "eq";
    const shown = cond.value === undefined ? "" : Array.isArray(cond.value) ? cond.value.join(", ") : String(cond.value);
    const row = h("div", { class: "prop-row" },
      h("div", { class: "ce-cell" }, h("label", { for: `ce-prop-${n}` }, "Property"),
        h("input", { id: `ce-prop-${n}`, type: "text", value: cond.property || "", placeholder: "e.g. campaign", autocomplete: "off", "data-role": "property" })),
      h("div", { class: "ce-cell" }, h("label", { for: `ce-prop-op-${n}` }, "Operator"),
        h("select", { id: `ce-prop-op-${n}`, "data-role": "op" }, PROPERTY_OPS.map((o) => h("option", { value: o, selected: o === op }, opLabel(null, o))))),
      h("div", { class: "ce-cell grow" }, h("label", { for: `ce-prop-value-${n}` }, "Value"),
        h("input", { id: `ce-prop-value-${n}`, type: "text", value: shown, autocomplete: "off", "data-role": "value" })),
      h("button", { type: "button", class: "small danger", "aria-label": `Remove property condition ${n + 1}`, onclick: () => { row.remove(); } }, "Remove"),
      h("div", { class: "slot" }));
    panel.rows.append(row);
    return row;
  }

  function readProperty(row) {
    const property = row.querySelector("[data-role=property]").value.trim();
    const op = row.querySelector("[data-role=op]").value;
    const text = row.querySelector("[data-role=value]").value;
    if (NO_VALUE_OPS.includes(op)) return { property, op };
    // Text that is not a finite number goes as typed: the server then says "enter a number"
    // (a NaN would travel as null, and read as a missing value).
    const number = (v) => (v.trim() === "" ? null : Number.isFinite(Number(v)) ? Number(v) : v.trim());
    if (op === "between") return { property, op, value: text.split(",").map(number) };
    if (NUMBER_ONLY.includes(op)) return { property, op, value: number(text) };
    if (op === "in" || op === "not_in") return { property, op, value: text.split(",").map((v) => v.trim()).filter(Boolean) };
    return { property, op, value: text };
  }

  function buildNode() {
    const [what, name] = panel.subject.value.split(":");
    if (what === "field") {
      const node = { field: name, op: panel.op.value };
      const value = readValue();
      if (value !== undefined) node.value = value;
      return node;
    }
    const kind = currentEvent();
    const node = { event: name };
    const where = [];
    if (kind.noun && panel.named.value !== "") where.push({ property: kind.noun, op: "eq", value: panel.named.value });
    for (const row of panel.rows.children) where.push(readProperty(row));
    if (where.length) node.where = where;
    if (panel.count.value !== "1") node.min_count = panel.count.value === "" ? null : Number(panel.count.value);
    if (panel.days.value !== "") node.within_days = Number(panel.days.value);
    return panel.negate.checked ? { not: node } : node;
  }

  function fillEvent(node) {
    const cond = "not" in node ? node.not : node;
    const kind = EVENTS.get(cond.event);
    const where = [...(cond.where || [])];
    const first = where[0];
    panel.named.value = "";
    if (kind && kind.noun && first && first.property === kind.noun && first.op === "eq" && typeof first.value === "string") {
      panel.named.value = first.value;
      where.shift();
    }
    where.forEach((p) => addPropertyRow(p));
    panel.count.value = String(cond.min_count || 1);
    panel.days.value = cond.within_days ? String(cond.within_days) : "";
    panel.negate.checked = "not" in node;
  }

  function openEditor(group, index) {
    editing = { group, index };
    const node = index === null ? null : group[kindOf(group)][index];
    panel.title.textContent = node ? "Edit rule" : "New rule";
    panel.rows.replaceChildren();
    panel.named.value = ""; panel.count.value = "1"; panel.days.value = ""; panel.negate.checked = false;
    const cond = node && "not" in node ? node.not : node;
    panel.subject.value = cond ? ("field" in cond ? `field:${cond.field}` : `event:${cond.event}`) : "";
    showSubject(cond && "field" in cond ? cond : undefined);
    if (node && cond && "event" in cond) fillEvent(node);
    render();
    panel.subject.focus();
  }

  function closeEditor() {
    editing = null;
    panel.el.remove();
  }

  function cancel() {
    const group = editing.group;
    const parent = parentOf.get(group);
    closeEditor();
    if (parent && !group[kindOf(group)].length) { // an empty new group goes away again
      const list = parent[kindOf(parent)];
      list.splice(list.indexOf(group), 1);
      changed(idFor(pathOf.get(parent), "add"));
      return;
    }
    render(idFor(pathOf.get(group), "add"));
  }

  function clearPanelErrors() {
    panel.el.querySelectorAll(".slot").forEach((slot) => slot.replaceChildren());
    panel.el.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
  }

  function panelError(slot, message, input) {
    const id = `ce-err-${Math.random().toString(36).slice(2, 8)}`;
    slot.append(h("p", { class: "field-error", id }, message));
    if (input) { input.setAttribute("aria-invalid", "true"); input.setAttribute("aria-describedby", id); }
  }

  function showPanelErrors(found) {
    const named = panel.named.value !== "" && !panel.namedCell.hidden ? 1 : 0;
    for (const error of found) {
      const rest = error.path.replace(/^rules(\.not)?/, "");
      const [, key, index] = rest.match(/^\.(\w+)(?:\[(\d+)\])?/) || [];
      const valueInput = panel.valueBox.querySelector("input, select");
      if (key === "value") panelError(panel.valueErr, error.message, valueInput);
      else if (key === "op") panelError(panel.opErr, error.message, panel.op);
      else if (key === "field" || key === "event") panelError(panel.subjectErr, error.message, panel.subject);
      else if (key === "min_count") panelError(panel.countErr, error.message, panel.count);
      else if (key === "within_days") panelError(panel.daysErr, error.message, panel.days);
      else if (key === "where" && index !== undefined && Number(index) < named) panelError(panel.namedErr, error.message, panel.named);
      else if (key === "where" && index !== undefined && panel.rows.children[Number(index) - named]) {
        const row = panel.rows.children[Number(index) - named];
        panelError(row.querySelector(".slot"), error.message, row.querySelector("[data-role=value]"));
      } else panelError(panel.general, error.message);
    }
    panel.el.querySelector("[aria-invalid]")?.focus();
  }

  // A number the input cannot hold ("1e400", "1-2") reads as empty: say so here, rather
  // than let the server say that a value is missing.
  function unreadableNumbers() {
    const slots = { "ce-value": panel.valueErr, "ce-value-2": panel.valueErr, "ce-count": panel.countErr, "ce-days": panel.daysErr };
    let found = false;
    for (const input of panel.el.querySelectorAll('input[type="number"]')) {
      const text = input.value;
      const bad = input.validity.badInput || (text !== "" && !Number.isFinite(Number(text)));
      if (bad && slots[input.id] && !input.closest("[hidden]")) {
        panelError(slots[input.id], "Enter a number of at most 15 digits, e.g. 50.", input);
        found = true;
      }
    }
    if (found) panel.el.querySelector("[aria-invalid]")?.focus();
    return found;
  }

  async function apply() {
    clearPanelErrors();
    if (!panel.subject.value) {
      panelError(panel.subjectErr, "Choose a field or an activity.", panel.subject);
      panel.subject.focus();
      return;
    }
    if (unreadableNumbers()) return;
    const node = buildNode();
    const answer = await check(node);
    if (!answer.ok) { showPanelErrors(answer.errors); return; }
    const { group, index } = editing;
    const list = group[kindOf(group)];
    if (index === null) list.push(node); else list[index] = node;
    closeEditor();
    changed(idFor(pathOf.get(group), "add"));
  }

  // ---- reading back ---------------------------------------------------------------------------
  let asked = 0;
  async function refresh() {
    const mine = ++asked;
    if (!tree[kindOf(tree)].length) {
      errors = [];
      textEl.textContent = "No rules yet: click “Add new rule”.";
      placeErrors();
      return;
    }
    const answer = await check(tree);
    if (mine !== asked) return; // a newer edit is on its way
    errors = answer.ok ? [] : answer.errors;
    textEl.textContent = answer.ok ? answer.text : "The rules are not complete yet: see the notes next to them.";
    textEl.classList.toggle("incomplete", !answer.ok);
    placeErrors();
  }

  render();
  // The server's errors from a refused save stay until the first edit; a non-empty tree is
  // checked again at once (same errors, and its English once it is valid).
  if (!errors.length || tree[kindOf(tree)].length) refresh();
})();

// The stream list follows the live feed: when leads arrive or change, its lead counts and
// last matches are fetched again (at most once a second), without reloading the page.
(function liveStreamList() {
  const list = document.getElementById("stream-list");
  if (!list || !window.EventSource || !window.htmx) return;
  const feed = new EventSource(list.dataset.feed);
  let waiting = false;
  const refresh = () => {
    waiting = false;
    htmx.ajax("GET", window.location.pathname + window.location.search,
              { target: "#stream-list", select: "#stream-list", swap: "outerHTML" });
  };
  for (const topic of JSON.parse(list.dataset.topics)) {
    feed.addEventListener(topic, () => {
      if (!waiting) { waiting = true; window.setTimeout(refresh, 1000); }
    });
  }
})();
