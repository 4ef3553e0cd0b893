/*! sidenote widget. Reader text only ever becomes text nodes; the one markup inserted is
   the comment html the server sanitised. */
(() => {
  'use strict';
  const d = document, w = window, enc = encodeURIComponent;
  if (w.Sidenote) return; // loaded twice
  const me = d.currentScript || [...d.scripts].reverse().find(s => /\/embed\.js([?#]|$)/.test(s.src));
  const API = new URL(me ? me.src : '/', location.href).origin, SD = me ? me.dataset : {};
  const S = {
    zero: 'No comments', one: '1 comment', many: '{n} comments', title: 'Comments',
    text: 'Comment (Markdown)', reply: 'Reply', replyTo: 'Reply to {n}', name: 'Name',
    email: 'E-mail (never shown)', website: 'Website', post: 'Post comment', cancel: 'Cancel',
    edit: 'Edit', save: 'Save', del: 'Delete', sure: 'Really delete?', edited: 'edited',
    anon: 'Anonymous', deleted: 'This comment was deleted.', sort: 'Sort', oldest: 'Oldest', newest: 'Newest',
    more: 'Load more comments', loading: 'Loading comments…', retry: 'Retry',
    saved: 'Saved copy: the server is unreachable.', offline: 'The server is unreachable.',
    sending: 'Sending…', posted: 'Your comment is posted.', removed: 'Your comment was deleted.',
    pending: 'Waiting for approval (only you can see this).', queued: 'Received: it will appear shortly.',
    locked: 'Comments are closed.', rate: 'Too many comments. Try again in {n} s.',
    failed: '{m} Your text is kept; retrying in {n} s.', mentions: 'Mentions'
  };

  // Storage that throws (disabled, sandboxed) reads as empty.
  const get = k => { try { const v = localStorage['sidenote:' + k]; return v ? JSON.parse(v) : null; } catch (e) { return null; } };
  // The keys held, read once per render: a read per comment costs more than the rest of it.
  const stored = () => { try { return new Set(Object.keys(localStorage)); } catch (e) { return new Set(); } };
  const put = (k, v) => {
    try { v == null ? localStorage.removeItem('sidenote:' + k) : localStorage['sidenote:' + k] = JSON.stringify(v); } catch (e) { }
  };
  const h = (tag, props, kids) => {
    const [t, ...c] = tag.split('.'), e = d.createElement(t);
    if (c[0]) e.className = c.join(' ');
    for (const k in props) k in e && k.indexOf('-') < 0 ? e[k] = props[k] : e.setAttribute(k, props[k]);
    (kids || []).forEach(k => k != null && e.append(k));
    return e;
  };
  // The one HTML sink: a comment's html, sanitised by the server.
  const sink = (e, c) => { e.innerHTML = c.html || ''; return e; };
  const btn = (label, fn, cls) => h('button' + (cls || ''), { type: 'button', onclick: fn }, [label]);
  const fill = (s, n) => String(s).replace('{n}', n);
  const label = (n, s) => n === 0 ? s.zero : n === 1 ? s.one : fill(s.many, n);
  const strings = sets => {
    const o = Object.assign({}, S);
    for (const ds of sets) for (const k in ds) {
      if (k.startsWith('i18n')) o[k[4].toLowerCase() + k.slice(5)] = ds[k];
    }
    return o;
  };
  const newKey = () => [...crypto.getRandomValues(new Uint8Array(16))].map(b => (b + 256).toString(16).slice(1)).join('');
  const safeUrl = u => { if (!u) return ''; try { u = new URL(u); return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : ''; } catch (e) { return ''; } };
  // One formatter for every date (toLocaleString builds one per call), made while the thread
  // is on its way: the first one costs the page's locale data (~10-20 ms).
  let df;
  const dates = () => df = df || new Intl.DateTimeFormat([], { dateStyle: 'medium', timeStyle: 'short' });
  const when = t => dates().format(new Date(t));
  const later = f => (w.requestIdleCallback || setTimeout)(f);
  const call = async (method, path, body, headers) => {
    try {
      const r = await fetch(API + path, {
        method, body: body && JSON.stringify(body), credentials: 'omit',
        headers: Object.assign(body ? { 'Content-Type': 'application/json' } : {}, headers)
      });
      return { s: r.status, j: await r.json().catch(() => ({})), ra: +r.headers.get('Retry-After') || 0 };
    } catch (e) { return { s: 0, j: {}, ra: 0 }; }
  };
  const css = () => {
    if (d.getElementById('sidenote-css')) return;
    const st = h('style', { id: 'sidenote-css' }, [
      '.sn{--a:var(--sn-accent,#1d4ed8);--at:var(--sn-accent-text,#fff);--m:var(--sn-muted,#6b7280);--l:var(--sn-border,#8886);line-height:1.5}' +
      '@media(prefers-color-scheme:dark){.sn{--a:var(--sn-accent,#93b4ff);--at:var(--sn-accent-text,#111);--m:var(--sn-muted,#a1a1aa)}}' +
      '.sn-top,.sn-h,.sn-a,.sn-row{display:flex;flex-wrap:wrap;gap:.5em;align-items:center}.sn-top{justify-content:space-between}' +
      '.sn-top h2{font-size:1.25em;margin:0}.sn button,.sn input,.sn textarea{font:inherit;color:inherit;background:none;' +
      'border:1px solid var(--l);border-radius:var(--sn-radius,6px);padding:.3em .7em}.sn button:disabled{opacity:.5}' +
      '.sn [aria-pressed=true],.sn [type=submit]{background:var(--a);border-color:var(--a);color:var(--at)}' +
      '.sn form{display:grid;gap:.5em;margin:1em 0}.sn label{display:grid;gap:.2em;flex:1 1 11em}.sn-hp{position:absolute;left:-1e4px}' +
      '.sn-l{list-style:none;margin:0;padding:0}.sn-l .sn-l{padding-left:1em;border-left:2px solid var(--l)}.sn-l .sn-l .sn-l .sn-l{padding:0;border:0}' +
      '.sn-c{margin:1em 0}.sn-av{width:2em;height:2em;border-radius:50%;display:inline-grid;place-items:center;color:#fff;' +
      'background:hsl(var(--h) 45% 42%)}.sn-t,.sn-s,.sn-x,.sn-p{color:var(--m);font-size:.9em}.sn-b{overflow-wrap:anywhere}' +
      '.sn-b :is(h1,h2,h3,h4,h5,h6){font-size:1em}.sn-b pre{overflow:auto}.sn-a button{border:0;padding:0;color:var(--a)}.sn [hidden]{display:none}'
    ]);
    st.nonce = me && me.nonce;
    d.head.append(st);
  };

  const counts = () => {
    const by = {}, def = SD.sidenoteSite || (d.getElementById('sidenote') || { dataset: {} }).dataset.site;
    d.querySelectorAll('[data-sidenote-count]').forEach(el => {
      const s = el.dataset.sidenoteSite || def;
      if (s) (by[s] = by[s] || []).push(el);
    });
    for (const s in by) {
      const keys = [...new Set(by[s].map(e => e.dataset.sidenoteCount))];
      for (let i = 0; i < keys.length; i += 100) {
        call('POST', `/sites/${enc(s)}/counts`, { threads: keys.slice(i, i + 100) }).then(x => {
          const c = x.j.counts || {};
          for (const e of by[s]) {
            const n = c[e.dataset.sidenoteCount];
            if (typeof n === 'number') e.textContent = label(n, strings([SD, e.dataset]));
          }
        });
      }
    }
  };

  const mount = root => {
    if (!root || root.sidenote) return;
    root.sidenote = 1;
    css();
    const ds = root.dataset, site = ds.site || SD.sidenoteSite, thread = ds.thread || location.pathname;
    const s = strings([SD, ds]), base = `/sites/${enc(site)}/comments`, ck = site + ':' + thread, forms = {};
    let sort = get('sort') === 'newest' ? 'newest' : 'oldest', all = [], cursor = null, meta = {};
    const url = next => `${base}?thread=${enc(thread)}&sort=${sort}` + (next ? '&cursor=' + enc(cursor) : '');
    const first = call('GET', url()); // on its way while the rest is built

    const title = h('h2', {}, [s.loading]), live = h('p.sn-s', { role: 'status' }), list = h('ol.sn-l');
    const note = h('p.sn-s', { role: 'status' });
    // Trouble (a saved copy, a degraded read, a queued or refused post): show the operators'
    // active status note, if the service says one applies to this site.
    const notice = async () => {
      const x = await call('GET', `/sites/${enc(site)}/status`), n = x.j.note;
      if (x.j.show_note && n) note.replaceChildren(h('a', { href: safeUrl(n.url) || '#' }, [n.summary]));
    };
    const more = btn(s.more, () => load(true)), lbs = h('div', { hidden: true });
    const sorts = ['oldest', 'newest'].map(v => btn(s[v], () => { sort = v; put('sort', v); load(); }));
    const main = form();
    root.replaceChildren(h('section.sn', { 'aria-label': s.title }, [
      h('div.sn-top', {}, [title, h('div.sn-top', { role: 'group', 'aria-label': s.sort }, sorts)]), live, note, main, list, more, lbs]));

    const find = id => all.find(c => c.id === id);
    const mine = () => get('p:' + ck) || [];
    const close = c => { if (forms[c.id]) forms[c.id].remove(); delete forms[c.id]; };
    // Comments whose Delete was clicked once: a render (a resumed post landing) keeps asking.
    const sure = new Set();
    const update = (id, fn) => {
      if (find(id)) fn(find(id));
      put('p:' + ck, mine().map(p => (p.id === id && fn(p), p)));
    };

    let copy = null;
    const keepCopy = () => { if (copy) put('c:' + ck, copy), copy = null; };
    w.addEventListener('pagehide', keepCopy);

    const load = async (next, sent) => {
      if (!next) live.textContent = s.loading;
      more.disabled = true;
      const x = await (sent || call('GET', url(next)));
      more.disabled = false;
      if (x.s === 200) {
        meta = x.j.thread || {};
        cursor = x.j.cursor;
        const got = x.j.comments || [];
        const have = new Set(next ? all.map(c => c.id) : []);
        all = next ? all.concat(got.filter(c => !have.has(c.id))) : got;
        live.textContent = '';
        if (x.j.degraded) notice();
        render();
        // The saved copy (shown when the API is unreachable) is written after the comments,
        // or when the page goes away first (a quick reload must still find it).
        copy = { meta, all };
        return later(keepCopy);
      }
      // API unreachable: show the last thread that rendered
      const c = !next && !(x.s > 0 && x.s < 500) && get('c:' + ck);
      if (c) { ({ meta, all } = c); cursor = null; render(); }
      live.replaceChildren(c ? s.saved : x.j.Message || s.offline, ' ', btn(s.retry, () => load(next)));
      notice();
    };

    const render = () => {
      title.textContent = label(meta.count || 0, s);
      sorts.forEach((b, i) => b.setAttribute('aria-pressed', sort === (i ? 'newest' : 'oldest')));
      const kept = mine(), own = kept.filter(c => !find(c.id) && Date.now() - c.t < 864e6);
      if (own.length < kept.length) put('p:' + ck, own.length ? own : null);
      // Linkbacks (trackbacks, webmentions: other sites' pages) get their own compact list.
      const lb = all.filter(c => c.type && c.type != 'comment' && !c.deleted);
      lbs.hidden = !lb.length;
      lbs.replaceChildren(h('h3', {}, [`${s.mentions} (${lb.length})`]), h('ul.sn-l', {}, lb.map(c => {
        const b = sink(h('div.sn-b.sn-s'), c);
        return h('li.sn-c', { id: 'sn-' + c.id }, [h('a', { href: safeUrl(c.website) || '#', rel: 'nofollow ugc noopener' }, [c.author || s.anon]), ' ', h('span.sn-t', {}, [c.type]), b]);
      })));
      const cs = all.filter(c => !c.type || c.type == 'comment').concat(own), ids = new Set(cs.map(c => c.id)), kids = {};
      cs.sort((a, b) => a.id < b.id ? -1 : 1);
      for (const c of cs) { const p = ids.has(c.parent) ? c.parent : ''; (kids[p] = kids[p] || []).push(c); }
      if (sort === 'newest' && kids['']) kids[''].reverse();
      keys = stored();
      // Built detached, then one insertion into the page.
      const branch = (p, into) => {
        for (const c of kids[p] || []) {
          const li = item(c);
          if (kids[c.id]) li.append(branch(c.id, h('ol.sn-l')));
          into.append(li);
        }
        return into;
      };
      list.replaceChildren(branch('', d.createDocumentFragment()));
      more.hidden = !cursor;
      main.hidden = !!meta.locked;
      if (meta.locked && !live.textContent) live.textContent = s.locked;
    };

    // A comment's markup is built once and cloned for each comment (cheaper than building it).
    const skel = h('li.sn-c', {}, [h('article', {}, [
      h('div.sn-h', {}, [h('span.sn-av', { 'aria-hidden': 'true' }), h('b'), h('a.sn-t', {}, [h('time')])]),
      h('div.sn-b'), h('div.sn-a')])]), reply = btn(s.reply);
    let keys;
    const item = c => {
      if (c.deleted) return h('li.sn-c', { id: 'sn-' + c.id }, [h('p.sn-x', {}, [s.deleted])]);
      const li = skel.cloneNode(true), art = li.firstChild, top = art.firstChild, [av, who, ln] = top.children;
      const body = art.children[1], acts = art.lastChild, tm = ln.firstChild;
      const tok = keys.has('sidenote:t:' + c.id) && get('t:' + c.id), a = c.author || s.anon, url = safeUrl(c.website);
      li.id = 'sn-' + c.id;
      av.textContent = ([...a.trim()][0] || '?').toUpperCase();
      av.style.setProperty('--h', (parseInt(String(c.avatar).slice(0, 4), 16) || 0) % 360);
      if (url) who.replaceWith(h('a', { href: url, rel: 'nofollow ugc noopener' }, [a]));
      else who.textContent = a;
      ln.href = '#sn-' + c.id;
      tm.dateTime = c.created;
      tm.textContent = when(c.created);
      if (c.edited) top.append(h('span.sn-t', {}, [s.edited]));
      if (c.status) body.before(h('p.sn-p', {}, [s[c.status]]));
      sink(body, c);
      if (!meta.locked && !c.status) acts.appendChild(reply.cloneNode(true)).onclick = () => open(c, li, 'r');
      if (tok && c.status !== 'queued' && new Date(tok.u) > new Date()) {
        acts.append(btn(s.edit, () => open(c, li, 'e', tok)), btn(sure.has(c.id) ? s.sure : s.del, e => del(c, tok, e.target)));
      }
      if (forms[c.id]) li.append(forms[c.id]);
      return li;
    };

    const open = (c, li, kind, tok) => {
      const f = forms[c.id];
      close(c);
      if (f && f.kind === kind) return;
      const n = forms[c.id] = kind === 'r' ? form(c) : editForm(c, tok);
      n.kind = kind;
      li.append(n);
      n.querySelector('textarea').focus();
      n.resume && n.resume();
    };

    const del = async (c, tok, b) => {
      if (!sure.has(c.id)) return sure.add(c.id), b.textContent = s.sure;
      b.disabled = true;
      const x = await call('DELETE', `${base}/${enc(c.id)}`, null, { 'X-Edit-Token': tok.k });
      b.disabled = false;
      if (x.s !== 204 && x.s !== 404) return live.textContent = x.j.Message || s.offline;
      sure.delete(c.id);
      put('t:' + c.id, null);
      put('p:' + ck, mine().filter(p => p.id !== c.id));
      if (find(c.id)) {
        meta.count -= meta.count > 0;
        if (all.some(o => o.parent === c.id)) update(c.id, o => { o.deleted = true; o.html = o.author = ''; });
        else all = all.filter(o => o.id !== c.id);
      }
      close(c);
      render();
      live.textContent = s.removed;
    };

    const editForm = (c, tok) => {
      const ta = h('textarea', { name: 'text', required: true, value: tok.x || '' }), msg = h('p.sn-s', { role: 'status' });
      const f = h('form', {}, [h('label', {}, [s.edit, ta]),
        h('div.sn-row', {}, [h('button', { type: 'submit' }, [s.save]), btn(s.cancel, () => close(c))]), msg]);
      f.onsubmit = async e => {
        e.preventDefault();
        msg.textContent = s.sending;
        const x = await call('PATCH', `${base}/${enc(c.id)}`, { text: ta.value }, { 'X-Edit-Token': tok.k });
        if (x.s !== 200) return msg.textContent = x.j.Message || s.offline;
        const n = x.j.comment || x.j;
        update(c.id, o => { o.html = n.html; o.edited = n.edited || 1; });
        put('t:' + c.id, Object.assign(tok, { x: ta.value }));
        const held = n.status === 'pending' && find(c.id);
        if (held) { // the edit went back to the moderators: only its author sees it now
          all = all.filter(o => o.id !== c.id);
          meta.count -= meta.count > 0;
          put('p:' + ck, mine().concat(Object.assign(held, { status: 'pending', t: Date.now() })));
        }
        close(c);
        render();
        if (held) live.textContent = s.pending;
      };
      return f;
    };

    // Drafts live in localStorage until a 201/202; failures retry with the same Idempotency-Key
    function form(parent) {
      const dk = 'd:' + ck + ':' + (parent ? parent.id : ''), inp = {};
      let dr = get(dk) || { k: newKey() }, who = get('me') || {}, tries = 0, timer, busy;
      inp.text = h('textarea', { name: 'text', required: true, rows: 4, value: dr.text || '' });
      const row = h('div.sn-row', {}, [['author', 'text', 'name'], ['email', 'email', 'email'], ['website', 'url', 'url']].map(
        ([n, type, ac]) => h('label', {}, [s[n === 'author' ? 'name' : n], inp[n] = h('input', { name: n, type, autocomplete: ac, value: who[n] || '' })])));
      inp.hp = h('input', { name: 'hp', tabIndex: -1, autocomplete: 'off' });
      const sub = h('button', { type: 'submit' }, [s.post]), msg = h('p.sn-s', { role: 'status' });
      const f = h('form', {}, [h('label', {}, [parent ? fill(s.replyTo, parent.author || s.anon) : s.text, inp.text]), row,
        h('div.sn-hp', { 'aria-hidden': 'true' }, [inp.hp]),
        h('div.sn-row', {}, [sub, parent ? btn(s.cancel, () => close(parent)) : null]), msg]);
      f.oninput = () => {
        put('me', who = { author: inp.author.value, email: inp.email.value, website: inp.website.value });
        dr = { text: inp.text.value, k: newKey() };
        put(dk, dr.text ? dr : null);
      };
      f.onsubmit = e => { e.preventDefault(); tries = 0; send(); };
      f.resume = () => dr.q && send();
      return f;

      async function send() {
        clearTimeout(timer);
        if (busy) return;
        busy = sub.disabled = true;
        msg.textContent = s.sending;
        put(dk, Object.assign(dr, { text: inp.text.value, q: 1 }));
        const body = {
          text: dr.text, author: inp.author.value, email: inp.email.value, website: inp.website.value,
          title: ds.title || d.title, url: ds.url || location.href.split('#')[0], hp: inp.hp.value
        };
        if (parent) body.parent = parent.id;
        const x = await call('POST', `${base}?thread=${enc(thread)}`, body, { 'Idempotency-Key': dr.k });
        const c = x.j.comment, m = x.j.Message;
        busy = sub.disabled = false;
        if (x.s === 202 || x.s === 503) notice();
        if (x.s > 200 && x.s < 203 && c) {
          put(dk, null);
          dr = { k: newKey() };
          inp.text.value = msg.textContent = '';
          if (x.j.edit_token) put('t:' + c.id, { k: x.j.edit_token, u: x.j.edit_until, x: body.text });
          const st = x.s === 202 ? 'queued' : c.status === 'pending' ? 'pending' : '';
          delete c.status;
          if (st) put('p:' + ck, mine().concat(Object.assign(c, { status: st, t: Date.now() })));
          else if (!find(c.id)) all.push(c), meta.count = (meta.count || 0) + 1;
          if (parent) close(parent);
          render();
          live.textContent = s[st || 'posted'];
          return d.getElementById('sn-' + c.id).scrollIntoView({ block: 'nearest' });
        }
        if (!x.s || x.s > 499) {
          const wait = Math.max(x.ra, Math.min(60, 2 ** ++tries));
          msg.textContent = s.failed.replace('{m}', m || s.offline).replace('{n}', wait);
          return timer = setTimeout(send, wait * 1e3);
        }
        put(dk, Object.assign(dr, { q: 0 }));
        msg.textContent = x.s === 429 ? fill(s.rate, x.ra || 60) : m || s.offline;
        if (x.s === 429) sub.disabled = true, setTimeout(() => sub.disabled = false, (x.ra || 60) * 1e3);
        if (x.j.Code === 'ThreadLocked') meta.locked = true, render(), live.textContent = m;
      }
    }
    load(false, first).then(() => main.resume());
    dates();
  };

  const start = () => {
    mount(d.getElementById('sidenote'));
    (w.sidenoteq || []).forEach(mount);
    w.sidenoteq = { push: mount };
    counts();
  };
  w.Sidenote = { mount, counts }; // (window.sidenote is the #sidenote element)
  d.readyState === 'loading' ? d.addEventListener('DOMContentLoaded', start) : start();
})();
