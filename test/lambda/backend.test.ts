import { describe, expect, it } from 'vitest';
import { handler as echo } from '../../bin/echo-backend.js';
import { jwtFromEvent, withJwtHeaders } from '../../lambda/backend.js';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln';

const httpApiEvent = (authorizer: unknown, headers: Record<string, string> = {}) => ({
  version: '2.0',
  routeKey: 'GET /echo',
  rawPath: '/echo',
  headers: { authorization: 'Bearer opaque-token', 'x-phantom-jwt': 'forged', ...headers },
  requestContext: { http: { method: 'GET' }, authorizer },
});

describe('jwtFromEvent', () => {
  it('reads requestContext.authorizer.lambda.jwt (HTTP API payload 2.0)', () => {
    expect(jwtFromEvent(httpApiEvent({ lambda: { jwt: JWT } }))).toBe(JWT);
  });

  it('reads requestContext.authorizer.jwt (REST and payload 1.0)', () => {
    expect(jwtFromEvent({ requestContext: { authorizer: { jwt: JWT, principalId: 'alice' } } })).toBe(JWT);
  });

  it('never reads a header the client could send', () => {
    expect(jwtFromEvent(httpApiEvent(undefined, { 'x-phantom-jwt': JWT, jwt: JWT }))).toBeUndefined();
  });
});

describe('withJwtHeaders', () => {
  it('gives the handler authorization: Bearer <JWT> and the JWT header, dropping forged values', async () => {
    const seen = await withJwtHeaders(async (event: ReturnType<typeof httpApiEvent>) => event.headers)(
      httpApiEvent({ lambda: { jwt: JWT } }, { Authorization: 'Bearer other', 'X-Phantom-JWT': 'forged-too' }),
    );
    expect(seen).toEqual({ authorization: `Bearer ${JWT}`, 'x-phantom-jwt': JWT });
  });

  it('updates REST multiValueHeaders too', async () => {
    const event = {
      headers: { Authorization: 'Bearer opaque', Accept: '*/*' },
      multiValueHeaders: { Authorization: ['Bearer opaque'], Accept: ['*/*'] },
      requestContext: { authorizer: { jwt: JWT } },
    };
    const seen = await withJwtHeaders(async (e: typeof event) => e.multiValueHeaders)(event);
    expect(seen).toEqual({ Accept: ['*/*'], authorization: [`Bearer ${JWT}`], 'x-phantom-jwt': [JWT] });
  });

  it('removes the JWT header on a route the authorizer did not protect, and adds nothing', async () => {
    const seen = await withJwtHeaders(async (event: ReturnType<typeof httpApiEvent>) => event.headers)(httpApiEvent(undefined));
    expect(seen).toEqual({ authorization: 'Bearer opaque-token' });
  });

  it('powers the sample echo backend', async () => {
    const response = await echo(httpApiEvent({ lambda: { jwt: JWT } }));
    expect(JSON.parse(response.body)).toEqual({
      method: 'GET',
      path: '/echo',
      headers: { authorization: `Bearer ${JWT}`, 'x-phantom-jwt': JWT },
    });
  });
});
