/*
 * Policy Inbox page feedback widget (SPEC §11). Embed on a page of one of the FEEDBACK_SITES:
 *   <script src="https://<policy inbox>/assets/page-feedback.js" data-url="https://<the page>" defer></script>
 * It draws "Rate this page" (a fieldset of five labelled radios and a submit button: arrows move between the
 * ratings, the button sends), "Currently rated: X out of 5 based on N votes", "Thank you!" in a live region after a
 * vote, and the "tell us what you think" form. No framework, no cookies: to count a visitor once a day it keeps a
 * random id in this site's own localStorage (first-party to the charity's site) and sends it with the vote.
 * Without scripts, link to <policy inbox>/feedback?url=<the page>, the same as a plain page.
 */
(function () {
  'use strict';
  var script = document.currentScript || document.querySelector('script[src*="/assets/page-feedback.js"]:not([data-pf-done])');
  if (!script || script.getAttribute('data-pf-done')) return;
  script.setAttribute('data-pf-done', '');
  var base = new URL(script.src, location.href).origin;
  var pageUrl = script.getAttribute('data-url') || location.href.split('#')[0];
  var uid = 'pf-' + Math.random().toString(36).slice(2, 8);
  var STORAGE_KEY = 'policy-inbox-visitor';
  var LABELS = ['1 star, very poor', '2 stars, poor', '3 stars, fair', '4 stars, good', '5 stars, excellent'];

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return node;
  }

  function visitorId() {
    try {
      var id = window.localStorage.getItem(STORAGE_KEY);
      if (id && /^[A-Za-z0-9_-]{16,64}$/.test(id)) return id;
      var bytes = new Uint8Array(16);
      window.crypto.getRandomValues(bytes);
      id = Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
      window.localStorage.setItem(STORAGE_KEY, id);
      return id;
    } catch (e) {
      return undefined; // storage blocked: the server counts the vote by a salted hash of the address instead
    }
  }

  function api(path, body) {
    return fetch(base + path, body === undefined ? { mode: 'cors', credentials: 'omit' } : {
      method: 'POST', mode: 'cors', credentials: 'omit', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (json) { return { status: res.status, body: json }; });
    });
  }

  function ratedText(average, votes) {
    if (!votes) return 'Not rated yet. Be the first to rate this page.';
    return 'Currently rated: ' + average.toFixed(1) + ' out of 5 based on ' + votes + (votes === 1 ? ' vote' : ' votes');
  }

  function problemText(res, fallback) {
    if (res.status === 429) return 'You have sent a lot of feedback recently. Please try again later.';
    return fallback;
  }

  // --- Rate this page ---
  var radios = LABELS.map(function (label, i) {
    var id = uid + '-rating-' + (i + 1);
    var input = el('input', { type: 'radio', name: uid + '-rating', id: id, value: String(i + 1), class: 'pf__radio' });
    var stars = el('span', { class: 'pf__stars', 'aria-hidden': 'true' }, ['\u2605'.repeat(i + 1)]);
    return el('div', { class: 'pf__option' }, [input, el('label', { for: id, class: 'pf__label' }, [stars, el('span', { class: 'pf__label-text' }, [label])])]);
  });
  var rateError = el('p', { class: 'pf__error', id: uid + '-rating-error', hidden: '' });
  var fieldset = el('fieldset', { class: 'pf__fieldset' }, [el('legend', { class: 'pf__legend' }, ['Rate this page']), rateError].concat(radios));
  var rateButton = el('button', { type: 'submit', class: 'pf__button' }, ['Send rating']);
  var current = el('p', { class: 'pf__current', id: uid + '-current' }, ['Loading the current rating\u2026']);
  var rateStatus = el('p', { class: 'pf__status', role: 'status' });
  var rateForm = el('form', { class: 'pf__form', novalidate: '' }, [fieldset, rateButton]);

  // --- Tell us what you think ---
  var commentId = uid + '-comment';
  var textarea = el('textarea', { id: commentId, name: 'comment', rows: '4', class: 'pf__textarea', 'aria-describedby': commentId + '-hint', maxlength: '2000' });
  var commentError = el('p', { class: 'pf__error', id: commentId + '-error', hidden: '' });
  var honeypot = el('div', { class: 'pf__honeypot', 'aria-hidden': 'true' }, [
    el('label', { for: uid + '-website' }, ['Leave this empty']),
    el('input', { type: 'text', id: uid + '-website', name: 'website', tabindex: '-1', autocomplete: 'off' }),
  ]);
  var commentStatus = el('p', { class: 'pf__status', role: 'status' });
  var commentForm = el('form', { class: 'pf__form pf__form--comment', novalidate: '' }, [
    el('label', { for: commentId, class: 'pf__legend' }, ["We've recently made some changes to the site, tell us what you think"]),
    el('p', { id: commentId + '-hint', class: 'pf__hint' }, ['Please do not include personal details such as your name, email address, phone number or medical details. We do not reply to comments here.']),
    commentError, textarea, honeypot,
    el('button', { type: 'submit', class: 'pf__button' }, ['Send feedback']),
  ]);

  var root = el('section', { class: 'pf', 'aria-label': 'Page feedback' }, [rateForm, current, rateStatus, commentForm, commentStatus]);
  document.head.appendChild(el('link', { rel: 'stylesheet', href: base + '/assets/page-feedback.css' }));
  script.parentNode.insertBefore(root, script.nextSibling);

  function showError(node, field, text) {
    node.textContent = text ? 'Error: ' + text : '';
    node.hidden = !text;
    if (field) {
      if (text) field.setAttribute('aria-describedby', node.id);
      else field.removeAttribute('aria-describedby');
    }
  }

  api('/api/pages/rating?url=' + encodeURIComponent(pageUrl)).then(function (res) {
    current.textContent = res.status === 200 ? ratedText(res.body.average, res.body.votes) : 'The current rating is not available.';
  }, function () {
    current.textContent = 'The current rating is not available.';
  });

  rateForm.addEventListener('submit', function (event) {
    event.preventDefault();
    var chosen = rateForm.querySelector('input[type=radio]:checked');
    rateStatus.textContent = '';
    if (!chosen) {
      showError(rateError, fieldset, 'Choose a rating from 1 to 5 stars');
      rateForm.querySelector('input[type=radio]').focus();
      return;
    }
    showError(rateError, fieldset, '');
    rateButton.disabled = true;
    var body = { url: pageUrl, rating: Number(chosen.value) };
    var id = visitorId();
    if (id) body.visitorId = id;
    api('/api/pages/ratings', body).then(function (res) {
      rateButton.disabled = false;
      if (res.status === 201) {
        current.textContent = ratedText(res.body.average, res.body.votes);
        rateStatus.textContent = 'Thank you! ' + current.textContent + '.';
      } else {
        showError(rateError, fieldset, problemText(res, 'Your rating could not be sent. Please try again.'));
      }
    }, function () {
      rateButton.disabled = false;
      showError(rateError, fieldset, 'Your rating could not be sent. Check your connection and try again.');
    });
  });

  commentForm.addEventListener('submit', function (event) {
    event.preventDefault();
    commentStatus.textContent = '';
    var text = textarea.value;
    if (!text.trim()) {
      showError(commentError, null, 'Enter your feedback');
      textarea.setAttribute('aria-describedby', commentId + '-hint ' + commentError.id);
      textarea.focus();
      return;
    }
    showError(commentError, null, '');
    textarea.setAttribute('aria-describedby', commentId + '-hint');
    api('/api/pages/feedback', { url: pageUrl, comment: text, website: commentForm.querySelector('input[name=website]').value })
      .then(function (res) {
        if (res.status === 201) {
          textarea.value = '';
          commentStatus.textContent = 'Thank you for your feedback.';
        } else {
          var msg = res.status === 400 ? 'Your feedback must be 2000 characters or fewer, in plain text' : 'Your feedback could not be sent. Please try again.';
          showError(commentError, null, problemText(res, msg));
          textarea.setAttribute('aria-describedby', commentId + '-hint ' + commentError.id);
          textarea.focus();
        }
      }, function () {
        showError(commentError, null, 'Your feedback could not be sent. Check your connection and try again.');
      });
  });
})();
