// The request inspector's live updates. The server renders everything
// (html/template escapes it); this script only fetches the fragment that
// the page was rendered with (#live, data-src) every data-interval ms, and
// swaps it in when it changed (ETag, 304 otherwise). Entries the user
// folded or unfolded keep their state across swaps. Without this script
// the page is a plain list that updates on reload.
(function () {
  'use strict';
  const live = document.getElementById('live');
  const status = document.getElementById('status');
  if (!live || !window.fetch || !window.DOMParser) {
    return;
  }
  const src = live.dataset.src;
  const interval = Math.max(250, Number(live.dataset.interval) || 1000);
  let etag = '';
  // What the user did to an entry's details, by journal sequence number.
  const toggled = new Map();
  let swapping = false;

  live.addEventListener('toggle', function (ev) {
    const d = ev.target;
    if (!swapping && d.tagName === 'DETAILS' && d.dataset.seq) {
      toggled.set(d.dataset.seq, d.open);
    }
  }, true);

  // say changes the status line only when the state changes (it is a live
  // region: a screen reader reads each change aloud); the time of the last
  // answer from the mock goes in its title.
  function say(text, stale, answered) {
    if (status) {
      if (status.textContent !== text) {
        status.textContent = text;
      }
      status.classList.toggle('stale', !!stale);
      if (answered) {
        status.title = 'Last checked ' + new Date().toLocaleTimeString();
      }
    }
  }

  function swap(html) {
    const doc = new DOMParser().parseFromString(html, 'text/html');
    swapping = true;
    live.replaceChildren(...doc.body.childNodes);
    for (const d of live.querySelectorAll('details[data-seq]')) {
      const open = toggled.get(d.dataset.seq);
      if (open !== undefined) {
        d.open = open;
      }
    }
    // toggle events are queued: let them pass before recording again.
    setTimeout(function () { swapping = false; }, 0);
  }

  async function poll() {
    if (!document.hidden) {
      try {
        const resp = await fetch(src, {
          cache: 'no-store',
          credentials: 'same-origin',
          headers: etag ? { 'If-None-Match': etag } : {},
        });
        if (resp.status === 304) {
          say('Live: updates by itself', false, true);
        } else if (resp.ok || resp.status === 400) {
          etag = resp.headers.get('ETag') || '';
          swap(await resp.text());
          say('Live: updates by itself', false, true);
        } else if (resp.status === 401) {
          say('Signed out: reload the page to sign in again.', true);
        } else if (resp.status === 503) {
          // The mock renders a few pages at once; the next poll tries again.
          say('The mock is busy; retrying.', true);
        } else {
          say('The mock answered ' + resp.status + '; retrying.', true);
        }
      } catch (err) {
        say('The mock is not reachable; retrying.', true);
      }
    }
    setTimeout(poll, interval);
  }

  say('Live: updates by itself');
  setTimeout(poll, interval);
}());
