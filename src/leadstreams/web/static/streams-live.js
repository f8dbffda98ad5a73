// The stream page follows the live feed: when its leads arrive or leave, or the stream is
// switched, edited, cleared or fetched (by anyone), its state, counts, switch and actions are
// read again (at most once a second), without reloading the page or touching the form.
"use strict";

(() => {
  const facts = document.getElementById("stream-facts");
  if (!facts || !window.EventSource) return;
  const streamId = Number(facts.dataset.streamId);
  const parts = ["#stream-facts", ".head-switch", 'form[action$="/fetch-history"]', 'form[action$="/clear"]'];
  let waiting = false;

  async function refresh() {
    waiting = false;
    const answer = await fetch(window.location.pathname + window.location.search);
    if (!answer.ok) return;
    const page = new DOMParser().parseFromString(await answer.text(), "text/html");
    for (const selector of parts) {
      const fresh = page.querySelector(selector);
      const mine = document.querySelector(selector);
      if (fresh && mine && fresh.outerHTML !== mine.outerHTML && !mine.contains(document.activeElement)) {
        mine.replaceWith(fresh);
      }
    }
  }

  const feed = new EventSource(facts.dataset.feed);
  for (const topic of JSON.parse(facts.dataset.topics)) {
    feed.addEventListener(topic, (event) => {
      if (JSON.parse(event.data).stream_id !== streamId || waiting) return;
      waiting = true;
      window.setTimeout(refresh, 1000);
    });
  }
  window.addEventListener("pagehide", () => feed.close());
})();
