/**
 * `npm start` in a child process, for tests that SIGKILL the service (test/e2e/stack.ts
 * startProcessStack): exactly src/cli/start.ts main() — environment validated by loadEnv, the
 * worker and the HTTP API, "b24-reactivation is running" once everything answers, SIGTERM stops
 * it, a failed worker exits 1.
 *
 * One test-only switch, read here and nowhere in the service: B24R_TEST_CLIENT_LIMITS=off keeps
 * the Bitrix24 client's rate-limit bucket for the portal off (the sandbox then runs without
 * limits too), so that tests about crashes are not paced at 2 requests/s.
 */
import { sharedRateLimiter } from '../../src/bitrix24';
import { main } from '../../src/cli/start';

if (process.env.B24R_TEST_CLIENT_LIMITS === 'off' && process.env.B24_WEBHOOK_URL) {
  // The client asks for its preset when it is created (last wins): keep this process's limiter off.
  const limiter = sharedRateLimiter(new URL(process.env.B24_WEBHOOK_URL).origin, 'off');
  limiter.reconfigure = () => undefined;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`service failed: ${(err as Error)?.stack ?? err}\n`);
    process.exit(1);
  },
);
