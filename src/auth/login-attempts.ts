import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { TooManyRequests } from '../common/errors.js';
import { RequestRedis } from '../common/redis.js';
import { AppConfig } from '../config/app-config.js';

export const MAX_FAILURES = 5;
export const FAILURE_WINDOW_SECONDS = 15 * 60;
export const LOCK_SECONDS = 15 * 60;

/**
 * Failed logins per email address (SPEC §5), counted in Redis so every API process shares them. The
 * address need not belong to an account, so a lock reveals nothing. Keys hold a hash, not the address.
 */
@Injectable()
export class LoginAttempts {
  private readonly failures: RateLimiterRedis;

  constructor(redis: RequestRedis, config: AppConfig) {
    const options = { points: MAX_FAILURES, duration: FAILURE_WINDOW_SECONDS };
    this.failures = new RateLimiterRedis({
      storeClient: redis.client,
      keyPrefix: `${config.queuePrefix}:limit:login`,
      ...options,
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory({ keyPrefix: 'login', ...options }),
    });
  }

  private key(email: string): string {
    return createHash('sha256').update(email.trim().toLowerCase()).digest('hex');
  }

  /** Throws 429 (with the seconds left) while the address is locked. */
  async assertNotLocked(email: string): Promise<void> {
    const res = await this.failures.get(this.key(email));
    if (res && res.consumedPoints >= MAX_FAILURES) {
      throw new TooManyRequests('Too many failed sign-ins. Try again later.', Math.ceil(res.msBeforeNext / 1000));
    }
  }

  /** Counts a failure; the one that reaches the limit locks the address for LOCK_SECONDS from now. */
  async fail(email: string): Promise<void> {
    const key = this.key(email);
    try {
      const res = await this.failures.consume(key);
      if (res.consumedPoints >= MAX_FAILURES) await this.failures.block(key, LOCK_SECONDS);
    } catch {
      // Rejected: already at the limit (a parallel attempt locked it), which is what we want.
    }
  }

  async clear(email: string): Promise<void> {
    await this.failures.delete(this.key(email)).catch(() => undefined);
  }
}
