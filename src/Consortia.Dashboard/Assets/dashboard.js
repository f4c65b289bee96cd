// Consortia dashboard: live job page. Served by the dashboard itself (Content-Security-Policy: script-src 'self').
// Listens to the job's server-sent events and, after each one, replaces the live part of the page with the
// server's rendering (/jobs/{id}/live), so the page shows exactly what the server renders from the API's documents.
(function () {
  'use strict';
  var page = document.getElementById('job-page');
  if (!page || typeof EventSource === 'undefined') {
    return;
  }

  var live = document.getElementById('job-live');
  var busy = false;
  var again = false;

  function refresh() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    again = false;
    fetch(page.getAttribute('data-live'), { credentials: 'same-origin', cache: 'no-store' })
      .then(function (response) { return response.ok && !response.redirected ? response.text() : null; })
      .then(function (html) {
        if (html !== null) {
          live.innerHTML = html;
          page.setAttribute('data-refreshed', String(Number(page.getAttribute('data-refreshed') || '0') + 1));
        }
      })
      .catch(function () { /* the next event refreshes again */ })
      .then(function () {
        busy = false;
        if (again) {
          refresh();
        }
      });
  }

  var source = new EventSource(page.getAttribute('data-events'), { withCredentials: true });
  source.onopen = function () { page.setAttribute('data-sse', 'open'); };
  source.onerror = function () {
    if (page.getAttribute('data-sse') !== 'closed') {
      page.setAttribute('data-sse', 'reconnecting');
    }
  };
  source.addEventListener('round', function (event) {
    page.setAttribute('data-last-event-round', event.lastEventId);
    refresh();
  });
  source.addEventListener('job', refresh);
  source.addEventListener('end', function () {
    source.close();
    page.setAttribute('data-sse', 'closed');
    refresh();
  });
}());
