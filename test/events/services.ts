/**
 * Whether a test service answers, and what a suite does when it does not: skip with the reason, or, with
 * PYMK_REQUIRE_SERVICES=1 (CI), fail.
 */
import { test } from 'node:test';
import { connect } from 'node:net';

/** Whether a TCP connection to host:port opens within `ms`. */
export function tcpAnswers(host: string, port: number, ms = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(ms, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** The skip reason for a suite whose service is down, after failing a test instead when services are required. */
export function whenDown(service: string, why: string): string {
  if (process.env.PYMK_REQUIRE_SERVICES === '1') {
    test(`${service} answers (PYMK_REQUIRE_SERVICES=1)`, () => {
      throw new Error(`${why}, and PYMK_REQUIRE_SERVICES=1 requires it`);
    });
  }
  return why;
}
