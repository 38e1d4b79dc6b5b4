import { INestApplication } from '@nestjs/common';
import { INJECTABLE_WATERMARK } from '@nestjs/common/constants.js';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { useContainer } from 'class-validator';
import cookieParser from 'cookie-parser';
import express, { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import { join } from 'node:path';
import { AppModule } from './app.module.js';
import { ErrorFilter } from './common/error.filter.js';
import { validationPipe } from './common/validation.js';
import { AppConfig } from './config/app-config.js';
import { WebErrorPages } from './web/web-error-pages.js';
import { crossOriginAsset, feedbackCors, framableBy } from './feedback/feedback-http.js';
import { httpMetrics } from './metrics/http-metrics.middleware.js';
import { MetricsService } from './metrics/metrics.service.js';

export const BODY_LIMIT = '64kb';
export const ROOT = join(import.meta.dirname, '..');

/** Refuses a body that is not JSON on the JSON API, before anything reads it. */
function requireJson(req: Request, res: Response, next: NextFunction) {
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (!['POST', 'PUT', 'PATCH'].includes(req.method) || !hasBody || req.is('application/json')) return next();
  // The form posts urlencoded to /contact; mail providers post raw MIME to /api/inbound/.
  if (!req.path.startsWith('/api/') || req.path.startsWith('/api/inbound/')) return next();
  res.status(415).json({ statusCode: 415, message: 'Send the request body as application/json' });
}

const csp = (extra: { scriptSrc?: string[]; styleSrc?: string[] } = {}) =>
  helmet({
    contentSecurityPolicy: {
      useDefaults: true,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'", ...(extra.scriptSrc ?? [])],
        styleSrc: ["'self'", ...(extra.styleSrc ?? [])],
        imgSrc: ["'self'", 'data:'],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: null,
      },
    },
    strictTransportSecurity: false,
  });

/** Everything an HTTP app needs around its modules; main.ts and the e2e tests both build the app here. */
export async function createApp(config: AppConfig): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    bufferLogs: true,
    // Errors from app.get() reach the caller instead of ending the process (the validator container relies on it).
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  configureApp(app, config);
  return app;
}

export function configureApp(app: NestExpressApplication, config: AppConfig): void {
  if (config.trustProxy) {
    app.set('trust proxy', config.trustProxy.split(',').map((s) => s.trim()).filter(Boolean));
  }
  app.disable('x-powered-by');
  // First, so a request's time covers every middleware (METRICS_TOKEN set only: otherwise nothing reads it).
  const metrics = app.get(MetricsService);
  if (metrics.enabled) app.use(httpMetrics(metrics));
  // The docs UI and the queue dashboard are third-party pages with inline styles and scripts of their own.
  app.use(['/api/docs', '/admin/queues'], csp({ scriptSrc: ["'unsafe-inline'"], styleSrc: ["'unsafe-inline'"] }));
  app.use(csp());
  // Page feedback (SPEC §11): /feedback framable by FEEDBACK_SITES, the widget's files usable cross-origin, CORS on its API.
  app.use('/feedback', framableBy(config.feedbackSites));
  app.use(['/assets/page-feedback.js', '/assets/page-feedback.css'], crossOriginAsset);
  app.use('/api/pages', feedbackCors(config.feedbackSites));
  app.use(cookieParser());
  app.use('/assets', express.static(join(ROOT, 'public'), { maxAge: '1h', index: false }));
  app.use(requireJson);
  // Mail providers post raw MIME here (SPEC §6a); only this path takes it, and up to 10 MB.
  app.use('/api/inbound/email', express.raw({ type: 'message/rfc822', limit: '10mb' }));
  // A bulk change names up to 5,000 ids (about 200 kB); the inbox page's bulk form sends a checkbox per row (up to 100).
  app.use('/api/admin/inquiries/bulk', express.json({ limit: '256kb', strict: true }));
  app.use('/admin/inbox/bulk', express.urlencoded({ limit: BODY_LIMIT, extended: false, parameterLimit: 150 }));
  app.use(express.json({ limit: BODY_LIMIT, strict: true }));
  app.use(express.urlencoded({ limit: BODY_LIMIT, extended: false, parameterLimit: 50 }));
  useValidatorContainer(app);
  app.useGlobalPipes(validationPipe());
  app.useGlobalFilters(new ErrorFilter(app.get(WebErrorPages)));
  app.enableShutdownHooks();
  setUpOpenApi(app);
}

/** Lets validation rules that need a service (marked @Injectable, like the topic rule) come from Nest. */
function useValidatorContainer(app: INestApplication): void {
  const own = new Map<unknown, unknown>();
  useContainer({
    get<T>(cls: new () => T): T {
      // Asking Nest for class-validator's own classes would fail (and log an error), so only providers go there.
      if (Reflect.getMetadata(INJECTABLE_WATERMARK, cls)) return app.get(cls, { strict: false });
      if (!own.has(cls)) own.set(cls, new cls());
      return own.get(cls) as T;
    },
  });
}

function setUpOpenApi(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Policy Inbox')
      .setDescription('Questions from the public to a cancer charity\'s policy team, and the staff inbox that answers them.')
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer')
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });
}
