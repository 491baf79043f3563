import { jwtFromEvent } from 'cdk-phantom-token/backend';

// A backend Lambda function behind the authorizer (Lambda integration): the JWT comes from the
// authorizer context, never from a header the client could send.
export const handler = async (event: { requestContext?: { authorizer?: unknown } }) => {
  const jwt = jwtFromEvent(event);
  if (jwt === undefined) return { statusCode: 401, body: '' };
  return { statusCode: 200, body: JSON.stringify({ jwtLength: jwt.length }) };
};
