// Keyboard shortcuts of the staff inbox (SPEC §9). Single keys, so: never while typing in a field, never with
// Ctrl, Alt or Meta held, and only when the person has them on (My account; WCAG 2.1.4). The layout says which
// with <body data-shortcuts="on">. Every shortcut only moves focus or presses what is already on the page.
// The announcements region and the list of keys are made when first needed, so the page is as drawn until then.
const body = document.body;
let dialog = null;
let status = null;

/** Every shortcut, in the words of the list "?" opens. */
const KEYS = [
  [['j'], 'Next inquiry in the list'],
  [['k'], 'Previous inquiry in the list'],
  [['Enter'], 'Open the inquiry'],
  [['x'], 'Select or deselect the inquiry (for a change to several)'],
  [['r'], 'Write a reply (on an inquiry)'],
  [['n'], 'Write an internal note (on an inquiry)'],
  [['a'], 'Assign to me (on an inquiry)'],
  [['e'], 'Resolve (on an inquiry)'],
  [['/'], 'Search the inbox'],
  [['g', 'i'], 'Go to the inbox'],
  [['?'], 'Show this list'],
];

function element(tag, attributes = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
  el.append(...children);
  return el;
}

/** A native <dialog>: heading, a table of keys and what they do, and Close (Escape closes it too). */
function listOfKeys() {
  const rows = KEYS.map(([keys, what]) => {
    const cell = element('th', { scope: 'row' });
    keys.forEach((key, i) => cell.append(...(i ? [' then '] : []), element('kbd', {}, key)));
    return element('tr', {}, cell, element('td', {}, what));
  });
  const table = element('table', { class: 'table shortcuts-table' },
    element('caption', { class: 'visually-hidden' }, 'Keyboard shortcuts and what they do'),
    element('thead', {}, element('tr', {}, element('th', { scope: 'col' }, 'Key'), element('th', { scope: 'col' }, 'What it does'))),
    element('tbody', {}, ...rows));
  return element('dialog', { class: 'shortcuts-dialog', 'aria-labelledby': 'shortcuts-dialog-title', 'data-shortcuts-dialog': '' },
    element('h2', { id: 'shortcuts-dialog-title' }, 'Keyboard shortcuts'),
    table,
    element('p', {}, 'They never work while you are typing in a field. ',
      element('a', { href: '/admin/account#shortcuts-heading' }, 'Turn them off in My account'), '.'),
    element('form', { method: 'dialog' }, element('button', { type: 'submit', class: 'button button--secondary', 'data-shortcuts-close': '' }, 'Close')));
}


function start() {
  let pendingG = 0;
  let opener = null;

  // "/" on another page comes to /admin/inbox#q: focus the search there.
  if (location.hash === '#q') searchField()?.focus();

  document.querySelector('[data-shortcuts-open]')?.addEventListener('click', (event) => {
    event.preventDefault();
    openList();
  });

  document.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey || event.isComposing) return;
    if (typing(event.target) || typing(document.activeElement) || dialog?.open) return;
    const key = event.key;
    if (pendingG && Date.now() - pendingG < 1500) {
      pendingG = 0;
      if (key === 'i') {
        event.preventDefault();
        location.assign('/admin/inbox');
      }
      return;
    }
    pendingG = 0;
    const action = Object.hasOwn(ACTIONS, key) ? ACTIONS[key] : null;
    if (key === 'g') {
      pendingG = Date.now();
      event.preventDefault();
    } else if (key === '?') {
      event.preventDefault();
      openList();
    } else if (action) {
      event.preventDefault();
      action();
    }
  });

  function openList() {
    if (!dialog) {
      dialog = listOfKeys();
      body.append(dialog);
      dialog.addEventListener('close', () => {
        if (opener && opener.isConnected) opener.focus();
        opener = null;
      });
    }
    if (dialog.open) return;
    opener = document.activeElement;
    dialog.showModal();
    dialog.querySelector('[data-shortcuts-close]')?.focus();
  }
}

const ACTIONS = {
  j: () => move(1),
  k: () => move(-1),
  x: select,
  r: () => focusWriting('reply-body', 'Write a reply works on an inquiry page where a reply can be sent'),
  n: () => focusWriting('note-body', 'Write a note works on an inquiry page'),
  a: assignToMe,
  e: resolve,
  '/': search,
};

/** Is the person typing here? Then a key is a character, not a shortcut. */
function typing(el) {
  if (!el || el === body) return false;
  if (el.isContentEditable) return true;
  if (el.tagName === 'TEXTAREA' || el.tagName === 'SELECT') return true;
  if (el.tagName !== 'INPUT') return false;
  return !['checkbox', 'radio', 'button', 'submit', 'reset', 'image', 'file', 'range', 'color'].includes(el.type);
}

function say(text) {
  if (!status) {
    status = element('p', { class: 'visually-hidden', role: 'status', 'data-shortcuts-status': '' });
    body.append(status);
  }
  // Emptied first and filled a moment later, so a new region is heard and the same words said twice are too.
  status.textContent = '';
  setTimeout(() => { status.textContent = text; }, 150);
}

const rows = () => Array.from(document.querySelectorAll('.inbox-table tbody tr'));
const rowLink = (row) => row.querySelector('th a[href], a[href]');

/** The row the person is on: the highlighted one, else the one holding focus. */
function currentRow(list) {
  const marked = list.find((r) => r.classList.contains('inbox-row--current'));
  if (marked) return marked;
  return list.find((r) => r.contains(document.activeElement)) ?? null;
}

function move(step) {
  const list = rows();
  if (!list.length) return say('There is no list of inquiries on this page');
  const current = currentRow(list);
  const at = current ? list.indexOf(current) : -1;
  const next = list[at < 0 ? (step > 0 ? 0 : list.length - 1) : Math.min(list.length - 1, Math.max(0, at + step))];
  if (next === current) say(step > 0 ? 'Last inquiry on this page' : 'First inquiry on this page');
  list.forEach((r) => r.classList.remove('inbox-row--current'));
  next.classList.add('inbox-row--current');
  // Focusing the reference link makes a screen reader read it, and Enter opens it natively.
  rowLink(next)?.focus();
}

function select() {
  const list = rows();
  const row = currentRow(list);
  if (!row) return list.length ? say('Move to an inquiry with j first') : undefined;
  const box = row.querySelector('input[type="checkbox"]');
  if (!box || box.disabled) return;
  box.click();
  const what = rowLink(row)?.textContent.trim() ?? 'Inquiry';
  say(`${what} ${box.checked ? 'selected' : 'not selected'}`);
}

function focusWriting(id, otherwise) {
  const field = document.getElementById(id);
  if (!field || !field.form || field.disabled) return say(otherwise);
  field.focus();
}

function assignToMe() {
  const button = document.querySelector('[data-shortcut-assign] button');
  if (button) return button.click();
  say(document.querySelector('[data-shortcut-triage]') ? 'This inquiry is already assigned to you' : 'Assign to me works on an inquiry page');
}

function resolve() {
  const form = document.querySelector('form[data-shortcut-triage]');
  const select = form?.querySelector('select[name="status"]');
  if (!form || !select) return say('Resolve works on an inquiry page');
  if (select.value === 'resolved' && select.selectedOptions[0]?.textContent.includes('(now)')) return say('This inquiry is already resolved');
  const option = Array.from(select.options).find((o) => o.value === 'resolved');
  if (!option) return say('This inquiry cannot be resolved from its status now');
  select.value = 'resolved';
  say('Resolving');
  form.requestSubmit();
}

function searchField() {
  return document.querySelector('form[role="search"] input[name="q"]');
}

function search() {
  const field = searchField();
  if (field) {
    field.focus();
    field.select();
  } else {
    location.assign('/admin/inbox#q');
  }
}

if (body.dataset.shortcuts === 'on') start();
