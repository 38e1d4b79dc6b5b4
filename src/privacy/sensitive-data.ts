/**
 * A gentle detector (issue 5, item 8): flags text that looks like it carries an NHS number or a UK phone
 * number, so officers know to take care. It never blocks anything and never stores what it found.
 */
export type SensitiveFlag = 'nhs_number' | 'phone_number';

const NHS_CANDIDATE = /(?<![\d+])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?![\d])/g;
const PHONE_CANDIDATE = /(?<![\d+])(?:\+\s?44|0044|0)[\s-]?(?:\(0\)[\s-]?)?\(?\d[\d\s()-]{7,16}\d(?!\d)/g;

/** An NHS number's last digit is a modulus-11 check over the first nine (weights 10 down to 2). */
export function isValidNhsNumber(digits: string): boolean {
  if (!/^\d{10}$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(digits[i]) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 10) return false;
  return (check === 11 ? 0 : check) === Number(digits[9]);
}

function looksLikeUkPhone(candidate: string): boolean {
  let digits = candidate.replace(/\D/g, '');
  if (digits.startsWith('0044')) digits = digits.slice(4);
  else if (candidate.trim().startsWith('+')) digits = digits.slice(2);
  else digits = digits.slice(1);
  if (digits.startsWith('0')) digits = digits.slice(1); // +44 (0)20 …
  // National significant numbers: 9 or 10 digits, starting 1, 2, 3, 5, 7, 8 or 9.
  return /^[1235789]\d{8,9}$/.test(digits);
}

export function sensitiveFlags(...texts: (string | null | undefined)[]): SensitiveFlag[] {
  const text = texts.filter(Boolean).join('\n');
  const flags: SensitiveFlag[] = [];
  for (const m of text.matchAll(NHS_CANDIDATE)) {
    if (isValidNhsNumber(m[1] + m[2] + m[3])) {
      flags.push('nhs_number');
      break;
    }
  }
  for (const m of text.matchAll(PHONE_CANDIDATE)) {
    if (looksLikeUkPhone(m[0])) {
      flags.push('phone_number');
      break;
    }
  }
  return flags;
}

/** What page feedback hides (SPEC §11): the two above plus an email address or a UK postcode. */
export type PersonalDataFlag = SensitiveFlag | 'email_address' | 'postcode';

const EMAIL_CANDIDATE = /[^\s@<>()[\]",;:]+@[^\s@<>()[\]",;:]+\.[a-z]{2,}/i;
// The Royal Mail formats (A9 9AA, A99 9AA, AA9 9AA, AA99 9AA, A9A 9AA, AA9A 9AA), space optional, and GIR 0AA.
const POSTCODE_CANDIDATE = /(?<![A-Za-z0-9])(?:GIR ?0AA|[A-PR-UWYZ](?:[A-HK-Y]?\d[A-Z\d]?) ?\d[ABD-HJLNP-UW-Z]{2})(?![A-Za-z0-9])/i;

/**
 * Flags a free-text comment from a stranger that looks like it carries personal data: an email address, a UK
 * phone number, an NHS number with a valid check digit, or a UK postcode. Inquiries keep `sensitiveFlags`.
 */
export function personalDataFlags(text: string): PersonalDataFlag[] {
  const flags: PersonalDataFlag[] = [];
  if (EMAIL_CANDIDATE.test(text)) flags.push('email_address');
  flags.push(...sensitiveFlags(text));
  if (POSTCODE_CANDIDATE.test(text)) flags.push('postcode');
  return flags;
}

/** The words for a flag, as a page names it. */
export const PERSONAL_DATA_WORDS: Record<PersonalDataFlag, string> = {
  email_address: 'an email address',
  phone_number: 'a UK phone number',
  nhs_number: 'an NHS number',
  postcode: 'a postcode',
};
