import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { AppConfig } from '../config/app-config.js';

export const ACCESS_TOKEN_SECONDS = 15 * 60;

/** The `scope` of a token issued to an account that must still set up two-factor sign-in (REQUIRE_2FA). */
export const ENROLMENT_SCOPE = '2fa-enrolment';

export interface AccessClaims {
  sub: string;
  ver: number;
  /** Present only on a limited token: it opens the two-factor enrolment routes and nothing else. */
  scope?: typeof ENROLMENT_SCOPE;
}

/** Short-lived access tokens: HS256 only (pinned on both sides), so `alg: none` and other algorithms are refused. */
@Injectable()
export class TokensService {
  constructor(private readonly jwt: JwtService, private readonly config: AppConfig) {}

  /** `enrolmentOnly`: a token that works only for setting up two-factor sign-in (the guard checks the claim). */
  sign(staffId: string, tokenVersion: number, { enrolmentOnly = false }: { enrolmentOnly?: boolean } = {}): Promise<string> {
    const claims: AccessClaims = { sub: staffId, ver: tokenVersion, ...(enrolmentOnly ? { scope: ENROLMENT_SCOPE } : {}) };
    return this.jwt.signAsync(claims, {
      secret: this.config.appSecret,
      algorithm: 'HS256',
      expiresIn: ACCESS_TOKEN_SECONDS,
      issuer: 'policy-inbox',
      audience: 'policy-inbox-admin',
    });
  }

  /** The claims of a valid token, or undefined for anything else (expired, forged, wrong algorithm, malformed). */
  async verify(token: string): Promise<AccessClaims | undefined> {
    try {
      const claims = await this.jwt.verifyAsync<AccessClaims>(token, {
        secret: this.config.appSecret,
        algorithms: ['HS256'],
        issuer: 'policy-inbox',
        audience: 'policy-inbox-admin',
      });
      if (typeof claims.sub !== 'string' || !Number.isInteger(claims.ver)) return undefined;
      if (claims.scope !== undefined && claims.scope !== ENROLMENT_SCOPE) return undefined;
      return claims;
    } catch {
      return undefined;
    }
  }
}
