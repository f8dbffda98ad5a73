// Lost with a reason: moving a lead to Lost asks why (a reason from the admins' list, and
// words of one's own). The board calls window.askLostReason(name) before it posts the move;
// the lead card shows the reason fields only while "Lost" is chosen in its stage form.
"use strict";

(() => {
  const ASK = "Choose why the lead is lost, or say it in words.";
  const filled = (root) => [...root.querySelectorAll("[name^=lost_reason_]")].some((el) => el.value.trim());

  // The board: the dialog comes from the server with the list as it is now.
  window.askLostReason = async (name) => {
    const answer = await fetch("/lost-reasons/dialog", { credentials: "same-origin" });
    if (!answer.ok) return {};
    document.getElementById("lost-dialog")?.remove();
    const holder = document.createElement("template");
    holder.innerHTML = (await answer.text()).trim();
    const dialog = holder.content.querySelector("dialog");
    document.body.append(dialog);
    dialog.querySelector("[data-lost-name]").textContent = name;
    const error = dialog.querySelector("#lost-error");
    return new Promise((resolve) => {
      dialog.querySelector("form").addEventListener("submit", (event) => {
        if (event.submitter?.value !== "ok") return; // Cancel closes the dialog
        if (!filled(dialog)) {
          event.preventDefault();
          error.textContent = ASK;
          error.hidden = false;
          dialog.querySelector("select, textarea").focus();
        }
      });
      dialog.addEventListener("close", () => {
        const fields = Object.fromEntries([...dialog.querySelectorAll("[name^=lost_reason_]")].map((el) => [el.name, el.value]));
        dialog.remove();
        resolve(dialog.returnValue === "ok" ? fields : null);
      });
      dialog.showModal();
      dialog.querySelector("select, textarea").focus();
    });
  };

  // The lead card: the reason fields follow the stage chosen.
  for (const form of document.querySelectorAll("form[data-stage-form]")) {
    const select = form.elements.stage;
    const fields = form.querySelector("[data-lost-fields]");
    const error = fields.querySelector("#lost-error");
    const follow = () => { fields.hidden = select.value !== "lost"; };
    select.addEventListener("change", follow);
    follow();
    form.addEventListener("submit", (event) => {
      if (select.value === "lost" && !filled(fields)) {
        event.preventDefault();
        error.textContent = ASK;
        error.hidden = false;
        fields.querySelector("select, textarea").focus();
      }
    });
  }
})();
