/**
 * Starts the TLS library's one-time set-up on a background thread.
 *
 * The first TLS connection of a Deno process spends about 18–20 ms on the crypto library's
 * one-time initialisation, synchronously on the JavaScript thread inside `Deno.startTls` /
 * `Deno.connectTls` (measured on a 2-core Xeon: 19–21 ms for the first handshake set-up, under
 * 1 ms for later ones, with or without a CA bundle; strace shows no system call in that gap). It
 * has every mark of AWS-LC seeding its random number generator, which since AWS-LC 1.60 collects
 * CPU jitter entropy once per process (aws/aws-lc-rs#899, aws/aws-lc#3180): Web Crypto's HMAC and
 * AES key generation pay the same 20 ms, while a SHA-256 digest or an X25519 key, which draw no
 * AWS-LC randomness, do not. Only Deno's build can turn it off (`AWS_LC_SYS_NO_JITTER_ENTROPY`).
 * `crypto.subtle.generateKey` for ECDSA P-256 runs on Deno's blocking thread pool and goes through
 * the same initialisation, so calling it first moves the cost off the critical path: it overlaps
 * with importing the command's modules and reading the kubeconfig, and the first `startTls` then
 * took 1 ms.
 *
 * @module
 */

let started = false;

/**
 * Triggers the one-time TLS initialisation in the background; later calls do nothing. Errors are
 * ignored: the real connection reports its own.
 *
 * @example
 * ```ts
 * import { warmUpTls } from "./tls_warmup.ts";
 * warmUpTls(); // before loading the modules of a command that will connect
 * ```
 */
export function warmUpTls(): void {
  if (started) return;
  started = true;
  crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]).catch(
    () => {},
  );
}
