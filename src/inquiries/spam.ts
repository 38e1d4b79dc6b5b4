import { CreateInquiryDto } from './create-inquiry.dto.js';

/** Patterns that real questions to a cancer charity's policy team do not contain. */
const KNOWN_BAD: [RegExp, string][] = [
  [/\b(viagra|cialis|casino|porn|escort|payday loan|bitcoin (?:doubler|investment)|forex signals?)\b/i, 'known-bad words'],
  [/\b(seo|backlinks?|guest posts?)\b.{0,60}\b(services?|packages?|rank|traffic)\b/i, 'known-bad words'],
  [/(https?:\/\/[^\s]+[\s\S]*){6,}/i, 'too many links'],
  [/\[url=|<a\s+href=/i, 'link markup'],
];

export interface SpamContext {
  /** Milliseconds between rendering the form and posting it; only the form knows this. */
  formFillMs?: number;
}

/** Why this submission looks like spam, or null. Spam is stored for review, never dropped. */
export function spamVerdict(dto: CreateInquiryDto, ctx: SpamContext = {}): string | null {
  if (dto.website && dto.website.trim() !== '') return 'honeypot';
  if (ctx.formFillMs !== undefined && ctx.formFillMs < 3_000) return 'form posted too fast';
  const text = `${dto.subject}\n${dto.message}\n${dto.name}`;
  for (const [pattern, reason] of KNOWN_BAD) if (pattern.test(text)) return reason;
  return null;
}
