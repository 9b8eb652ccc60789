// A tiny TAP-like reporter shared by the Node.js relying parties.
// Every check prints "ok N - name" or "not ok N - name: detail"; finish()
// prints the summary line that tests/e2e/clients.sh reads:
//   RESULT <client> <version> passed=P failed=F
// and sets the exit status. A step that throws counts as one failure and
// the run goes on, so that one run reports everything it can.
import { inspect } from 'node:util';

let n = 0;
let passed = 0;
let failed = 0;

export function ok(cond, name, detail) {
  n += 1;
  if (cond) {
    passed += 1;
    console.log(`ok ${n} - ${name}`);
  } else {
    failed += 1;
    const d = detail === undefined ? '' : `: ${typeof detail === 'string' ? detail : inspect(detail, { depth: 4 })}`;
    console.log(`not ok ${n} - ${name}${d}`);
  }
  return !!cond;
}

export function equal(got, want, name) {
  return ok(got === want, name, `got ${inspect(got)}, want ${inspect(want)}`);
}

// step(name, fn): runs fn; an exception is one failure named after the step.
export async function step(name, fn) {
  try {
    return await fn();
  } catch (e) {
    const extra = e && e.cause ? ` (cause: ${inspect(e.cause, { depth: 3 })})` : '';
    const body = e && e.error ? ` [${e.error}${e.error_description ? ': ' + e.error_description : ''}]` : '';
    ok(false, `${name} threw`, `${e && e.name}: ${e && e.message}${body}${extra}`);
    return undefined;
  }
}

// rejects(name, fn, predicate): fn must throw and predicate(err) must hold.
export async function rejects(name, fn, predicate = () => true) {
  try {
    await fn();
  } catch (e) {
    let good = false;
    try {
      good = await predicate(e);
    } catch (pe) {
      good = false;
    }
    const cause = e && e.cause ? `, cause=${inspect(e.cause, { depth: 3, breakLength: Infinity })}` : '';
    return ok(good, name, `threw ${e && e.name}: ${e && e.message} (error=${e && e.error}, code=${e && e.code}${cause})`);
  }
  return ok(false, name, 'did not throw');
}

export function note(msg) {
  console.log(`# ${msg}`);
}

export function finish(client, version) {
  console.log(`1..${n}`);
  console.log(`RESULT ${client} ${version} passed=${passed} failed=${failed}`);
  process.exitCode = failed === 0 && passed > 0 ? 0 : 1;
}
