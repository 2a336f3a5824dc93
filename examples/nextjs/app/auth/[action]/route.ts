import { portal } from '../../../lib/portal';

// The portal's cookie sign-in: GET /auth/session, POST /auth/sign-in, POST /auth/sign-out.
async function handle(request: Request): Promise<Response> {
  const { auth } = await portal();
  return (await auth(request)) ?? new Response('Not found', { status: 404 });
}

export { handle as GET, handle as POST };
