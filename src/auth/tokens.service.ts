import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { AppConfig } from '../config/app-config.js';

export const ACCESS_TOKEN_SECONDS = 15 * 60;

export interface AccessClaims {
  sub: string;
  ver: number;
}

/** Short-lived access tokens: HS256 only (pinned on both sides), so `alg: none` and other algorithms are refused. */
@Injectable()
export class TokensService {
  constructor(private readonly jwt: JwtService, private readonly config: AppConfig) {}

  sign(staffId: string, tokenVersion: number): Promise<string> {
    return this.jwt.signAsync({ sub: staffId, ver: tokenVersion } satisfies AccessClaims, {
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
      return typeof claims.sub === 'string' && Number.isInteger(claims.ver) ? claims : undefined;
    } catch {
      return undefined;
    }
  }
}
