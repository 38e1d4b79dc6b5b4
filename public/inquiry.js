// The inquiry page's one enhancement: "Insert saved reply" adds the saved reply to "Your reply" in place instead of
// posting the form (which, without this file, draws the page again with the same result). Nothing is sent either way.
for (const box of document.querySelectorAll('[data-module="insert-saved-reply"]')) {
  const form = box.closest('form');
  const select = box.querySelector('select');
  const button = box.querySelector('[data-insert-saved]');
  const status = box.querySelector('[data-insert-status]');
  const reply = form && form.querySelector('textarea[name="body"]');
  if (!select || !button || !reply) continue;

  button.addEventListener('click', (event) => {
    const template = select.value && box.querySelector(`template[data-saved-reply="${CSS.escape(select.value)}"]`);
    if (!template) return; // no choice made: let the form post, and the page says what to do
    event.preventDefault();
    const saved = template.content.textContent;
    const typed = reply.value.replace(/\s+$/, '');
    reply.value = typed ? `${typed}\n\n${saved}` : saved;
    reply.focus();
    reply.setSelectionRange(reply.value.length, reply.value.length);
    reply.scrollTop = reply.scrollHeight;
    reply.dispatchEvent(new Event('input', { bubbles: true })); // the draft autosave (below) keeps it too
    status.textContent = `Saved reply “${select.selectedOptions[0].text}” inserted`;
  });
}

// Drafts (SPEC §9): while "Your reply" is typed in, it is saved on the server about a second after the last key
// (PUT with the session's CSRF token), so a reload or another device finds it again. Without this file the form's
// "Save draft" button does the same. Sending the reply deletes the draft on the server.
for (const form of document.querySelectorAll('form[data-draft-url]')) {
  const reply = form.querySelector('textarea[name="body"]');
  const token = form.querySelector('input[name="_csrf"]');
  const status = form.querySelector('[data-draft-status]');
  if (!reply || !token || !status) continue;
  let timer;
  let saved = reply.value;
  let sending = false;

  const save = async () => {
    timer = undefined;
    const body = reply.value;
    if (body === saved || sending) return;
    try {
      const res = await fetch(form.dataset.draftUrl, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': token.value },
        body: JSON.stringify({ body }),
        credentials: 'same-origin',
      });
      if (!res.ok && res.status !== 204) throw new Error(String(res.status));
      saved = body;
      if (!sending) status.textContent = res.status === 204 ? 'Draft cleared' : 'Draft saved';
    } catch {
      if (!sending) status.textContent = 'Draft not saved. Use “Save draft” to try again.';
    }
  };

  reply.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(save, 1000);
  });
  // Sending (or "Save draft", or inserting a saved reply without this file) posts the form: no autosave after it.
  form.addEventListener('submit', () => {
    sending = true;
    clearTimeout(timer);
  });
}
