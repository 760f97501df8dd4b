/**
 * Analytics for the head of sales: GET /api/analytics (JSON) and GET /analytics (an HTML page),
 * both behind API_TOKEN. The API takes `Authorization: Bearer <API_TOKEN>`; a browser gets a
 * Basic-auth prompt (any user name, API_TOKEN as the password), so the token never sits in a URL,
 * the history or an access log. Compared in constant time; never logged.
 */
import { Router, type Request, type Response } from 'express';
import { computeAnalytics, type AnalyticsReport } from '../domain/analytics';
import { renderAnalyticsPage } from '../analytics/page';
import type { AnalyticsReader } from '../analytics/reader';
import type { Logger } from '../shared/log';
import { tokenMatches } from './bitrix24-events';
import { analyticsQuerySchema, describeIssues } from './schemas';

export interface AnalyticsRouterDeps {
  apiToken: string;
  /** Absent: the routes answer 503 (e.g. a process started without a Bitrix24 client). */
  reader?: AnalyticsReader;
  log: Logger;
  now?: () => Date;
}

/** The token of `Bearer <token>` or the password of `Basic base64(user:password)`. */
function presentedToken(req: Request): string {
  const header = req.get('authorization') ?? '';
  if (header.startsWith('Bearer ')) return header.slice(7);
  if (!header.startsWith('Basic ')) return '';
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  return decoded.includes(':') ? decoded.slice(decoded.indexOf(':') + 1) : '';
}

export function createAnalyticsRouter(deps: AnalyticsRouterDeps): Router {
  const router = Router();
  const now = deps.now ?? (() => new Date());

  const serve = (as: 'json' | 'html') => async (req: Request, res: Response) => {
    const fail = (status: number, body: Record<string, unknown>) => {
      if (as === 'json') return void res.status(status).json(body);
      const issues = ((body.issues ?? []) as { path: string; message: string }[]).map((i) => `\n${i.path}: ${i.message}`).join('');
      res.status(status).type('text/plain; charset=utf-8').send(`${String(body.message)}${issues}\n`);
    };
    if (!tokenMatches(presentedToken(req), deps.apiToken)) {
      res.set('WWW-Authenticate', as === 'json' ? 'Bearer' : 'Basic realm="Reactivation analytics", charset="UTF-8"');
      return fail(401, { error: 'unauthorized', message: 'expected Authorization: Bearer <API_TOKEN> (or Basic auth with API_TOKEN as the password)' });
    }
    const query = analyticsQuerySchema.safeParse(req.query);
    if (!query.success) return fail(400, { error: 'invalid_request', message: 'invalid query', issues: describeIssues(query.error) });
    if (!deps.reader) return fail(503, { error: 'unavailable', message: 'analytics is not configured in this process' });
    let report: AnalyticsReport;
    let readAt: string;
    try {
      const snapshot = await deps.reader.snapshot({ fresh: query.data.fresh === '1' });
      readAt = snapshot.readAt;
      report = computeAnalytics({ ...snapshot, now: now(), from: query.data.from, to: query.data.to });
    } catch (error) {
      deps.log.error('analytics failed', { path: req.path, error });
      return fail(502, { error: 'upstream', message: 'could not read Bitrix24 or Temporal; try again later' });
    }
    res.set('Cache-Control', 'no-store');
    if (as === 'json') return void res.json({ readAt, ...report });
    res
      .set({ 'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'", 'Referrer-Policy': 'no-referrer', 'X-Content-Type-Options': 'nosniff' })
      .type('html')
      .send(renderAnalyticsPage(report, readAt));
  };

  router.get('/api/analytics', serve('json'));
  router.get('/analytics', serve('html'));
  return router;
}
