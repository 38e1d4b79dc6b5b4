// Progressive enhancement for the question box: counts characters (code points) as people type.
(function () {
  document.querySelectorAll('.character-count').forEach(function (group) {
    var max = Number(group.getAttribute('data-maxlength'));
    var textarea = group.querySelector('textarea');
    var info = group.querySelector('.character-count__message');
    if (!textarea || !info || !max) return;
    function update() {
      var left = max - Array.from(textarea.value).length;
      info.textContent = left >= 0
        ? 'You have ' + left + ' character' + (left === 1 ? '' : 's') + ' remaining'
        : 'You have ' + -left + ' character' + (left === -1 ? '' : 's') + ' too many';
      info.classList.toggle('character-count__message--error', left < 0);
      textarea.classList.toggle('input--error', left < 0);
    }
    textarea.addEventListener('input', update);
    update();
  });
  var summary = document.querySelector('[data-module="error-summary"]');
  if (summary) summary.focus();
})();
