// sidenote moderation page. Talks to the same moderation API as any script would.
// The key lives in sessionStorage (this tab only) and goes out only in the Authorization
// header to this API. Reader content is always inserted as text, never as HTML.
(() => {
  'use strict';
  const STORE = 'sidenote.moderation';
  const $ = (sel) => document.querySelector(sel);
  const state = { site: '', key: '', cursor: null, auditCursor: null, status: 'pending', thread: '' };

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === 'text') node.textContent = value;
      else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of [].concat(children || [])) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  const announce = (message) => { $('#status').textContent = ''; $('#status').textContent = message; };
  const alertError = (message) => { $('#alert').textContent = message || ''; };

  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.Message) || `Request failed (${status})`);
      this.status = status; this.code = body && body.Code;
    }
  }

  async function api(method, path, body) {
    const headers = { Authorization: `Bearer ${state.key}` };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(`sites/${encodeURIComponent(state.site)}/moderation/${path}`, {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer',
    });
    let data = null;
    if (response.status !== 204) { try { data = await response.json(); } catch (e) { data = null; } }
    if (!response.ok) {
      const error = new ApiError(response.status, data);
      if (response.status === 401) signOut(error.message);
      throw error;
    }
    return data;
  }

  function report(error) {
    alertError(error instanceof ApiError ? error.message : 'The moderation API did not answer. Try again.');
  }

  // --- sign in / out ------------------------------------------------------------------------

  function saved() {
    try { return JSON.parse(sessionStorage.getItem(STORE) || 'null'); } catch (e) { return null; }
  }

  async function signIn(site, key) {
    state.site = site; state.key = key;
    const data = await api('GET', 'settings');
    sessionStorage.setItem(STORE, JSON.stringify({ site, key }));
    $('#signin').hidden = true; $('#app').hidden = false; $('#who').hidden = false;
    $('#site-name').textContent = `· ${data.settings.name}`;
    $('#who-text').textContent = `Site ${site}`;
    fillSettings(data.settings);
    alertError('');
    await loadComments(true);
    $('#filter-status').focus();
  }

  function signOut(message) {
    sessionStorage.removeItem(STORE);
    state.key = '';
    $('#app').hidden = true; $('#who').hidden = true; $('#signin').hidden = false;
    $('#signin-key').value = '';
    $('#site-name').textContent = '';
    if (message) alertError(message);
    $('#signin-key').focus();
  }

  $('#signin-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const site = $('#signin-site').value.trim();
    const key = $('#signin-key').value.trim();
    try { await signIn(site, key); }
    catch (error) {
      state.key = '';
      alertError(error instanceof ApiError && error.status === 403
        ? 'This key belongs to another site.' : (error.message || 'Sign-in failed.'));
    }
  });
  $('#sign-out').addEventListener('click', () => { signOut(''); announce('Signed out.'); });

  // --- tabs ---------------------------------------------------------------------------------

  const tabs = [...document.querySelectorAll('[role=tab]')];
  function selectTab(tab) {
    for (const other of tabs) {
      const on = other === tab;
      other.setAttribute('aria-selected', String(on));
      other.tabIndex = on ? 0 : -1;
      $(`#${other.getAttribute('aria-controls')}`).hidden = !on;
    }
    tab.focus();
    if (tab.id === 'tab-bans') loadBans().catch(report);
    if (tab.id === 'tab-audit') loadAudit(true).catch(report);
    if (tab.id === 'tab-settings') loadSettings().catch(report);
  }
  tabs.forEach((tab, index) => {
    tab.addEventListener('click', () => selectTab(tab));
    tab.addEventListener('keydown', (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (step) { event.preventDefault(); selectTab(tabs[(index + step + tabs.length) % tabs.length]); }
    });
  });

  // --- comments -----------------------------------------------------------------------------

  const ACTIONS = {
    pending: ['approve', 'spam', 'delete'], approved: ['spam', 'delete'],
    spam: ['approve', 'restore', 'delete'], deleted: ['restore'],
  };
  const LABELS = { approve: 'Approve', spam: 'Spam', delete: 'Delete', restore: 'Restore' };

  function commentNode(c) {
    const who = c.author || '(no name)';
    const box = el('input', { type: 'checkbox', class: 'pick', 'aria-label': `Select the comment by ${who}` });
    box.addEventListener('change', updateSelected);
    const actions = el('div', { class: 'actions', role: 'group', 'aria-label': `Actions for the comment by ${who}` });
    for (const action of ACTIONS[c.status] || []) {
      if (action === 'restore' && !c.restorable) continue;
      actions.append(el('button', {
        type: 'button', 'data-action': action, class: action === 'delete' ? 'danger' : null,
        onclick: () => act(c.id, action),
      }, LABELS[action]));
    }
    actions.append(el('button', { type: 'button', 'data-action': 'edit', onclick: () => editComment(c) }, 'Edit'));
    actions.append(el('button', { type: 'button', 'data-action': 'ban', onclick: () => banAuthor(c) }, 'Ban author'));
    actions.append(el('button', { type: 'button', 'data-action': 'lock', onclick: () => lockThread(c.thread, true) }, 'Lock thread'));
    const meta = el('div', { class: 'meta' }, [
      el('strong', { text: who }),
      c.email ? el('span', { text: c.email }) : null,
      el('span', { text: `thread ${c.thread}` }),
      el('time', { datetime: c.created, text: new Date(c.created).toLocaleString() }),
      c.ip_hash ? el('span', { title: 'Keyed hash of the IP address', text: `IP #${c.ip_hash.slice(0, 8)}` }) : null,
      el('span', { class: 'status-pill', text: c.status }),
      // A linkback (trackback, webmention): another site's page linking here.
      c.type && c.type !== 'comment' ? el('span', { class: 'status-pill linkback', 'data-type': c.type, text: c.type }) : null,
      c.type && c.type !== 'comment' && c.website ? el('a', { href: c.website, rel: 'nofollow noopener', target: '_blank', text: 'source' }) : null,
    ]);
    return el('article', {
      class: 'comment', tabindex: '-1', 'data-id': c.id, 'data-status': c.status,
      'aria-label': `Comment by ${who}`,
    }, [box, el('div', {}, [meta, el('p', { class: 'text', text: c.text || '(no text)' })]), actions]);
  }

  async function loadComments(fresh) {
    if (fresh) { state.cursor = null; $('#comments').replaceChildren(); $('#select-all').checked = false; }
    const params = new URLSearchParams({ status: state.status });
    if (state.thread) params.set('thread', state.thread);
    if (state.cursor) params.set('cursor', state.cursor);
    const data = await api('GET', `comments?${params}`);
    for (const c of data.comments) $('#comments').append(commentNode(c));
    state.cursor = data.cursor;
    $('#comments-more').hidden = !data.cursor;
    const count = $('#comments').children.length;
    $('#comments-empty').hidden = count > 0;
    updateSelected();
    announce(`${count} ${state.status} comment${count === 1 ? '' : 's'} shown.`);
  }

  function removeComment(id) {
    const node = $(`#comments [data-id="${CSS.escape(id)}"]`);
    if (!node) return;
    const next = node.nextElementSibling || node.previousElementSibling;
    node.remove();
    if (next) next.focus();
    $('#comments-empty').hidden = $('#comments').children.length > 0;
    updateSelected();
  }

  function afterAction(id, status) {
    if (status !== state.status) removeComment(id);
  }

  async function act(id, action) {
    try {
      const data = await api('POST', `comments/${encodeURIComponent(id)}/${action}`);
      afterAction(id, data.comment.status);
      alertError('');
      announce(`Comment ${data.comment.status}.`);
    } catch (error) { report(error); }
  }

  function editComment(c) {
    const node = $(`#comments [data-id="${CSS.escape(c.id)}"]`);
    if (!node || node.querySelector('form.edit')) return;
    const text = node.querySelector('.text');
    const area = el('textarea', { rows: '5', 'aria-label': `Text of the comment by ${c.author || '(no name)'}` });
    area.value = c.text || '';
    const form = el('form', { class: 'edit' }, [
      area,
      el('div', { class: 'row' }, [
        el('button', { type: 'submit', class: 'primary' }, 'Save text'),
        el('button', { type: 'button', onclick: () => { form.remove(); text.hidden = false; } }, 'Cancel'),
      ]),
    ]);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      try {
        const data = await api('PATCH', `comments/${encodeURIComponent(c.id)}`, { text: area.value });
        c.text = data.comment.text;
        text.textContent = c.text;
        form.remove(); text.hidden = false;
        alertError('');
        announce('Comment text saved.');
      } catch (error) { report(error); }
    });
    text.hidden = true;
    text.after(form);
    area.focus();
  }

  function selectedIds() {
    return [...document.querySelectorAll('#comments .pick:checked')].map((b) => b.closest('article').dataset.id);
  }
  function updateSelected() {
    const n = selectedIds().length;
    $('#selected-count').textContent = `${n} selected`;
  }
  $('#select-all').addEventListener('change', (event) => {
    for (const box of document.querySelectorAll('#comments .pick')) box.checked = event.target.checked;
    updateSelected();
  });
  for (const button of document.querySelectorAll('[data-bulk]')) {
    button.addEventListener('click', async () => {
      const ids = selectedIds();
      if (!ids.length) { announce('Select comments first.'); return; }
      try {
        const data = await api('POST', 'bulk', { action: button.dataset.bulk, ids });
        let failed = 0;
        for (const result of data.results) {
          if (result.error) failed += 1; else afterAction(result.id, result.status);
        }
        $('#select-all').checked = false;
        alertError(failed ? `${failed} of ${ids.length} could not be changed.` : '');
        announce(`${ids.length - failed} comment${ids.length - failed === 1 ? '' : 's'} changed.`);
      } catch (error) { report(error); }
    });
  }

  $('#filter').addEventListener('submit', (event) => {
    event.preventDefault();
    state.status = $('#filter-status').value;
    state.thread = $('#filter-thread').value.trim();
    loadComments(true).catch(report);
  });
  $('#comments-more').addEventListener('click', () => loadComments(false).catch(report));

  // Keyboard: j/k move between comments, a/s/d act on the focused one, x selects it.
  document.addEventListener('keydown', (event) => {
    if ($('#panel-queue').hidden || $('#app').hidden) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (/^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(event.target.tagName) && event.target.type !== 'checkbox') return;
    const items = [...document.querySelectorAll('#comments article')];
    if (!items.length) return;
    const current = event.target.closest ? event.target.closest('#comments article') : null;
    const index = items.indexOf(current);
    const move = { j: 1, k: -1 }[event.key];
    if (move) { event.preventDefault(); items[Math.max(0, Math.min(items.length - 1, index + move))].focus(); return; }
    if (!current) return;
    const action = { a: 'approve', s: 'spam', d: 'delete' }[event.key];
    if (action && current.querySelector(`[data-action="${action}"]`)) { event.preventDefault(); act(current.dataset.id, action); }
    if (event.key === 'x') { const box = current.querySelector('.pick'); box.checked = !box.checked; updateSelected(); }
  });

  // --- bans ---------------------------------------------------------------------------------

  async function banAuthor(c) {
    const days = window.prompt(`Ban the author of this comment (e-mail and IP address) for how many days? Leave empty for ever.`, '30');
    if (days === null) return;
    const body = { comment: c.id, reason: `comment ${c.id}` };
    if (days.trim()) body.days = Number(days);
    try {
      await api('POST', 'bans', body);
      alertError('');
      announce('Author banned.');
    } catch (error) { report(error); }
  }

  async function loadBans() {
    const data = await api('GET', 'bans');
    const rows = data.bans.map((b) => el('tr', { 'data-ban': b.id }, [
      el('td', { text: b.label }),
      el('td', { text: b.reason }),
      el('td', { text: b.until ? `${new Date(b.until).toLocaleString()}${b.active ? '' : ' (expired)'}` : 'for ever' }),
      el('td', { text: new Date(b.created).toLocaleString() }),
      el('td', {}, el('button', { type: 'button', class: 'danger', 'aria-label': `Lift the ban on ${b.label}`, onclick: () => unban(b.id) }, 'Lift')),
    ]));
    $('#bans').replaceChildren(...rows);
    if (!rows.length) $('#bans').append(el('tr', {}, el('td', { colspan: '5', text: 'No bans.' })));
  }

  async function unban(id) {
    try { await api('DELETE', `bans/${encodeURIComponent(id)}`); await loadBans(); announce('Ban lifted.'); }
    catch (error) { report(error); }
  }

  $('#ban-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const kind = $('#ban-kind').value;
    const body = { [kind]: $('#ban-value').value.trim() };
    if ($('#ban-days').value) body.days = Number($('#ban-days').value);
    if ($('#ban-reason').value.trim()) body.reason = $('#ban-reason').value.trim();
    try {
      await api('POST', 'bans', body);
      event.target.reset();
      await loadBans();
      alertError('');
      announce('Ban added.');
    } catch (error) { report(error); }
  });

  // --- threads ------------------------------------------------------------------------------

  async function lockThread(key, locked) {
    try {
      const data = await api('PATCH', `threads?thread=${encodeURIComponent(key)}`, { locked });
      const t = data.thread;
      $('#thread-result').textContent = `Thread ${t.key} is ${t.locked ? 'locked' : 'open'} (${t.count} comments).`;
      alertError('');
      announce(`Thread ${t.key} ${t.locked ? 'locked' : 'unlocked'}.`);
    } catch (error) { report(error); }
  }
  $('#thread-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const locked = (event.submitter && event.submitter.dataset.lock) !== 'false';
    lockThread($('#thread-key').value.trim(), locked);
  });

  // --- settings -----------------------------------------------------------------------------

  async function loadSettings() {
    // Disabled while loading, so nobody edits a form that is about to be overwritten.
    $('#settings-fields').disabled = true;
    try { fillSettings((await api('GET', 'settings')).settings); }
    finally { $('#settings-fields').disabled = false; }
  }

  function fillSettings(s) {
    const form = $('#settings-form');
    form.moderation.value = s.moderation;
    form.origins.value = (s.origins || []).join('\n');
    form.edit_window_minutes.value = s.edit_window_minutes;
    form.max_length.value = s.max_length;
    form.require_author.checked = !!s.require_author;
    form.require_email.checked = !!s.require_email;
    form.notify_email.value = s.notify_email || '';
    form.read_only.value = s.read_only || '';
  }
  $('#settings-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.target;
    const body = {
      moderation: form.moderation.value,
      origins: form.origins.value.split('\n').map((o) => o.trim()).filter(Boolean),
      edit_window_minutes: Number(form.edit_window_minutes.value),
      max_length: Number(form.max_length.value),
      require_author: form.require_author.checked,
      require_email: form.require_email.checked,
      notify_email: form.notify_email.value.trim() || null,
      read_only: form.read_only.value,
    };
    try {
      const data = await api('PATCH', 'settings', body);
      fillSettings(data.settings);
      alertError('');
      announce('Settings saved.');
    } catch (error) { report(error); }
  });

  // --- audit --------------------------------------------------------------------------------

  const brief = (value) => (value === null || value === undefined ? '' : JSON.stringify(value));
  async function loadAudit(fresh) {
    if (fresh) { state.auditCursor = null; $('#audit').replaceChildren(); }
    const query = state.auditCursor ? `?cursor=${encodeURIComponent(state.auditCursor)}` : '';
    const data = await api('GET', `audit${query}`);
    for (const e of data.entries) {
      $('#audit').append(el('tr', {}, [
        el('td', {}, el('time', { datetime: e.time, text: new Date(e.time).toLocaleString() })),
        el('td', { text: e.key_name ? `${e.key_name} (${e.key_id})` : e.key_id }),
        el('td', { text: e.action }),
        el('td', { text: e.target }),
        el('td', { text: `${brief(e.before)} → ${brief(e.after)}` }),
      ]));
    }
    state.auditCursor = data.cursor;
    $('#audit-more').hidden = !data.cursor;
  }
  $('#audit-more').addEventListener('click', () => loadAudit(false).catch(report));

  // --- start --------------------------------------------------------------------------------

  const fromUrl = new URLSearchParams(location.search).get('site');
  const remembered = saved();
  $('#signin-site').value = (remembered && remembered.site) || fromUrl || '';
  if (remembered && remembered.key) {
    signIn(remembered.site, remembered.key).catch((error) => { signOut(''); report(error); });
  } else {
    (fromUrl ? $('#signin-key') : $('#signin-site')).focus();
  }
})();
