/*! sidenote comment widget. Readable source, no build step, no dependencies.
 * Embed:  <div id="sidenote" data-site="SITE" data-thread="KEY"></div>
 *         <script async src="https://API/embed.js"></script>
 * Counts: any element with data-sidenote-count="KEY" gets the thread's count label.
 * Rule: reader strings only ever become text nodes; the comment "html" field (sanitised by
 * the server at write time) is the only markup inserted. */
(function () {
  'use strict';
  var d = document, w = window;
  if (w.sidenote) return; // loaded twice: the first copy already runs
  var me = d.currentScript || [].slice.call(d.scripts).reverse().find(function (s) {
    return /\/embed\.js(\?|#|$)/.test(s.src);
  });
  var API = new URL(me ? me.src : '/', location.href).origin;
  var SD = me ? me.dataset : {};
  var enc = encodeURIComponent;

  var S = {
    zero: 'No comments', one: '1 comment', many: '{n} comments',
    text: 'Comment (Markdown)', reply: 'Reply', replyTo: 'Reply to {n}', name: 'Name',
    email: 'E-mail (never shown)', website: 'Website', post: 'Post comment', cancel: 'Cancel',
    edit: 'Edit', save: 'Save', del: 'Delete', sure: 'Really delete?', edited: 'edited',
    anon: 'Anonymous', deleted: 'This comment was deleted.', oldest: 'Oldest', newest: 'Newest',
    sort: 'Sort', more: 'Load more comments', loading: 'Loading comments…', retry: 'Retry',
    loadErr: 'Comments could not be loaded.', saved: 'Saved copy: the comment server cannot be reached.',
    sending: 'Sending…', posted: 'Your comment is posted.', removed: 'Your comment was deleted.',
    pending: 'Waiting for approval (only you can see this).',
    queued: 'Received: it will appear shortly.',
    locked: 'Comments are closed.', rate: 'Too many comments. Try again in {n} s.',
    offline: 'The comment server cannot be reached.',
    failed: '{m} Your comment is kept here; trying again in {n} s.'
  };

  // ---------- small helpers ----------
  function get(k) {
    try { return JSON.parse(localStorage.getItem('sidenote:' + k)); } catch (e) { return null; }
  }
  function put(k, v) {
    try {
      if (v == null) localStorage.removeItem('sidenote:' + k);
      else localStorage.setItem('sidenote:' + k, JSON.stringify(v));
    } catch (e) { /* storage full or disabled: the widget still works */ }
  }
  // h('div.a.b', {prop: value}, [children]); string children become text nodes, never markup.
  function h(tag, props, kids) {
    var p = tag.split('.'), e = d.createElement(p[0]);
    if (p[1]) e.className = p.slice(1).join(' ');
    for (var k in props) {
      if (k in e && k.indexOf('-') < 0) e[k] = props[k]; else e.setAttribute(k, props[k]);
    }
    (kids || []).forEach(function (c) { if (c != null) e.append(c); });
    return e;
  }
  function btn(label, fn, cls) { return h('button' + (cls || ''), { type: 'button', onclick: fn }, [label]); }
  function fill(s, n) { return String(s).replace('{n}', n); }
  function strings(dsets) {
    var o = Object.assign({}, S);
    dsets.forEach(function (ds) {
      for (var k in ds) {
        if (k === 'i18n') { try { Object.assign(o, JSON.parse(ds[k])); } catch (e) { /* bad JSON */ } }
        else if (k.indexOf('i18n') === 0) o[k[4].toLowerCase() + k.slice(5)] = ds[k];
      }
    });
    return o;
  }
  function label(n, s) { return n === 0 ? s.zero : n === 1 ? s.one : fill(s.many, n); }
  function key() {
    return [].map.call(crypto.getRandomValues(new Uint8Array(16)), function (b) {
      return (b + 256).toString(16).slice(1);
    }).join('');
  }
  function safeUrl(u) {
    try { var x = new URL(u); return /^https?:$/.test(x.protocol) ? x.href : ''; } catch (e) { return ''; }
  }
  function when(t) {
    try {
      return new Date(t).toLocaleString(d.documentElement.lang || undefined, { dateStyle: 'medium', timeStyle: 'short' });
    } catch (e) { return t; }
  }
  async function call(method, path, body, headers) {
    var hd = Object.assign(body ? { 'Content-Type': 'application/json' } : {}, headers);
    var r = await fetch(API + path, { method: method, headers: hd, body: body && JSON.stringify(body), credentials: 'omit' });
    var j = null;
    try { j = await r.json(); } catch (e) { /* 204 or not JSON */ }
    return { s: r.status, j: j || {}, ra: +r.headers.get('Retry-After') || 0 };
  }
  function css() {
    if (d.getElementById('sidenote-css')) return;
    var st = h('style', { id: 'sidenote-css' }, [
      '.sn{--a:var(--sn-accent,#1d4ed8);--at:var(--sn-accent-text,#fff);--m:var(--sn-muted,#6b7280);' +
      '--l:var(--sn-border,#8886);--r:var(--sn-radius,6px);color:var(--sn-fg,inherit);font:var(--sn-font,inherit);line-height:1.5}' +
      '@media(prefers-color-scheme:dark){.sn{--a:var(--sn-accent,#93b4ff);--at:var(--sn-accent-text,#111);--m:var(--sn-muted,#a1a1aa)}}' +
      '.sn-top,.sn-h,.sn-a,.sn-row{display:flex;flex-wrap:wrap;gap:.5em;align-items:center}' +
      '.sn-top{justify-content:space-between}.sn-n{font-size:1.25em;margin:0}' +
      '.sn button{font:inherit;color:inherit;background:none;border:1px solid var(--l);border-radius:var(--r);padding:.2em .8em;cursor:pointer}' +
      '.sn [aria-pressed=true],.sn [type=submit]{background:var(--a);border-color:var(--a);color:var(--at)}' +
      '.sn button:disabled{opacity:.5;cursor:default}.sn :focus-visible{outline:2px solid var(--a);outline-offset:2px}' +
      '.sn-f{display:grid;gap:.5em;margin:1em 0}.sn label{display:grid;gap:.2em;font-size:.9em;flex:1 1 11em}' +
      '.sn input,.sn textarea{font:inherit;color:inherit;background:var(--sn-field,transparent);border:1px solid var(--l);' +
      'border-radius:var(--r);padding:.4em;width:100%;box-sizing:border-box}.sn textarea{resize:vertical;min-height:5em}' +
      '.sn-hp{position:absolute;left:-9999px;height:1px;overflow:hidden}' +
      '.sn-l{list-style:none;margin:0;padding:0}.sn-l .sn-l{margin-left:.9em;padding-left:1em;border-left:2px solid var(--l)}' +
      '.sn-l .sn-l .sn-l .sn-l .sn-l{margin:0;padding:0;border:0}.sn-c{margin:1em 0}' +
      '.sn-av{width:2em;height:2em;border-radius:50%;display:inline-grid;place-items:center;color:#fff;font-weight:700;' +
      'background:hsl(var(--h,210) 45% 42%)}.sn-t,.sn-s,.sn-m,.sn-x,.sn-p{color:var(--m);font-size:.9em}.sn-t{text-decoration:none}' +
      '.sn-p{border-left:3px solid var(--a);padding-left:.5em;margin:.3em 0}.sn-b{overflow-wrap:anywhere}' +
      '.sn-b p{margin:.4em 0}.sn-b img{max-width:100%}.sn-b pre{overflow:auto}' +
      '.sn-a button{border:0;padding:0;color:var(--a);font-size:.9em}.sn-more{display:block;margin:1em auto}'
    ]);
    if (me && me.nonce) st.nonce = me.nonce;
    d.head.append(st);
  }

  // ---------- counts on index pages: one batched request per site ----------
  function counts() {
    var by = {}, def = SD.sidenoteSite || (d.getElementById('sidenote') || { dataset: {} }).dataset.site;
    d.querySelectorAll('[data-sidenote-count]').forEach(function (el) {
      var s = el.dataset.sidenoteSite || def;
      if (s) (by[s] = by[s] || []).push(el);
    });
    Object.keys(by).forEach(function (s) {
      var els = by[s], keys = els.map(function (e) { return e.dataset.sidenoteCount; });
      keys = keys.filter(function (k, i) { return keys.indexOf(k) === i; });
      for (var i = 0; i < keys.length; i += 100) {
        call('POST', '/sites/' + enc(s) + '/counts', { threads: keys.slice(i, i + 100) }).then(function (x) {
          var c = x.j.counts || {};
          els.forEach(function (e) {
            var n = c[e.dataset.sidenoteCount];
            if (typeof n === 'number' && c.hasOwnProperty(e.dataset.sidenoteCount)) {
              e.textContent = label(n, strings([SD, e.dataset]));
            }
          });
        }).catch(function () { /* leave the page's own text */ });
      }
    });
  }

  // ---------- one thread ----------
  function mount(root) {
    if (!root || root.sidenote) return;
    root.sidenote = 1;
    css();
    var ds = root.dataset, site = ds.site || SD.sidenoteSite, thread = ds.thread || location.pathname;
    var s = strings([SD, ds]), base = '/sites/' + enc(site) + '/comments', ck = site + ':' + thread;
    var sort = get('sort') === 'newest' ? 'newest' : 'oldest';
    var all = [], cursor = null, meta = {}, forms = {};

    var title = h('h2.sn-n', {}, [s.loading]);
    var live = h('p.sn-s', { role: 'status', 'aria-live': 'polite' });
    var list = h('ol.sn-l');
    var more = btn(s.more, function () { load(true); }, '.sn-more');
    var sorts = ['oldest', 'newest'].map(function (v) {
      return btn(s[v], function () { sort = v; put('sort', v); load(); });
    });
    var main = form(null);
    root.replaceChildren(h('section.sn', { 'aria-label': s.many.replace('{n} ', '') }, [
      h('div.sn-top', {}, [title, h('span.sn-top', { role: 'group', 'aria-label': s.sort }, sorts)]),
      live, main, list, more
    ]));
    load().then(function () { if (main.resume) main.resume(); });

    async function load(next) {
      if (!next) live.textContent = s.loading;
      more.disabled = true;
      var x;
      try {
        x = await call('GET', base + '?thread=' + enc(thread) + '&sort=' + sort + (next ? '&cursor=' + enc(cursor) : ''));
      } catch (e) { x = { s: 0, j: {} }; }
      more.disabled = false;
      if (x.s === 200) {
        meta = x.j.thread || {};
        cursor = x.j.cursor;
        var got = x.j.comments || [];
        all = next ? all.concat(got.filter(function (c) { return !find(c.id); })) : got;
        put('c:' + ck, { meta: meta, all: all });
        live.textContent = '';
        render();
        return;
      }
      var c = !next && (!x.s || x.s >= 500) && get('c:' + ck);
      if (c) { meta = c.meta; all = c.all; cursor = null; render(); }
      live.replaceChildren(c ? s.saved : x.j.Message || (x.s ? s.loadErr : s.offline), ' ',
        btn(s.retry, function () { load(next); }));
    }
    function find(id) { return all.filter(function (c) { return c.id === id; })[0]; }
    function mine() { return get('p:' + ck) || []; }

    function render() {
      title.textContent = label(meta.count || 0, s);
      sorts.forEach(function (b, i) { b.setAttribute('aria-pressed', sort === (i ? 'newest' : 'oldest')); });
      // The author's own comments that are not listed yet (pending or queued), kept 10 days.
      var own = mine().filter(function (c) { return !find(c.id) && Date.now() - c.t < 864e6; });
      put('p:' + ck, own.length ? own : null);
      var cs = all.concat(own), ids = {}, kids = {};
      cs.forEach(function (c) { ids[c.id] = 1; });
      cs.sort(function (a, b) { return a.id < b.id ? -1 : 1; }); // ULIDs: time order
      cs.forEach(function (c) {
        var p = c.parent && ids[c.parent] ? c.parent : '';
        (kids[p] = kids[p] || []).push(c);
      });
      if (sort === 'newest' && kids['']) kids[''].reverse();
      (function branch(p, into) {
        into.replaceChildren.apply(into, (kids[p] || []).map(function (c) {
          var li = item(c);
          if (kids[c.id]) li.append(branch(c.id, h('ol.sn-l')));
          return li;
        }));
        return into;
      })('', list);
      more.hidden = !cursor;
      main.hidden = !!meta.locked;
      if (meta.locked && !live.textContent) live.textContent = s.locked;
    }

    function item(c) {
      var li = h('li.sn-c', { id: 'sn-' + c.id });
      if (c.deleted) {
        li.append(h('p.sn-x', {}, [s.deleted]));
        return li;
      }
      var tok = get('t:' + c.id), a = c.author || s.anon, url = safeUrl(c.website);
      var hue = parseInt(String(c.avatar).slice(0, 4), 16);
      var av = h('span.sn-av', { 'aria-hidden': 'true' }, [(Array.from(a.trim())[0] || '?').toUpperCase()]);
      av.style.setProperty('--h', isNaN(hue) ? 210 : hue % 360);
      var body = h('div.sn-b');
      body.innerHTML = c.html || ''; // sanitised by the server at write time (API.md)
      var acts = h('div.sn-a');
      if (!meta.locked && !c.status) acts.append(btn(s.reply, function () { open(c, li, 'r'); }));
      if (tok && c.status !== 'queued' && new Date(tok.u) > new Date()) {
        acts.append(btn(s.edit, function () { open(c, li, 'e', tok); }), btn(s.del, function () { del(c, tok, this); }));
      }
      li.append(h('article', {}, [
        h('div.sn-h', {}, [av, url ? h('a', { href: url, rel: 'nofollow ugc noopener' }, [a]) : h('b', {}, [a]),
          h('a.sn-t', { href: '#sn-' + c.id }, [h('time', { dateTime: c.created }, [when(c.created)])]),
          c.edited ? h('span.sn-t', {}, [s.edited]) : null]),
        c.status ? h('p.sn-p', {}, [c.status === 'queued' ? s.queued : s.pending]) : null,
        body, acts]));
      if (forms[c.id]) li.append(forms[c.id]);
      return li;
    }

    function open(c, li, kind, tok) {
      var f = forms[c.id];
      if (f) { f.remove(); delete forms[c.id]; if (f.kind === kind) return; }
      f = forms[c.id] = kind === 'r' ? form(c) : editForm(c, tok);
      f.kind = kind;
      li.append(f);
      f.querySelector('textarea').focus();
      if (f.resume) f.resume();
    }
    function close(c) { if (forms[c.id]) { forms[c.id].remove(); delete forms[c.id]; } }

    function update(id, fn) {
      var o = find(id);
      if (o) fn(o);
      put('p:' + ck, mine().map(function (p) { if (p.id === id) fn(p); return p; }));
    }

    async function del(c, tok, b) {
      if (!b.dataset.sure) { b.dataset.sure = 1; b.textContent = s.sure; return; }
      b.disabled = true;
      var x;
      try { x = await call('DELETE', base + '/' + enc(c.id), null, { 'X-Edit-Token': tok.k }); } catch (e) { x = { s: 0, j: {} }; }
      b.disabled = false;
      if (x.s !== 204 && x.s !== 404) { live.textContent = x.j.Message || s.offline; return; }
      put('t:' + c.id, null);
      put('p:' + ck, mine().filter(function (p) { return p.id !== c.id; }));
      if (find(c.id)) {
        if (!c.status && meta.count) meta.count--;
        if (all.some(function (o) { return o.parent === c.id; })) update(c.id, function (o) { o.deleted = true; o.html = o.author = ''; });
        else all = all.filter(function (o) { return o.id !== c.id; });
      }
      close(c);
      render();
      live.textContent = s.removed;
    }

    function editForm(c, tok) {
      var ta = h('textarea', { name: 'text', required: true, rows: 4, value: tok.x || '' });
      var msg = h('p.sn-m', { role: 'status', 'aria-live': 'polite' });
      var f = h('form.sn-f', {}, [h('label', {}, [s.edit, ta]),
        h('div.sn-row', {}, [h('button', { type: 'submit' }, [s.save]), btn(s.cancel, function () { close(c); })]), msg]);
      f.onsubmit = async function (e) {
        e.preventDefault();
        msg.textContent = s.sending;
        var x;
        try { x = await call('PATCH', base + '/' + enc(c.id), { text: ta.value }, { 'X-Edit-Token': tok.k }); } catch (er) { x = { s: 0, j: {} }; }
        if (x.s !== 200) { msg.textContent = x.j.Message || s.offline; return; }
        var n = x.j.comment || x.j;
        update(c.id, function (o) { o.html = n.html; o.edited = n.edited || new Date().toISOString(); });
        tok.x = ta.value;
        put('t:' + c.id, tok);
        close(c);
        render();
      };
      return f;
    }

    // The post form (parent null) or a reply form. Nothing typed is lost: the draft is saved on
    // every input and removed only on 201/202; failures retry with the same Idempotency-Key.
    function form(parent) {
      var dk = 'd:' + ck + ':' + (parent ? parent.id : ''), dr = get(dk) || { k: key() }, who = get('me') || {};
      var inp = {}, tries = 0, timer, busy;
      inp.text = h('textarea', { name: 'text', required: true, rows: 4, value: dr.text || '' });
      var row = h('div.sn-row', {}, [['author', 'text', 'name', s.name], ['email', 'email', 'email', s.email],
        ['website', 'url', 'url', s.website]].map(function (a) {
        inp[a[0]] = h('input', { name: a[0], type: a[1], autocomplete: a[2], value: who[a[0]] || '' });
        return h('label', {}, [a[3], inp[a[0]]]);
      }));
      inp.hp = h('input', { name: 'hp', tabIndex: -1, autocomplete: 'off' });
      var sub = h('button', { type: 'submit' }, [s.post]);
      var msg = h('p.sn-m', { role: 'status', 'aria-live': 'polite' });
      var f = h('form.sn-f', {}, [
        h('label', {}, [parent ? fill(s.replyTo, parent.author || s.anon) : s.text, inp.text]), row,
        h('div.sn-hp', { 'aria-hidden': 'true' }, [h('label', {}, ['Leave empty', inp.hp])]),
        h('div.sn-row', {}, [sub, parent ? btn(s.cancel, function () { close(parent); }) : null]), msg]);
      f.oninput = function () {
        who = { author: inp.author.value, email: inp.email.value, website: inp.website.value };
        put('me', who);
        dr = { text: inp.text.value, k: key() }; // a new body is a new draft: new Idempotency-Key
        put(dk, dr.text ? dr : null);
      };
      f.onsubmit = function (e) { e.preventDefault(); tries = 0; send(); };
      f.resume = function () { if (dr.q) send(); }; // a send interrupted by a failure or a reload
      return f;

      async function send() {
        clearTimeout(timer);
        if (busy) return;
        busy = sub.disabled = true;
        msg.textContent = s.sending;
        dr.q = 1;
        dr.text = inp.text.value;
        put(dk, dr);
        var body = {
          text: dr.text, author: inp.author.value, email: inp.email.value, website: inp.website.value,
          title: ds.title || d.title, url: ds.url || location.href.split('#')[0], hp: inp.hp.value
        };
        if (parent) body.parent = parent.id;
        var x;
        try { x = await call('POST', base + '?thread=' + enc(thread), body, { 'Idempotency-Key': dr.k }); } catch (e) { x = { s: 0, j: {} }; }
        busy = sub.disabled = false;
        var c = x.j.comment, m = x.j.Message;
        if ((x.s === 201 || x.s === 202) && c) {
          put(dk, null);
          dr = { k: key() };
          inp.text.value = msg.textContent = '';
          if (x.j.edit_token) put('t:' + c.id, { k: x.j.edit_token, u: x.j.edit_until, x: body.text });
          var st = x.s === 202 ? 'queued' : c.status === 'pending' ? 'pending' : '';
          if (st) {
            c.status = st;
            c.t = Date.now();
            put('p:' + ck, mine().concat([c]));
          } else {
            delete c.status;
            if (!find(c.id)) { all.push(c); meta.count = (meta.count || 0) + 1; }
          }
          if (parent) close(parent);
          render();
          live.textContent = st ? s[st] : s.posted;
          var el = d.getElementById('sn-' + c.id);
          if (el) el.scrollIntoView({ block: 'nearest' });
          return;
        }
        if (!x.s || x.s >= 500) {
          var wait = Math.max(x.ra, Math.min(60, Math.pow(2, ++tries)));
          msg.textContent = s.failed.replace('{m}', m || s.offline).replace('{n}', wait);
          timer = setTimeout(send, wait * 1e3);
          return;
        }
        dr.q = 0;
        put(dk, dr);
        if (x.s === 429) {
          var ra = x.ra || 60;
          msg.textContent = fill(s.rate, ra);
          sub.disabled = true;
          setTimeout(function () { sub.disabled = false; }, ra * 1e3);
        } else {
          msg.textContent = m || s.loadErr;
          if (x.j.Code === 'ThreadLocked') { meta.locked = true; render(); live.textContent = m || s.locked; }
        }
      }
    }
  }

  function start() {
    mount(d.getElementById('sidenote'));
    var q = w.sidenoteq || [];
    w.sidenoteq = { push: mount };
    q.forEach(mount);
    counts();
  }
  w.sidenote = { mount: mount, counts: counts };
  if (d.readyState === 'loading') d.addEventListener('DOMContentLoaded', start); else start();
})();
