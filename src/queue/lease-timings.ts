import type { MailTuning } from '../config/app-config.js';

const clamp = (ms: number, min: number, max: number) => Math.round(Math.min(max, Math.max(min, ms)));

/**
 * Every timing of the mail workers that follows from the claim lease (MailTuning.leaseMs), in one place. With
 * the production lease of 20 s: renewals every 5 s, no send started on a claim with less than 5 s left,
 * BullMQ job locks of 15 s checked for stalls every 5 s, a sweep every 5 s, lost pending jobs re-added after 60 s.
 *
 * What a SIGKILLed worker leaves goes out within about 20 s of another worker running, plus the time to send
 * it: its claims lapse one lease after its last renewal, its BullMQ jobs (claimed or still waiting for a send
 * slot) are found stalled within a lock plus a stalled interval and handed to a live worker, which claims the
 * rows as their leases end.
 */
export function leaseTimings(mail: Pick<MailTuning, 'leaseMs'>) {
  const lease = mail.leaseMs;
  return {
    /** How often a worker renews all of its claims (one statement). Three renewals may fail before a claim lapses. */
    renewEveryMs: clamp(lease / 4, 100, 10_000),
    /** A message is not handed to an SMTP connection when its claim has less than this left (Lease.sendBy). */
    sendMarginMs: clamp(lease / 4, 100, 10_000),
    /** BullMQ's job lock (renewed by BullMQ every half lock): a dead worker's jobs lose it within this. */
    lockDurationMs: clamp((lease * 3) / 4, 2_000, 30_000),
    /** How often BullMQ looks for active jobs whose lock is gone, and returns them to the queue. */
    stalledIntervalMs: clamp(lease / 4, 1_000, 30_000),
    /** How often the sweeper looks for rows whose job was lost (claims lapsed, jobs gone from Redis). */
    sweepEveryMs: clamp(lease / 4, 500, 60_000),
    /**
     * A pending row whose job was handed over this long ago (and is due) may have lost its job with Redis;
     * the sweeper adds it again (a no-op while the job exists). Longer than a lease: a row waiting its turn
     * behind a backlog is not lost, and re-adding every waiting row each lease would cost the drain.
     */
    requeuePendingAfterMs: 3 * lease,
    /** How long a worker keeps trying to record `sent` through a database outage (the claim renewed meanwhile). */
    recordSentForMs: Math.max(60_000, lease),
  };
}

export type LeaseTimings = ReturnType<typeof leaseTimings>;
