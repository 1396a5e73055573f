import { createHash, timingSafeEqual } from 'node:crypto';

export const MIN_TOKEN_LENGTH = 8;

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * The dashboard's access token, compared in constant time: both sides are hashed to 32-byte digests
 * first, so neither the position of the first differing character nor the token's length leaks
 * through the comparison's duration.
 */
export class TokenGuard {
  private readonly expected: Buffer;

  constructor(token: string) {
    if (typeof token !== 'string' || token.length < MIN_TOKEN_LENGTH) throw new Error(`dashboard token must be at least ${MIN_TOKEN_LENGTH} characters`);
    this.expected = digest(token);
  }

  check(presented: string | undefined | null): boolean {
    if (typeof presented !== 'string' || presented.length === 0 || presented.length > 1024) return false;
    return timingSafeEqual(digest(presented), this.expected);
  }

  /**
   * The token a request carries: `Authorization: Bearer TOKEN`, else `?token=`. `allowQuery` false for
   * state-changing requests, so a link or a form elsewhere can never trigger them (a browser only sends an
   * Authorization header that a script of this page set).
   */
  static presented(authorization: string, queryToken: string, allowQuery = true): string | undefined {
    if (authorization) {
      const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
      return m ? m[1] : undefined;
    }
    return allowQuery && queryToken ? queryToken : undefined;
  }
}
