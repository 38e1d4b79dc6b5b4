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
    status.textContent = `Saved reply “${select.selectedOptions[0].text}” inserted`;
  });
}
