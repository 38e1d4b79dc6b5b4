import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Staff } from './staff.entity.js';
import { StaffAuthGuard } from './staff-auth.guard.js';
import { TokensService } from './tokens.service.js';

@Global()
@Module({
  imports: [JwtModule.register({}), TypeOrmModule.forFeature([Staff])],
  providers: [TokensService, StaffAuthGuard, { provide: APP_GUARD, useExisting: StaffAuthGuard }],
  exports: [TokensService, StaffAuthGuard],
})
export class AuthModule {}
