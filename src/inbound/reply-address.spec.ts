import { replyAddress, verifyReplyAddress } from './reply-address.js';

const SECRET = 'a-secret-of-at-least-thirty-two-characters';

describe('signed reply addresses', () => {
  it('round-trips a reference', () => {
    const address = replyAddress('POL-7K3M9Q', SECRET, 'inbox.example');
    expect(address).toMatch(/^reply\+POL-7K3M9Q\.[0-9a-f]{16}@inbox\.example$/);
    expect(verifyReplyAddress(address, SECRET, 'inbox.example')).toBe('POL-7K3M9Q');
  });

  it('survives a mail system that lowercases or uppercases the address', () => {
    const address = replyAddress('POL-7K3M9Q', SECRET, 'inbox.example');
    expect(verifyReplyAddress(address.toLowerCase(), SECRET, 'inbox.example')).toBe('POL-7K3M9Q');
    expect(verifyReplyAddress(address.toUpperCase(), SECRET, 'inbox.example')).toBe('POL-7K3M9Q');
  });

  it('refuses a tampered signature, another reference, another secret or another domain', () => {
    const address = replyAddress('POL-7K3M9Q', SECRET, 'inbox.example');
    const [local] = address.split('@');
    const flipped = `${local.slice(0, -1)}${local.endsWith('0') ? '1' : '0'}@inbox.example`;
    expect(verifyReplyAddress(flipped, SECRET, 'inbox.example')).toBeNull();
    expect(verifyReplyAddress(address.replace('POL-7K3M9Q', 'POL-7K3M9R'), SECRET, 'inbox.example')).toBeNull();
    expect(verifyReplyAddress(address, `${SECRET}x`, 'inbox.example')).toBeNull();
    expect(verifyReplyAddress(address.replace('inbox.example', 'evil.example'), SECRET, 'inbox.example')).toBeNull();
    expect(verifyReplyAddress('reply+POL-7K3M9Q@inbox.example', SECRET, 'inbox.example')).toBeNull();
    expect(verifyReplyAddress('policy@inbox.example', SECRET, 'inbox.example')).toBeNull();
  });
});
