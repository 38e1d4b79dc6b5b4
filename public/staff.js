// The staff inbox's small enhancements. Every page works without this file; it only moves focus where a person
// using a screen reader or the keyboard expects it after a page is drawn.
const summary = document.querySelector('[data-module="error-summary"]');
const notice = document.querySelector('[data-notice]');
if (summary) summary.focus();
else if (notice) notice.focus();
