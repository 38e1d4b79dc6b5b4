import { Global, Module } from '@nestjs/common';
import { Pages } from './pages.js';
import { StaffPages } from './staff-pages.js';
import { StartController } from './start.controller.js';
import { WebErrorPages } from './web-error-pages.js';

/** Server-rendered pages: the nunjucks views, the staff page frame, error pages, and the start page. */
@Global()
@Module({
  controllers: [StartController],
  providers: [Pages, StaffPages, WebErrorPages],
  exports: [Pages, StaffPages, WebErrorPages],
})
export class WebModule {}
