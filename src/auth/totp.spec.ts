import { base32Decode, base32Encode, checkTotp, groupedKey, hotp, otpauthUrl, timeStep, totp } from './totp.js';
import { SecretBox, SecretUnreadable } from './secret-box.js';

describe('TOTP (RFC 6238)', () => {
  // Appendix B: the SHA-1 seed is the ASCII string "12345678901234567890" (20 bytes); values are 8 digits.
  const sha1Key = Buffer.from('12345678901234567890', 'ascii');
  const vectors: [number, string][] = [
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ];

  it.each(vectors)('matches Appendix B (SHA-1) at T=%i: %s', (seconds, expected) => {
    expect(totp(sha1Key, seconds * 1000, 8)).toBe(expected);
  });

  it('counts steps as floor(T / 30) with an 8-byte counter, past 2^32 seconds too (T=20000000000 is step 0x27BC86AA)', () => {
    expect(timeStep(20000000000 * 1000)).toBe(0x27bc86aa);
    expect(timeStep(59_000)).toBe(1);
  });

  it('matches Appendix B for SHA-256 and SHA-512 too (their longer seeds)', () => {
    const k256 = Buffer.from('12345678901234567890123456789012', 'ascii');
    const k512 = Buffer.from('1234567890123456789012345678901234567890123456789012345678901234', 'ascii');
    expect([59, 1111111109, 1111111111, 1234567890, 2000000000, 20000000000].map((t) => totp(k256, t * 1000, 8, 'sha256')))
      .toEqual(['46119246', '68084774', '67062674', '91819424', '90698825', '77737706']);
    expect([59, 1111111109, 1111111111, 1234567890, 2000000000, 20000000000].map((t) => totp(k512, t * 1000, 8, 'sha512')))
      .toEqual(['90693936', '25091201', '99943326', '93441116', '38618901', '47863826']);
  });

  it('matches RFC 4226 Appendix D (HOTP, 6 digits) for counters 0-9', () => {
    expect(Array.from({ length: 10 }, (_, c) => hotp(sha1Key, c)))
      .toEqual(['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489']);
  });

  it('is 6 digits by default, zero-padded', () => {
    expect(totp(sha1Key, 1111111109_000)).toBe('081804');
    expect(totp(sha1Key, 1111111109_000)).toMatch(/^\d{6}$/);
  });

  describe('checking a code', () => {
    const now = 1_764_000_015_000; // the middle of a step
    const step = timeStep(now);
    const codeAt = (s: number) => hotp(sha1Key, s);

    it('accepts the current step and one step of drift either side', () => {
      expect(checkTotp(sha1Key, codeAt(step), now, null)).toEqual({ ok: true, step });
      expect(checkTotp(sha1Key, codeAt(step - 1), now, null)).toEqual({ ok: true, step: step - 1 });
      expect(checkTotp(sha1Key, codeAt(step + 1), now, null)).toEqual({ ok: true, step: step + 1 });
    });

    it('refuses two steps of drift either side', () => {
      expect(checkTotp(sha1Key, codeAt(step - 2), now, null)).toEqual({ ok: false, reason: 'wrong' });
      expect(checkTotp(sha1Key, codeAt(step + 2), now, null)).toEqual({ ok: false, reason: 'wrong' });
    });

    it('refuses a code whose step is not after the last one accepted (the same code again, or an older one)', () => {
      expect(checkTotp(sha1Key, codeAt(step), now, step)).toEqual({ ok: false, reason: 'replayed' });
      expect(checkTotp(sha1Key, codeAt(step - 1), now, step)).toEqual({ ok: false, reason: 'replayed' });
      expect(checkTotp(sha1Key, codeAt(step), now, step + 1)).toEqual({ ok: false, reason: 'replayed' });
      expect(checkTotp(sha1Key, codeAt(step + 1), now, step)).toEqual({ ok: true, step: step + 1 });
    });

    it('refuses anything but 6 digits', () => {
      for (const code of ['', '12345', '1234567', 'abcdef', ' 123456', codeAt(step) + '0']) {
        expect(checkTotp(sha1Key, code, now, null).ok).toBe(false);
      }
    });
  });
});

describe('base32 (RFC 4648)', () => {
  // §10's test vectors, with padding.
  const vectors: [string, string][] = [
    ['', ''], ['f', 'MY======'], ['fo', 'MZXQ===='], ['foo', 'MZXW6==='], ['foob', 'MZXW6YQ='], ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI======'],
  ];

  it.each(vectors)('encodes %j as %s (without the padding)', (plain, encoded) => {
    expect(base32Encode(Buffer.from(plain))).toBe(encoded.replace(/=+$/, ''));
  });

  it.each(vectors)('decodes %j from %s, with or without padding, in any case', (plain, encoded) => {
    expect(base32Decode(encoded).toString()).toBe(plain);
    expect(base32Decode(encoded.replace(/=+$/, '').toLowerCase()).toString()).toBe(plain);
  });

  it('round-trips random keys and ignores the spaces of a grouped key', () => {
    for (let n = 0; n < 40; n++) {
      const bytes = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + n * 11) & 255));
      const text = base32Encode(bytes);
      expect(base32Decode(text)).toEqual(bytes);
      expect(base32Decode(groupedKey(text))).toEqual(bytes);
    }
    expect(groupedKey('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ')).toBe('GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ');
    expect(base32Encode(Buffer.from('12345678901234567890'))).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
  });

  it('refuses characters outside the alphabet and stray bits', () => {
    expect(() => base32Decode('MZXW1')).toThrow();
    expect(() => base32Decode('MZXW6YTB!')).toThrow();
    expect(() => base32Decode('MZ')).toThrow(); // 10 bits, the last 2 not zero
    expect(() => base32Decode('M')).toThrow(); // 5 bits: no whole byte
  });
});

describe('otpauth URL', () => {
  it('names the issuer and the account, as authenticator apps read it', () => {
    expect(otpauthUrl('JBSWY3DPEHPK3PXP', 'sam.jones@charity.example', 'Policy Inbox'))
      .toBe('otpauth://totp/Policy%20Inbox:sam.jones@charity.example?secret=JBSWY3DPEHPK3PXP&issuer=Policy%20Inbox');
  });
});

describe('SecretBox (AES-256-GCM, key from APP_SECRET by HKDF)', () => {
  const appSecret = 'a'.repeat(40);
  const secret = Buffer.from('12345678901234567890');

  it('round-trips, with a new IV each time', () => {
    const box = new SecretBox(appSecret, 'two-factor-secret:v1');
    const a = box.seal(secret, 'staff-1');
    const b = box.seal(secret, 'staff-1');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(a).not.toContain(secret.toString('base64url'));
    expect(box.open(a, 'staff-1')).toEqual(secret);
    expect(new SecretBox(appSecret, 'two-factor-secret:v1').open(b, 'staff-1')).toEqual(secret);
  });

  it('fails cleanly (SecretUnreadable, never a crash) after APP_SECRET changed', () => {
    const sealed = new SecretBox(appSecret, 'two-factor-secret:v1').seal(secret, 'staff-1');
    const changed = new SecretBox('b'.repeat(40), 'two-factor-secret:v1');
    expect(() => changed.open(sealed, 'staff-1')).toThrow(SecretUnreadable);
  });

  it('does not open under another purpose, for another account, altered, or malformed', () => {
    const box = new SecretBox(appSecret, 'two-factor-secret:v1');
    const sealed = box.seal(secret, 'staff-1');
    expect(() => new SecretBox(appSecret, 'other-purpose').open(sealed, 'staff-1')).toThrow(SecretUnreadable);
    expect(() => box.open(sealed, 'staff-2')).toThrow(SecretUnreadable);
    const [v, iv, body, tag] = sealed.split('.');
    const flipped = Buffer.from(body, 'base64url');
    flipped[0] ^= 1;
    expect(() => box.open([v, iv, flipped.toString('base64url'), tag].join('.'), 'staff-1')).toThrow(SecretUnreadable);
    for (const bad of ['', 'v1', 'v2.a.b.c', 'v1.AAAA.AAAA.AAAA', `${sealed}.x`]) expect(() => box.open(bad, 'staff-1')).toThrow(SecretUnreadable);
  });
});
