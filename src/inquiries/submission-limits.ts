import { Injectable, OnModuleDestroy } from '@nestjs/common';
import type { Redis } from 'ioredis';
import ipaddr from 'ipaddr.js';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { RequestRedis } from '../common/redis.js';
import { TooManyRequests } from '../common/errors.js';
import { AppConfig } from '../config/app-config.js';

/** The key a client address is counted under: IPv4-mapped IPv6 as IPv4, other IPv6 by its /64. */
export function clientKey(ip: string | undefined): string {
  if (!ip || !ipaddr.isValid(ip)) return 'unknown';
  const addr = ipaddr.parse(ip);
  if (addr.kind() === 'ipv6') {
    const v6 = addr as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
    return `${v6.parts.slice(0, 4).map((p) => p.toString(16)).join(':')}::/64`;
  }
  return addr.toString();
}

/** How an email address is counted: one counter whatever its case or surrounding spaces. */
const emailKey = (email: string) => email.trim().toLowerCase();
const limitPrefix = (queuePrefix: string, name: 'ip' | 'email') => `${queuePrefix}:limit:${name}`;

/** The counters of this process, whose in-memory fallbacks erasure must empty too. */
const live = new Set<SubmissionLimits>();

/**
 * Erasure (SPEC §6): removes the per-address submission counter, which holds the address itself, from Redis
 * (shared by every API process) and from this process's in-memory fallback. Throws if Redis cannot be
 * reached: the key then expires by itself within the hour of its window.
 */
export async function forgetSubmitter(redis: Redis, queuePrefix: string, email: string): Promise<void> {
  const key = emailKey(email);
  for (const limits of live) await limits.forgetInMemory(key);
  await redis.del(`${limitPrefix(queuePrefix, 'email')}:${key}`);
}

/**
 * Accepted public submissions per client address and per email address, counted in Redis so every API
 * process shares them. If Redis cannot be reached each process counts in memory instead: intake goes on.
 */
@Injectable()
export class SubmissionLimits implements OnModuleDestroy {
  private readonly byIp: RateLimiterRedis;
  private readonly byEmail: RateLimiterRedis;
  private readonly byEmailInMemory: RateLimiterMemory;

  constructor(redis: RequestRedis, config: AppConfig) {
    const limiter = (name: 'ip' | 'email', points: number, insurance: RateLimiterMemory) =>
      new RateLimiterRedis({
        storeClient: redis.client,
        keyPrefix: limitPrefix(config.queuePrefix, name),
        points,
        duration: 3600,
        rejectIfRedisNotReady: true,
        insuranceLimiter: insurance,
      });
    const inMemory = (name: string, points: number) => new RateLimiterMemory({ keyPrefix: name, points, duration: 3600 });
    this.byIp = limiter('ip', config.rateLimitIpPerHour, inMemory('ip', config.rateLimitIpPerHour));
    this.byEmailInMemory = inMemory('email', config.rateLimitEmailPerHour);
    this.byEmail = limiter('email', config.rateLimitEmailPerHour, this.byEmailInMemory);
    live.add(this);
  }

  onModuleDestroy(): void {
    live.delete(this);
  }

  /** See forgetSubmitter. */
  async forgetInMemory(key: string): Promise<void> {
    await this.byEmailInMemory.delete(key);
  }

  /** Counts one accepted submission, or throws 429 (and counts nothing) when either limit is spent. */
  async take(ip: string | undefined, email: string): Promise<void> {
    const keys: [RateLimiterRedis, string][] = [
      [this.byIp, clientKey(ip)],
      [this.byEmail, emailKey(email)],
    ];
    const results = await Promise.allSettled(keys.map(([l, k]) => l.consume(k)));
    const refused = results
      .map((r) => (r.status === 'rejected' ? r.reason : undefined))
      .filter((r): r is RateLimiterRes => r instanceof RateLimiterRes);
    if (!refused.length) return;
    // Refused: give back what this attempt took from both counters, so only accepted submissions count.
    await Promise.allSettled(keys.map(([l, k]) => l.reward(k, 1)));
    const waitMs = Math.max(...refused.map((r) => r.msBeforeNext));
    throw new TooManyRequests('Too many submissions. Please try again later.', Math.ceil(waitMs / 1000));
  }
}
