// The console page: fetches the rendered view for the chosen user (and the thread open in the side pane),
// refreshes it on every server-sent "change", and turns clicks, the composer and the modal into the
// console's JSON actions. A refresh patches the page instead of replacing it: a message whose HTML did not
// change keeps its element, so what the reader is looking at (and what a test holds) stays in place.
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const state = { user: localStorage.getItem('dbupdate.console.user') || '', users: [], thread: null, stick: false, threadStick: false, viewId: null, viewVersion: null, seq: 0 };
  /** The HTML each patched element was made from (its DOM may differ since: a disabled button). */
  const source = new WeakMap();

  async function post(path, body) {
    const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = await res.json().catch(() => ({ ok: false, error: `HTTP ${res.status}` }));
    if (!res.ok || json.ok === false) throw new Error(json.error || `HTTP ${res.status}`);
    return json;
  }

  function showError(msg) {
    $('composer-error').textContent = msg || '';
  }

  /** An element's key among its siblings: `data-key`, else `data-ts` (a message). */
  const keyOf = (el) => el.getAttribute('data-key') || el.getAttribute('data-ts');

  /**
   * Make `box`'s children those of `html`, keeping every element whose HTML is unchanged; a changed
   * element marked `data-list` keeps its element too and has its own children patched.
   */
  function patch(box, html) {
    const t = document.createElement('template');
    t.innerHTML = html;
    patchChildren(box, [...t.content.children]);
  }

  function patchChildren(box, next) {
    const byKey = new Map();
    for (const el of box.children) if (keyOf(el)) byKey.set(keyOf(el), el);
    const used = new Set();
    const nodes = next.map((n) => {
      const html = n.outerHTML;
      let old = keyOf(n) ? byKey.get(keyOf(n)) : undefined;
      if (old && used.has(old)) old = undefined; // a key met twice: the second gets its own element
      if (old) used.add(old);
      if (old && source.get(old) === html) return old;
      if (old && n.hasAttribute('data-list') && old.tagName === n.tagName) {
        for (const a of [...old.attributes]) if (!n.hasAttribute(a.name)) old.removeAttribute(a.name);
        for (const a of n.attributes) old.setAttribute(a.name, a.value);
        patchChildren(old, [...n.children]);
        source.set(old, html);
        return old;
      }
      source.set(n, html);
      return n;
    });
    const same = nodes.length === box.children.length && nodes.every((n, i) => box.children[i] === n);
    if (!same) box.replaceChildren(...nodes);
  }

  const nearBottom = (el) => el.scrollHeight - el.scrollTop - el.clientHeight < 48;
  /**
   * Whether the channel and the thread pane are scrolled to their newest message (as of the reader's last
   * scroll): new messages, and a resized window, keep them there; a reader who scrolled up stays put.
   */
  const atBottom = new Map();
  for (const id of ['messages', 'thread']) {
    const el = $(id);
    atBottom.set(id, true);
    el.addEventListener('scroll', () => atBottom.set(id, nearBottom(el)));
    new ResizeObserver(() => {
      if (atBottom.get(id)) el.scrollTop = el.scrollHeight;
    }).observe(el);
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
    if (id !== state.user) showError(''); // an error belongs to what its user typed
    state.user = id;
    localStorage.setItem('dbupdate.console.user', id);
    renderUsers();
    refresh();
  }

  function openThread(ts) {
    state.thread = ts;
    state.threadStick = true;
    refresh();
  }

  function closeThread() {
    state.thread = null;
    refresh();
  }

  async function refresh() {
    const seq = ++state.seq;
    const user = state.user;
    const thread = state.thread;
    const q = `user=${encodeURIComponent(user)}${thread ? `&thread=${encodeURIComponent(thread)}` : ''}`;
    const res = await fetch(`/api/view?${q}`);
    if (!res.ok) return showError((await res.json().catch(() => ({}))).error || `HTTP ${res.status}`);
    const v = await res.json();
    if (seq !== state.seq) return; // a newer refresh is on its way

    const box = $('messages');
    const stick = state.stick || atBottom.get('messages');
    state.stick = false;
    patch(box, v.channel);
    if (stick) {
      box.scrollTop = box.scrollHeight;
      atBottom.set('messages', true);
    }

    const pane = $('thread-pane');
    const tbox = $('thread');
    if (thread) {
      const wasOpen = !pane.hidden;
      pane.hidden = false;
      $('app').classList.add('thread-open');
      const threadStick = state.threadStick || !wasOpen || atBottom.get('thread');
      state.threadStick = false;
      patch(tbox, v.thread ? v.thread.html : '<div class="thread-gone" data-key="gone">This message is not in the channel for you.</div>');
      // new replies come into view, as in Slack, unless the reader scrolled up to read older ones
      if (threadStick) {
        tbox.scrollTop = tbox.scrollHeight;
        atBottom.set('thread', true);
      }
    } else {
      pane.hidden = true;
      $('app').classList.remove('thread-open');
      tbox.replaceChildren();
    }
    for (const el of box.querySelectorAll('.msg')) el.classList.toggle('selected', el.dataset.ts === thread);
    for (const el of box.querySelectorAll('.thread-link')) {
      el.classList.toggle('active', el.dataset.thread === thread);
      el.setAttribute('aria-expanded', String(el.dataset.thread === thread));
    }

    const cluster = $('cluster');
    if (source.get(cluster) !== v.cluster) {
      cluster.innerHTML = v.cluster;
      source.set(cluster, v.cluster);
    }
    renderModal(v.modal);
    document.body.dataset.viewer = user; // the page now shows what this user sees
    document.body.dataset.thread = thread || '';
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
        : el.dataset.type === 'channels_select'
          ? { type: 'channels_select', selected_channel: el.value || null }
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
    const link = ev.target.closest('.thread-link');
    if (link) return state.thread === link.dataset.thread ? closeThread() : openThread(link.dataset.thread);
    const btn = ev.target.closest('.messages button[data-action-id], .thread-body button[data-action-id]');
    if (!btn) return;
    const msg = btn.closest('.msg');
    showError('');
    btn.disabled = true;
    try {
      await post('/api/click', { user: state.user, ts: msg.dataset.ts, actionId: btn.dataset.actionId, blockId: btn.dataset.blockId || undefined, value: btn.dataset.value });
    } catch (e) {
      showError(e.message);
    } finally {
      btn.disabled = false;
    }
  });

  $('thread-close').addEventListener('click', closeThread);

  document.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Escape') return;
    if (state.viewId) modalAction('cancel');
    else if (state.thread) closeThread();
  });

  $('modal').addEventListener('submit', (ev) => {
    ev.preventDefault();
    modalAction('submit');
  });

  // an error is about what was typed: editing (or clearing) the input clears it
  $('composer-input').addEventListener('input', () => showError(''));

  $('composer').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const input = $('composer-input');
    const text = input.value.trim();
    if (!text) return;
    showError('');
    input.value = '';
    state.stick = true; // what one sends, and the answer, come into view
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
    for (const id of ['channel-name', 'channel-title', 'thread-channel']) $(id).textContent = meta.channel.name;
    $('composer-input').placeholder = `Message #${meta.channel.name} — try /dbupdate mysql orders 8.4`;
    if (!state.users.some((u) => u.id === state.user)) state.user = state.users[0].id;
    setUser(state.user);
    connect();
  })().catch((e) => showError(`The console could not start: ${e.message}`));
})();
