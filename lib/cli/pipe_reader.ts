/**
 * Reads the process's stdin on a thread of its own when stdin is a pipe.
 *
 * Deno reads a pipe with one blocking-thread task per read: it duplicates the descriptor, reads
 * at most what the pipe holds (64 KiB), closes the duplicate and wakes the JavaScript thread — a
 * handful of system calls and two thread hand-offs for every 64 KiB. With `dd … | kubexec exec -i`
 * that overhead made kubexec the slowest link (1.7–1.9 s per GiB where kubectl took 1.1–1.5 s).
 *
 * A {@linkcode PipeReader} instead starts a worker that reads the pipe with `readSync` into a ring
 * of slots in shared memory, ahead of the session by at most the ring's size (back-pressure: a full
 * ring stops the worker, and the pipe's writer with it, until half of it is free). The JavaScript
 * thread copies from ready slots into the session's buffer and, only when the ring is empty, raises
 * a flag and waits for the worker's next message. Not `Atomics.waitAsync`: Deno does not count it
 * as pending work, and its wake-up reached the JavaScript thread only with some other event
 * (denoland/deno#15358, #14786); here a 64 MiB `exec -i` against the real API server hung in one
 * run of three.
 *
 * The worker's code is built from a function in this module and loaded from a `data:` URL, so it
 * needs no file of its own at run time (a compiled binary holds no `lib/` directory; and compiled
 * binaries before denoland/deno#34574 cannot load a worker from a `blob:` URL). Should the worker
 * fail to start anyway, it has read nothing, and reads go to a fallback source instead
 * ({@linkcode PipeReaderOptions.fallback}).
 *
 * @module
 */
import type { DirectSource } from "../stream/direct_io.ts";

/** Slots in the ring: a power of two, so slot indices stay right when the counters wrap. */
const SLOTS = 8;
/** Bytes per slot: what one read of a pipe can return. */
const SLOT_BYTES = 64 * 1024;

// Indices into the control array.
/** Chunks the worker has put in the ring (an Int32 counter that may wrap). */
const PRODUCED = 0;
/** Chunks the reader has taken out of the ring. */
const CONSUMED = 1;
/** The worker's state: one of {@linkcode RUNNING}, {@linkcode ENDED}, {@linkcode FAILED}. */
const STATE = 2;
/** Set by the worker before its first read: until then a failed worker has read nothing. */
const STARTED = 3;
/** Set by the reader while it waits: the worker then sends a message after its next change. */
const WAITING = 4;
/** Set by the worker while it waits for room: the reader then wakes it once enough is free. */
const ROOM_WAITING = 5;
/** The length of the chunk in slot `i` is at `LENGTHS + i`. */
const LENGTHS = 6;
/**
 * Free slots a full ring needs before the worker reads again: half of them, so a reader that takes
 * one chunk at a time wakes the worker once per four chunks, not for every chunk it frees (a futex
 * wake-up and a thread switch each: 17,800 `futex` calls per GiB of `exec -i` before, 5,700 after).
 */
const RESUME = SLOTS / 2;

const RUNNING = 0;
const ENDED = 1;
const FAILED = 2;

/** What the worker is sent to start reading. */
interface Start {
  data: SharedArrayBuffer;
  control: SharedArrayBuffer;
  slots: number;
  slotBytes: number;
  resume: number;
}

/** The part of a worker's global scope that {@linkcode readIntoRing} uses. */
interface WorkerScope {
  onmessage: ((event: MessageEvent<Start>) => void) | null;
  postMessage(message: unknown): void;
}

/**
 * The worker's side. It runs in the worker and is sent there as source text, so it must not refer
 * to anything outside itself: the constants are in the start message, and the indices and states
 * are repeated here as literals.
 */
function readIntoRing(scope: WorkerScope, read: (buffer: Uint8Array) => number | null): void {
  scope.onmessage = (event) => {
    scope.onmessage = null;
    const { data, control: shared, slots, slotBytes, resume } = event.data;
    const control = new Int32Array(shared);
    const produced = 0, consumed = 1, state = 2, started = 3;
    const waiting = 4, roomWaiting = 5, lengths = 6;
    // A message (null) wakes the reader when it said it waits; errors are sent as strings.
    const wake = () => {
      if (Atomics.exchange(control, waiting, 0) === 1) scope.postMessage(null);
    };
    let head = 0;
    Atomics.store(control, started, 1);
    try {
      for (;;) {
        // A full ring: raise the flag, look again, and sleep until `resume` slots are free. The
        // reader, having freed them, sees the flag and notifies `consumed` (or this look sees
        // what it freed before the flag was up).
        if (((head - Atomics.load(control, consumed)) | 0) === slots) {
          for (;;) {
            Atomics.store(control, roomWaiting, 1);
            const tail = Atomics.load(control, consumed);
            if (slots - ((head - tail) | 0) >= resume) break;
            Atomics.wait(control, consumed, tail);
          }
          Atomics.store(control, roomWaiting, 0);
        }
        const slot = head & (slots - 1);
        const count = read(new Uint8Array(data, slot * slotBytes, slotBytes));
        if (count === null) break;
        if (count === 0) continue;
        control[lengths + slot] = count;
        head = (head + 1) | 0;
        Atomics.store(control, produced, head);
        wake();
      }
      Atomics.store(control, state, 1);
    } catch (error) {
      scope.postMessage(String(error instanceof Error ? error.message : error));
      Atomics.store(control, state, 2);
    }
    wake();
  };
}

/**
 * Reading stdin on the reader's thread failed; the message is the system's.
 *
 * @example
 * ```ts
 * import { PipeReadError } from "./pipe_reader.ts";
 * new PipeReadError("reading stdin: Input/output error (os error 5)").name; // "PipeReadError"
 * ```
 */
export class PipeReadError extends Error {
  override name = "PipeReadError";
}

/** Options of {@linkcode PipeReader}; the defaults are for the process's stdin. */
export interface PipeReaderOptions {
  /**
   * A JavaScript expression, evaluated in the worker, whose value is the synchronous read the
   * worker makes (`buffer => count | null`). Tests give their own source here.
   */
  readExpression?: string;
  /**
   * Where reads go if the worker cannot start (before it read anything): the same file read
   * another way, such as `Deno.stdin`. Without it, that failure is a {@linkcode PipeReadError}.
   */
  fallback?: DirectSource;
}

/**
 * The process's stdin read by a worker thread into a ring of shared slots. The worker starts when
 * the reader is made, but reads nothing before the first {@linkcode PipeReader.read}, so a caller
 * can make one while another read of the same file is still in flight and switch afterwards.
 *
 * @example
 * ```ts ignore
 * import { PipeReader } from "./pipe_reader.ts";
 * const stdin = new PipeReader();
 * const buffer = new Uint8Array(64 * 1024);
 * let total = 0;
 * for (let count; (count = await stdin.read(buffer)) !== null;) total += count;
 * ```
 */
export class PipeReader implements DirectSource {
  readonly #worker: Worker;
  readonly #data = new SharedArrayBuffer(SLOTS * SLOT_BYTES);
  readonly #control = new Int32Array(new SharedArrayBuffer(4 * (LENGTHS + SLOTS)));
  /** Settles with the worker's failure, as soon as it is known. */
  readonly #failure: Promise<Error>;
  #failed: Error | undefined;
  /** Resolves the wait of a read for the worker's next message. */
  #wake: (() => void) | undefined;
  /** Set when the worker failed before reading: reads go here instead. */
  #fallback: DirectSource | undefined;
  #started = false;
  #stopped = false;
  #cancelled = false;
  #tail = 0;
  /** How much of the chunk in the tail slot was already taken. */
  #offset = 0;

  /** Starts the worker (which waits for the first read). */
  constructor(options: PipeReaderOptions = {}) {
    const read = options.readExpression ?? "(buffer) => Deno.stdin.readSync(buffer)";
    const source = `(${readIntoRing.toString()})(self, ${read});`;
    const url = `data:text/javascript,${encodeURIComponent(source)}`;
    this.#worker = new Worker(url, { type: "module" });
    this.#failure = new Promise<Error>((resolve) => {
      const fail = (error: Error) => {
        this.#failed ??= error;
        resolve(this.#failed);
        this.#wakeUp();
      };
      this.#worker.onmessage = (event: MessageEvent<string | null>) => {
        if (event.data === null) this.#wakeUp();
        else fail(new PipeReadError(`reading stdin: ${event.data}`));
      };
      this.#worker.onerror = (event) => {
        event.preventDefault();
        if (options.fallback && Atomics.load(this.#control, STARTED) === 0) {
          // It never read: nothing is lost by reading the file the other way from here on.
          this.#fallback = options.fallback;
          this.#stop();
          this.#wakeUp();
          return;
        }
        fail(new PipeReadError(`reading stdin: the reader thread failed: ${event.message}`));
      };
    });
  }

  /** Reads up to `buffer.length` bytes into `buffer` (from as many chunks as are ready). */
  async read(buffer: Uint8Array): Promise<number | null> {
    if (!this.#started) {
      this.#started = true;
      const start: Start = {
        data: this.#data,
        control: this.#control.buffer as SharedArrayBuffer,
        slots: SLOTS,
        slotBytes: SLOT_BYTES,
        resume: RESUME,
      };
      this.#worker.postMessage(start);
    }
    const control = this.#control;
    for (;;) {
      if (this.#cancelled) return null;
      if (this.#fallback) return this.#fallback.read(buffer);
      // Chunks in the ring were read before any failure, so they come first, even when the
      // failure's message has already arrived.
      const head = Atomics.load(control, PRODUCED);
      if (head !== this.#tail) return this.#take(buffer, head);
      if (this.#failed) throw this.#failed;
      if (this.#stopped) return null;
      const state = Atomics.load(control, STATE);
      // A chunk put in just before the state changed is still there to take.
      if (state !== RUNNING && Atomics.load(control, PRODUCED) !== this.#tail) continue;
      if (state === ENDED) {
        this.#stop();
        return null;
      }
      if (state === FAILED) throw await this.#failure;
      // Raise the flag, then look again: a chunk put in before the worker could see the flag
      // is taken now; one after it comes with a message. A message for a wait that ended this
      // way only makes a later wait look again. A failure or a cancel wakes the wait too.
      const woken = new Promise<void>((resolve) => this.#wake = resolve);
      Atomics.store(control, WAITING, 1);
      if (
        Atomics.load(control, PRODUCED) !== head || Atomics.load(control, STATE) !== RUNNING
      ) {
        Atomics.store(control, WAITING, 0);
        this.#wake = undefined;
        continue;
      }
      await woken;
    }
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Stops the worker; later reads return `null`. A read blocked in the pipe ends with the process. */
  cancel(): void {
    this.#cancelled = true;
    this.#stop();
    this.#wakeUp();
  }

  #stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#worker.terminate();
  }

  /**
   * Copies ready chunks (up to `head`) into `buffer`, frees the slots emptied and wakes the worker
   * if it waits for room and there is enough now.
   */
  #take(buffer: Uint8Array, head: number): number {
    const control = this.#control;
    let filled = 0;
    let tail = this.#tail;
    while (filled < buffer.length && tail !== head) {
      const slot = tail & (SLOTS - 1);
      const length = control[LENGTHS + slot];
      const rest = length - this.#offset;
      let count = Math.min(rest, buffer.length - filled);
      // A chunk only partly taken: stop where its rest starts on an 8-byte boundary. V8 copies
      // out of shared memory a word at a time only when source and target are aligned alike, and
      // a byte at a time otherwise (1 GiB in 64 KiB copies: 26 against 156 ms); a buffer of
      // 64 KiB - 18 bytes, as the session's, would leave every following copy misaligned.
      const aligned = count < rest ? count - ((this.#offset + count) & 7) : 0;
      if (aligned > 0) count = aligned;
      const start = slot * SLOT_BYTES + this.#offset;
      buffer.set(new Uint8Array(this.#data, start, count), filled);
      filled += count;
      this.#offset += count;
      if (this.#offset !== length) break;
      this.#offset = 0;
      tail = (tail + 1) | 0;
    }
    if (tail !== this.#tail) {
      this.#tail = tail;
      Atomics.store(control, CONSUMED, tail);
      // The worker produces nothing while it waits, so `PRODUCED` is exact when the flag is up.
      if (
        Atomics.load(control, ROOM_WAITING) === 1 &&
        SLOTS - ((Atomics.load(control, PRODUCED) - tail) | 0) >= RESUME &&
        Atomics.exchange(control, ROOM_WAITING, 0) === 1
      ) Atomics.notify(control, CONSUMED);
    }
    return filled;
  }
}
