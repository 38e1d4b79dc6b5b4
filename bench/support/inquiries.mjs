// Valid, distinct public submissions for load: each call gives another email address and subject.
let n = 0;
const run = Math.random().toString(36).slice(2, 8);
const TOPICS = ['waiting-times', 'early-diagnosis', 'prevention', 'research-funding', 'workforce', 'data', 'other'];

export function inquiryBody(overrides = {}) {
  n++;
  return {
    name: `Load Tester ${n}`,
    email: `load.${run}.${n}@example.org`,
    organisation: 'Example Health Trust',
    enquirerType: 'health_professional',
    topic: TOPICS[n % TOPICS.length],
    subject: `Two-week wait referrals, question ${n}`,
    message: `What is the charity doing about the two-week wait target for suspected cancer referrals? (${run}-${n})`,
    sourceUrl: 'https://www.example.org/policy/cancer-services-in-england',
    consent: true,
    ...overrides,
  };
}
