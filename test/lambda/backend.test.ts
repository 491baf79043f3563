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

  it('answers undefined for a missing, null, empty or non-string context value', () => {
    expect(jwtFromEvent({})).toBeUndefined();
    expect(jwtFromEvent({ requestContext: null })).toBeUndefined();
    expect(jwtFromEvent({ requestContext: { authorizer: null } })).toBeUndefined();
    expect(jwtFromEvent({ requestContext: { authorizer: 'jwt' } })).toBeUndefined();
    expect(jwtFromEvent({ requestContext: { authorizer: { jwt: '' } } })).toBeUndefined();
    expect(jwtFromEvent({ requestContext: { authorizer: { lambda: { jwt: 42 } } } })).toBeUndefined();
    expect(jwtFromEvent({ requestContext: { authorizer: { lambda: {} } } })).toBeUndefined();
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

  it("removes the client's Authorization and JWT header on a route the authorizer did not protect, and adds nothing", async () => {
    const seen = await withJwtHeaders(async (event: ReturnType<typeof httpApiEvent>) => event.headers)(
      httpApiEvent(undefined, { accept: '*/*' }),
    );
    expect(seen).toEqual({ accept: '*/*' });
  });

  it('drops a client-forged JWT in any letter case from headers and multiValueHeaders on an unprotected REST route', async () => {
    const forged = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJtYWxsb3J5In0.';
    const event = {
      headers: { AUTHORIZATION: `Bearer ${forged}`, 'X-PHANTOM-JWT': forged, Accept: '*/*' },
      multiValueHeaders: { Authorization: [`Bearer ${forged}`], 'x-Phantom-Jwt': [forged], Accept: ['*/*'] },
      requestContext: { authorizer: null },
    };
    const seen = await withJwtHeaders(async (e: typeof event) => ({ headers: e.headers, multiValueHeaders: e.multiValueHeaders }))(event);
    expect(seen).toEqual({ headers: { Accept: '*/*' }, multiValueHeaders: { Accept: ['*/*'] } });
  });

  it("drops the client's values of a custom JWT header name, matched in any letter case", async () => {
    const event = {
      headers: { 'X-Backend-JWT': 'forged', 'x-phantom-jwt': 'kept', authorization: 'Bearer opaque' },
      requestContext: { authorizer: { jwt: JWT } },
    };
    const seen = await withJwtHeaders(async (e: typeof event) => e.headers, { headerName: 'X-Backend-JWT' })(event);
    expect(seen).toEqual({ 'x-phantom-jwt': 'kept', authorization: `Bearer ${JWT}`, 'x-backend-jwt': JWT });
  });

  it('passes the other arguments through and leaves the event it was given as it was', async () => {
    const event = httpApiEvent({ lambda: { jwt: JWT } });
    const before = structuredClone(event);
    const seen = await withJwtHeaders(async (_event: typeof event, context: { id: string }, extra: number) => [context.id, extra])(
      event,
      { id: 'ctx' },
      7,
    );
    expect(seen).toEqual(['ctx', 7]);
    expect(event).toEqual(before);
  });

  it('adds no multiValueHeaders to an event that has none, and copes with no headers at all', async () => {
    const seen = await withJwtHeaders(async (e: { headers?: unknown; multiValueHeaders?: unknown }) => e)({
      requestContext: { authorizer: { jwt: JWT } },
    });
    expect(seen).toEqual({
      requestContext: { authorizer: { jwt: JWT } },
      headers: { authorization: `Bearer ${JWT}`, 'x-phantom-jwt': JWT },
    });
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
