let counter = 0;

/** A valid public submission; override any field. */
export function validInquiry(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter++;
  return {
    name: 'Aisha Khan',
    email: `aisha.${counter}.${Math.random().toString(36).slice(2, 8)}@example.org`,
    organisation: 'Example Health Trust',
    enquirerType: 'health_professional',
    topic: 'waiting-times',
    subject: 'Two-week wait referrals in my region',
    message: 'What is the charity doing about the two-week wait target for suspected cancer referrals?',
    sourceUrl: 'https://www.example.org/policy/cancer-services-in-england',
    consent: true,
    ...overrides,
  };
}
