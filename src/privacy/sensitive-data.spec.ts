import { isValidNhsNumber, sensitiveFlags } from './sensitive-data.js';

describe('sensitiveFlags', () => {
  it('accepts NHS numbers with a valid check digit, with or without separators', () => {
    expect(isValidNhsNumber('9434765919')).toBe(true);
    expect(isValidNhsNumber('9434765918')).toBe(false);
    expect(sensitiveFlags('My NHS number is 943 476 5919.')).toEqual(['nhs_number']);
    expect(sensitiveFlags('NHS no: 943-476-5919')).toEqual(['nhs_number']);
    expect(sensitiveFlags('ref 9434765919')).toEqual(['nhs_number']);
  });

  it('ignores ten digits whose check digit is wrong', () => {
    expect(sensitiveFlags('order 943 476 5918 arrived')).toEqual([]);
  });

  it('flags UK phone numbers in their common shapes', () => {
    for (const text of ['Call me on 07700 900123', 'Tel: +44 7700 900123', '020 7946 0018 any time', '+44 (0)20 7946 0018', '0044 117 496 0123']) {
      expect(sensitiveFlags(text)).toContain('phone_number');
    }
  });

  it('leaves ordinary policy text alone', () => {
    expect(sensitiveFlags('In 2024, 62-day waits rose by 12% across 21 cancer alliances.', 'Two-week wait')).toEqual([]);
  });

  it('can raise both flags', () => {
    expect(sensitiveFlags('NHS 943 476 5919, phone 07700 900123')).toEqual(['nhs_number', 'phone_number']);
  });
});
