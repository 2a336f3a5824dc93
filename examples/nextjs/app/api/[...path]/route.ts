import { portal } from '../../../lib/portal';

// The library's Fetch handler as it is: every method, every route under /api.
async function handle(request: Request): Promise<Response> {
  const { api } = await portal();
  return api(request);
}

export { handle as DELETE, handle as GET, handle as HEAD, handle as OPTIONS, handle as POST, handle as PUT };
