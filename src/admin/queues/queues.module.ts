import { Inject, Injectable, MiddlewareConsumer, Module, NestModule, OnApplicationShutdown } from '@nestjs/common';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Queue } from 'bullmq';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { createHmac, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { AuthService } from '../../auth/auth.service.js';
import { SessionsService } from '../../auth/sessions.service.js';
import { StaffAuthGuard } from '../../auth/staff-auth.guard.js';
import type { StaffPrincipal } from '../../auth/staff.entity.js';
import { TooManyRequests, Unauthorized } from '../../common/errors.js';
import { AppConfig } from '../../config/app-config.js';
import { MAIL_QUEUE } from '../../queue/mail-queue.js';

export const QUEUES_PATH = '/admin/queues';
const REALM = 'Basic realm="Policy Inbox queues", charset="UTF-8"';
/** A browser sends Basic credentials with every request; checking argon2 each time would make the page crawl. */
const BASIC_CACHE_MS = 60_000;

/**
 * Who may open the dashboard: an admin signed in to the web inbox (the session cookie, so the link from the staff
 * pages just works, second factor included), by bearer token, or by HTTP Basic (email and password; refused for an
 * account with two-factor sign-in, which Basic cannot ask for). The global guard covers Nest routes only; this is
 * express middleware, so it checks itself. The session cookie is SameSite=Lax, so another site's page cannot make a
 * browser send it with the dashboard's PUT/POST/DELETE actions; an Origin naming another host is refused as well.
 */
@Injectable()
export class QueueDashboardGate {
  private readonly basic = new Map<string, { staffId: string; tokenVersion: number; until: number }>();
  /** Cache keys are keyed hashes of the credentials, so not even a memory dump holds a plain hash of a password. */
  private readonly cacheKey = randomBytes(32);

  constructor(
    private readonly auth: AuthService,
    private readonly guard: StaffAuthGuard,
    private readonly sessions: SessionsService,
    private readonly config: AppConfig,
  ) {}

  readonly handle = (req: Request, res: Response, next: NextFunction): void => {
    this.fromSession(req).then((staff) => staff ?? this.admin(req.headers.authorization)).then(
      (staff) => (staff ? next() : this.refuse(res, 401, 'Sign in as an admin to see the queues')),
      (err: unknown) => {
        if (err instanceof TooManyRequests) {
          res.setHeader('Retry-After', String(Math.max(1, err.retryAfterSeconds)));
          return this.refuse(res, 429, err.message);
        }
        if (err instanceof Unauthorized) return this.refuse(res, 401, 'Sign in as an admin to see the queues');
        next(err);
      },
    );
  };

  private refuse(res: Response, status: number, message: string): void {
    if (status === 401) res.setHeader('WWW-Authenticate', REALM);
    res.status(status).json({ statusCode: status, message });
  }

  /** The admin signed in to the web inbox in this browser (with 2FA when REQUIRE_2FA asks for it), or null. */
  private async fromSession(req: Request): Promise<StaffPrincipal | null> {
    const origin = req.headers.origin;
    if (!['GET', 'HEAD'].includes(req.method) && origin && origin !== new URL(this.config.publicBaseUrl).origin && origin !== `${req.protocol}://${req.get('host')}`) {
      return null;
    }
    const session = await this.sessions.resolve(req);
    if (!session || session.staff.role !== 'admin') return null;
    if (this.config.require2fa && !session.twoFactor) return null;
    return session.staff;
  }

  /** The admin the header belongs to; null for no credentials or a non-admin. Throws 401/429 from sign-in. */
  private async admin(header: string | undefined): Promise<StaffPrincipal | null> {
    if (!header) return null;
    if (/^Bearer /i.test(header)) {
      const staff = await this.guard.authenticate(header);
      return staff.role === 'admin' ? staff : null;
    }
    const basic = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header);
    if (!basic) return null;
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 1) return null;
    const key = createHmac('sha256', this.cacheKey).update(decoded).digest('hex');
    const cached = this.basic.get(key);
    if (cached && cached.until > Date.now()) {
      // Still re-read the account, so a deactivation, demotion or password change ends access at once.
      const staff = await this.auth.activeStaff(cached.staffId, cached.tokenVersion);
      if (staff?.role === 'admin') return staff;
    }
    this.basic.delete(key);
    const member = await this.auth.verifyCredentials(decoded.slice(0, colon), decoded.slice(colon + 1));
    if (member.role !== 'admin') return null;
    if (this.basic.size > 1000) this.basic.clear();
    this.basic.set(key, { staffId: member.id, tokenVersion: member.tokenVersion, until: Date.now() + BASIC_CACHE_MS });
    return { id: member.id, email: member.email, name: member.name, role: member.role };
  }
}

/**
 * The bull-board dashboard over the mail queue, shown at /admin/queues. Built on the first admin's visit, so a
 * process nobody opens it on holds no extra Redis connection. It reads through a connection of its own that
 * waits for Redis to be ready (the producer's fails fast on purpose, which suits the outbox only).
 */
@Injectable()
export class QueueDashboard implements OnApplicationShutdown {
  private board?: { router: RequestHandler; queue: Queue; redis: Redis };

  constructor(@Inject(AppConfig) private readonly config: AppConfig) {}

  readonly handle: RequestHandler = (req, res, next) => this.open().router(req, res, next);

  private open(): NonNullable<QueueDashboard['board']> {
    if (this.board) return this.board;
    const redis = new Redis(this.config.redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 2_000 });
    redis.on('error', () => undefined);
    const queue = new Queue(MAIL_QUEUE, { connection: redis, prefix: this.config.queuePrefix });
    queue.on('error', () => undefined);
    const adapter = new ExpressAdapter().setBasePath(QUEUES_PATH);
    createBullBoard({
      queues: [new BullMQAdapter(queue)],
      // @bull-board/express pins its own copy of @bull-board/api's types (9.10.1 vs 9.10.2); the runtime is one.
      serverAdapter: adapter as unknown as Parameters<typeof createBullBoard>[0]['serverAdapter'],
      options: { uiConfig: { boardTitle: 'Policy Inbox queues' } },
    });
    this.board = { router: adapter.getRouter() as RequestHandler, queue, redis };
    return this.board;
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.board) return;
    const { queue, redis } = this.board;
    await Promise.race([queue.close().catch(() => undefined), new Promise((r) => setTimeout(r, 2_000).unref())]);
    redis.disconnect();
  }
}

@Module({ providers: [QueueDashboardGate, QueueDashboard] })
export class QueuesModule implements NestModule {
  constructor(private readonly gate: QueueDashboardGate, private readonly dashboard: QueueDashboard) {}

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(this.gate.handle, this.dashboard.handle).forRoutes(QUEUES_PATH);
  }
}
