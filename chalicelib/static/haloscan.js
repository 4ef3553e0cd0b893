/*! sidenote: Haloscan-compatible shim, served as /haloscan/SITE.js.
 * A blog template written for Haloscan keeps working by swapping its script URL:
 *   <script src="https://API/haloscan/SITE.js"></script>
 *   <a href="javascript:HaloScan('123');" target="_self"><script>postCount('123');</script></a>
 *   <a href="javascript:HaloScanTB('123');" target="_self"><script>postCountTB('123');</script></a>
 * HaloScan(id) shows the thread inline (in #sidenote-ID if the page has one, else right after the
 * link) instead of Haloscan's popup window; postCount(id) writes a label that one batched counts
 * request fills in; window.hs maps id -> count once loaded. Labels can be changed with
 * data-i18n-label / -zero / -one / -many ({n} = count) on this script tag. */
(function () {
  'use strict';
  var d = document, w = window;
  // The server writes both as JSON string literals; served raw (or without a configured
  // public URL) the API is where this script came from.
  var SITE = '__SIDENOTE_SITE__', API = '__SIDENOTE_API__';
  var me = d.currentScript, ds = (me && me.dataset) || {};
  if (!API || API.indexOf('__') === 0) API = new URL(me ? me.src : '/', location.href).origin;
  var L = {
    label: ds.i18nLabel || 'Comments', zero: ds.i18nZero || 'Comments (0)', one: ds.i18nOne || 'Comments (1)',
    many: ds.i18nMany || 'Comments ({n})', tb: ds.i18nTrackbacks || 'Trackback (0)', notb: ds.i18nNoTrackbacks || 'No trackbacks.',
    tbn: ds.i18nTrackbacksMany || 'Trackback ({n})'
  };
  var labels = [], wanted = [], scheduled = false, lastLink = null, seq = 0;
  w.hs = w.hs || {};
  w.hstb = w.hstb || {}; // id -> trackbacks and webmentions, once loaded

  function countLabel(n) { return n === 0 ? L.zero : n === 1 ? L.one : L.many.replace('{n}', n); }

  // Put a label where the calling inline <script> stands (Haloscan used document.write).
  function place(text) {
    var el = d.createElement('span'), s = d.currentScript;
    el.className = 'sidenote-count';
    el.textContent = text;
    if (s && s.parentNode) {
      s.parentNode.insertBefore(el, s);
    } else if (d.readyState === 'loading') {
      var id = 'sidenote-hs-' + (++seq);
      d.write('<span id="' + id + '"></span>');
      var spot = d.getElementById(id);
      if (spot) spot.replaceWith(el);
    }
    return el;
  }

  function refresh() {
    labels.forEach(function (p) {
      var n = (p[2] ? w.hstb : w.hs)[p[0]];
      if (typeof n === 'number') p[1].textContent = p[2] ? (n ? L.tbn.replace('{n}', n) : L.tb) : countLabel(n);
    });
  }

  // One request for every postCount() on the page (100 ids per request, the API's limit).
  function fetchCounts() {
    scheduled = false;
    var ids = wanted.splice(0);
    for (var i = 0; i < ids.length; i += 100) {
      var chunk = ids.slice(i, i + 100);
      fetch(API + '/sites/' + encodeURIComponent(SITE) + '/counts', {
        method: 'POST', credentials: 'omit',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ threads: chunk })
      }).then(function (r) { return r.json(); }).then(function (j) {
        var c = (j && j.counts) || {};
        var t = (j && j.trackbacks) || {};
        Object.keys(c).forEach(function (k) { if (typeof c[k] === 'number') w.hs[k] = c[k]; });
        Object.keys(t).forEach(function (k) { if (typeof t[k] === 'number') w.hstb[k] = t[k]; });
        refresh();
      }).catch(function () { /* keep the plain label */ });
    }
  }

  w.postCount = function (id, tb) {
    id = String(id);
    labels.push([id, place(tb ? L.tb : L.label), tb]);
    if (wanted.indexOf(id) < 0) wanted.push(id);
    if (!scheduled) {
      scheduled = true;
      if (d.readyState === 'loading') d.addEventListener('DOMContentLoaded', fetchCounts);
      else setTimeout(fetchCounts, 0);
    }
  };

  // Trackbacks and webmentions, counted apart by the same batched request.
  w.postCountTB = function (id) { w.postCount(id, true); };

  // Remember the link the reader activated, so the thread opens next to it.
  d.addEventListener('click', function (e) {
    lastLink = e.target && e.target.closest ? e.target.closest('a') : null;
  }, true);

  function linkFor(fn, id) {
    var re = new RegExp(fn + '\\(\\s*[\'"]?([^\'")]*)');
    var links = (lastLink ? [lastLink] : []).concat([].slice.call(d.links));
    for (var i = 0; i < links.length; i++) {
      var href = links[i].getAttribute('href') || '';
      try { href = decodeURIComponent(href); } catch (e) { /* keep it raw */ }
      var m = re.exec(href);
      if (m && m[1] === id) return links[i];
    }
    return null;
  }

  // A box after the paragraph holding the link (or #sidenote-ID when the page has one).
  function box(prefix, fn, id) {
    var el = d.getElementById(prefix + id);
    if (el) return el;
    el = d.createElement('div');
    el.id = prefix + id;
    el.className = 'sidenote-haloscan';
    var a = linkFor(fn, id);
    if (a) (a.closest('p, div, footer') || a).after(el); else d.body.appendChild(el);
    return el;
  }

  function show(el) {
    el.tabIndex = -1;
    el.scrollIntoView({ block: 'nearest' });
    el.focus({ preventScroll: true });
  }

  w.HaloScan = function (id) {
    id = String(id);
    var el = box('sidenote-', 'HaloScan', id);
    if (el.hsOpen) { // already open: a second click closes it, like closing the popup
      el.hidden = !el.hidden;
      if (!el.hidden) show(el);
      return;
    }
    el.hsOpen = true;
    el.setAttribute('data-site', SITE);
    el.setAttribute('data-thread', id);
    (w.sidenoteq = w.sidenoteq || []).push(el);
    if (!w.Sidenote && !d.getElementById('sidenote-embed')) {
      var s = d.createElement('script');
      s.id = 'sidenote-embed';
      s.async = true;
      s.src = API + '/embed.js';
      s.setAttribute('data-sidenote-site', SITE);
      d.head.appendChild(s);
    }
    show(el);
  };

  w.HaloScanTB = function (id) {
    id = String(id);
    if (w.hstb[id]) { w.HaloScan(id); return; } // the thread shows its linkbacks apart
    var el = box('sidenote-tb-', 'HaloScanTB', id);
    el.textContent = L.notb;
    show(el);
  };
})();
