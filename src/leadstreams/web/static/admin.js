// Users: the "Sales teams" boxes matter only for the roles the page names (those that see
// only their teams' leads); hide (and do not send) them otherwise.
"use strict";

document.querySelectorAll("form").forEach((form) => {
  const role = form.querySelector("[data-role-select]");
  const teams = form.querySelector("[data-sales-only]");
  if (!role || !teams) return;
  const sync = () => {
    const sales = JSON.parse(teams.dataset.roles).includes(role.value);
    teams.hidden = !sales;
    teams.disabled = !sales;
  };
  role.addEventListener("change", sync);
  sync();
});
