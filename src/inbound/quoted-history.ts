/**
 * The new part of an emailed answer: quoted history, "On … wrote:" blocks, forwarded or original
 * messages and signatures are cut off, so the conversation shows what the enquirer actually wrote.
 * The raw message is kept elsewhere; this is only for display.
 */
const CUT_LINE = [
  /^-{2,}\s*(original message|forwarded message)\s*-{2,}$/i,
  /^_{5,}$/, // Outlook's rule above the quoted message
  /^begin forwarded message:?$/i,
  /^-- ?$/, // the signature separator
  /^sent from my (iphone|ipad|android|mobile|phone|samsung|galaxy)/i,
  /^get outlook for (ios|android)/i,
];
const ON_WROTE = /^on\s.+(wrote|writes):\s*$/i;
const HEADER_BLOCK = /^(from|sent|to|date|subject):\s/i;

export function stripQuotedHistory(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trimEnd();
    const trimmed = line.trim();
    if (CUT_LINE.some((re) => re.test(trimmed))) break;
    if (ON_WROTE.test(trimmed)) break;
    // "On Tue, 24 Nov 2026 at 10:00, Policy team <policy@…>" and "wrote:" on the next line.
    if (/^on\s/i.test(trimmed) && i + 1 < lines.length && /^.{0,80}(wrote|writes):\s*$/i.test(lines[i + 1].trim())) break;
    // An Outlook header block ("From: …" followed by "Sent:"/"To:"/"Subject:").
    if (/^from:\s/i.test(trimmed) && i + 1 < lines.length && HEADER_BLOCK.test(lines[i + 1].trim())) break;
    if (trimmed.startsWith('>')) continue;
    kept.push(line);
  }
  const body = kept.join('\n').trim();
  return body || text.trim();
}
