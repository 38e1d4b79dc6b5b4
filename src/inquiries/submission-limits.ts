import { Injectable, OnModuleDestroy } from '@nestjs/common';
import type { Redis } from 'ioredis';
import ipaddr from 'ipaddr.js';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
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

const WINDOW_S = 3600;

/**
 * Both counters in one Redis round trip (KEYS: the address's and the email's counter; ARGV: their allowances and
 * the window). Each counter is a fixed one-hour window, stored as rate-limiter-flexible stored it (an integer
 * under `<prefix>:limit:<ip|email>:<key>` that expires with its window). An attempt over either allowance takes
 * nothing from either counter and answers the milliseconds until the later of the spent windows ends; else 0.
 */
const TAKE_BOTH = `
local function take(key)
  redis.call('set', key, 0, 'EX', ARGV[3], 'NX')
  local n = redis.call('incr', key)
  local ttl = redis.call('pttl', key)
  if ttl < 0 then redis.call('expire', key, ARGV[3]); ttl = 1000 * ARGV[3] end
  return n, ttl
end
local ipN, ipTtl = take(KEYS[1])
local emailN, emailTtl = take(KEYS[2])
local wait = 0
if ipN > tonumber(ARGV[1]) then wait = ipTtl end
if emailN > tonumber(ARGV[2]) and emailTtl > wait then wait = emailTtl end
if wait > 0 then
  redis.call('decr', KEYS[1])
  redis.call('decr', KEYS[2])
end
return wait`;

type LimitsRedis = Redis & { takeSubmission(ipKey: string, emailKey: string, ipPoints: number, emailPoints: number, windowS: number): Promise<number> };

/**
 * Accepted public submissions per client address and per email address, counted in Redis so every API
 * process shares them (both in one script, one round trip). If Redis cannot be reached each process counts
 * in memory instead: intake goes on.
 */
@Injectable()
export class SubmissionLimits implements OnModuleDestroy {
  private readonly redis: LimitsRedis;
  private readonly ipPrefix: string;
  private readonly emailPrefix: string;
  private readonly byIpInMemory: RateLimiterMemory;
  private readonly byEmailInMemory: RateLimiterMemory;

  constructor(redis: RequestRedis, private readonly config: AppConfig) {
    if (!('takeSubmission' in redis.client)) redis.client.defineCommand('takeSubmission', { numberOfKeys: 2, lua: TAKE_BOTH });
    this.redis = redis.client as LimitsRedis;
    this.ipPrefix = limitPrefix(config.queuePrefix, 'ip');
    this.emailPrefix = limitPrefix(config.queuePrefix, 'email');
    const inMemory = (name: string, points: number) => new RateLimiterMemory({ keyPrefix: name, points, duration: WINDOW_S });
    this.byIpInMemory = inMemory('ip', config.rateLimitIpPerHour);
    this.byEmailInMemory = inMemory('email', config.rateLimitEmailPerHour);
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
    const ipKey = clientKey(ip);
    const mailKey = emailKey(email);
    // Redis away (not connected, or no answer within the client's command timeout): count in memory.
    if (this.redis.status === 'ready') {
      let waitMs: number | undefined;
      try {
        waitMs = Number(await this.redis.takeSubmission(
          `${this.ipPrefix}:${ipKey}`, `${this.emailPrefix}:${mailKey}`,
          this.config.rateLimitIpPerHour, this.config.rateLimitEmailPerHour, WINDOW_S,
        ));
      } catch {
        waitMs = undefined;
      }
      if (waitMs === 0) return;
      if (waitMs !== undefined) throw new TooManyRequests('Too many submissions. Please try again later.', Math.ceil(waitMs / 1000));
    }
    await this.takeInMemory(ipKey, mailKey);
  }

  private async takeInMemory(ipKey: string, mailKey: string): Promise<void> {
    const keys: [RateLimiterMemory, string][] = [
      [this.byIpInMemory, ipKey],
      [this.byEmailInMemory, mailKey],
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
