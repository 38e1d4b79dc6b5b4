import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import { plainToInstance, Transform } from 'class-transformer';
import {
  IsEmail, IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength, validateSync,
} from 'class-validator';

const toInt = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : /^-?\d+$/.test(String(value)) ? Number(value) : value;
const blankToUndefined = ({ value }: { value: unknown }) => (value === '' ? undefined : value);

/** The environment as SPEC §2 lists it; every variable validated before anything starts. */
export class Environment {
  @IsOptional() @IsIn(['development', 'production', 'test'])
  NODE_ENV?: string;

  @Transform(toInt) @IsOptional() @IsInt() @Min(0) @Max(65535)
  PORT?: number;

  @Transform(blankToUndefined) @IsOptional() @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'must be a postgres:// URL' })
  DATABASE_URL?: string;

  @Transform(blankToUndefined) @IsOptional() @Matches(/^rediss?:\/\/\S+$/, { message: 'must be a redis:// URL' })
  REDIS_URL?: string;

  @Transform(blankToUndefined) @IsOptional() @Matches(/^[A-Za-z0-9_.:-]{1,64}$/, { message: 'must be 1-64 letters, digits, or _.:-' })
  QUEUE_PREFIX?: string;

  @Transform(blankToUndefined) @IsOptional() @Matches(/^smtps?:\/\/\S+$/, { message: 'must be an smtp:// or smtps:// URL' })
  SMTP_URL?: string;

  @Transform(blankToUndefined) @IsOptional() @IsString() @Matches(/^[^\r\n]+$/, { message: 'must be one line' })
  MAIL_FROM?: string;

  @Transform(blankToUndefined) @IsOptional() @Matches(/^[A-Za-z0-9.-]+$/, { message: 'must be a domain name' })
  MAIL_DOMAIN?: string;

  @Transform(blankToUndefined) @IsOptional() @IsEmail({ require_tld: false })
  TEAM_INBOX?: string;

  @Transform(blankToUndefined) @IsOptional() @Matches(/^https?:\/\/[^\s/]+(\/\S*)?$/, { message: 'must be an http(s) URL' })
  PUBLIC_BASE_URL?: string;

  @Transform(blankToUndefined) @IsOptional() @IsString() @MinLength(32, { message: 'must be at least 32 characters' })
  APP_SECRET?: string;

  @Transform(blankToUndefined) @IsOptional() @IsEmail({ require_tld: false })
  ADMIN_EMAIL?: string;

  @Transform(blankToUndefined) @IsOptional() @IsString() @MinLength(12, { message: 'must be at least 12 characters' })
  ADMIN_PASSWORD?: string;

  @Transform(blankToUndefined) @IsOptional() @IsIn(['inline', 'off'])
  WORKERS?: 'inline' | 'off';

  @Transform(toInt) @IsOptional() @IsInt() @Min(0) @Max(65535)
  INBOUND_SMTP_PORT?: number;

  @Transform(blankToUndefined) @IsOptional() @IsString() @MinLength(16, { message: 'must be at least 16 characters' })
  INBOUND_WEBHOOK_SECRET?: string;

  @Transform(toInt) @IsOptional() @IsInt() @Min(1) @Max(1200)
  RETENTION_MONTHS?: number;

  @Transform(toInt) @IsOptional() @IsInt() @Min(1)
  RATE_LIMIT_IP_PER_HOUR?: number;

  @Transform(toInt) @IsOptional() @IsInt() @Min(1)
  RATE_LIMIT_EMAIL_PER_HOUR?: number;

  @Transform(blankToUndefined) @IsOptional() @IsString()
  TRUST_PROXY?: string;

  @Transform(blankToUndefined) @IsOptional() @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL?: string;

  @Transform(blankToUndefined) @IsOptional() @IsIn(['true', 'false'], { message: 'must be true or false' })
  REQUIRE_2FA?: 'true' | 'false';

  @Transform(blankToUndefined) @IsOptional()
  @Matches(/^\s*https?:\/\/[^\s/,?#]+\/?\s*(,\s*https?:\/\/[^\s/,?#]+\/?\s*)*$/, {
    message: 'must be comma-separated origins like https://www.example.org (scheme and host, no path)',
  })
  FEEDBACK_SITES?: string;

  @Transform(blankToUndefined) @IsOptional() @IsString() @MinLength(16, { message: 'must be at least 16 characters' })
  @Matches(/^[\x21-\x7e]+$/, { message: 'must be printable ASCII without spaces (it is sent as a bearer token)' })
  METRICS_TOKEN?: string;

  @Transform(toInt) @IsOptional() @IsInt() @Min(0) @Max(65535)
  METRICS_PORT?: number;
}

/** Typed configuration: the only way code reads settings. */
export class AppConfig {
  nodeEnv!: string;
  port!: number;
  databaseUrl!: string;
  redisUrl!: string;
  queuePrefix!: string;
  smtpUrl?: string;
  mailFrom!: string;
  mailDomain!: string;
  teamInbox!: string;
  publicBaseUrl!: string;
  appSecret!: string;
  appSecretGenerated!: boolean;
  adminEmail?: string;
  adminPassword?: string;
  workers!: 'inline' | 'off';
  inboundSmtpPort?: number;
  inboundWebhookSecret?: string;
  retentionMonths!: number;
  rateLimitIpPerHour!: number;
  rateLimitEmailPerHour!: number;
  trustProxy?: string;
  logLevel!: string;
  /** REQUIRE_2FA: every staff account must have two-factor sign-in; one without it can only enrol (SPEC §5). */
  require2fa!: boolean;
  /** FEEDBACK_SITES: the origins whose pages may embed the rating widget and send page feedback (SPEC §11). */
  feedbackSites!: string[];
  /** METRICS_TOKEN: the bearer token of `GET /metrics`; unset, there is no /metrics. */
  metricsToken?: string;
  /** METRICS_PORT: where a worker process (`npm run start:worker`) serves its /metrics; unset, it serves none. */
  metricsPort?: number;
  /** Where the embedded mail default writes .eml files. */
  mailDir!: string;
  /** Tuning that is not an environment variable; tests shorten it. */
  mail!: MailTuning;
}

export interface MailTuning {
  /** First retry delay for SMTP 4xx/connection errors; doubles each attempt. */
  backoffMs: number;
  /** Attempts before a row is marked failed (with backoffMs 5 s and 15 attempts: ~22 h in total). */
  maxAttempts: number;
  /** How often the relay looks for pending rows when no notification arrives. */
  relayPollMs: number;
  /**
   * A claim's lease: how long a `sending` row stays a worker's without a renewal. A live worker renews all its
   * claims together every quarter lease, so a slow send never loses its row; a killed worker's claims lapse
   * within one lease and go to another worker (BullMQ's lock and stalled check, and the sweeper, are timed
   * from it: see src/queue/lease-timings.ts).
   */
  leaseMs: number;
  /** Mail jobs in progress per worker process (claimed, rendered, sending, or waiting unclaimed for a send slot). */
  concurrency: number;
  /** SMTP connections in the pool. */
  maxConnections: number;
  /**
   * Of those jobs, how many may hold a claim before the SMTP thread takes their message (default 8 per SMTP
   * connection): enough to cover a claim's round trip at full speed; the other jobs wait unclaimed.
   */
  claimsAhead?: number;
}

export class ConfigError extends Error {}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<AppConfig> = {}): AppConfig {
  const parsed = plainToInstance(Environment, { ...env }, { excludeExtraneousValues: false });
  const errors = validateSync(parsed, { whitelist: false, forbidUnknownValues: false });
  if (errors.length) {
    const lines = errors.map((e) => `${e.property}: ${Object.values(e.constraints ?? {}).join('; ')}`);
    throw new ConfigError(`Invalid configuration: ${lines.join(' | ')}`);
  }
  const nodeEnv = parsed.NODE_ENV ?? 'development';
  if (nodeEnv === 'production' && !parsed.APP_SECRET) {
    throw new ConfigError('Invalid configuration: APP_SECRET: is required when NODE_ENV=production (at least 32 characters)');
  }
  if (Boolean(parsed.ADMIN_EMAIL) !== Boolean(parsed.ADMIN_PASSWORD)) {
    throw new ConfigError('Invalid configuration: ADMIN_EMAIL and ADMIN_PASSWORD: set both or neither');
  }
  if (parsed.METRICS_PORT !== undefined && !parsed.METRICS_TOKEN) {
    throw new ConfigError('Invalid configuration: METRICS_PORT: needs METRICS_TOKEN (/metrics answers only with the token)');
  }
  const port = parsed.PORT ?? 3000;
  if (parsed.METRICS_PORT && parsed.METRICS_PORT === port) {
    // `npm start` runs the API on PORT and its workers (with METRICS_PORT) beside it on the same host.
    throw new ConfigError(`Invalid configuration: METRICS_PORT: must differ from PORT (${port}), where the API serves its own /metrics`);
  }
  const config: AppConfig = {
    nodeEnv,
    port,
    databaseUrl: withDefaultUser(parsed.DATABASE_URL ?? 'postgres://127.0.0.1:5432/policy_inbox', env),
    redisUrl: parsed.REDIS_URL ?? 'redis://127.0.0.1:6379',
    queuePrefix: parsed.QUEUE_PREFIX ?? 'policy-inbox',
    smtpUrl: parsed.SMTP_URL,
    mailFrom: parsed.MAIL_FROM ?? 'Policy team <policy@localhost>',
    mailDomain: parsed.MAIL_DOMAIN ?? 'localhost',
    teamInbox: parsed.TEAM_INBOX ?? 'policy-team@localhost',
    publicBaseUrl: (parsed.PUBLIC_BASE_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    appSecret: parsed.APP_SECRET ?? randomBytes(32).toString('base64url'),
    appSecretGenerated: !parsed.APP_SECRET,
    adminEmail: parsed.ADMIN_EMAIL?.toLowerCase(),
    adminPassword: parsed.ADMIN_PASSWORD,
    workers: parsed.WORKERS ?? 'inline',
    inboundSmtpPort: parsed.INBOUND_SMTP_PORT,
    inboundWebhookSecret: parsed.INBOUND_WEBHOOK_SECRET,
    retentionMonths: parsed.RETENTION_MONTHS ?? 24,
    rateLimitIpPerHour: parsed.RATE_LIMIT_IP_PER_HOUR ?? 10,
    rateLimitEmailPerHour: parsed.RATE_LIMIT_EMAIL_PER_HOUR ?? 5,
    trustProxy: parsed.TRUST_PROXY,
    logLevel: parsed.LOG_LEVEL ?? (nodeEnv === 'test' ? 'silent' : 'info'),
    require2fa: parsed.REQUIRE_2FA === 'true',
    feedbackSites: feedbackOrigins(parsed.FEEDBACK_SITES, parsed.PUBLIC_BASE_URL ?? `http://localhost:${port}`),
    metricsToken: parsed.METRICS_TOKEN,
    metricsPort: parsed.METRICS_PORT,
    mailDir: 'var/mail',
    mail: { backoffMs: 5_000, maxAttempts: 15, relayPollMs: 1_000, leaseMs: 20_000, concurrency: 64, maxConnections: 5 },
    ...overrides,
  };
  return config;
}

/** FEEDBACK_SITES as origins (`https://www.example.org`), without duplicates; default: PUBLIC_BASE_URL's origin. */
function feedbackOrigins(value: string | undefined, publicBaseUrl: string): string[] {
  const listed = value ? value.split(',').map((s) => s.trim()).filter(Boolean) : [publicBaseUrl];
  const origins = listed.map((s) => {
    try {
      return new URL(s).origin;
    } catch {
      throw new ConfigError(`Invalid configuration: FEEDBACK_SITES: ${JSON.stringify(s)} is not an origin`);
    }
  });
  return [...new Set(origins)];
}

/** Like libpq: a URL without a user name connects as PGUSER, or as the operating-system user. */
function withDefaultUser(url: string, env: NodeJS.ProcessEnv): string {
  const u = new URL(url);
  if (u.username) return url;
  u.username = env.PGUSER || env.USER || userInfo().username;
  return u.toString();
}
