import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthController } from './auth.controller.js';
import { SignInController, SignOutController } from './sign-in.controller.js';
import { AccountPagesController } from './account-pages.controller.js';
import { AuthService } from './auth.service.js';
import { FirstAdmin } from './first-admin.js';
import { InvitationsService } from './invitations.service.js';
import { LoginAttempts } from './login-attempts.js';
import { Staff } from './staff.entity.js';
import { StaffAuthGuard } from './staff-auth.guard.js';
import { TokensService } from './tokens.service.js';
import { SessionsService } from './sessions.service.js';
import { SignInChallenges } from './sign-in-challenges.js';
import { TwoFactorController } from './two-factor.controller.js';
import { TwoFactorService } from './two-factor.service.js';

@Global()
@Module({
  imports: [JwtModule.register({}), TypeOrmModule.forFeature([Staff])],
  controllers: [AuthController, SignInController, SignOutController, AccountPagesController, TwoFactorController],
  providers: [
    TokensService, SessionsService, StaffAuthGuard, { provide: APP_GUARD, useExisting: StaffAuthGuard },
    AuthService, LoginAttempts, InvitationsService, FirstAdmin, TwoFactorService, SignInChallenges,
  ],
  exports: [TokensService, SessionsService, StaffAuthGuard, AuthService, InvitationsService, TwoFactorService],
})
export class AuthModule {}
