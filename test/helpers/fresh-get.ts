import { get } from 'node:http';

/**
 * GET `url` on a connection of its own (`agent: false`), for servers a test restarts: fetch pools keep-alive
 * sockets, and one to a process a restart just killed fails the next request with "other side closed"
 * (UND_ERR_SOCKET) although the new process answers. Resolves with the status and body; rejects on a connection error.
 */
export function freshGet(url: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}
