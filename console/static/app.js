// The console page: fetches the rendered view for the chosen user, refreshes it on every server-sent
// "change", and turns clicks, the composer and the modal into the console's JSON actions.
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const state = { user: localStorage.getItem('dbupdate.console.user') || '', users: [], openThreads: new Set(), viewId: null, viewVersion: null, seq: 0 };

  async function post(path, body) {
    const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = await res.json().catch(() => ({ ok: false, error: `HTTP ${res.status}` }));
    if (!res.ok || json.ok === false) throw new Error(json.error || `HTTP ${res.status}`);
    return json;
  }

  function showError(msg) {
    $('composer-error').textContent = msg || '';
  }

  function renderUsers() {
    const box = $('users');
    box.replaceChildren();
    for (const u of state.users) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'user' + (u.id === state.user ? ' active' : '');
      b.setAttribute('role', 'radio');
      b.setAttribute('aria-checked', String(u.id === state.user));
      b.dataset.user = u.id;
      b.textContent = `${u.real_name} (@${u.name})`;
      b.addEventListener('click', () => setUser(u.id));
      box.append(b);
    }
    const me = state.users.find((u) => u.id === state.user);
    $('composer-user').textContent = me ? `${me.real_name} (@${me.name})` : state.user;
  }

  function setUser(id) {
    state.user = id;
    localStorage.setItem('dbupdate.console.user', id);
    renderUsers();
    refresh();
  }

  async function refresh() {
    const seq = ++state.seq;
    const user = state.user;
    const res = await fetch(`/api/view?user=${encodeURIComponent(user)}`);
    if (!res.ok) return showError((await res.json().catch(() => ({}))).error || `HTTP ${res.status}`);
    const v = await res.json();
    if (seq !== state.seq) return; // a newer refresh is on its way
    const box = $('messages');
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
    box.innerHTML = v.channel;
    for (const d of box.querySelectorAll('details.thread')) {
      if (state.openThreads.has(d.dataset.thread)) d.open = true;
      d.addEventListener('toggle', () => (d.open ? state.openThreads.add(d.dataset.thread) : state.openThreads.delete(d.dataset.thread)));
    }
    if (atBottom) box.scrollTop = box.scrollHeight;
    $('cluster').innerHTML = v.cluster;
    renderModal(v.modal);
    document.body.dataset.viewer = user; // the page now shows what this user sees
  }

  function renderModal(modal) {
    const backdrop = $('modal-backdrop');
    if (!modal) {
      backdrop.hidden = true;
      state.viewId = null;
      state.viewVersion = null;
      return;
    }
    if (state.viewVersion === modal.version && !backdrop.hidden) return; // keep what is being typed
    state.viewId = modal.id;
    state.viewVersion = modal.version;
    $('modal').innerHTML = modal.html;
    backdrop.hidden = false;
    const first = $('modal').querySelector('.input');
    if (first) first.focus();
  }

  function viewValues() {
    const values = {};
    for (const el of $('modal').querySelectorAll('[data-action-id][data-type]')) {
      const block = (values[el.dataset.blockId] ||= {});
      block[el.dataset.actionId] = el.dataset.type === 'static_select'
        ? { type: 'static_select', ...(el.value ? { selected_option: { value: el.value } } : {}) }
        : { type: el.dataset.type, value: el.value };
    }
    return values;
  }

  async function modalAction(kind) {
    const viewId = state.viewId;
    if (!viewId) return;
    try {
      if (kind === 'cancel') {
        await post('/api/close-view', { user: state.user, viewId });
        state.viewId = null;
        $('modal-backdrop').hidden = true;
        return;
      }
      const r = await post('/api/submit', { user: state.user, viewId, values: viewValues() });
      const ack = r.ack || {};
      for (const el of $('modal').querySelectorAll('.blk-error')) el.textContent = '';
      if (ack.response_action === 'errors') {
        for (const [block, msg] of Object.entries(ack.errors || {})) {
          const el = $('modal').querySelector(`[data-error-for="${CSS.escape(block)}"]`);
          if (el) el.textContent = msg;
        }
        return;
      }
      state.viewId = null;
      refresh();
    } catch (e) {
      showError(e.message);
    }
  }

  document.addEventListener('click', async (ev) => {
    const modalBtn = ev.target.closest('[data-modal]');
    if (modalBtn) return modalAction(modalBtn.dataset.modal);
    const btn = ev.target.closest('.messages button[data-action-id]');
    if (!btn) return;
    const msg = btn.closest('.msg');
    showError('');
    btn.disabled = true;
    try {
      await post('/api/click', { user: state.user, ts: msg.dataset.ts, actionId: btn.dataset.actionId, blockId: btn.dataset.blockId || undefined });
    } catch (e) {
      showError(e.message);
    } finally {
      btn.disabled = false;
    }
  });

  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && state.viewId) modalAction('cancel');
  });

  $('modal').addEventListener('submit', (ev) => {
    ev.preventDefault();
    modalAction('submit');
  });

  $('composer').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const input = $('composer-input');
    const text = input.value.trim();
    if (!text) return;
    showError('');
    input.value = '';
    try {
      await post('/api/command', { user: state.user, text });
    } catch (e) {
      input.value = text;
      showError(e.message);
    }
    refresh();
  });

  function connect() {
    const es = new EventSource('/events');
    es.addEventListener('change', () => refresh());
    es.onopen = () => {
      $('live').classList.remove('off');
      refresh();
    };
    es.onerror = () => $('live').classList.add('off');
  }

  (async () => {
    const meta = await (await fetch('/api/meta')).json();
    state.users = meta.users;
    $('channel-name').textContent = meta.channel.name;
    $('channel-title').textContent = meta.channel.name;
    $('composer-input').placeholder = `Message #${meta.channel.name} — try /dbupdate mysql orders 8.4`;
    if (!state.users.some((u) => u.id === state.user)) state.user = state.users[0].id;
    setUser(state.user);
    connect();
  })().catch((e) => showError(`The console could not start: ${e.message}`));
})();
