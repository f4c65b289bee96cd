// Consortia dashboard: live job list and live job page. Served by the dashboard itself (Content-Security-Policy:
// script-src 'self'). Each page listens to its server-sent events and, after each one, replaces its live part with the
// server's rendering (data-live), so the page shows exactly what the server renders from the API's documents.
(function () {
  'use strict';
  if (typeof EventSource === 'undefined') {
    return;
  }

  // Watches page's event stream (data-events) and refreshes live from data-live after each of the events named;
  // refreshes never overlap, and events that arrive during one cause one more. Returns the event source.
  function watch(page, live, events) {
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
    events.forEach(function (name) { source.addEventListener(name, refresh); });
    return source;
  }

  // The job list: a job added, changing state or committing a round; the consortia and the ledger head.
  var index = document.getElementById('index');
  if (index) {
    var list = watch(index, document.getElementById('index-live'), ['job', 'consortia', 'ledger']);
    list.addEventListener('job', function (event) { index.setAttribute('data-last-event-id', event.lastEventId); });
  }

  // A job's page: its rounds and state, until the job has ended.
  var page = document.getElementById('job-page');
  if (page) {
    var source = watch(page, document.getElementById('job-live'), ['round', 'job', 'end']);
    source.addEventListener('round', function (event) { page.setAttribute('data-last-event-round', event.lastEventId); });
    source.addEventListener('end', function () {
      source.close();
      page.setAttribute('data-sse', 'closed');
    });
  }
}());
