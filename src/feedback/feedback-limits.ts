import { Injectable } from '@nestjs/common';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { TooManyRequests } from '../common/errors.js';
import { RequestRedis } from '../common/redis.js';
import { AppConfig } from '../config/app-config.js';

/** A person voting on many pages of a site in an hour is normal; ten times the submission limit per address. */
export const VOTES_PER_SUBMISSION = 10;

/**
 * Rate limits of page feedback, as at intake (SPEC §3.2, §11): per client address and hour, counted in Redis so
 * every API process shares them, in memory when Redis is away. Comments get RATE_LIMIT_IP_PER_HOUR, votes ten
 * times that. The counters are keyed by the visitor's salted address hash (VisitorKeys), never by the address.
 */
@Injectable()
export class FeedbackLimits {
  private readonly votes: RateLimiterRedis;
  private readonly comments: RateLimiterRedis;

  constructor(redis: RequestRedis, config: AppConfig) {
    const limiter = (name: string, points: number) =>
      new RateLimiterRedis({
        storeClient: redis.client,
        keyPrefix: `${config.queuePrefix}:limit:${name}`,
        points,
        duration: 3600,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory({ keyPrefix: name, points, duration: 3600 }),
      });
    this.votes = limiter('page-votes', config.rateLimitIpPerHour * VOTES_PER_SUBMISSION);
    this.comments = limiter('page-comments', config.rateLimitIpPerHour);
  }

  vote(addressKey: string): Promise<void> {
    return this.take(this.votes, addressKey, 'Too many ratings from your connection. Please try again later.');
  }

  comment(addressKey: string): Promise<void> {
    return this.take(this.comments, addressKey, 'Too many comments from your connection. Please try again later.');
  }

  private async take(limiter: RateLimiterRedis, key: string, message: string): Promise<void> {
    try {
      await limiter.consume(key);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      throw new TooManyRequests(message, Math.max(1, Math.ceil(err.msBeforeNext / 1000)));
    }
  }
}
