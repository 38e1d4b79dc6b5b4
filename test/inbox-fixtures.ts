import { randomUUID } from 'node:crypto';
import { newReference } from '../src/inquiries/reference.js';
import type { TestApp } from './support/app.js';

export interface InquiryFields {
  name?: string;
  email?: string;
  organisation?: string | null;
  enquirerType?: string;
  topic?: string;
  subject?: string;
  message?: string;
  status?: string;
  priority?: string;
  assigneeId?: string | null;
  tags?: string[];
  expectedResponseBy?: string;
  /** ISO instant; default now(). */
  createdAt?: string;
  firstResponseAt?: string | null;
}

export interface Seeded {
  id: string;
  reference: string;
  email: string;
}

/** An inquiry written straight to the database, so a test controls its dates, status and assignee. */
export async function insertInquiry(t: TestApp, f: InquiryFields = {}): Promise<Seeded> {
  const id = randomUUID();
  const reference = newReference();
  const email = f.email ?? `enquirer.${id.slice(0, 8)}@example.org`;
  await t.db.query(
    `INSERT INTO inquiries (id, reference, name, email, organisation, enquirer_type, topic_key, subject, message, consent,
                            status, priority, assignee_id, tags, expected_response_by, created_at, updated_at, first_response_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, true, $10, $11, $12, $13::text[], $14::date,
             coalesce($15::timestamptz, now()), coalesce($15::timestamptz, now()), $16::timestamptz)`,
    [
      id, reference, f.name ?? 'Sam Taylor', email, f.organisation ?? null, f.enquirerType ?? 'public', f.topic ?? 'waiting-times',
      f.subject ?? 'A question about cancer services', f.message ?? 'How long are people waiting for treatment in my area?',
      f.status ?? 'new', f.priority ?? 'normal', f.assigneeId ?? null, f.tags ?? [], f.expectedResponseBy ?? '2999-01-01',
      f.createdAt ?? null, f.firstResponseAt ?? null,
    ],
  );
  return { id, reference, email };
}

/** The UK calendar date `days` from today. */
export function ukDay(days: number): string {
  const d = new Date(Date.now() + days * 86_400_000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}
