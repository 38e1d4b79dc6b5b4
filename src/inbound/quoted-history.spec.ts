import { stripQuotedHistory } from './quoted-history.js';

describe('stripQuotedHistory', () => {
  it('keeps the new text and drops a Gmail-style quote', () => {
    const text = 'Thanks, that answers it.\n\nOn Tue, 24 Nov 2026 at 10:00, Policy team <policy@example.org> wrote:\n> Dear Aisha,\n> Here is our answer.';
    expect(stripQuotedHistory(text)).toBe('Thanks, that answers it.');
  });

  it('handles "wrote:" wrapped onto the next line, Outlook headers and signatures', () => {
    expect(stripQuotedHistory('Yes please.\n\nOn Tue, 24 Nov 2026 at 10:00, Policy team <policy@example.org>\nwrote:\n> x')).toBe('Yes please.');
    expect(stripQuotedHistory('See below.\n\nFrom: Policy team <policy@example.org>\nSent: 24 November 2026\nTo: me\n\nold')).toBe('See below.');
    expect(stripQuotedHistory('Brilliant.\n-- \nAisha Khan\n07700 900123')).toBe('Brilliant.');
    expect(stripQuotedHistory('Fine.\n\nSent from my iPhone')).toBe('Fine.');
    expect(stripQuotedHistory('FYI\n-----Original Message-----\nFrom: x')).toBe('FYI');
  });

  it('drops interleaved quoted lines but keeps the answers between them', () => {
    expect(stripQuotedHistory('> Question one?\nAnswer one.\n> Question two?\nAnswer two.')).toBe('Answer one.\nAnswer two.');
  });

  it('falls back to the whole text when everything is quoted', () => {
    expect(stripQuotedHistory('> only a quote')).toBe('> only a quote');
  });
});
